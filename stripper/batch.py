"""Directory batches: clean a tree of files into a mirrored tree.

:func:`clean_tree` plans the work (one task per input file, in sorted
order), runs the tasks on worker processes, a Dask cluster or in-process,
and returns a :class:`Summary`. Each worker process loads the model once
(:func:`worker_stripper`). Every output is written atomically, so an
interrupted run leaves only complete files, and ``resume=True`` skips them.
A file that fails is recorded with its reason; the run goes on.

Outputs never depend on how the work is split: each file is cleaned by
the same function in fixed-size chunks, and the audit report is put
together in plan order.
"""

import logging
import os
import shutil
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError, ModelError, StripperError
from .html import HTML_SUFFIXES, extract_text
from .streams import (StreamOptions, StreamStats, audit_lines, clean_jsonl, clean_texts,
                      one_thread, open_atomic, open_source)
from .textio import decode

log = logging.getLogger(__name__)

TEXT_SUFFIXES = (".txt", ".md")
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz")
#: What an HTML page's clean text is saved as.
HTML_OUTPUT_SUFFIX = ".txt"
#: A group of small files closes at this many files or bytes of input.
GROUP_FILES = 16
GROUP_BYTES = 1 << 20


@dataclass(frozen=True)
class FileJob:
    """One input file and the output it is cleaned into.

    ``name`` is the input path as shown in messages and in the report.
    """

    source: str
    target: str
    kind: str
    name: str


@dataclass(frozen=True)
class Task:
    """What one worker call cleans: one JSONL file, or a group of text/HTML files.

    Small files are grouped because the model scores a batch of documents
    much faster than the same documents one at a time. ``options`` are the
    Stripper's (model, trust_model, settings) as a sorted tuple, so that
    tasks pickle and workers can cache a Stripper by them.
    """

    index: int
    files: tuple
    options: tuple
    stream: StreamOptions
    fragment: str = None


@dataclass
class FileResult:
    """What cleaning one file did, or why it failed."""

    name: str
    documents: int = 0
    blocks_removed: int = 0
    chars_removed: int = 0
    error: str = None
    skipped_lines: list = field(default_factory=list)


@dataclass
class Summary:
    """Totals of a directory batch; ``failures`` holds ``path: reason`` lines."""

    total: int = 0
    files: int = 0
    documents: int = 0
    blocks_removed: int = 0
    chars_removed: int = 0
    unsupported: int = 0
    resumed: int = 0
    failures: list = field(default_factory=list)
    skipped_lines: list = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    def add(self, result):
        """Count one finished file."""
        self.files += 1
        self.documents += result.documents
        self.blocks_removed += result.blocks_removed
        self.chars_removed += result.chars_removed
        self.skipped_lines.extend(result.skipped_lines)
        if result.error:
            self.failures.append(result.error)

    @property
    def seconds(self):
        """Seconds since the batch started."""
        return time.monotonic() - self.started

    def progress(self, width=24):
        """A progress bar: files done, documents per second, errors."""
        done = self.files / self.total if self.total else 1.0
        bar = "#" * round(done * width)
        rate = self.documents / self.seconds if self.seconds > 0 else 0.0
        return (f"[{bar:<{width}}] {self.files}/{self.total} files  {rate:.1f} docs/s  "
                f"{len(self.failures)} errors")

    def line(self):
        """The one-line summary printed at the end of a run."""
        extras = "".join(f", {count} {what}" for count, what in
                         ((self.unsupported, "files skipped"), (self.resumed, "resumed"),
                          (len(self.skipped_lines), "bad lines skipped")) if count)
        return (f"{self.files} files, {self.documents} documents, {self.blocks_removed} blocks "
                f"and {self.chars_removed} characters removed, {len(self.failures)} errors"
                f"{extras}, {self.seconds:.1f} s")


def clean_tree(inputs, outdir, jobs=None, resume=False, report=None, scheduler=None,
               stream=StreamOptions(), progress=None, **options):
    """Clean every supported file under ``inputs`` into a mirror under ``outdir``.

    ``jobs`` worker processes (default: all cores) or, with ``scheduler``
    (``tcp://host:port``), the workers of a dask.distributed cluster.
    ``report`` is a JSONL audit log of every removed block. ``progress``
    is called with the :class:`Summary` after each file. ``options`` go
    to :class:`stripper.Stripper` (``model``, ``trust_model``, settings).
    """
    outdir = Path(outdir)
    check_outdir(inputs, outdir)
    summary = Summary()
    files = plan_files(inputs, outdir, summary)
    if resume:
        files = _unfinished(files, summary)
    summary.total = len(files)
    _prepare(files)
    with _report_fragments(report) as fragments:
        tasks = group_tasks(files, option_key(options), stream, fragments)
        for results in _run(tasks, jobs, scheduler):
            for result in results:
                summary.add(result)
            if progress:
                progress(summary)
        if report:
            _join_report(tasks, report)
    return summary


def check_outdir(inputs, outdir):
    """Refuse an output directory that is, or lies inside, or holds an input directory."""
    out = Path(outdir).resolve()
    for path in map(Path, inputs):
        if not path.exists():
            raise InputError(f"{path}: no such file or directory")
        if not path.is_dir():
            continue
        source = path.resolve()
        if out == source or source in out.parents:
            raise InputError(f"output directory {outdir} lies inside input directory {path}")
        if out in source.parents:
            raise InputError(f"input directory {path} lies inside output directory {outdir}")


def plan_files(inputs, outdir, summary):
    """A :class:`FileJob` per supported input file, in sorted order.

    Unsupported files are counted in ``summary.unsupported``. Two inputs
    that would write the same output are refused before anything runs.
    """
    files, targets = [], {}
    for source, relative in _walk(inputs):
        kind = file_kind(source)
        if kind is None:
            summary.unsupported += 1
            continue
        target = outdir / _output_name(relative, kind)
        if target in targets:
            raise InputError(f"{source} and {targets[target]} would both be written to {target}")
        targets[target] = source
        files.append(FileJob(str(source), str(target), kind, str(source)))
    return files


def _walk(inputs):
    """``(path, path relative to its input)`` for every file, sorted within each input."""
    for root in map(Path, inputs):
        if not root.is_dir():
            yield root, Path(root.name)
            continue
        for directory, subdirs, names in os.walk(root):
            subdirs.sort()
            for name in sorted(names):
                path = Path(directory) / name
                yield path, path.relative_to(root)


def file_kind(path):
    """``text``, ``html`` or ``jsonl`` by suffix; ``None`` for anything else."""
    name = Path(path).name.lower()
    if name.endswith(JSONL_SUFFIXES):
        return "jsonl"
    if name.endswith(HTML_SUFFIXES):
        return "html"
    if name.endswith(TEXT_SUFFIXES):
        return "text"
    return None


def _output_name(relative, kind):
    return relative.with_suffix(HTML_OUTPUT_SUFFIX) if kind == "html" else relative


def _unfinished(files, summary):
    """Files whose output does not exist yet; outputs are atomic, so existing ones are complete."""
    left = [job for job in files if not os.path.exists(job.target)]
    summary.resumed = len(files) - len(left)
    return left


def _prepare(files):
    """Make output directories and remove temporaries a killed run left behind."""
    for target in sorted({Path(job.target) for job in files}):
        target.parent.mkdir(parents=True, exist_ok=True)
        for stale in target.parent.glob(f".{_glob_escape(target.name)}.*.tmp"):
            log.info("removing %s, left by an interrupted run", stale)
            stale.unlink(missing_ok=True)


def _glob_escape(name):
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


def group_tasks(files, options, stream, fragments=None):
    """Tasks for ``files`` in order: each JSONL file alone, text and HTML files in groups.

    A group closes at :data:`GROUP_FILES` files or :data:`GROUP_BYTES`
    bytes of input. Grouping depends only on the files, never on ``jobs``.
    """
    tasks, group, size = [], [], 0

    def close_group():
        nonlocal group, size
        if group:
            tasks.append(_task(len(tasks), group, options, stream, fragments))
        group, size = [], 0

    for job in files:
        if job.kind == "jsonl":
            close_group()
            tasks.append(_task(len(tasks), [job], options, stream, fragments))
            continue
        group.append(job)
        size += _size(job.source)
        if len(group) >= GROUP_FILES or size >= GROUP_BYTES:
            close_group()
    close_group()
    return tasks


def _task(index, files, options, stream, fragments):
    fragment = os.path.join(fragments, f"{index}.jsonl") if fragments else None
    return Task(index, tuple(files), options, stream, fragment)


def _size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0  # unreadable: the worker reports why


def option_key(options):
    """Stripper options as a sorted, hashable tuple (``keep`` as a sorted tuple)."""
    if "keep" in options:
        options = {**options, "keep": tuple(sorted(options["keep"] or ()))}
    return tuple(sorted(options.items()))


@contextmanager
def _report_fragments(report):
    """A temporary directory beside ``report`` for per-task parts, removed afterwards."""
    if not report:
        yield None
        return
    parent = Path(report).parent
    parent.mkdir(parents=True, exist_ok=True)
    directory = tempfile.mkdtemp(prefix=".stripper-report.", dir=parent)
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _join_report(tasks, report):
    """Concatenate report parts in plan order, so the report is the same for any ``jobs``."""
    with open_atomic(report) as sink:
        for task in tasks:
            if os.path.exists(task.fragment):
                with open(task.fragment, "rb") as part:
                    shutil.copyfileobj(part, sink)


# ---------------------------------------------------------------- running

def _run(tasks, jobs, scheduler):
    """Each task's list of :class:`FileResult`, as tasks finish, from wherever they run."""
    if not tasks:
        return
    if scheduler:
        from .dask import run_on_cluster
        yield from run_on_cluster(tasks, scheduler)
        return
    jobs = min(jobs or default_jobs(), len(tasks))
    if jobs == 1:
        with one_thread():
            yield from map(clean_task, tasks)
        return
    yield from _run_in_pool(tasks, jobs)


def default_jobs():
    """The number of cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        return os.cpu_count() or 1


def _run_in_pool(tasks, jobs):
    import multiprocessing
    # forkserver: workers fork from a clean server that has already imported
    # the library (fast start), never from a parent whose OpenMP threads
    # may already be running (which can hang a forked child)
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["stripper.batch", "stripper.core"])
    else:
        context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=context,
                               initializer=_start_worker, initargs=(tasks[0].options,))
    try:
        futures = [pool.submit(clean_task, task) for task in tasks]
        for future in as_completed(futures):
            yield future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _start_worker(options):
    """Worker start-up: one thread, and the model loaded before the first task."""
    one_thread()
    try:
        worker_stripper(options)
    except ModelError:
        pass  # the first task meets it again and stops the run with the message


_STRIPPERS = {}
_STRIPPERS_LOCK = threading.Lock()
_LOADS = []


def worker_stripper(options):
    """This process's :class:`Stripper` for ``options``, created (and loaded) once.

    Dask runs tasks on threads of a worker process, so creation is locked.
    """
    with _STRIPPERS_LOCK:
        if options not in _STRIPPERS:
            from .core import Stripper
            stripper = Stripper(**dict(options))
            stripper.bundle  # load now, under the lock, so it happens once
            _LOADS.append(options)
            _STRIPPERS[options] = stripper
        return _STRIPPERS[options]


def model_loads():
    """How many times this process has created and loaded a worker Stripper."""
    return len(_LOADS)


def clean_task(task):
    """Clean the files of ``task``: a list of :class:`FileResult`, never an exception.

    A failure of one file becomes its result's ``error`` (``path: reason``)
    so that the rest of the batch goes on.
    """
    if task.files[0].kind == "jsonl":
        return [_guarded(task.files[0], _clean_jsonl_file, task)]
    return _clean_text_files(task)


def _guarded(job, action, *args):
    """Run ``action(*args)`` for ``job``; return its result, or a FileResult with the error.

    A model error is no fault of the file: it stops the whole run.
    """
    try:
        return action(*args)
    except ModelError:
        raise
    except StripperError as error:
        reason = str(error)
    except OSError as error:
        reason = f"{job.name}: {error.strerror or error}"
    except Exception as error:  # one bad file must not stop a corpus (e.g. a parser bug)
        log.exception("unexpected failure on %s", job.name)
        reason = f"{job.name}: {type(error).__name__}: {error}"
    return FileResult(job.name, error=reason)


def _clean_jsonl_file(task):
    job, stats = task.files[0], StreamStats()
    try:
        with open_source(job.source) as source, open_atomic(job.target) as sink, \
                _fragment(task) as part:
            clean_jsonl(source, sink, worker_stripper(task.options), task.stream, job.name,
                        stats, audit=lambda number, cleaned: part.write(
                            audit_lines(job.name, number, cleaned)))
    except BaseException:
        _discard_fragment(task)  # the file wrote no output, so it removed nothing
        raise
    return FileResult(job.name, stats.records, stats.blocks_removed, stats.chars_removed,
                      skipped_lines=stats.skipped)


def _clean_text_files(task):
    """Read every file of the group, score them in one batch, write each output."""
    results, readable = {}, []
    for job in task.files:
        text = _guarded(job, _read_text, job)
        if isinstance(text, FileResult):
            results[job] = text
        else:
            readable.append((job, text))
    with _fragment(task) as part:
        for (job, _), document in zip(readable, _clean_group(task, readable)):
            if not isinstance(document, FileResult):
                document = _guarded(job, _write_clean, job, document, part)
            results[job] = document
    return [results[job] for job in task.files]


def _clean_group(task, readable):
    """Clean the group's texts in one batch; if that fails, one by one.

    Cleaning one by one finds the file at fault, so only that file fails.
    """
    stripper = worker_stripper(task.options)
    try:
        return clean_texts(stripper, [text for _, text in readable])
    except ModelError:
        raise
    except Exception:
        log.warning("a batch of %d files failed; cleaning them one by one", len(readable))
    return [_guarded(job, _clean_one, stripper, text) for job, text in readable]


def _clean_one(stripper, text):
    return clean_texts(stripper, [text])[0]


def _read_text(job):
    with open(job.source, "rb") as handle:
        text = decode(handle.read(), job.name)
    return extract_text(text, job.name) if job.kind == "html" else text


def _write_clean(job, document, report):
    with open_atomic(job.target) as sink:
        sink.write(document.text.encode("utf-8"))
    report.write(audit_lines(job.name, None, document))
    return FileResult(job.name, 1, len(document.removed), document.chars_removed)


class _NoReport:
    """Stands in for a report part when no report was asked for."""

    def write(self, lines):
        return len(lines)


def _fragment(task):
    """This task's report part, or a sink that drops the lines."""
    return open(task.fragment, "wb") if task.fragment else nullcontext(_NoReport())


def _discard_fragment(task):
    if task.fragment and os.path.exists(task.fragment):
        os.unlink(task.fragment)
