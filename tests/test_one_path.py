"""One cleaning path: every way in gives exactly what ``clean()`` gives.

The parity tests run every fixture (and, when ``../shared`` exists, every
real page) through each surface — the library, the CLI on stdin and on
files, a directory batch on two workers, a JSONL stream, Dask — and
compare bytes. The defect tests below each pin one promise a surface
broke before there was one path (issue 10).
"""

import gzip
import json
import subprocess
import sys
import time

import pytest

from stripper import InputError, OptionError, Stripper, StripperError, clean
from stripper.batch import clean_tree
from stripper.cli import main
from stripper.commands import text_output
from stripper.core import Cleaned
from stripper.corpus import load_fixtures, load_json_corpus

from conftest import REPO_ROOT, SHARED_DIR, one_line_error

ARTICLE = ("Bus depot to move out of the centre\n"
           "The transport authority will move its bus depot to the ring road in 2027, "
           "freeing the old site for housing, its board decided on Thursday.\n"
           "Around 300 homes are planned there.\n"
           "Support our local reporting from just £4 a month.\n"
           "Donate now\n")
NO_FINAL_BREAK = "The ferry will run on Sundays from May, the operator said."
PAGE = ("<!DOCTYPE html>\n<html><head><title>Depot</title></head><body><article>"
        "<h1>Bus depot to move</h1><p>The transport authority will move its bus depot to the "
        "ring road in 2027, freeing the old site for housing, its board decided on "
        "Thursday.</p><p>Around 300 homes are planned on the old site, the board said, and "
        "a school.</p></article></body></html>\n")



def corpus_texts(shared_dir=None):
    """Every fixture's text, and every real page's when the shared data is there."""
    texts = [doc.text for doc in load_fixtures([REPO_ROOT / "fixtures"])]
    if shared_dir is not None:
        texts += [doc.text for doc in load_json_corpus(shared_dir / "data" / "real-pages" / "docs")]
    return texts


@pytest.fixture(scope="module")
def parity_texts():

    return corpus_texts(SHARED_DIR if SHARED_DIR.is_dir() else None)


@pytest.fixture(scope="module")
def expected(parity_texts):
    """What the library gives for every parity text: the oracle."""
    return Stripper().clean_many(parity_texts)


# ------------------------------------------------------------------ parity

def test_cli_on_stdin_gives_what_clean_gives(runner, parity_texts, expected):
    differing = [n for n, (text, want) in enumerate(zip(parity_texts, expected))
                 if runner.invoke(main, ["clean"], input=text.encode("utf-8")).stdout_bytes
                 != want.encode("utf-8")]
    assert differing == []


def test_cli_on_files_gives_what_clean_gives(runner, tmp_path, parity_texts, expected):
    paths = write_texts(tmp_path / "in", parity_texts)
    result = runner.invoke(main, ["clean", "--format", "json", *map(str, paths)])
    texts = [json.loads(line)["text"] for line in result.stdout.splitlines()]
    assert result.exit_code == 0 and texts == expected


def test_cli_on_files_as_text_gives_each_clean_with_its_own_line_break(
        runner, tmp_path, parity_texts, expected):
    paths = write_texts(tmp_path / "in", parity_texts[:40])
    result = runner.invoke(main, ["clean", *map(str, paths)])
    assert result.stdout_bytes.decode("utf-8") == "".join(
        text_output(Cleaned("", text, []), several=True) for text in expected[:40])


def test_directory_batch_without_sites_gives_what_clean_gives(tmp_path, parity_texts,
                                                               expected):
    paths = write_texts(tmp_path / "in", parity_texts)
    clean_tree([tmp_path / "in"], tmp_path / "out", jobs=2, site_evidence=False)
    written = [(tmp_path / "out" / path.name).read_bytes().decode("utf-8") for path in paths]
    assert written == expected


def test_directory_batch_gives_what_the_batch_call_gives_for_its_groups(tmp_path,
                                                                         parity_texts):
    from stripper.sitekeys import site_of_path
    paths = write_texts(tmp_path / "in", parity_texts)
    clean_tree([tmp_path / "in"], tmp_path / "out", jobs=2)
    group = site_of_path(tmp_path / "in", "a.txt")  # files directly in it: one group
    batch = Stripper().clean_documents(parity_texts, sites=[group] * len(parity_texts))
    written = [(tmp_path / "out" / path.name).read_bytes().decode("utf-8") for path in paths]
    assert written == [done.text for done in batch]


def test_jsonl_stream_gives_what_clean_gives(runner, parity_texts, expected):
    stream = "".join(json.dumps({"n": n, "text": text}) + "\n"
                     for n, text in enumerate(parity_texts))
    result = runner.invoke(main, ["clean", "--jsonl"], input=stream.encode("utf-8"))
    assert [json.loads(line)["text"] for line in result.stdout.splitlines()] == expected


def test_dask_gives_what_clean_gives(parity_texts, expected):
    pytest.importorskip("distributed")
    db = pytest.importorskip("dask.bag")
    from distributed import Client, LocalCluster
    from stripper.dask import clean_bag
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster):
        cleaned = clean_bag(db.from_sequence(parity_texts, npartitions=7)).compute()
    assert cleaned == expected


def test_cli_output_cleaned_again_by_the_cli_is_unchanged(runner, parity_texts, expected):
    changed = [n for n, once in enumerate(expected)
               if runner.invoke(main, ["clean"], input=once.encode("utf-8")).stdout_bytes
               != once.encode("utf-8")]
    assert changed == []


def write_texts(directory, texts):
    directory.mkdir(parents=True)
    paths = [directory / f"{n:04}.txt" for n in range(len(texts))]
    for path, text in zip(paths, texts):
        path.write_bytes(text.encode("utf-8"))
    return paths


def test_every_surface_calls_the_one_cleaning_path(monkeypatch, runner, tmp_path):
    # Mark what the one path returns; every in-process surface must show it.
    import stripper.api
    real = stripper.api.clean_documents

    def marked(texts, model, settings, sites=None):
        return [Cleaned(done.source, done.text + "[one path]", done.blocks)
                for done in real(texts, model, settings, sites)]
    monkeypatch.setattr(stripper.api, "clean_documents", marked)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text(ARTICLE, encoding="utf-8")
    clean_tree([tmp_path / "in"], tmp_path / "out", jobs=1)
    jsonl = runner.invoke(main, ["clean", "--jsonl"], input=json.dumps({"text": ARTICLE}) + "\n")
    outputs = [runner.invoke(main, ["clean"], input=ARTICLE).stdout,
               runner.invoke(main, ["clean", str(tmp_path / "in" / "a.txt")]).stdout,
               json.loads(jsonl.stdout)["text"],
               (tmp_path / "out" / "a.txt").read_text(encoding="utf-8"),
               Stripper().clean(ARTICLE)]
    assert all(output.endswith("[one path]") for output in outputs), outputs


# --------------------------------------------------- defect 2: .jsonl files

@pytest.mark.parametrize("name", ["feed.jsonl", "feed.jsonl.gz"])
def test_jsonl_file_without_the_flag_is_cleaned_record_by_record(runner, tmp_path, name):
    data = "".join(json.dumps({"id": n, "text": ARTICLE}) + "\n" for n in range(3)).encode()
    path = tmp_path / name
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    result = runner.invoke(main, ["clean", str(path)])
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.exit_code == 0
    assert [(r["id"], r["text"]) for r in records] == [(n, clean(ARTICLE)) for n in range(3)]


def test_jsonl_and_text_files_together_are_refused(runner, tmp_path):
    (tmp_path / "a.jsonl").write_text(json.dumps({"text": ARTICLE}) + "\n")
    (tmp_path / "b.txt").write_text(ARTICLE)
    result = runner.invoke(main, ["clean", str(tmp_path / "a.jsonl"), str(tmp_path / "b.txt")])
    assert result.exit_code == 2 and "JSONL" in result.stderr


# ------------------------------------------- defect 3: several files, stdout

def test_several_files_to_stdout_each_end_with_a_line_break(runner, tmp_path):
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text(NO_FINAL_BREAK)
    second.write_text(NO_FINAL_BREAK)
    result = runner.invoke(main, ["clean", "--threshold", "1", str(first), str(second)])
    assert result.stdout == NO_FINAL_BREAK + "\n" + NO_FINAL_BREAK + "\n"


def test_one_file_to_stdout_is_exactly_its_clean(runner, tmp_path):
    path = tmp_path / "a.txt"
    path.write_text(NO_FINAL_BREAK)
    assert runner.invoke(main, ["clean", "--threshold", "1", str(path)]).stdout == NO_FINAL_BREAK


# ------------------------------------------------ defect 4: json + explain

def test_explain_with_json_format_is_refused(runner):
    result = runner.invoke(main, ["clean", "--format", "json", "--explain"], input=ARTICLE)
    assert result.exit_code == 2 and "--explain" in result.stderr


def test_explain_shows_the_threshold_in_force(runner):
    result = runner.invoke(main, ["clean", "--explain", "--threshold", "0.77"], input=ARTICLE)
    assert result.stdout.splitlines()[0] == "# threshold 0.77: set with --threshold"


# --------------------------------------------------------- defect 5: HTML

def test_html_piped_without_the_flag_is_extracted_with_a_warning(runner):
    result = runner.invoke(main, ["clean"], input=PAGE)
    assert result.exit_code == 0 and "<" not in result.stdout and "bus depot" in result.stdout
    assert "looks like an HTML page" in result.stderr


def test_html_flag_on_plain_text_warns_that_nothing_was_found(runner):
    result = runner.invoke(main, ["clean", "--html"], input="Just one plain line.\n")
    assert result.exit_code == 0 and "no main text" in result.stderr


# --------------------------------------------------------- defect 6: gzip

@pytest.mark.parametrize("name, html", [("a.txt.gz", False), ("page.html.gz", True)])
def test_gzipped_files_are_read_through_their_compression(runner, tmp_path, name, html):
    path = tmp_path / name
    path.write_bytes(gzip.compress((PAGE if html else ARTICLE).encode()))
    result = runner.invoke(main, ["clean", str(path)])
    plain = tmp_path / name.removesuffix(".gz")
    plain.write_text(PAGE if html else ARTICLE)
    assert result.exit_code == 0 and result.stdout == \
        runner.invoke(main, ["clean", str(plain)]).stdout != ""


def test_directory_cleans_gzipped_pages_into_gzipped_text(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "page.html.gz").write_bytes(gzip.compress(PAGE.encode()))
    (tmp_path / "in" / "story.txt.gz").write_bytes(gzip.compress(ARTICLE.encode()))
    summary = clean_tree([tmp_path / "in"], tmp_path / "out", jobs=1)
    assert summary.files == 2 and not summary.failures
    assert "bus depot" in gzip.decompress((tmp_path / "out" / "page.txt.gz").read_bytes()).decode()
    assert gzip.decompress((tmp_path / "out" / "story.txt.gz").read_bytes()).decode() == \
        clean(ARTICLE)


def test_summary_names_the_kinds_of_files_it_skipped(runner, tmp_path):
    (tmp_path / "in").mkdir()
    for name in ("a.txt", "b.pdf", "c.pdf", "d.png"):
        (tmp_path / "in" / name).write_bytes(b"x")
    result = runner.invoke(main, ["clean", str(tmp_path / "in"), "-o", str(tmp_path / "out")])
    assert "3 files skipped (.pdf 2, .png 1)" in result.stderr.splitlines()[-1]


# ------------------------------------------- defect 7: messages, exit codes

def test_malformed_json_message_says_at_once(runner):
    result = runner.invoke(main, ["clean", "--jsonl"], input='{"text": "unterminated\n')
    assert result.exit_code == 1 and "at at" not in result.stderr
    assert "column 10" in result.stderr


def test_dead_scheduler_is_named_within_seconds(tmp_path):
    pytest.importorskip("distributed")
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text(ARTICLE)
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-I", "-m", "stripper", "clean", str(tmp_path / "in"),
                           "-o", str(tmp_path / "out"), "--scheduler", "tcp://127.0.0.1:9"],
                          capture_output=True, text=True, timeout=120)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 1 and len(lines) == 1 and "tcp://127.0.0.1:9" in lines[0]
    assert "stdin" not in lines[0] and time.monotonic() - started < 30


def test_summary_counts_in_the_singular(runner, tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text(ARTICLE)
    result = runner.invoke(main, ["clean", str(tmp_path / "in"), "-o", str(tmp_path / "out")])
    assert result.stderr.splitlines()[-1].startswith("1 file, 1 document, ")
    assert "0 errors" in result.stderr


def test_a_failed_batch_ends_with_its_summary_line(runner, tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text(ARTICLE)
    (tmp_path / "in" / "b.txt").write_bytes(b"\x00binary")
    result = runner.invoke(main, ["clean", str(tmp_path / "in"), "-o", str(tmp_path / "out")])
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 1 and lines[-1].startswith("2 files, ") and "1 error," in lines[-1]
    assert lines[0].startswith("error: ") and "b.txt" in lines[0]


def test_dash_is_stdin(runner, tmp_path):
    result = runner.invoke(main, ["clean", "-"], input=ARTICLE)
    assert result.exit_code == 0 and result.stdout == clean(ARTICLE)


def test_missing_model_path_is_named_without_retrain_advice(runner, tmp_path):
    result = runner.invoke(main, ["clean", "--model", str(tmp_path / "no" / "model.joblib")],
                           input=ARTICLE)
    assert one_line_error(result) and "not found" in result.stderr
    assert "stripper train" not in result.stderr


def test_fixtures_check_outside_the_repository_is_one_line(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["fixtures", "check"])
    assert one_line_error(result) and "fixtures" in result.stderr and "Errno" not in result.stderr


def test_threshold_help_shows_the_model_value(runner):
    from stripper.modelfile import default_model_path, read_card
    threshold = read_card(default_model_path())["threshold"]
    result = runner.invoke(main, ["clean", "--help"])
    assert f"default: {threshold:.2f}" in " ".join(result.stdout.split())


def test_readme_threshold_examples_say_which_way_they_go():
    import re
    from stripper.modelfile import default_model_path, read_card
    default = read_card(default_model_path())["threshold"]
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    examples = re.findall(r"--threshold (0\.\d+)\S*\s.*?#(.*)", readme)
    assert examples
    for value, comment in examples:
        direction = "more" if float(value) < default else "less"
        assert f"remove {direction}" in comment or f"removes {direction}" in comment, comment


# ------------------------------------------------ defect 8: API options

def test_unknown_kind_to_keep_is_refused_by_the_api():
    with pytest.raises(OptionError, match="podcasts"):
        Stripper(keep={"podcasts"})


def test_unknown_kind_is_a_stripper_error():
    with pytest.raises(StripperError):
        clean(ARTICLE, keep=["gossip"])


def test_a_single_kind_name_is_one_kind():
    assert Stripper(keep="related").settings.keep == frozenset({"related"})


@pytest.mark.parametrize("value", [b"bytes are not text", None, 42])
def test_input_that_is_not_text_is_refused_clearly(value):
    with pytest.raises(InputError, match="str"):
        clean(value)


@pytest.mark.parametrize("option, value", [("threshold", 1.5), ("threshold", "high"),
                                            ("run_margin", -0.1), ("keep_target", 2)])
def test_out_of_range_options_are_refused_by_the_api(option, value):
    with pytest.raises(OptionError, match=option):
        Stripper(**{option: value})


def test_keep_target_without_operating_points_is_one_clear_error(runner):
    from stripper.modelfile import default_model_path, read_card
    if read_card(default_model_path()).get("operating_points"):
        pytest.skip("the bundled model records operating points")
    result = runner.invoke(main, ["clean", "--keep-target", "0.98"], input=ARTICLE)
    assert one_line_error(result) and "operating points" in result.stderr
