"""JSONL streams: records in, the same records out with one field cleaned.

Records are read one line at a time and cleaned :data:`CHUNK` at a time
through the one cleaning path, so memory stays flat however long the
stream is. Every other field keeps its value and its place in the record.
A line that is not a JSON object with a text field is an error naming its
line; ``on_error="skip"`` drops such lines (counted, and reported as
warnings) instead of stopping the run. Before an error stops a run, every
complete record before the bad line has been written.
"""

import json
import logging
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError
from .settings import CHUNK, MAX_RECORD_BYTES
from .textio import GZIP_SUFFIX, check_size

log = logging.getLogger(__name__)

ON_ERROR = ("fail", "skip")


@dataclass(frozen=True)
class StreamOptions:
    """How JSONL records are read and written.

    - ``field``: the record field holding the text to clean.
    - ``meta``: add a ``stripper`` object (removed characters, kinds, model).
    - ``on_error``: ``fail`` stops at a malformed line; ``skip`` drops it.
    - ``html``: the field holds HTML; extract its main text first.
    - ``max_record_bytes``: a longer line is refused (0: no limit).
    - ``site_field``: the field naming a record's site (default: the host of
      its ``url``), for site evidence; see :mod:`stripper.sitekeys`.
    """

    field: str = "text"
    meta: bool = False
    on_error: str = "fail"
    html: bool = False
    max_record_bytes: int = MAX_RECORD_BYTES
    site_field: str = None


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


@contextmanager
def open_source(path):
    """Open a ``.jsonl`` (or gzipped ``.jsonl.gz``) file for binary line reading."""
    import gzip
    path = Path(path)
    try:
        handle = gzip.open(path, "rb") if path.name.lower().endswith(GZIP_SUFFIX) \
            else open(path, "rb")
    except OSError as error:
        raise InputError(f"{path}: cannot read ({error.strerror or error})") from None
    with handle:
        yield handle


def clean_jsonl(source, sink, stripper, options=StreamOptions(), name="<stdin>", stats=None,
                audit=None, evidence=None):
    """Clean ``options.field`` of every record of binary ``source`` into binary ``sink``.

    ``audit(line_number, cleaned)`` is called for every cleaned record,
    for reports. With ``evidence`` (:class:`stripper.sites.Evidence`
    gathered beforehand, see :func:`record_prints`), each record is cleaned
    with its site's evidence. Returns :class:`StreamStats`; raises
    :class:`InputError` naming the line of a malformed record unless
    ``on_error="skip"``.
    """
    stats = stats if stats is not None else StreamStats()
    records, chunk = _records(source, options, name, stats), []
    while True:
        try:
            record = next(records, None)
        except InputError:
            # The complete records before the bad line go out first.
            _write_chunk(chunk, sink, stripper, options, stats, audit, evidence)
            raise
        if record is None or len(chunk) == CHUNK:
            _write_chunk(chunk, sink, stripper, options, stats, audit, evidence)
            chunk = []
        if record is None:
            return stats
        chunk.append(record)


def _records(source, options, name, stats, warn=True):
    """``(line number, record)`` for each well-formed line; handle the rest."""
    limit = options.max_record_bytes
    for number, line in enumerate(_lines(source, name, limit), 1):
        if not line.strip():
            continue  # a blank line holds no record
        try:
            check_size(len(line), limit, "record")
            record = _parse(line, number, options.field)
        except (ValueError, InputError) as problem:
            message = f"{name}:{number}: {problem}"
            if options.on_error == "fail":
                raise InputError(message) from None
            if warn:
                log.warning("skipped %s", message)
            stats.skipped.append(message)
            continue
        del line  # the record holds the text now: one copy is enough
        yield number, record


def _lines(source, name, limit):
    """Binary lines of ``source``; a broken gzip stream is an input error.

    With a ``limit``, no more than ``limit + 1`` bytes of a line are held:
    the rest of a longer line is read past in pieces, and the line stands
    as its first ``limit + 1`` bytes, which the size check refuses.
    """
    try:
        while True:
            line = source.readline(limit + 1) if limit else source.readline()
            if not line:
                return
            if limit and len(line) > limit and not line.endswith(b"\n"):
                _skip_rest_of_line(source)
            yield line
    except (OSError, EOFError, zlib.error) as error:
        raise InputError(f"{name}: cannot read ({error})") from None


def _skip_rest_of_line(source):
    while True:
        piece = source.readline(1 << 16)
        if not piece or piece.endswith(b"\n"):
            return


def _parse(line, number, field_name):
    try:
        text = _decode_line(line, "utf-8-sig" if number == 1 else "utf-8")
    except UnicodeDecodeError:
        raise ValueError("not valid UTF-8") from None
    try:
        record = json.loads(text)
    except json.JSONDecodeError as error:
        where = error.msg.removesuffix(" at")  # "Unterminated string starting at"
        raise ValueError(f"malformed JSON ({where} at column {error.colno})") from None
    except RecursionError:
        raise ValueError("malformed JSON (nested too deeply)") from None
    if not isinstance(record, dict):
        raise ValueError("not a JSON object")
    if field_name not in record:
        raise ValueError(f"no {field_name!r} field")
    if not isinstance(record[field_name], (str, type(None))):
        raise ValueError(f"field {field_name!r} is not a string")
    return record


def _decode_line(line, encoding):
    """The line's text without its line break, decoded in place (no copy of the bytes)."""
    end = len(line)
    while end and line[end - 1] in b"\r\n":
        end -= 1
    with memoryview(line) as view, view[:end] as content:
        return str(content, encoding)


def record_prints(source, options=StreamOptions(), name="<stdin>"):
    """``(site, PagePrints)`` of every record of ``source`` that names a site.

    The gathering pass of site evidence: malformed lines are passed over
    here (the cleaning pass reports them), and so are records without a site.
    """
    from .siteprints import page_prints
    from .sitekeys import site_of_record
    quiet = StreamOptions(**{**options.__dict__, "on_error": "skip"})
    for _, record in _records(source, quiet, name, StreamStats(), warn=False):
        site, text = site_of_record(record, options.site_field), record[options.field]
        if site is not None and text is not None:
            yield site, page_prints(_page_text(text, options))


def _page_text(text, options):
    if not options.html:
        return text
    from .html import extract_text
    return extract_text(text)


def _write_chunk(chunk, sink, stripper, options, stats, audit, evidence=None):
    """Clean a chunk's texts in one batch, then write each record (in order) and flush."""
    if not chunk:
        return
    # null values pass through untouched: there is nothing to clean
    present = [(n, r) for n, r in chunk if r[options.field] is not None]
    texts = [_page_text(r[options.field], options) for _, r in present]
    sites = None
    if evidence is not None:
        from .sitekeys import site_of_record
        sites = [site_of_record(record, options.site_field) for _, record in present]
    for (number, record), cleaned in zip(present, stripper.clean_documents(
            texts, sites=sites, evidence=evidence)):
        record[options.field] = cleaned.text
        if options.meta:
            record["stripper"] = _meta(cleaned, stripper)
        stats.add(cleaned)
        if audit:
            audit(number, cleaned)
    del texts  # the texts before cleaning: gone before the output copies are made
    for _, record in chunk:
        sink.write(dump_record(record))  # one record's bytes at a time, not the chunk's
    sink.flush()


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
                                 "end": block.end, "kind": block.kind, "via": block.via,
                                 "score": round(block.score, 4), "text": block.text})
                    for block in cleaned.removed)
