"""Turning bytes into text and text into files, safely.

Inputs are decoded as UTF-8 (a byte-order mark is dropped); other encodings
are detected with charset_normalizer. Binary data is refused. Outputs are
written to a temporary file in the target directory and renamed into place,
so a reader never sees half a file and an interrupted run leaves none.
"""

import os
import tempfile
from pathlib import Path

from .errors import InputError

#: How much of the input the binary sniff looks at.
SNIFF = 8192


def decode(data, name="<stdin>"):
    """Decode input bytes to text; :class:`InputError` for binary or undecodable data."""
    if b"\x00" in data[:SNIFF] or b"\x00" in data:
        raise InputError(f"{name}: binary input (NUL bytes); expected text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    return _detect(data, name)


def _detect(data, name):
    from charset_normalizer import from_bytes
    best = from_bytes(data).best()
    if best is None:
        raise InputError(f"{name}: not valid UTF-8 and no other text encoding fits")
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
    except OSError as error:
        if handle is not None and os.path.exists(handle.name):
            os.unlink(handle.name)
        raise InputError(f"{path}: cannot write ({error.strerror or error})") from None
