"""JSONL streams: records in, the same records out with one field cleaned.

Records are read one line at a time and cleaned in small chunks, so memory
stays flat however long the stream is. Every other field keeps its value
and its place in the record. A line that is not a JSON object with a text
field is an error naming its line number; ``on_error="skip"`` drops such
lines (logged and counted) instead of stopping the run.

The helpers here (:func:`clean_texts`, :func:`open_atomic`,
:func:`audit_lines`) are shared by directory batches and Dask.
"""

import gzip
import json
import logging
import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .core import kept_blocks, render
from .errors import InputError

log = logging.getLogger(__name__)

#: Records cleaned per model call: big enough to batch the model's work,
#: small enough that memory does not grow with the stream. Fixed, so the
#: output never depends on how a run is split up.
CHUNK = 64
ON_ERROR = ("fail", "skip")
GZIP_SUFFIX = ".gz"


@dataclass(frozen=True)
class StreamOptions:
    """How JSONL records are read and written.

    - ``field``: the record field holding the text to clean.
    - ``meta``: add a ``stripper`` object (removed characters, kinds, model).
    - ``on_error``: ``fail`` stops at a malformed line; ``skip`` drops it.
    - ``html``: the field holds HTML; extract its main text first.
    """

    field: str = "text"
    meta: bool = False
    on_error: str = "fail"
    html: bool = False


@dataclass
class Cleaned:
    """One cleaned text and the blocks that were dropped from it."""

    source: str
    text: str
    removed: list

    @property
    def chars_removed(self):
        """How many characters shorter the clean text is."""
        return len(self.source) - len(self.text)


@dataclass
class StreamStats:
    """What a stream run did: records cleaned, debris removed, lines skipped."""

    records: int = 0
    blocks_removed: int = 0
    chars_removed: int = 0
    skipped: list = field(default_factory=list)

    def add(self, cleaned):
        """Count one cleaned record."""
        self.records += 1
        self.blocks_removed += len(cleaned.removed)
        self.chars_removed += cleaned.chars_removed


def clean_jsonl_job(inputs, output, stdin, stdout, stripper, options=StreamOptions()):
    """The ``clean --jsonl`` command: files (or ``stdin``) to ``output`` (or ``stdout``).

    ``stdin``/``stdout`` are binary streams. A file output is written
    atomically; on stdout, records stream out as they are cleaned.
    """
    with one_thread():
        if output is None:
            return _clean_sources(inputs, stdin, stdout, stripper, options)
        with open_atomic(output) as sink:
            return _clean_sources(inputs, stdin, sink, stripper, options)


def one_thread():
    """Limit native thread pools (OpenMP, BLAS) to one thread, until restored.

    The model scores small batches, where OpenMP's threads cost more than
    they save; and where worker processes already share out the cores,
    OpenMP threads on top of them fight over the same cores. Either way
    scoring gets several times slower.
    """
    from threadpoolctl import threadpool_limits
    return threadpool_limits(limits=1)


def _clean_sources(inputs, stdin, sink, stripper, options):
    stats = StreamStats()
    if not inputs:
        clean_jsonl(stdin, sink, stripper, options, name="<stdin>", stats=stats)
    for path in inputs:
        with open_source(path) as source:
            clean_jsonl(source, sink, stripper, options, name=str(path), stats=stats)
    return stats


@contextmanager
def open_source(path):
    """Open a ``.jsonl`` or ``.jsonl.gz`` file for binary line reading."""
    path = Path(path)
    try:
        handle = gzip.open(path, "rb") if path.name.endswith(GZIP_SUFFIX) else open(path, "rb")
    except OSError as error:
        raise InputError(f"{path}: cannot read ({error.strerror or error})") from None
    with handle:
        yield handle


def clean_jsonl(source, sink, stripper, options=StreamOptions(), name="<stdin>", stats=None,
                audit=None):
    """Clean ``options.field`` of every record of binary ``source`` into binary ``sink``.

    ``audit(line_number, cleaned)`` is called for every record, for
    reports. Returns :class:`StreamStats`; raises :class:`InputError`
    naming the line of a malformed record unless ``on_error="skip"``.
    """
    stats = stats if stats is not None else StreamStats()
    records = _records(source, options, name, stats)
    for chunk in _chunks(records, CHUNK):
        _write_chunk(chunk, sink, stripper, options, stats, audit)
    return stats


def _records(source, options, name, stats):
    """``(line number, record)`` for each well-formed line; handle the rest."""
    for number, line in enumerate(_lines(source, name), 1):
        if not line.strip():
            continue  # a blank line holds no record
        try:
            yield number, _parse(line, number, options.field)
        except ValueError as problem:
            message = f"{name}:{number}: {problem}"
            if options.on_error == "fail":
                raise InputError(message) from None
            log.warning("skipped %s", message)
            stats.skipped.append(message)


def _lines(source, name):
    """Binary lines of ``source``; a broken gzip member is an input error."""
    try:
        yield from source
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        raise InputError(f"{name}: cannot read ({error})") from None


def _parse(line, number, field_name):
    try:
        text = line.decode("utf-8-sig" if number == 1 else "utf-8")
    except UnicodeDecodeError:
        raise ValueError("not valid UTF-8") from None
    try:
        record = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"malformed JSON ({error.msg} at column {error.colno})") from None
    if not isinstance(record, dict):
        raise ValueError("not a JSON object")
    if field_name not in record:
        raise ValueError(f"no {field_name!r} field")
    if not isinstance(record[field_name], (str, type(None))):
        raise ValueError(f"field {field_name!r} is not a string")
    return record


def _chunks(items, size):
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _write_chunk(chunk, sink, stripper, options, stats, audit):
    # null values pass through untouched: there is nothing to clean
    present = [(n, r) for n, r in chunk if r[options.field] is not None]
    texts = [r[options.field] for _, r in present]
    if options.html:
        from .html import extract_text
        texts = [extract_text(text) for text in texts]
    for (number, record), cleaned in zip(present, clean_texts(stripper, texts)):
        record[options.field] = cleaned.text
        if options.meta:
            record["stripper"] = _meta(cleaned, stripper)
        stats.add(cleaned)
        if audit:
            audit(number, cleaned)
    sink.write(b"".join(dump_record(record) for _, record in chunk))


def clean_texts(stripper, texts):
    """Clean ``texts`` in one batch: a :class:`Cleaned` for each, in order."""
    settings = stripper.settings
    cleaned = []
    for text, blocks in zip(texts, stripper.classify_many(texts)):
        kept = {id(block) for block in kept_blocks(blocks, settings)}
        removed = [block for block in blocks if id(block) not in kept]
        cleaned.append(Cleaned(text, render(text, blocks, settings), removed))
    return cleaned


def _meta(cleaned, stripper):
    kinds = {}
    for block in cleaned.removed:
        kinds[block.kind] = kinds.get(block.kind, 0) + 1
    return {"removed_chars": cleaned.chars_removed, "kinds": dict(sorted(kinds.items())),
            "model": stripper.version}


def dump_record(record):
    """One JSONL line (UTF-8 bytes) for ``record``."""
    try:
        return (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
    except UnicodeEncodeError:
        # a lone surrogate (from a "\\ud800" escape) has no UTF-8 form:
        # keep it escaped, as the input had it
        return (json.dumps(record) + "\n").encode("ascii")


def audit_lines(name, record, cleaned):
    """Report lines (bytes) for the blocks removed from one text."""
    return b"".join(dump_record({"file": name, "record": record, "start": block.start,
                                 "end": block.end, "kind": block.kind,
                                 "score": round(block.score, 4), "text": block.text})
                    for block in cleaned.removed)


@contextmanager
def open_atomic(path):
    """A binary file handle whose content appears at ``path`` only on success.

    Writes go to a hidden temporary file beside ``path`` (``.NAME.*.tmp``,
    the pattern :mod:`stripper.textio` uses too) that is renamed into place
    when the block ends without error, and removed otherwise. A ``.gz``
    path is gzip-compressed with a fixed header, so equal input gives
    byte-identical output.
    """
    path = Path(path)
    try:
        handle = tempfile.NamedTemporaryFile("wb", dir=path.parent, prefix=f".{path.name}.",
                                             suffix=".tmp", delete=False)
    except OSError as error:
        raise InputError(f"{path}: cannot write ({error.strerror or error})") from None
    try:
        with handle:
            if path.name.endswith(GZIP_SUFFIX):
                with gzip.GzipFile(filename="", mode="wb", fileobj=handle, mtime=0) as packed:
                    yield packed
            else:
                yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(handle.name, 0o644)
        os.replace(handle.name, path)
    except OSError as error:
        _discard(handle.name)
        raise InputError(f"{path}: cannot write ({error.strerror or error})") from None
    except BaseException:
        _discard(handle.name)
        raise


def _discard(temporary):
    try:
        os.unlink(temporary)
    except FileNotFoundError:
        pass
