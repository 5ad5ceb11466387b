"""Turning bytes into text and text into files, safely.

Inputs are decoded as UTF-8 (a byte-order mark is dropped), as UTF-16/32
when a byte-order mark says so, as damaged UTF-8 when only a few bytes are
bad; other encodings are detected with charset_normalizer. Binary data is
refused. Files whose names end in ``.gz`` are decompressed as they are
read. Input formats are told by name (``.jsonl``, ``.html``, ``.txt``...).
"""

import codecs
import gzip
import logging
import re
import zlib
from pathlib import Path

from .errors import InputError
from .settings import MAX_RECORD_BYTES

log = logging.getLogger(__name__)

#: Byte-order marks of the wide Unicode encodings, UTF-32 first because its
#: little-endian mark begins with UTF-16's.
WIDE_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
             (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
#: Among encodings that read the bytes equally well, the web's commonest
#: wins: left alone, charset_normalizer reads French cp1252 as cp1250
#: ("très" becomes "trčs").
PREFERRED_ENCODINGS = ("cp1252",)
REPLACEMENT = "\ufffd"

GZIP_SUFFIX = ".gz"
TEXT_SUFFIXES = (".txt", ".md")
HTML_SUFFIXES = (".html", ".htm")
JSONL_SUFFIXES = (".jsonl",)
#: How an HTML page opens: a doctype or an <html> tag, after white space.
HTML_OPENING = re.compile(r"\A\s*<(?:!doctype\s+html|html[\s>])", re.IGNORECASE)


def decode(data, name="<stdin>"):
    """Decode input bytes to text; :class:`InputError` for binary or undecodable data.

    UTF-8 (a byte-order mark is dropped); UTF-16 or UTF-32 when a byte-order
    mark says so; UTF-8 with a few damaged bytes, which become U+FFFD; then
    whatever encoding charset_normalizer finds. Text with NUL characters
    is binary and refused.
    """
    text = _wide_unicode(data, name)
    if text is None:
        text = _utf8(data, name)
    if "\x00" in text:
        raise InputError(f"{name}: binary input (NUL bytes); expected text")
    return text


def _wide_unicode(data, name):
    for bom, encoding in WIDE_BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                raise InputError(f"{name}: starts with a {encoding.upper()} byte-order mark "
                                 f"but is not valid {encoding.upper()}") from None
    return None


def _utf8(data, name):
    if b"\x00" in data:  # refused before any decoding work
        raise InputError(f"{name}: binary input (NUL bytes); expected text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    return _damaged_utf8(data, name) or _detect(data, name)


def _damaged_utf8(data, name):
    """``data`` as UTF-8 with its bad bytes replaced, if it is UTF-8 at all.

    A legacy 8-bit text almost never holds a valid multi-byte UTF-8
    sequence, so bytes with more valid multi-byte characters than bad spots,
    or whose only bad spot is a character cut off at the end (a scraper's
    size limit), are damaged UTF-8. charset_normalizer would read them as
    some other encoding and garble every accented letter.
    """
    text = data.decode("utf-8-sig", errors="replace")
    bad = text.count(REPLACEMENT) - data.count(REPLACEMENT.encode("utf-8"))
    wide = len(text) - len(text.encode("ascii", errors="ignore")) - text.count(REPLACEMENT)
    cut_off = bad == 1 and text.endswith(REPLACEMENT) \
        and not data.endswith(REPLACEMENT.encode("utf-8"))
    if wide <= bad and not cut_off:
        return None
    log.warning("%s: %d spot(s) of invalid UTF-8 replaced with U+FFFD", name, bad)
    return text


def _detect(data, name):
    from charset_normalizer import from_bytes
    results = from_bytes(data)
    best = results.best()
    if best is None:
        raise InputError(f"{name}: not valid UTF-8 and no other text encoding fits")
    ties = [match for match in results
            if (match.chaos, match.coherence) == (best.chaos, best.coherence)]
    for encoding in PREFERRED_ENCODINGS:
        for match in ties:
            if encoding in match.could_be_from_charset:
                return str(match)
    return str(best)


def read_text(path, limit=MAX_RECORD_BYTES):
    """Read and decode one input file (gzipped if its name ends in ``.gz``)."""
    return decode(read_input(path, limit), str(path))


def read_input(path, limit=MAX_RECORD_BYTES):
    """The bytes of one input file, decompressed if its name ends in ``.gz``.

    :class:`InputError` if it cannot be read, is not valid gzip, or holds
    more than ``limit`` bytes (0: no limit) once decompressed.
    """
    path = Path(path)
    try:
        if path.name.lower().endswith(GZIP_SUFFIX):
            with gzip.open(path, "rb") as packed:
                return _read_limited(packed, limit, path)
        with open(path, "rb") as handle:
            return _read_limited(handle, limit, path)
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory") from None
    except (OSError, EOFError, zlib.error) as error:
        what = "not valid gzip" if isinstance(error, (gzip.BadGzipFile, EOFError, zlib.error)) \
            else "cannot read"
        raise InputError(f"{path}: {what} ({getattr(error, 'strerror', None) or error})") \
            from None


def _read_limited(handle, limit, name):
    data = handle.read(limit + 1) if limit else handle.read()
    check_size(len(data), limit, name)
    return data


def check_size(size, limit, name):
    """:class:`InputError` naming ``name`` if ``size`` bytes exceed ``limit`` (0: none)."""
    if limit and size > limit:
        raise InputError(f"{name}: larger than the limit of {limit:,} bytes "
                         f"(raise it with --max-record-bytes)")


def format_of(path):
    """``jsonl``, ``html`` or ``text`` by the name of ``path`` (a ``.gz`` is looked through)."""
    name = Path(path).name.lower()
    if name.endswith(GZIP_SUFFIX):
        name = name[:-len(GZIP_SUFFIX)]
    for suffixes, kind in ((JSONL_SUFFIXES, "jsonl"), (HTML_SUFFIXES, "html"),
                           (TEXT_SUFFIXES, "text")):
        if name.endswith(suffixes):
            return kind
    return None


def looks_like_html(text):
    """Does ``text`` open as an HTML page does (``<!doctype html``, ``<html``)?"""
    return bool(HTML_OPENING.match(text[:1024]))
