"""The mechanisms behind issue 11's promises, in-process and fast.

``test_faults.py`` proves the promises from outside (real processes, full
disks, signals); these tests pin the parts they rest on: the checked
writer, where an output lands, the OUTDIR lock, what a killed run left,
the symlink policy of the walk, and the order of report parts.
"""

import errno
import io
import os
from pathlib import Path

import pytest

from stripper.atomic import FullWriter, remove_stale_temporaries, stale_temporaries, \
    stream_writer, temporary_prefix
from stripper.batch import Summary, _part_order, _walk, clean_tree
from stripper.errors import InputError, OutputError
from stripper.outdir import LOCK_NAME, PARTS_PREFIX, locked, remove_leftovers
from stripper.paths import InputTrees, refuse_overwriting
from stripper.workers import FileJob, Task

NOTE = "The library will stay open until 8 p.m. on Saturdays from next month.\n"


# ---------------------------------------------------------------- the checked writer

class Stingy(io.RawIOBase):
    """A raw stream that stores at most ``most`` bytes a call, then fails with ``error``."""

    def __init__(self, most, room=None, error=None):
        self.most, self.room, self.error, self.stored = most, room, error, bytearray()

    def writable(self):
        return True

    def write(self, data):
        count = min(len(data), self.most)
        if self.room is not None:
            if self.room == 0:
                if self.error:
                    raise self.error
                return 0
            count = min(count, self.room)
            self.room -= count
        self.stored += bytes(data[:count])
        return count


def test_short_writes_are_retried_until_every_byte_is_stored():
    raw = Stingy(most=3)
    sink = FullWriter(raw)
    sink.write(b"x" * 100_000)  # larger than the buffer: written at once
    sink.write(b"tail")
    sink.flush()
    assert raw.stored == b"x" * 100_000 + b"tail"


def test_a_write_that_stores_nothing_is_an_error_not_a_silent_cut():
    sink = FullWriter(Stingy(most=10, room=5))
    sink.write(b"0123456789")
    with pytest.raises(OSError, match="short write"):
        sink.flush()


def test_the_error_of_a_full_disk_reaches_the_caller():
    full = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    sink = FullWriter(Stingy(most=1 << 20, room=10, error=full))
    with pytest.raises(OSError) as caught:
        sink.write(b"y" * 200_000)
    assert caught.value.errno == errno.ENOSPC


def test_what_was_never_flushed_is_dropped_when_the_writer_closes():
    raw = Stingy(most=100)
    sink = FullWriter(raw)
    sink.write(b"abandoned")
    sink.close()
    assert raw.stored == b""


def test_stream_writer_writes_an_in_memory_stream_through_its_write():
    stream = io.BytesIO()
    sink = stream_writer(stream)
    sink.write(b"clean text\n")
    sink.flush()
    assert stream.getvalue() == b"clean text\n"


# ---------------------------------------------------------------- temporary files

def test_stale_temporaries_are_those_of_the_target_only(tmp_path):
    target = tmp_path / "a.txt"
    mine = tmp_path / f"{temporary_prefix(target)}k3j4ab_9.tmp"
    other = tmp_path / f"{temporary_prefix(tmp_path / 'a.txt.gz')}k3j4ab_9.tmp"
    for path in (mine, other):
        path.write_text("half a file")
    assert stale_temporaries(target) == [mine]
    assert sorted(stale_temporaries([target, tmp_path / "a.txt.gz"])) == sorted([mine, other])


def test_long_names_have_short_temporaries_that_are_still_found(tmp_path):
    target = tmp_path / ("n" * 251 + ".txt")
    assert len(temporary_prefix(target)) < 40
    stale = tmp_path / f"{temporary_prefix(target)}abcdefgh.tmp"
    stale.write_text("half a file")
    assert remove_stale_temporaries([target]) == [stale] and not stale.exists()


# ---------------------------------------------------------------- where outputs land

@pytest.fixture
def tree(tmp_path):
    """``in/sub/a.txt``, ``in/b.txt``, a loose ``c.txt``, and ``out/sub -> ../in/sub``."""
    (tmp_path / "in" / "sub").mkdir(parents=True)
    for path in (tmp_path / "in" / "sub" / "a.txt", tmp_path / "in" / "b.txt",
                 tmp_path / "c.txt"):
        path.write_text(NOTE)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "sub").symlink_to(Path("..") / "in" / "sub")
    return tmp_path


def test_an_output_through_a_symlink_into_an_input_directory_is_caught(tree):
    trees = InputTrees([tree / "in", tree / "c.txt"])
    problem = trees.holding(tree / "out" / "sub" / "a.txt")
    assert "inside input directory" in problem and "through a symlink" in problem
    assert trees.holding(tree / "out" / "b.txt") is None


def test_an_output_onto_an_input_file_is_caught_however_it_is_named(tree):
    trees = InputTrees([tree / "in", tree / "c.txt"])
    assert "is the input" in trees.holding(tree / "c.txt")
    (tree / "link.txt").symlink_to(tree / "c.txt")
    os.link(tree / "c.txt", tree / "hard.txt")
    assert trees.holding(tree / "link.txt") and trees.holding(tree / "hard.txt")


@pytest.mark.parametrize("report", ["in/new.jsonl", "in/b.txt", "out/sub/r.jsonl", "c.txt"])
def test_a_report_that_lands_on_the_inputs_is_refused_before_anything_runs(tree, report):
    with pytest.raises(InputError, match="--report"):
        clean_tree([tree / "in", tree / "c.txt"], tree / "elsewhere", jobs=1,
                   report=tree / report)
    assert not (tree / "elsewhere").exists() and not (tree / "in" / "new.jsonl").exists()


def test_dash_o_onto_an_input_is_refused(tree):
    with pytest.raises(InputError, match="-o"):
        refuse_overwriting(tree / "c.txt", ["-", tree / "c.txt"])
    refuse_overwriting(tree / "clean.txt", ["-", tree / "c.txt"])


# ---------------------------------------------------------------- the OUTDIR lock

def test_a_held_outdir_refuses_a_second_run_naming_the_holder(tmp_path):
    with locked(tmp_path / "out"):
        with pytest.raises(OutputError, match=f"pid {os.getpid()}"):
            with locked(tmp_path / "out"):
                pass


def test_the_lock_file_is_gone_after_the_run(tmp_path):
    with locked(tmp_path / "out") as lock:
        assert lock.read_text().strip() == str(os.getpid())
    assert list((tmp_path / "out").iterdir()) == []


def test_a_lock_file_nobody_holds_does_not_block(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / LOCK_NAME).write_text("999999999\n")  # left by a killed run
    with locked(tmp_path / "out"):
        pass


def test_leftovers_of_a_killed_run_are_removed(tmp_path):
    out = tmp_path / "out"
    (out / PARTS_PREFIX.rstrip(".") / "x").mkdir(parents=True)  # not ours: kept
    (out / f"{PARTS_PREFIX}abc").mkdir()
    (out / f"{PARTS_PREFIX}abc" / "3.jsonl").write_text("{}\n")
    stale = out / f"{temporary_prefix(out / 'a.txt')}abcdefgh.tmp"
    stale.write_text("half")
    remove_leftovers(out, [out / "a.txt"])
    assert sorted(p.name for p in out.iterdir()) == [PARTS_PREFIX.rstrip(".")]


def test_a_batch_leaves_nothing_of_its_own_in_outdir(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text(NOTE)
    clean_tree([tmp_path / "in"], tmp_path / "out", jobs=1, report=tmp_path / "r.jsonl")
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["a.txt"]


# ---------------------------------------------------------------- symlinks in input trees

@pytest.fixture
def linked(tmp_path):
    """An input tree with links inside it, out of it, and a loop back to its top."""
    source = tmp_path / "in"
    (source / "real").mkdir(parents=True)
    (source / "real" / "a.txt").write_text(NOTE)
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.txt").write_text(NOTE)
    (source / "inside.txt").symlink_to(source / "real" / "a.txt")
    (source / "secret.txt").symlink_to(tmp_path / "outside" / "secret.txt")
    (source / "away").symlink_to(tmp_path / "outside")
    (source / "real" / "loop").symlink_to(source)
    return source


def walked(source, follow):
    summary = Summary()
    names = sorted(str(relative) for _, relative, _ in _walk([source], follow, summary))
    return names, summary.symlinks


def test_symlinks_out_of_the_tree_are_skipped_and_counted_by_default(linked):
    assert walked(linked, False) == (["inside.txt", "real/a.txt"], 2)


def test_follow_symlinks_walks_every_real_directory_once(linked):
    names, skipped = walked(linked, True)
    assert names == ["away/secret.txt", "inside.txt", "real/a.txt", "secret.txt"]
    assert skipped == 0


# ---------------------------------------------------------------- report parts

def test_retried_files_have_report_parts_that_sort_where_their_task_did():
    jobs = tuple(FileJob(f"{n}.txt", f"out/{n}.txt", "text", f"{n}.txt") for n in range(3))
    task = Task(9, jobs, (), None, "parts/9.jsonl")
    retries = task.retries()
    assert [(t.files, t.attempt) for t in retries] == [((job,), 1) for job in jobs]
    names = ["10.jsonl", "1.jsonl"] + [os.path.basename(t.fragment) for t in retries]
    assert sorted(names, key=_part_order) == ["1.jsonl", "9.0.jsonl", "9.1.jsonl", "9.2.jsonl",
                                              "10.jsonl"]
