"""The fixture format (parse, render, check) and the real-pages JSON loader."""

import json

import pytest

from stripper.corpus import (FixtureError, Segment, check_fixtures, load_json_corpus,
                             parse_fixture, render_fixture)

FIXTURE = (
    "publication: The Quayside Post\n"
    "lang: en\n"
    "topic: local\n"
    "---\n"
    "Bridge repairs start in May\n"
    "The county will close the old bridge for six weeks.[[ui: Read more]]\n"
    "[[?byline: By Oren Tallis]]\n"
    "[[donation: Keep the Post free.\n"
    "Give monthly.]]\n"
)
BODY = (
    "Bridge repairs start in May\n"
    "The county will close the old bridge for six weeks.Read more\n"
    "By Oren Tallis\n"
    "Keep the Post free.\nGive monthly.\n"
)


def labelled(doc):
    """Each segment's label, kind and text."""
    return [(s.label, s.kind, doc.text[s.start:s.end]) for s in doc.segments]


def test_parse_gives_the_body_without_markers():
    assert parse_fixture(FIXTURE).text == BODY


def test_parse_labels_segments_inline():
    assert labelled(parse_fixture(FIXTURE)) == [
        ("content", "body", "Bridge repairs start in May"),
        ("content", "body", "The county will close the old bridge for six weeks."),
        ("boilerplate", "ui", "Read more"),
        ("ambiguous", "byline", "By Oren Tallis"),
        ("boilerplate", "donation", "Keep the Post free.\nGive monthly."),
    ]


def test_parse_reads_header_and_groups_by_publication():
    doc = parse_fixture(FIXTURE, "batch/doc-7.txt")
    assert (doc.id, doc.lang, doc.group, doc.meta["topic"]) == \
        ("doc-7", "en", "fixture:The Quayside Post", "local")


def test_render_gives_back_the_file_exactly():
    assert render_fixture(parse_fixture(FIXTURE)) == FIXTURE


def test_parse_of_render_gives_the_same_document():
    doc = parse_fixture(FIXTURE)
    again = parse_fixture(render_fixture(doc))
    assert (again.text, again.segments) == (doc.text, doc.segments)


def test_segments_are_spans_of_the_text():
    doc = parse_fixture(FIXTURE)
    assert all(isinstance(s, Segment) and 0 <= s.start < s.end <= len(doc.text)
               for s in doc.segments)


#: Broken fixtures and the line their problem must be reported on.
BROKEN = {
    "no-separator": ("publication: X\nlang: en\ntopic: local\nText.\n", 1),
    "missing-key": ("publication: X\nlang: en\n---\nText.\n", 1),
    "bad-header-line": ("publication: X\nthis is not a header\nlang: en\ntopic: a\n---\nT.\n", 2),
    "unknown-lang": ("publication: X\nlang: xx\ntopic: local\n---\nText.\n", 1),
    "unknown-kind": ("publication: X\nlang: en\ntopic: a\n---\nOne.\nTwo.\n[[begging: Pay]]\n", 7),
    "unclosed": ("publication: X\nlang: en\ntopic: a\n---\nOne.\n[[ui: Close\nTwo.\n", 6),
    "stray-close": ("publication: X\nlang: en\ntopic: a\n---\nOne.\nTwo.]]\n", 6),
    "stray-open": ("publication: X\nlang: en\ntopic: a\n---\nOne [[ nothing\n", 5),
    "nested": ("publication: X\nlang: en\ntopic: a\n---\n[[ui: a\n[[nav: b]] c]]\n", 6),
    "empty-span": ("publication: X\nlang: en\ntopic: a\n---\nOne.\n[[ui:  ]]\n", 6),
    "empty-body": ("publication: X\nlang: en\ntopic: a\n---\n\n\n", 5),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_check_reports_file_line_problem(tmp_path, name):
    raw, line = BROKEN[name]
    path = tmp_path / f"{name}.txt"
    path.write_text(raw, encoding="utf-8")
    problems = check_fixtures([tmp_path])
    assert len(problems) == 1
    location, _, problem = problems[0].partition(": ")
    assert (location, bool(problem.strip())) == (f"{path}:{line}", True)


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_parse_raises_on_broken_fixtures(name):
    with pytest.raises(FixtureError):
        parse_fixture(BROKEN[name][0])


def test_check_accepts_a_valid_file(tmp_path):
    (tmp_path / "good.txt").write_text(FIXTURE, encoding="utf-8")
    assert check_fixtures([tmp_path]) == []


def test_check_reports_undecodable_files(tmp_path):
    path = tmp_path / "latin.txt"
    path.write_bytes(FIXTURE.encode("utf-8") + b"caf\xe9\n")
    assert check_fixtures([path])[0].startswith(f"{path}:1: ")


def test_check_reports_every_broken_file(tmp_path):
    for name in ("unknown-kind", "unclosed"):
        (tmp_path / f"{name}.txt").write_text(BROKEN[name][0], encoding="utf-8")
    (tmp_path / "good.txt").write_text(FIXTURE, encoding="utf-8")
    assert len(check_fixtures([tmp_path])) == 2


def test_cli_fixtures_check_prints_problems_and_exits_1(tmp_path, runner):
    from stripper.cli import main
    path = tmp_path / "bad.txt"
    path.write_text(BROKEN["unknown-kind"][0], encoding="utf-8")
    result = runner.invoke(main, ["fixtures", "check", str(path)])
    assert result.exit_code == 1
    assert result.stdout.startswith(f"{path}:7: ")


def test_repository_fixtures_pass_the_check(repo_root):
    assert check_fixtures([repo_root / "fixtures"]) == []


# ------------------------------------------------------------- real pages

PAGE = {
    "id": "t-001", "publisher": "example.test", "lang": "de", "group": "appeal",
    "text": "Headline\n\nThe vote passed.Subscribe now\nListen on the app",
    "segments": [
        {"text": "Headline", "label": "content", "kind": "title"},
        {"text": "The vote passed.", "label": "content", "kind": "body"},
        {"text": "Subscribe now", "label": "boilerplate", "kind": "subscription"},
        {"text": "Listen on the app", "label": "boilerplate", "kind": "podcast-links"},
    ],
}


def write_page(directory, record):
    (directory / f"{record['id']}.json").write_text(json.dumps(record), encoding="utf-8")


def test_real_pages_loader_recovers_spans(tmp_path):
    write_page(tmp_path, PAGE)
    doc, = load_json_corpus(tmp_path)
    assert [doc.text[s.start:s.end] for s in doc.segments] == \
        [item["text"] for item in PAGE["segments"]]


def test_real_pages_loader_maps_kinds_to_ours(tmp_path):
    write_page(tmp_path, PAGE)
    doc, = load_json_corpus(tmp_path)
    assert [(s.label, s.kind) for s in doc.segments] == [
        ("content", "title"), ("content", "body"),
        ("boilerplate", "subscription"), ("boilerplate", "podcast")]


def test_real_pages_loader_groups_by_publisher(tmp_path):
    write_page(tmp_path, PAGE)
    doc, = load_json_corpus(tmp_path)
    assert (doc.id, doc.group, doc.lang, doc.source) == \
        ("t-001", "real:example.test", "de", tmp_path.name)


def test_real_pages_loader_rejects_a_segment_not_in_the_text(tmp_path):
    record = {**PAGE, "segments": [{"text": "Not there", "label": "content", "kind": "body"}]}
    write_page(tmp_path, record)
    with pytest.raises(FixtureError):
        load_json_corpus(tmp_path)


def test_real_pages_loader_rejects_an_unknown_label(tmp_path):
    record = {**PAGE, "segments": [{"text": "Headline", "label": "junk", "kind": "body"}]}
    write_page(tmp_path, record)
    with pytest.raises(FixtureError):
        load_json_corpus(tmp_path)
