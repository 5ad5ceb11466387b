"""Directory batches: clean a tree of files into a mirrored tree.

:func:`clean_tree` plans the work (one task per JSONL file, groups of
small text and HTML files, in sorted order), runs the tasks
(:func:`stripper.workers.clean_task`) on worker processes
(:mod:`stripper.pool`), a Dask cluster or in-process, and returns a
:class:`Summary`. Every output is written atomically, so an interrupted
run leaves only complete files, and ``resume=True`` skips them. A file
that fails is recorded with its reason; the run goes on.

A run holds its OUTDIR's lock (:mod:`stripper.outdir`) from start to end.
No output is written where it would land on an input (:mod:`stripper.paths`):
such a file fails, named, before anything is written. Symlinks in an
input tree whose target lies outside it are skipped unless
``follow_symlinks=True``.

Outputs never depend on how the work is split: grouping depends only on
the files, every file is cleaned by the one cleaning path, and the audit
report is put together in plan order.
"""

import logging
import os
import shutil
import time
from collections import Counter
from contextlib import closing, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from .atomic import open_atomic, write_atomic
from .errors import InputError, OutputError
from .jsonl import StreamOptions
from .outdir import locked, remove_leftovers, report_parts, site_folder
from .paths import InputTrees
from .settings import GATHER_MEMORY, GROUP_BYTES, GROUP_FILES
from .sitekeys import site_of_path
from .textio import GZIP_SUFFIX, format_of
from .workers import FileJob, Task, clean_task, option_key

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
    symlinks: int = 0
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
            (self.symlinks, f"{plural(self.symlinks, 'symlink')} skipped (target outside "
                            f"the input; --follow-symlinks follows them)"),
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
               stream=StreamOptions(), progress=None, follow_symlinks=False, profile=None,
               **options):
    """Clean every supported file under ``inputs`` into a mirror under ``outdir``.

    ``jobs`` worker processes (default: all cores) or, with ``scheduler``
    (``tcp://host:port``), the workers of a dask.distributed cluster.
    ``report`` is a JSONL audit log of every removed block. ``progress``
    is called with the :class:`Summary` after each file.
    Pages of one site (:mod:`stripper.sitekeys`) are cleaned with each
    other's evidence: a first pass gathers every input's fingerprints (all
    of them, also with ``resume``, so the evidence never depends on what
    was done before), the second cleans; ``profile`` (a site profile's
    path) is used instead of gathering, and the ``site_evidence=False`` option
    cleans every page alone.
    ``follow_symlinks`` reads symlinks whose target lies outside their
    input directory (by default they are skipped and counted). ``options``
    go to :class:`stripper.Stripper` (``model`` and the settings).

    Raises :class:`InputError` for inputs or an ``outdir``/``report`` that
    would overwrite an input, and :class:`OutputError` when another run
    holds ``outdir``. Files that fail, and a report that cannot be
    written, are ``Summary.failures``.
    """
    outdir = Path(outdir)
    check_outdir(inputs, outdir)
    trees = InputTrees(inputs)
    if report:
        trees.refuse(report, "--report")
    summary = Summary()
    with locked(outdir):
        if report:
            _make_parent(report)
        files = plan_files(inputs, outdir, summary, follow_symlinks, trees)
        if resume:
            remove_leftovers(outdir, [job.target for job in files])
        with site_folder(outdir) as folder:
            evidence = _site_evidence(files, options, stream, jobs, scheduler, folder, profile)
            if resume:
                files = _unfinished(files, summary)
            summary.total = len(files)
            _make_directories(files)
            with _report_parts(outdir, report) as parts:
                tasks = group_tasks(files, option_key(options), stream, parts, evidence)
                _run_tasks(tasks, jobs, scheduler, summary, progress)
                if report:
                    _join_report(parts, report, summary)
    return summary


def _site_evidence(files, options, stream, jobs, scheduler, folder, profile):
    """The path of the file holding the batch's site evidence, or None (pages alone).

    Gathered from every planned file (see :func:`gather_files`) and written
    to ``folder`` for the cleaning pass's workers to read; or ``profile``.
    """
    if not options.get("site_evidence", True):
        return None
    if profile is not None:
        from .sites import load_profile
        load_profile(profile)  # a bad profile is one line now, not an error per file
        return str(profile)
    path = Path(folder) / "evidence.json"
    write_atomic(path, gather_files(files, options, stream, jobs, scheduler, folder).to_bytes())
    return str(path)


def gather_files(files, options, stream, jobs, scheduler, spill):
    """The site evidence of ``files`` (:class:`FileJob`), gathered on the workers.

    Workers send back fingerprints only; they are folded in bounded memory
    (spilling into the folder ``spill``). A file that cannot be read gives
    nothing here; the cleaning pass reports it.
    """
    from .siteprints import PagePrints
    from .sites import Gatherer
    tasks = [replace(task, gather=True) for task in
             group_tasks(files, option_key(options), stream)]
    with Gatherer(GATHER_MEMORY, spill) as gatherer:
        for results in _run(tasks, jobs, scheduler):
            for result in results:
                for site, prints in result.prints:
                    gatherer.add(site, PagePrints.from_bytes(prints))
        return gatherer.finish()


def gather_tree(inputs, jobs=None, scheduler=None, stream=StreamOptions(),
                follow_symlinks=False, site=None, **options):
    """The site evidence of every supported file under ``inputs`` (``stripper sites``).

    Pages in input directories belong to the site their path names;
    ``site`` names the site of page files given directly (else they have
    none); JSONL records name their own.
    """
    import tempfile
    files = []
    for source, relative, root in _walk(inputs, follow_symlinks):
        kind = format_of(source)
        if kind is not None:
            key = site_of_path(root, relative) if root is not None else site
            files.append(FileJob(str(source), "", kind, str(source), key))
    with tempfile.TemporaryDirectory(prefix="stripper-sites-") as spill:
        return gather_files(files, options, stream, jobs, scheduler, spill)


def _run_tasks(tasks, jobs, scheduler, summary, progress):
    # closing(): an exception here (Ctrl-C in ``progress``) still stops the workers
    with closing(_run(tasks, jobs, scheduler)) as finished:
        for results in finished:
            for result in results:
                summary.add(result)
            if progress:
                progress(summary)


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


def plan_files(inputs, outdir, summary, follow_symlinks=False, trees=None):
    """A :class:`FileJob` per supported input file, in sorted order.

    Unsupported files are counted in ``summary.unsupported``, symlinks
    leading out of their input in ``summary.symlinks``. A file whose output
    would land on an input (through a symlink in ``outdir``) is a failure
    in ``summary``. Two inputs that would write the same output are
    refused before anything runs.
    """
    trees = trees or InputTrees(inputs)
    files, targets = [], {}
    for source, relative, root in _walk(inputs, follow_symlinks, summary):
        kind = format_of(source)
        if kind is None:
            summary.unsupported[_suffix(source)] += 1
            log.info("skipped %s: not a .txt, .md, .html, .htm or .jsonl file", source)
            continue
        target = outdir / _output_name(relative, kind)
        if target in targets:
            raise InputError(f"{source} and {targets[target]} would both be written to {target}")
        targets[target] = source
        problem = trees.holding(target)
        if problem:
            summary.failures.append(f"{source}: not cleaned: its output {target} {problem}; "
                                    f"inputs are never overwritten")
            continue
        files.append(FileJob(str(source), str(target), kind, str(source),
                             site_of_path(root, relative) if root is not None else None))
    return files


def _walk(inputs, follow_symlinks=False, summary=None):
    """``(path, path relative to its input, the input directory or None)`` for every
    file, sorted within each input.

    A symlink whose target lies outside its input directory is skipped
    (counted in ``summary.symlinks``) unless ``follow_symlinks``; then
    symlinked directories are walked too, each real directory once.
    """
    for root in map(Path, inputs):
        if not root.is_dir():
            yield root, Path(root.name), None
            continue
        tree, seen = os.path.realpath(root), {os.path.realpath(root)}
        for directory, subdirs, names in os.walk(root, followlinks=follow_symlinks):
            subdirs[:] = [name for name in sorted(subdirs) if _enter(
                os.path.join(directory, name), tree, seen, follow_symlinks, summary)]
            for name in sorted(names):
                path = Path(directory) / name
                if follow_symlinks or not _leaves(path, tree, summary):
                    yield path, path.relative_to(root), root


def _enter(path, tree, seen, follow_symlinks, summary):
    """Walk into the directory ``path``? Each real directory once; links out only if asked."""
    if not follow_symlinks:
        _leaves(Path(path), tree, summary)  # counted if it leads out; never walked
        return not os.path.islink(path)
    real = os.path.realpath(path)
    if real in seen:  # a link loop, or a second way into a directory already walked
        return False
    seen.add(real)
    return True


def _leaves(path, tree, summary):
    """Is ``path`` a symlink leading out of ``tree``? Counted in ``summary`` if so."""
    if not path.is_symlink():
        return False
    real = os.path.realpath(path)
    if real == tree or real.startswith(tree.rstrip(os.sep) + os.sep):
        return False
    if summary is not None:
        summary.symlinks += 1
    log.info("skipped %s: a symlink to %s, outside its input (--follow-symlinks "
             "follows it)", path, real)
    return True


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


def _make_parent(report):
    try:
        Path(report).parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"{report}: cannot write ({error.strerror or error})") from None


def _make_directories(files):
    """Make the output directories (outputs landing on inputs were dropped already)."""
    for directory in sorted({Path(job.target).parent for job in files}):
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise OutputError(f"{directory}: cannot create ({error.strerror or error})") \
                from None


def group_tasks(files, options, stream, fragments=None, evidence=None):
    """Tasks for ``files`` in order: each JSONL file alone, text and HTML files in groups.

    A group closes at :data:`GROUP_FILES` files or :data:`GROUP_BYTES`
    bytes of input. Grouping depends only on the files, never on ``jobs``.
    """
    tasks, group, size = [], [], 0

    def close_group():
        nonlocal group, size
        if group:
            tasks.append(_task(len(tasks), group, options, stream, fragments, evidence))
        group, size = [], 0

    for job in files:
        if job.kind == "jsonl":
            close_group()
            tasks.append(_task(len(tasks), [job], options, stream, fragments, evidence))
            continue
        group.append(job)
        size += _size(job.source)
        if len(group) >= GROUP_FILES or size >= GROUP_BYTES:
            close_group()
    close_group()
    return tasks


def _task(index, files, options, stream, fragments, evidence=None):
    fragment = os.path.join(fragments, f"{index}.jsonl") if fragments else None
    return Task(index, tuple(files), options, stream, fragment, evidence=evidence)


def _size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0  # unreadable: the worker reports why


@contextmanager
def _report_parts(outdir, report):
    """The working folder for the report's parts, if a report was asked for."""
    if not report:
        yield None
        return
    with report_parts(outdir) as parts:
        yield parts


def _join_report(parts, report, summary):
    """Concatenate report parts in plan order, so the report is the same for any ``jobs``.

    A report that cannot be written is a failure of the run (in
    ``summary``), not of the files, which are all written by now.
    """
    try:
        with open_atomic(report) as sink:
            for name in sorted(os.listdir(parts), key=_part_order):
                with open(os.path.join(parts, name), "rb") as part:
                    shutil.copyfileobj(part, sink)
    except OutputError as error:
        summary.failures.append(str(error))


def _part_order(name):
    # N.jsonl is task N's part; N.K.jsonl its K-th file's, retried after a worker died
    return tuple(int(number) for number in name.split(".")[:-1])


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
        yield from map(clean_task, tasks)
        return
    from .pool import run_in_pool
    yield from run_in_pool(tasks, jobs)


def default_jobs():
    """The number of cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        return os.cpu_count() or 1
