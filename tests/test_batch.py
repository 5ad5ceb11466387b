"""Directory batches: mirrored outputs, workers, resume, failures, the audit log."""

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from stripper.batch import clean_tree
from stripper.cli import main
from stripper.errors import InputError

STORY = """Bridge repairs to start in March
The county will close the old river bridge for six weeks from March 3 so that crews can replace its deck, the roads department said on Monday.
Drivers will be sent over the bypass, which adds about ten minutes to the trip into town.
Share this story
Facebook
Twitter
Email
We rely on readers like you. Give $5 a month to keep local news free.
Donate now
"""

NOTE = """Library extends weekend hours
The central library will stay open until 8 p.m. on Saturdays from next month, after a trial last autumn drew more visitors than staff expected.
Sign up for our morning newsletter
"""


@pytest.fixture
def corpus(tmp_path):
    """A small tree: text files at two depths, an unsupported file, a JSONL file."""
    root = tmp_path / "corpus"
    (root / "city" / "roads").mkdir(parents=True)
    (root / "city" / "roads" / "bridge.txt").write_text(STORY, encoding="utf-8")
    (root / "city" / "library.md").write_text(NOTE, encoding="utf-8")
    (root / "top.txt").write_text(NOTE + "\n" + STORY, encoding="utf-8")
    (root / "scan.pdf").write_bytes(b"%PDF-1.4")
    (root / "feed.jsonl").write_text(
        json.dumps({"id": 1, "text": STORY}) + "\n" + json.dumps({"id": 2, "text": NOTE}) + "\n",
        encoding="utf-8")
    return root


def tree_bytes(root):
    """Every file under ``root`` by relative path, with its bytes."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def test_outputs_mirror_the_input_tree(corpus, tmp_path):
    clean_tree([corpus], tmp_path / "out", jobs=1)
    assert sorted(tree_bytes(tmp_path / "out")) == [
        "city/library.md", "city/roads/bridge.txt", "feed.jsonl", "top.txt"]


def test_text_outputs_equal_library_clean(corpus, tmp_path, default_stripper):
    clean_tree([corpus], tmp_path / "out", jobs=1)
    written = (tmp_path / "out" / "city" / "roads" / "bridge.txt").read_text(encoding="utf-8")
    assert written == default_stripper.clean(STORY)


def test_unsupported_files_are_skipped_and_counted(corpus, tmp_path):
    summary = clean_tree([corpus], tmp_path / "out", jobs=1)
    assert (dict(summary.unsupported), summary.files) == ({".pdf": 1}, 4)
    assert not (tmp_path / "out" / "scan.pdf").exists()


def test_two_workers_write_the_same_bytes_as_one(corpus, tmp_path):
    clean_tree([corpus], tmp_path / "one", jobs=1, report=tmp_path / "one.jsonl")
    clean_tree([corpus], tmp_path / "two", jobs=2, report=tmp_path / "two.jsonl")
    assert tree_bytes(tmp_path / "one") == tree_bytes(tmp_path / "two")
    assert (tmp_path / "one.jsonl").read_bytes() == (tmp_path / "two.jsonl").read_bytes()


def test_inputs_are_never_modified(corpus, tmp_path):
    before = {name: hashlib.sha256(data).hexdigest() for name, data in tree_bytes(corpus).items()}
    clean_tree([corpus], tmp_path / "out", jobs=1)
    after = {name: hashlib.sha256(data).hexdigest() for name, data in tree_bytes(corpus).items()}
    assert after == before


@pytest.mark.parametrize("outdir", [".", "city", "city/new"])
def test_outdir_inside_an_input_is_refused(corpus, outdir):
    with pytest.raises(InputError, match="inside input directory"):
        clean_tree([corpus], corpus / outdir, jobs=1)


def test_input_inside_the_outdir_is_refused(corpus):
    with pytest.raises(InputError, match="inside output directory"):
        clean_tree([corpus / "city"], corpus, jobs=1)


def test_inputs_that_collide_in_the_output_are_refused(tmp_path):
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "same.txt").write_text(NOTE, encoding="utf-8")
    with pytest.raises(InputError, match="would both be written"):
        clean_tree([tmp_path / "a", tmp_path / "b"], tmp_path / "out", jobs=1)


def test_a_failing_file_is_reported_and_the_rest_are_written(corpus, tmp_path):
    (corpus / "city" / "broken.txt").write_bytes(b"\x00\x01\x02 not text")
    summary = clean_tree([corpus], tmp_path / "out", jobs=1)
    assert len(summary.failures) == 1
    assert str(corpus / "city" / "broken.txt") in summary.failures[0]
    assert "binary" in summary.failures[0]
    assert (tmp_path / "out" / "city" / "roads" / "bridge.txt").exists()
    assert not (tmp_path / "out" / "city" / "broken.txt").exists()


def test_an_interrupted_batch_leaves_only_complete_files_and_resumes(corpus, tmp_path):
    for n in range(40):  # enough files for several tasks
        (corpus / "many" / f"{n:02}.txt").parent.mkdir(exist_ok=True)
        (corpus / "many" / f"{n:02}.txt").write_text(NOTE, encoding="utf-8")
    out = tmp_path / "out"

    def interrupt(summary):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        clean_tree([corpus], out, jobs=1, progress=interrupt)
    done = tree_bytes(out)
    assert 0 < len(done) < 44
    assert not list(out.rglob("*.tmp"))
    summary = clean_tree([corpus], out, jobs=1, resume=True)
    assert summary.resumed == len(done)
    assert summary.files == 44 - len(done)
    clean_tree([corpus], tmp_path / "fresh", jobs=1)
    assert tree_bytes(out) == tree_bytes(tmp_path / "fresh")


def test_resume_removes_temporaries_left_by_a_killed_run(corpus, tmp_path):
    out = tmp_path / "out"
    (out / "city").mkdir(parents=True)
    (out / "city" / ".library.md.x1y2.tmp").write_text("half a file", encoding="utf-8")
    clean_tree([corpus], out, jobs=1, resume=True)
    assert not list(out.rglob("*.tmp"))


def test_report_lines_point_at_the_removed_text(corpus, tmp_path):
    report = tmp_path / "removed.jsonl"
    clean_tree([corpus], tmp_path / "out", jobs=1, report=report)
    lines = [json.loads(line) for line in report.read_text(encoding="utf-8").splitlines()]
    assert lines
    for line in lines:
        assert set(line) == {"file", "record", "start", "end", "kind", "via", "score", "text"}
        if line["record"] is None:
            source = Path(line["file"]).read_text(encoding="utf-8")
            assert source[line["start"]:line["end"]] == line["text"]


def test_report_names_the_jsonl_record(corpus, tmp_path):
    report = tmp_path / "removed.jsonl"
    clean_tree([corpus / "feed.jsonl"], tmp_path / "out", jobs=1, report=report)
    records = {json.loads(line)["record"] for line in report.read_text().splitlines()}
    assert records and records <= {1, 2}


def test_cli_prints_a_summary_line_and_no_bar_off_a_tty(corpus, tmp_path):
    result = CliRunner().invoke(main, ["clean", str(corpus), "-o", str(tmp_path / "out"),
                                       "-j", "1"])
    assert result.exit_code == 0, result.output
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith("4 files, 5 documents")
    assert result.stdout == ""


def test_cli_exits_1_naming_the_failed_file(corpus, tmp_path):
    (corpus / "broken.txt").write_bytes(b"\xff\x00")
    result = CliRunner().invoke(main, ["clean", str(corpus), "-o", str(tmp_path / "out"),
                                       "-j", "1"])
    assert result.exit_code == 1
    assert f"error: {corpus / 'broken.txt'}:" in result.stderr


def test_cli_directory_needs_an_outdir(corpus):
    result = CliRunner().invoke(main, ["clean", str(corpus)])
    assert result.exit_code == 2


def test_cli_batch_options_need_a_directory(tmp_path):
    page = tmp_path / "page.txt"
    page.write_text(NOTE, encoding="utf-8")
    result = CliRunner().invoke(main, ["clean", str(page), "--resume"])
    assert result.exit_code == 2
    assert "--resume" in result.stderr
