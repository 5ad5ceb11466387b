"""What a worker does with a task of a directory batch: read, clean, write.

Worker processes (local ``-j N``) and Dask workers both run
:func:`clean_task`. Each process creates and loads its
:class:`stripper.Stripper` once (:func:`worker_stripper`) and reuses it for
every task. A file that fails becomes a :class:`FileResult` with its reason;
the run goes on.
"""

import logging
import os
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

from .atomic import FullWriter, open_atomic, sync_directories
from .errors import ModelError, OutputError, StripperError
from .jsonl import (StreamOptions, StreamStats, audit_lines, clean_jsonl, open_source,
                    record_prints)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FileJob:
    """One input file, its format (``text``, ``html``, ``jsonl``) and its output.

    ``name`` is the input path as shown in messages and in the report;
    ``site`` the site its page belongs to (:mod:`stripper.sitekeys`), for
    site evidence (a JSONL file's records name their own).
    """

    source: str
    target: str
    kind: str
    name: str
    site: str = None


@dataclass(frozen=True)
class Task:
    """What one worker call cleans: one JSONL file, or a group of text/HTML files.

    Small files are grouped because the model scores a batch of documents
    much faster than the same documents one at a time. ``options`` are the
    Stripper's (model, settings) as a sorted tuple, so that tasks pickle
    and workers can cache a Stripper by them. ``fragment`` is this task's
    part of the audit report, if one was asked for (``N.jsonl``, N its
    place in the plan). ``attempt`` counts the tries after a worker died.
    ``gather``: read the files for site evidence only (their fingerprints
    come back in :attr:`FileResult.prints`; nothing is written).
    ``evidence``: the file holding the site evidence to clean with.
    """

    index: int
    files: tuple
    options: tuple
    stream: StreamOptions
    fragment: str = None
    attempt: int = 0
    gather: bool = False
    evidence: str = None

    def retries(self):
        """Each file of this task as a task of its own, for another try after a worker died.

        Their report parts (``N.K.jsonl``) sort where this task's part did.
        """
        return [replace(self, files=(job,), attempt=self.attempt + 1,
                        fragment=self.fragment and f"{self.fragment.removesuffix('.jsonl')}"
                                                   f".{number}.jsonl")
                for number, job in enumerate(self.files)]


@dataclass
class FileResult:
    """What cleaning one file did, or why it failed."""

    name: str
    documents: int = 0
    blocks_removed: int = 0
    chars_removed: int = 0
    error: str = None
    skipped_lines: list = field(default_factory=list)
    prints: list = field(default_factory=list)  # (site, PagePrints bytes) when gathering


def option_key(options):
    """Stripper options as a sorted, hashable tuple (``keep`` as a sorted tuple)."""
    if "keep" in options:
        options = {**options, "keep": tuple(sorted(options["keep"] or ()))}
    return tuple(sorted(options.items()))


_STRIPPERS = {}
_STRIPPERS_LOCK = threading.Lock()
_LOADS = []


def worker_stripper(options):
    """This process's :class:`Stripper` for ``options``, created (and loaded) once.

    Dask runs tasks on threads of a worker process, so creation is locked.
    """
    with _STRIPPERS_LOCK:
        if options not in _STRIPPERS:
            from .api import Stripper
            stripper = Stripper(**dict(options))
            stripper.model  # load now, under the lock, so it happens once
            _LOADS.append(options)
            _STRIPPERS[options] = stripper
        return _STRIPPERS[options]


def model_loads():
    """How many times this process has created and loaded a worker Stripper."""
    return len(_LOADS)


def clean_task(task):
    """Clean the files of ``task``: a list of :class:`FileResult`, never an exception.

    A failure of one file becomes its result's ``error`` (``path: reason``)
    so that the rest of the batch goes on. A model error is no fault of a
    file: it stops the run.
    """
    try:
        if task.gather:
            return [_guarded(job, _gather_file, job, task.stream) for job in task.files]
        if task.files[0].kind == "jsonl":
            return [_guarded(task.files[0], _clean_jsonl_file, task)]
        return _clean_page_files(task)
    except ModelError:
        raise
    except StripperError as error:  # the task's report part cannot be written
        return failed_results(task, str(error))


def failed_results(task, reason):
    """A failed :class:`FileResult` for every file of ``task``, each naming its file."""
    return [FileResult(job.name, error=f"{job.name}: {reason}") for job in task.files]


def _guarded(job, action, *args):
    """Run ``action(*args)`` for ``job``; return its result, or a FileResult with the error."""
    try:
        return action(*args)
    except ModelError:
        raise
    except StripperError as error:
        reason = str(error) if str(error).startswith(job.name) else f"{job.name}: {error}"
    except OSError as error:
        reason = f"{job.name}: {error.strerror or error}"
    except Exception as error:  # one bad file must not stop a corpus (e.g. a parser bug)
        log.exception("unexpected failure on %s", job.name)
        reason = f"{job.name}: {type(error).__name__}: {error}"
    return FileResult(job.name, error=reason)


def _gather_file(job, stream):
    """What ``job``'s page (or JSONL records) gives to site evidence."""
    if job.kind == "jsonl":
        with open_source(job.source) as source:
            prints = [(site, page.to_bytes())
                      for site, page in record_prints(source, stream, job.name)]
    elif job.site is None:
        prints = []
    else:
        from .siteprints import page_prints
        prints = [(job.site, page_prints(_read_page(job, stream)).to_bytes())]
    return FileResult(job.name, prints=prints)


_EVIDENCE = {}
_EVIDENCE_LOCK = threading.Lock()


def worker_evidence(path):
    """The site evidence in the file at ``path`` (None: none), loaded once per process."""
    if path is None:
        return None
    with _EVIDENCE_LOCK:
        if path not in _EVIDENCE:
            from .sites import load_profile
            _EVIDENCE.clear()  # one batch's evidence at a time
            _EVIDENCE[path] = load_profile(path)
        return _EVIDENCE[path]


def _clean_jsonl_file(task):
    job, stats = task.files[0], StreamStats()
    try:
        with open_source(job.source) as source, open_atomic(job.target) as sink, \
                _fragment(task) as part:
            clean_jsonl(source, sink, worker_stripper(task.options), task.stream, job.name,
                        stats, audit=lambda number, cleaned: part.write(
                            audit_lines(job.name, number, cleaned)),
                        evidence=worker_evidence(task.evidence))
    except BaseException:
        _discard_fragment(task)  # the file wrote no output, so it removed nothing
        raise
    return FileResult(job.name, stats.records, stats.blocks_removed, stats.chars_removed,
                      skipped_lines=stats.skipped)


def _clean_page_files(task):
    """Read every file of the group, clean them in one batch, write each output."""
    results, readable = {}, []
    for job in task.files:
        text = _guarded(job, _read_page, job, task.stream)
        if isinstance(text, FileResult):
            results[job] = text
        else:
            readable.append((job, text))
    with _fragment(task) as part:
        for (job, _), cleaned in zip(readable, _clean_group(task, readable)):
            if not isinstance(cleaned, FileResult):
                cleaned = _guarded(job, _write_clean, job, cleaned, part)
            results[job] = cleaned
    sync_directories(job.target for job, _ in readable)
    return [results[job] for job in task.files]


def _clean_group(task, readable):
    """Clean the group's texts in one batch; if that fails, one by one.

    Cleaning one by one finds the file at fault, so only that file fails.
    """
    stripper = worker_stripper(task.options)
    evidence = worker_evidence(task.evidence)
    sites = [job.site for job, _ in readable] if evidence is not None else None
    try:
        return stripper.clean_documents([text for _, text in readable], sites=sites,
                                        evidence=evidence)
    except ModelError:
        raise
    except Exception:
        log.warning("a batch of %d files failed; cleaning them one by one", len(readable))
    return [_guarded(job, lambda text, site: stripper.clean_documents(
        [text], sites=None if sites is None else [site], evidence=evidence)[0], text, job.site)
        for job, text in readable]


def _read_page(job, stream):
    from .html import read_page
    return read_page(job.source, html=True if job.kind == "html" else None,
                     limit=stream.max_record_bytes)


def _write_clean(job, cleaned, report):
    with open_atomic(job.target, sync_directory=False) as sink:
        sink.write(cleaned.text.encode("utf-8", "replace"))
    report.write(audit_lines(job.name, None, cleaned))
    return FileResult(job.name, 1, len(cleaned.removed), cleaned.chars_removed)


class _NoReport:
    """Stands in for a report part when no report was asked for."""

    def write(self, lines):
        return len(lines)


@contextmanager
def _fragment(task):
    """This task's report part (every byte checked), or a sink that drops the lines."""
    if not task.fragment:
        yield _NoReport()
        return
    try:
        handle = open(task.fragment, "wb", buffering=0)  # FullWriter buffers and checks
    except OSError as error:
        raise OutputError(f"report part {task.fragment}: cannot write "
                          f"({error.strerror or error})") from None
    with handle:
        part = FullWriter(handle)
        yield part
        try:
            part.flush()
        except OSError as error:
            raise OutputError(f"report part {task.fragment}: cannot write "
                              f"({error.strerror or error})") from None


def _discard_fragment(task):
    if task.fragment and os.path.exists(task.fragment):
        os.unlink(task.fragment)
