"""Directory batches: clean a tree of files into a mirrored tree.

:func:`clean_tree` plans the work (one task per JSONL file, groups of
small text and HTML files, in sorted order), runs the tasks
(:func:`stripper.workers.clean_task`) on worker processes, a Dask cluster
or in-process, and returns a :class:`Summary`. Every output is written
atomically, so an interrupted run leaves only complete files, and
``resume=True`` skips them. A file that fails is recorded with its reason;
the run goes on.

Outputs never depend on how the work is split: grouping depends only on
the files, every file is cleaned by the one cleaning path, and the audit
report is put together in plan order.
"""

import logging
import os
import shutil
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .atomic import open_atomic, stale_temporaries
from .errors import InputError
from .jsonl import StreamOptions
from .settings import GROUP_BYTES, GROUP_FILES
from .textio import GZIP_SUFFIX, format_of
from .workers import FileJob, Task, clean_task, one_thread, option_key

log = logging.getLogger(__name__)

#: What an HTML page's clean text is saved as.
HTML_OUTPUT_SUFFIX = ".txt"


@dataclass
class Summary:
    """Totals of a directory batch; ``failures`` holds ``path: reason`` lines."""

    total: int = 0
    files: int = 0
    documents: int = 0
    blocks_removed: int = 0
    chars_removed: int = 0
    unsupported: Counter = field(default_factory=Counter)
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
        skipped = sum(self.unsupported.values())
        extras = "".join(f", {text}" for count, text in (
            (skipped, f"{plural(skipped, 'file')} skipped ({self._unsupported_kinds()})"),
            (self.resumed, f"{plural(self.resumed, 'file')} already done"),
            (len(self.skipped_lines), f"{plural(len(self.skipped_lines), 'bad line')} skipped"))
            if count)
        return (f"{plural(self.files, 'file')}, {plural(self.documents, 'document')}, "
                f"{plural(self.blocks_removed, 'block')} and "
                f"{plural(self.chars_removed, 'character')} removed, "
                f"{plural(len(self.failures), 'error')}{extras}, {self.seconds:.1f} s")

    def _unsupported_kinds(self):
        return ", ".join(f"{suffix or 'no suffix'} {count}"
                         for suffix, count in sorted(self.unsupported.items()))


def plural(count, noun):
    """``1 file``, ``2 files``."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def clean_tree(inputs, outdir, jobs=None, resume=False, report=None, scheduler=None,
               stream=StreamOptions(), progress=None, **options):
    """Clean every supported file under ``inputs`` into a mirror under ``outdir``.

    ``jobs`` worker processes (default: all cores) or, with ``scheduler``
    (``tcp://host:port``), the workers of a dask.distributed cluster.
    ``report`` is a JSONL audit log of every removed block. ``progress``
    is called with the :class:`Summary` after each file. ``options`` go
    to :class:`stripper.Stripper` (``model`` and the settings).
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
        kind = format_of(source)
        if kind is None:
            summary.unsupported[_suffix(source)] += 1
            log.info("skipped %s: not a .txt, .md, .html, .htm or .jsonl file", source)
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


def _suffix(path):
    suffixes = Path(path).suffixes
    return "".join(suffixes[-2:]).lower() if suffixes[-1:] == [GZIP_SUFFIX] else \
        "".join(suffixes[-1:]).lower()


def _output_name(relative, kind):
    """Where ``relative`` is written: HTML pages as text, gzipped inputs gzipped."""
    if kind != "html":
        return relative
    packed = relative.name.lower().endswith(GZIP_SUFFIX)
    page = relative.with_suffix("") if packed else relative
    return page.with_suffix(HTML_OUTPUT_SUFFIX + (GZIP_SUFFIX if packed else ""))


def _unfinished(files, summary):
    """Files whose output does not exist yet; outputs are atomic, so existing ones are complete."""
    left = [job for job in files if not os.path.exists(job.target)]
    summary.resumed = len(files) - len(left)
    return left


def _prepare(files):
    """Make output directories and remove temporaries a killed run left behind."""
    for target in sorted({Path(job.target) for job in files}):
        target.parent.mkdir(parents=True, exist_ok=True)
        for stale in stale_temporaries(target):
            log.info("removing %s, left by an interrupted run", stale)
            stale.unlink(missing_ok=True)


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
        context.set_forkserver_preload(["stripper.workers", "stripper.core"])
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
    from .errors import ModelError
    from .workers import worker_stripper
    one_thread()
    try:
        worker_stripper(options)
    except ModelError:
        pass  # the first task meets it again and stops the run with the message
