"""Issue 11: crashes, overwritten inputs, lost output, signals, locks, symlinks, long names.

One test (or a small parametrized family) per promise the issue asks for;
each docstring states the promise. The tests are black-box: they run the
installed command (``python -m stripper clean``) or the public API in a
subprocess, so that a segfault, a signal, an exit code or a worker process
is real and cannot take pytest down with it, and they judge only what a
user sees: exit code, stderr, stdout, files on disk and live processes.
Helpers live in ``faultkit.py``.
"""

import gzip
import json
import os
import random
import re
import signal
import time
from pathlib import Path

import pytest

import faultkit as kit
from faultkit import describe, has_traceback, leftovers, one_line_error, run_cli, tree_bytes, write


@pytest.fixture(autouse=True)
def no_processes_outlive_a_test():
    """Whatever a test started (workers orphaned by a killed run too) ends with it."""
    yield
    kit.kill_all_tagged()


def error_lines(done):
    """The ``error: PATH: reason`` lines a batch prints for failed files."""
    return [line for line in done.lines if line.startswith("error:")]


def good_record(number):
    return {"id": number, "text": kit.article(random.Random(number), number, paragraphs=2)}


def record_ids(done):
    return [record["id"] for record in done.records()]


# ------------------------------------------------ 1. any str: cleaned or refused

#: A text no UTF-8 file can hold: a lone surrogate (Python strs and JSON's
#: "\ud800" escape can). Issue 11 found it segfaults inside MurmurHash.
SURROGATE_TEXT = ("The council met on Tuesday to vote on the budget. bad \ud800 x\n\n"
                  "Share this story\n")

SURVIVES = """
import stripper
text = {text}
try:
    result = {call}
except stripper.InputError as error:
    print("refused", len(str(error).splitlines()))
else:
    print("cleaned")
"""

API_CALLS = {
    "clean": "stripper.clean(text)",
    "classify": "stripper.classify(text)",
    "clean_many": "stripper.Stripper().clean_many(['The council met.', text])",
    "split_glued": "stripper.Stripper(split_glued=True).clean(text)",
}


def cleaned_or_refused(done):
    """The script ran to its end: the text was cleaned, or refused with a one-line InputError."""
    return done.returncode == 0 and done.stdout.decode().strip() in ("cleaned", "refused 1")


@pytest.mark.parametrize("call", sorted(API_CALLS))
def test_lone_surrogate_through_the_api_is_cleaned_or_refused(call):
    """Any str Python can hold is cleaned, or refused with an InputError: never a crash."""
    done = kit.run_python(SURVIVES.format(text=ascii(SURROGATE_TEXT), call=API_CALLS[call]))
    assert cleaned_or_refused(done), describe(done)


DASK_CALLS = {
    "clean_bag": "clean_bag(db.from_sequence(['The council met.', text], npartitions=1))"
                 ".compute(scheduler='synchronous')",
    "clean_column": "clean_column(dd.from_pandas(pd.DataFrame({'text': pd.Series("
                    "['The council met.', text], dtype=object)}), npartitions=1), 'text')"
                    ".compute(scheduler='synchronous')",
}
#: pandas' and dask's Arrow-backed strings cannot hold a lone surrogate at
#: all, so the column is kept as Python objects (as a user's data can be).
DASK_IMPORTS = ("import dask, dask.bag as db, dask.dataframe as dd, pandas as pd\n"
                "dask.config.set({'dataframe.convert-string': False})\n"
                "from stripper.dask import clean_bag, clean_column\n")


@pytest.mark.parametrize("call", sorted(DASK_CALLS))
def test_lone_surrogate_on_dask_is_cleaned_or_refused(call):
    """Dask's clean_bag and clean_column clean a lone surrogate or refuse it: never a crash."""
    pytest.importorskip("dask")
    pytest.importorskip("pandas")
    code = DASK_IMPORTS + SURVIVES.format(text=ascii(SURROGATE_TEXT), call=DASK_CALLS[call])
    done = kit.run_python(code)
    assert cleaned_or_refused(done), describe(done)


SURROGATE_JSONL = kit.jsonl_lines([good_record(1), {"id": 2, "text": SURROGATE_TEXT},
                                   good_record(3)])


def surrogate_record_handled(done, name):
    """The record was cleaned (all three out), or refused in one line naming ``name:2``."""
    if has_traceback(done):
        return False
    if done.returncode == 0:
        return record_ids(done) == [1, 2, 3]
    return one_line_error(done) and f"{name}:2" in done.lines[0]


def test_lone_surrogate_in_a_jsonl_record_on_stdin_is_cleaned_or_refused():
    """A "\\ud800" escape in a JSONL record on stdin: cleaned, or one line naming <stdin>:2."""
    done = run_cli("clean", "--jsonl", input=SURROGATE_JSONL.encode())
    assert surrogate_record_handled(done, "<stdin>"), describe(done)


def test_lone_surrogate_in_a_jsonl_file_is_cleaned_or_refused(tmp_path):
    """A "\\ud800" escape in a JSONL file argument: cleaned, or one line naming FILE:2."""
    path = write(tmp_path / "feed.jsonl", SURROGATE_JSONL)
    done = run_cli("clean", "--jsonl", path)
    assert surrogate_record_handled(done, str(path)), describe(done)


@pytest.mark.parametrize("where", ["stdin", "file"])
def test_surrogate_bytes_in_a_text_input_are_cleaned_or_refused(tmp_path, where):
    """UTF-8-encoded surrogate bytes in text input: cleaned or one-line refusal (a guard)."""
    data = "The council met on Tuesday. bad ".encode() + b"\xed\xa0\x80" + b" x\n"
    path = write(tmp_path / "in.txt", data)
    done = run_cli("clean", input=data) if where == "stdin" else run_cli("clean", path)
    assert not has_traceback(done) and (done.returncode == 0 or one_line_error(done)), \
        describe(done)


@pytest.fixture(scope="module")
def surrogate_batch(tmp_path_factory):
    """A -j 2 batch: a JSONL file holding a surrogate record, first, then 40 stories."""
    root = tmp_path_factory.mktemp("surrogate")
    source = kit.make_corpus(root / "in", 40)
    write(source / "a-feed.jsonl", SURROGATE_JSONL)
    stories = sorted(str(p.relative_to(source)) for p in source.rglob("*.txt"))
    done = run_cli("clean", source, "-o", root / "out", "-j", "2")
    return done, root / "out", stories


def test_lone_surrogate_in_a_batch_costs_no_other_file(surrogate_batch):
    """A record that a worker cannot survive must not cost the other files of the batch."""
    done, out, stories = surrogate_batch
    missing = sorted(set(stories) - set(tree_bytes(out)))
    assert not missing, f"{len(missing)} of {len(stories)} outputs missing; {describe(done)}"


def test_lone_surrogate_in_a_batch_is_named_or_cleaned(surrogate_batch):
    """No traceback: the record is cleaned (exit 0), or named FILE:2 in an error line (exit 1)."""
    done, out, _ = surrogate_batch
    assert not has_traceback(done), describe(done)
    if done.returncode == 0:
        assert (out / "a-feed.jsonl").exists()
    else:
        assert done.returncode == 1 and any("a-feed.jsonl:2" in line
                                            for line in error_lines(done)), describe(done)


def test_lone_surrogate_in_a_batch_leaves_no_temporary_files(surrogate_batch):
    """Every temporary file of the batch is gone when it ends, however a worker ended."""
    _, out, _ = surrogate_batch
    assert leftovers(out) == []


# ------------------------------------------------ shared corpus for workers and kills

#: Files in the corpus of the worker, signal and kill tests: about 1.5-2 s of
#: work for two workers on this machine, long enough to interrupt mid-run.
CORPUS_FILES = 120


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return kit.make_corpus(tmp_path_factory.mktemp("corpus") / "in", CORPUS_FILES)


@pytest.fixture(scope="module")
def corpus_names(corpus):
    return sorted(str(p.relative_to(corpus)) for p in corpus.rglob("*.txt"))


class Reference:
    """An uninterrupted run's outputs and how long it took."""

    def __init__(self, tree, seconds):
        self.tree, self.seconds = tree, seconds


@pytest.fixture(scope="module")
def reference(corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("reference") / "out"
    started = time.monotonic()
    done = run_cli("clean", corpus, "-o", out, "-j", "2")
    assert done.returncode == 0, describe(done)
    return Reference(tree_bytes(out), time.monotonic() - started)


def count_outputs(out):
    return sum(1 for p in Path(out).rglob("*.txt") if not p.name.startswith("."))


def start_batch(corpus, out, *extra):
    return kit.start_cli("clean", corpus, "-o", out, "-j", "2", *extra)


def wait_mid_run(started, out, at_least, timeout=60):
    """Wait until ``at_least`` outputs exist; fail if the run ended before that."""
    kit.wait_for(lambda: count_outputs(out) >= at_least or started.process.poll() is not None,
                 timeout)
    if started.process.poll() is not None:
        pytest.fail(f"the run ended before {at_least} outputs: {describe(started.finish())}")


def test_a_worker_killed_mid_batch_costs_at_most_one_file(corpus, corpus_names, tmp_path):
    """A worker that dies (here: SIGKILL, as the OOM killer would) costs one file, not the run.

    The run goes on without it: no traceback, at most one output missing,
    each missing output named in an ``error:`` line, exit 1 if one is missing.
    """
    out = tmp_path / "out"
    started = start_batch(corpus, out)
    wait_mid_run(started, out, CORPUS_FILES // 8)
    workers = started.others()
    assert workers, "no worker processes found"
    busiest = max(workers, key=kit.cpu_ticks)  # the fork server and trackers barely run
    os.kill(busiest, signal.SIGKILL)
    done = started.finish()
    missing = sorted(set(corpus_names) - set(tree_bytes(out)))
    assert not has_traceback(done) and len(missing) <= 1, \
        f"{len(missing)} outputs missing; {describe(done)}"
    assert all(any(name in line for line in error_lines(done)) for name in missing)
    assert done.returncode == (1 if missing else 0)


# ------------------------------------------------ 2. JSONL: deep nesting, corrupt gzip

DEEP = "[" * 100_000 + "]" * 100_000
DEEP_LINES = {
    "in-text": '{"id": 2, "text": ' + DEEP + '}\n',
    "elsewhere": '{"id": 2, "text": "The council met.", "extra": ' + DEEP + '}\n',
}


def deep_jsonl(directory, where):
    """``deep.jsonl``: a good record, a line nested 100,000 arrays deep, a good record."""
    return write(directory / "deep.jsonl", kit.jsonl_lines([good_record(1)]) + DEEP_LINES[where]
                 + kit.jsonl_lines([good_record(3)]))


def corrupt_gzip(directory):
    """``bad.jsonl.gz``: a valid gzip header, then garbage (zlib.error when read)."""
    packed = gzip.compress(kit.jsonl_lines([good_record(n) for n in range(20)]).encode())
    return write(directory / "bad.jsonl.gz", packed[:10] + b"\x00garbage!" * 64)


@pytest.mark.parametrize("where", sorted(DEEP_LINES))
def test_deeply_nested_line_is_a_one_line_error_naming_it(tmp_path, where):
    """A line nested too deep to parse is a malformed line: one line naming FILE:2, exit 1."""
    path = deep_jsonl(tmp_path, where)
    done = run_cli("clean", "--jsonl", path)
    assert one_line_error(done) and f"{path}:2" in done.lines[0], describe(done)


@pytest.mark.parametrize("where", sorted(DEEP_LINES))
def test_deeply_nested_line_is_skipped_with_on_error_skip(tmp_path, where):
    """With --on-error skip the deep line is dropped with a warning naming it; the rest go out."""
    path = deep_jsonl(tmp_path, where)
    done = run_cli("clean", "--jsonl", "--on-error", "skip", path)
    assert done.returncode == 0 and not has_traceback(done), describe(done)
    assert record_ids(done) == [1, 3] and f"{path}:2" in done.stderr


@pytest.mark.parametrize("on_error", ["fail", "skip"])
def test_corrupt_gzip_is_a_one_line_error_naming_the_file(tmp_path, on_error):
    """A .jsonl.gz whose data is not gzip: one line naming the file, exit 1 (also with skip)."""
    path = corrupt_gzip(tmp_path)
    done = run_cli("clean", "--jsonl", "--on-error", on_error, path)
    assert one_line_error(done) and str(path) in done.lines[0], describe(done)


def batch_with(tmp_path, make, *options):
    """Run a -j 1 batch over one story plus the file ``make(in_dir)`` writes."""
    source = kit.make_corpus(tmp_path / "in", 1)
    bad = make(source)
    done = run_cli("clean", source, "-o", tmp_path / "out", "-j", "1", *options)
    return done, bad.relative_to(source), tmp_path / "out"


#: The fallback reason a batch gives for an exception it did not expect
#: ("RecursionError: ...", zlib's "error: ..."): a bug, not a reported input problem.
UNEXPECTED = re.compile(r"(^|: )[\w.]*(Error|error|Exception): ")


def test_deeply_nested_line_in_a_batch_is_an_error_naming_it(tmp_path):
    """In a batch the deep line is reported as FILE:2 (a malformed line), not as an exception."""
    done, bad, _ = batch_with(tmp_path, lambda d: deep_jsonl(d, "elsewhere"))
    assert done.returncode == 1 and not has_traceback(done), describe(done)
    assert any(f"{bad}:2" in line for line in error_lines(done)), describe(done)


def test_deeply_nested_line_in_a_batch_is_skipped_with_on_error_skip(tmp_path):
    """With --on-error skip a batch drops the deep line and writes the file's other records."""
    done, bad, out = batch_with(tmp_path, lambda d: deep_jsonl(d, "in-text"),
                                "--on-error", "skip")
    assert done.returncode == 0 and not has_traceback(done), describe(done)
    written = [json.loads(line)["id"] for line in (out / bad).read_text().splitlines()]
    assert written == [1, 3]


@pytest.mark.parametrize("on_error", ["fail", "skip"])
def test_corrupt_gzip_in_a_batch_is_reported_as_an_input_error(tmp_path, on_error):
    """A corrupt .jsonl.gz in a batch: an error line naming it with stripper's own reason."""
    done, bad, _ = batch_with(tmp_path, corrupt_gzip, "--on-error", on_error)
    lines = [line for line in error_lines(done) if str(bad) in line]
    assert done.returncode == 1 and not has_traceback(done) and len(lines) == 1, describe(done)
    reason = lines[0].split(f"{bad}:", 1)[1].strip()
    assert not UNEXPECTED.search(reason), lines[0]


# ------------------------------------------------ 3. record size limit and memory

def records_with_big_one(directory, size=5000):
    """``big.jsonl``: three records; the second holds ``size`` bytes of text."""
    big = {"id": 2, "text": ("The council met. " * (size // 17 + 1))[:size]}
    return write(directory / "big.jsonl",
                 kit.jsonl_lines([good_record(1), big, good_record(3)]))


def test_record_over_max_record_bytes_is_refused_naming_it(tmp_path):
    """--max-record-bytes N: a longer record is a one-line error naming FILE:LINE, exit 1."""
    path = records_with_big_one(tmp_path)
    done = run_cli("clean", "--jsonl", "--max-record-bytes", "2000", path)
    assert one_line_error(done) and f"{path}:2" in done.lines[0], describe(done)


def test_record_over_max_record_bytes_is_skipped_with_on_error_skip(tmp_path):
    """With --on-error skip the long record is dropped with a warning naming it; the rest go out."""
    path = records_with_big_one(tmp_path)
    done = run_cli("clean", "--jsonl", "--max-record-bytes", "2000", "--on-error", "skip", path)
    assert done.returncode == 0 and record_ids(done) == [1, 3], describe(done)
    assert f"{path}:2" in done.stderr


def test_record_over_max_record_bytes_in_a_batch_fails_only_its_file(tmp_path):
    """In a batch the long record fails its file (named FILE:2); the other files are written."""
    done, bad, out = batch_with(tmp_path, records_with_big_one, "--max-record-bytes", "2000")
    assert done.returncode == 1 and not has_traceback(done), describe(done)
    assert any(f"{bad}:2" in line for line in error_lines(done)), describe(done)
    assert list(out.rglob("story*.txt"))


#: Peak memory a record may cost above the cost of a tiny record, as a
#: multiple of its size in bytes. The issue measured 88x on a 20 MB record;
#: at c14a4ab and 2e09662 this record takes 30-40x (the context model's trees
#: are walked for every block at once, several (blocks x trees) arrays at a
#: time). 12x leaves room for the blocks, their rows and the output, and is
#: what the README should state.
MEMORY_FACTOR = 12
#: Size of the measured record. Memory grows with the number of blocks, so
#: the record is ordinary short paragraphs; 2 MB of them is ~7,000 blocks,
#: a few seconds of cleaning (20 MB would take about a minute).
RECORD_BYTES = 2_000_000


def paragraphs_record(size):
    sentence = "The council voted on the budget after a long debate about the bus route. "
    count = size // (len(sentence) * 3 + 12)
    text = "\n\n".join(f"Part {n}: {sentence * 3}" for n in range(count))
    return {"id": 1, "text": text}


def test_memory_for_one_record_stays_within_a_bounded_factor_of_its_size(tmp_path):
    """Cleaning one record peaks at most MEMORY_FACTOR x its size above a tiny record's peak."""
    big = write(tmp_path / "big.jsonl", kit.jsonl_lines([paragraphs_record(RECORD_BYTES)]))
    tiny = write(tmp_path / "tiny.jsonl", kit.jsonl_lines([good_record(1)]))
    code, baseline = kit.peak_rss_bytes(kit.cli("clean", "--jsonl", tiny))
    assert code == 0
    code, peak = kit.peak_rss_bytes(kit.cli("clean", "--jsonl", big))
    assert code == 0
    factor = (peak - baseline) / big.stat().st_size
    assert factor <= MEMORY_FACTOR, \
        f"{factor:.1f}x the record's size ({(peak - baseline) / 1e6:.0f} MB above baseline)"


# ------------------------------------------------ 4. OUTDIR with a symlink into the inputs

@pytest.fixture(scope="module")
def symlinked_outdir(tmp_path_factory):
    """``out/sub -> ../in/sub``, then ``clean in -o out``: input snapshots before and after."""
    root = tmp_path_factory.mktemp("symlinked")
    source = kit.make_corpus(root / "in", 3, folders=("sub",))
    write(source / "top.txt", kit.article(random.Random(1), 99))
    (root / "out").mkdir()
    (root / "out" / "sub").symlink_to(Path("..") / "in" / "sub")
    before = kit.snapshot(source)
    time.sleep(0.01)  # a rewrite now shows in the modification times
    done = run_cli("clean", source, "-o", root / "out", "-j", "1")
    return done, before, kit.snapshot(source), root / "out"


def test_outdir_symlinked_into_the_input_tree_modifies_no_input(symlinked_outdir):
    """No input is rewritten through an output path that resolves into the input tree."""
    _, before, after, _ = symlinked_outdir
    changed = sorted(name for name in before if before[name] != after.get(name))
    assert not changed and set(after) == set(before), f"inputs changed: {changed}"


def test_outdir_symlinked_into_the_input_tree_fails_those_outputs_only(symlinked_outdir):
    """Outputs that land in the input tree are errors (exit 1) naming them; the rest are written."""
    done, _, _, out = symlinked_outdir
    assert done.returncode == 1 and not has_traceback(done), describe(done)
    for name in ("story0000.txt", "story0001.txt", "story0002.txt"):
        assert any(f"sub/{name}" in line for line in error_lines(done)), describe(done)
    assert (out / "top.txt").is_file()


# ------------------------------------------------ 5. --report onto the inputs

REPORT_TARGETS = {"an input file": "sub/story0000.txt", "inside an input dir": "removed.jsonl"}


@pytest.fixture(scope="module", params=sorted(REPORT_TARGETS))
def report_onto_inputs(request, tmp_path_factory):
    """``clean in -o out --report in/...``: the run's result and the input tree before/after."""
    root = tmp_path_factory.mktemp("report")
    source = kit.make_corpus(root / "in", 2, folders=("sub",))
    before = kit.snapshot(source)
    time.sleep(0.01)
    done = run_cli("clean", source, "-o", root / "out", "-j", "1",
                   "--report", source / REPORT_TARGETS[request.param])
    return done, before, kit.snapshot(source)


def test_report_onto_the_input_tree_is_refused_in_one_line(report_onto_inputs):
    """A --report path that is an input, or lies in an input directory, is refused like -o."""
    done, _, _ = report_onto_inputs
    assert one_line_error(done), describe(done)


def test_report_onto_the_input_tree_leaves_it_unchanged(report_onto_inputs):
    """The input tree is byte- and mtime-identical afterwards, with no file added."""
    _, before, after = report_onto_inputs
    assert after == before


# ------------------------------------------------ 6. stdout onto a full disk

def big_story(rng_seed=5, copies=200):
    """About 180 KB of distinct reporting: its clean text is far bigger than the full disk."""
    rng = random.Random(rng_seed)
    return "".join(kit.article(rng, n, paragraphs=4) for n in range(copies))


STDOUT_FORMATS = {
    "text": lambda d: ["clean", write(d / "story.txt", big_story())],
    "json": lambda d: ["clean", "--format", "json", write(d / "story.txt", big_story())],
    # 64 records of 3 KB: one chunk, written with a single write() call
    "jsonl": lambda d: ["clean", "--jsonl", write(d / "feed.jsonl", kit.jsonl_lines(
        {"id": n, "text": big_story(n, copies=3)} for n in range(64)))],
}


@pytest.mark.parametrize("fmt", sorted(STDOUT_FORMATS))
def test_stdout_onto_a_full_disk_is_a_one_line_error(tmp_path, fmt):
    """A failed or short write to stdout is exit 1 with one line, never exit 0 with output cut."""
    args = STDOUT_FORMATS[fmt](tmp_path)
    with kit.full_disk(tmp_path / "disk") as disk, open(disk / "stdout", "wb") as stdout:
        done = run_cli(*args, stdout=stdout)
    assert one_line_error(done) and "No space left" in done.lines[0], describe(done)


# ------------------------------------------------ 7. --report onto a full disk

@pytest.fixture(scope="module")
def report_on_full_disk(corpus, corpus_names, tmp_path_factory):
    """The corpus in a -j 2 batch whose --report lies on a 16 KB disk (it needs ~50 KB)."""
    root = tmp_path_factory.mktemp("report-disk")
    with kit.full_disk(root / "disk", size="16k") as disk:
        done = run_cli("clean", corpus, "-o", root / "out", "-j", "2",
                       "--report", disk / "removed.jsonl")
        on_disk = sorted(p.name for p in disk.iterdir())
    return done, corpus_names, root / "out", on_disk


def test_full_disk_under_report_still_writes_every_output(report_on_full_disk):
    """A report that cannot be written does not stop the batch: every cleaned output is written."""
    done, names, out, _ = report_on_full_disk
    missing = sorted(set(names) - set(tree_bytes(out)))
    assert not missing, f"{len(missing)} outputs missing; {describe(done)}"


def test_full_disk_under_report_is_reported_once_naming_the_report(report_on_full_disk):
    """The failure is one line naming the report file (not "stdin/stdout"), exit 1."""
    done, _, _, _ = report_on_full_disk
    naming = [line for line in done.lines if "removed.jsonl" in line]
    assert done.returncode == 1 and not has_traceback(done), describe(done)
    assert len(naming) == 1 and "stdin/stdout" not in done.stderr, describe(done)


def test_full_disk_under_report_leaves_nothing_on_that_disk(report_on_full_disk):
    """No partial report, no temporary file, no fragment folder is left (a guard)."""
    _, _, _, on_disk = report_on_full_disk
    assert on_disk == []


# ------------------------------------------------ 8. records before a bad line reach stdout

TEN_AND_BAD = (kit.jsonl_lines([good_record(n) for n in range(10)])
               + '{"id": 10, "text": "cut off\n')


@pytest.mark.parametrize("where", ["stdin", "file"])
def test_records_before_a_bad_line_reach_stdout(tmp_path, where):
    """On stdout, the complete records before a malformed line come out, then the error, exit 1."""
    if where == "stdin":
        done, name = run_cli("clean", "--jsonl", input=TEN_AND_BAD.encode()), "<stdin>"
    else:
        path = write(tmp_path / "feed.jsonl", TEN_AND_BAD)
        done, name = run_cli("clean", "--jsonl", path), str(path)
    assert one_line_error(done) and f"{name}:11" in done.lines[0], describe(done)
    assert record_ids(done) == list(range(10))


# ------------------------------------------------ 9. SIGTERM and SIGKILL of a batch

def report_args(report):
    return ("--report", report)


def interrupted(corpus, root, which):
    """A -j 2 batch with --report into ``root``, sent ``which`` a quarter of the way through.

    Returns the run, its end, the seconds it took to end, its OUTDIR and report.
    """
    out, report = root / "out", root / "report" / "removed.jsonl"
    started = start_batch(corpus, out, *report_args(report))
    wait_mid_run(started, out, CORPUS_FILES // 4)
    sent = time.monotonic()
    started.signal(which)
    done = started.finish(timeout=30)
    return started, done, time.monotonic() - sent, out, report


@pytest.fixture(scope="module")
def sigterm_run(corpus, tmp_path_factory):
    """A -j 2 batch with --report, sent SIGTERM a quarter of the way through."""
    started, done, took, out, report = interrupted(corpus, tmp_path_factory.mktemp("sigterm"),
                                                   signal.SIGTERM)
    left = kit.survivors(started.tag, grace=2)
    kit.kill_tagged(started.tag)
    return done, took, left, leftovers(out, report.parent)


def test_sigterm_ends_a_batch_promptly_with_one_line(sigterm_run):
    """SIGTERM acts as Ctrl-C: within seconds, exit 1 (or 143) and "interrupted"/"terminated"."""
    done, took, _, _ = sigterm_run
    assert took < 10 and done.returncode in (1, 143) and not has_traceback(done), describe(done)
    assert done.lines and re.match(r"Error: .*(interrupted|terminated)", done.lines[-1]), \
        describe(done)


def test_sigterm_leaves_no_temporary_files(sigterm_run):
    """No .*.tmp output and no .stripper-report.* folder is left behind by SIGTERM."""
    _, _, _, left = sigterm_run
    assert left == []


def test_sigterm_leaves_no_live_workers(sigterm_run):
    """Two seconds after the main process ends, none of its processes is alive."""
    _, _, alive, _ = sigterm_run
    assert alive == []


@pytest.fixture(scope="module")
def sigkill_run(corpus, tmp_path_factory):
    """SIGKILL of a batch's main process, then (its orphans ended) the same run with --resume."""
    started, _, _, out, report = interrupted(corpus, tmp_path_factory.mktemp("sigkill"),
                                             signal.SIGKILL)
    alive = kit.survivors(started.tag, grace=3)
    kit.kill_tagged(started.tag)  # so that --resume below is judged on its own
    resumed = run_cli("clean", corpus, "-o", out, "-j", "2", "--resume", *report_args(report))
    return alive, resumed, out, report


def test_sigkill_of_the_main_process_takes_the_workers_with_it(sigkill_run):
    """Workers die with their parent (within 3 s): none is left re-parented and writing."""
    alive, _, _, _ = sigkill_run
    assert alive == []


def test_resume_after_sigkill_removes_stale_report_fragments(sigkill_run):
    """--resume finishes and removes what the killed run left: temporaries and report parts."""
    _, resumed, out, report = sigkill_run
    assert resumed.returncode == 0, describe(resumed)
    assert leftovers(out, report.parent) == []


def test_resume_after_sigkill_gives_the_uninterrupted_bytes(sigkill_run, reference):
    """The resumed outputs equal an uninterrupted run's, byte for byte (a guard)."""
    _, resumed, out, _ = sigkill_run
    assert resumed.returncode == 0, describe(resumed)
    assert tree_bytes(out) == reference.tree


KILLS = 5


@pytest.mark.parametrize("signame", ["SIGKILL", "SIGTERM"])
def test_random_kills_then_resume_give_the_uninterrupted_bytes(corpus, reference, tmp_path,
                                                               signame):
    """Killed at five random moments, then --resume: same bytes, no temporaries, no children.

    Each time: the run is sent the signal, ends, and leaves no live process
    (within 3 s); --resume then exits 0, its outputs equal the uninterrupted
    run's byte for byte, and no temporary file or report fragment is left.
    """
    rng = random.Random(f"issue 11 {signame}")
    for attempt in range(KILLS):
        out, report = tmp_path / f"out{attempt}", tmp_path / f"report{attempt}" / "r.jsonl"
        delay = rng.uniform(0.2, reference.seconds)
        moment = f"attempt {attempt}, {signame} after {delay:.2f} s"
        started = start_batch(corpus, out, *report_args(report))
        time.sleep(delay)
        started.signal(getattr(signal, signame))
        started.finish(timeout=30)
        alive = kit.survivors(started.tag, grace=3)
        assert alive == [], f"{moment}: processes {alive} outlived the run"
        resumed = run_cli("clean", corpus, "-o", out, "-j", "2", "--resume", *report_args(report))
        assert resumed.returncode == 0 and not resumed.left, f"{moment}: {describe(resumed)}"
        assert tree_bytes(out) == reference.tree, moment
        assert leftovers(out, report.parent) == [], moment


# ------------------------------------------------ 10. one run per OUTDIR

#: Records of the long JSONL file that keeps the first run busy (~2 s, so
#: that it is still running when the second run has started up).
BUSY_RECORDS = 3000  # about 2 s to clean: long enough for a second run to meet it


@pytest.fixture(scope="module")
def busy_corpus(tmp_path_factory):
    """``a-feed.jsonl`` (first in plan order, ~2 s to clean) and a few stories."""
    source = kit.make_corpus(tmp_path_factory.mktemp("busy") / "in", 4)
    write(source / "a-feed.jsonl", kit.jsonl_lines(good_record(n) for n in range(BUSY_RECORDS)))
    return source


def start_busy(busy_corpus, out):
    """Start a run and wait until its stories are written and its feed is still in progress."""
    started = start_batch(busy_corpus, out)
    wait_mid_run(started, out, 4)
    if (out / "a-feed.jsonl").exists():
        pytest.fail("the feed was finished before the second run could start")
    return started


@pytest.fixture(scope="module", params=["plain", "resume"])
def second_run(request, busy_corpus, tmp_path_factory):
    """A second run (with or without --resume) into the OUTDIR a first run is writing."""
    out = tmp_path_factory.mktemp(f"second-{request.param}") / "out"
    first = start_busy(busy_corpus, out)
    resume = ("--resume",) if request.param == "resume" else ()
    second = run_cli("clean", busy_corpus, "-o", out, "-j", "1", *resume)
    return request.param, first.finish(), second, out


def test_second_run_into_a_busy_outdir_is_refused(second_run):
    """A run into an OUTDIR another live run holds (lock file) is refused in one line, exit 1."""
    _, _, second, _ = second_run
    assert one_line_error(second), describe(second)


def test_first_run_survives_a_second_run_into_its_outdir(second_run):
    """The second run touches nothing of the first: its temporaries survive, it ends whole.

    (Issue 11: the second run deleted the first run's temporary file.)
    """
    _, first, _, out = second_run
    assert first.returncode == 0, describe(first)
    lines = (out / "a-feed.jsonl").read_text().splitlines()
    assert len(lines) == BUSY_RECORDS


def test_lock_left_by_a_killed_run_does_not_block_a_later_run(busy_corpus, tmp_path):
    """A lock whose owner is dead (killed with SIGKILL) is stale: --resume goes ahead (a guard)."""
    out = tmp_path / "out"
    first = start_busy(busy_corpus, out)
    first.signal(signal.SIGKILL)
    first.finish()
    kit.kill_tagged(first.tag)
    later = run_cli("clean", busy_corpus, "-o", out, "-j", "2", "--resume")
    assert later.returncode == 0, describe(later)
    assert len((out / "a-feed.jsonl").read_text().splitlines()) == BUSY_RECORDS


# ------------------------------------------------ also: symlinks out of the tree, long names

@pytest.fixture
def symlink_out_of_tree(tmp_path):
    """``in/link.txt`` -> a file outside the input tree (standing in for /etc/passwd)."""
    secret = write(tmp_path / "elsewhere" / "secret.txt", kit.article(random.Random(3), 3))
    source = kit.make_corpus(tmp_path / "in", 1)
    (source / "link.txt").symlink_to(secret)
    return source, secret, tmp_path / "out"


def test_symlink_out_of_the_input_tree_is_skipped_and_counted(symlink_out_of_tree):
    """By default a symlink to a file outside the tree is not read: skipped, and counted."""
    source, _, out = symlink_out_of_tree
    done = run_cli("clean", source, "-o", out, "-j", "1")
    assert done.returncode == 0, describe(done)
    assert not (out / "link.txt").exists()
    assert re.search(r"\b1 [^,]*skipped", done.lines[-1]), done.lines[-1]


def test_follow_symlinks_cleans_a_symlinked_file(symlink_out_of_tree):
    """With --follow-symlinks the linked file is cleaned like any other."""
    source, secret, out = symlink_out_of_tree
    done = run_cli("clean", source, "-o", out, "-j", "1", "--follow-symlinks")
    assert done.returncode == 0, describe(done)
    assert (out / "link.txt").read_bytes() == run_cli("clean", secret).stdout


LONG_NAMES = {"batch text": "n" * 251 + ".txt", "batch jsonl": "n" * 249 + ".jsonl"}


@pytest.mark.parametrize("kind", sorted(LONG_NAMES))
def test_255_byte_input_name_is_cleaned_in_a_batch(tmp_path, kind):
    """A file whose name has the most bytes a name may have is cleaned: temporaries stay short."""
    name = LONG_NAMES[kind]
    content = kit.jsonl_lines([good_record(1)]) if name.endswith(".jsonl") \
        else kit.article(random.Random(1), 1)
    write(tmp_path / "in" / name, content)
    done = run_cli("clean", tmp_path / "in", "-o", tmp_path / "out", "-j", "1")
    assert done.returncode == 0 and (tmp_path / "out" / name).is_file(), describe(done)


def test_255_byte_output_name_is_written_with_o(tmp_path):
    """-o onto a 255-byte file name works: the temporary name beside it stays short."""
    source = write(tmp_path / "story.txt", kit.article(random.Random(1), 1))
    target = tmp_path / ("n" * 251 + ".txt")
    done = run_cli("clean", source, "-o", target)
    assert done.returncode == 0 and target.is_file(), describe(done)
