"""Turning bytes into text and text into files, safely.

Inputs are decoded as UTF-8 (a byte-order mark is dropped), as UTF-16/32
when a byte-order mark says so, as damaged UTF-8 when only a few bytes are
bad; other encodings are detected with charset_normalizer. Binary data is
refused. Outputs are
written to a temporary file in the target directory and renamed into place,
so a reader never sees half a file and an interrupted run leaves none.
"""

import codecs
import logging
import os
import tempfile
from pathlib import Path

from .errors import InputError

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


def read_text(path):
    """Read and decode one input file; :class:`InputError` on failure."""
    try:
        data = Path(path).read_bytes()
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory") from None
    except OSError as error:
        raise InputError(f"{path}: cannot read ({error.strerror or error})") from None
    return decode(data, str(path))


def write_text(path, text):
    """Write ``text`` as UTF-8 to ``path`` atomically; :class:`InputError` on failure."""
    path = Path(path)
    handle = None
    try:
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", newline="", dir=path.parent or ".",
                                         prefix=f".{path.name}.", suffix=".tmp",
                                         delete=False) as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(handle.name, 0o644)
        os.replace(handle.name, path)
    except BaseException as error:  # Ctrl-C too: never leave a half-written temp file
        if handle is not None and os.path.exists(handle.name):
            os.unlink(handle.name)
        if not isinstance(error, OSError):
            raise
        raise InputError(f"{path}: cannot write ({error.strerror or error})") from None


def refuse_overwriting(output, inputs):
    """:class:`InputError` if ``output`` is one of ``inputs``: inputs are never modified."""
    if not Path(output).exists():
        return
    for path in inputs:
        if Path(path).exists() and os.path.samefile(output, path):
            raise InputError(f"{output}: is an input too; inputs are never overwritten, "
                             f"choose another -o")
