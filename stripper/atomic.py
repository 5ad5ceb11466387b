"""The one atomic writer: a file appears whole, or not at all.

Every output stripper writes (``-o``, batch outputs, JSONL outputs,
``--report``, model files) goes through :func:`open_atomic`: bytes go to a
hidden temporary file beside the target, which is flushed, synced and
renamed into place only when writing ended without error. On any error or
interruption the temporary file is removed and an earlier file at the
target is left as it was.
"""

import gzip
import hashlib
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

from .errors import OutputError

GZIP_SUFFIX = ".gz"
TEMPORARY_SUFFIX = ".tmp"
#: Target names longer than this get a hashed temporary name: the
#: temporary name must fit the file system's 255-byte limit too.
LONGEST_PLAIN_NAME = 64


def temporary_prefix(path):
    """The name prefix of ``path``'s temporary files (``.NAME.`` or ``.HASH.``)."""
    name = Path(path).name
    if len(name.encode("utf-8", "surrogateescape")) > LONGEST_PLAIN_NAME:
        name = hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return f".{name}."


def stale_temporaries(path):
    """Temporary files an interrupted writer of ``path`` left behind."""
    path = Path(path)
    prefix = temporary_prefix(path)
    try:
        names = os.listdir(path.parent)
    except OSError:
        return []
    return [path.parent / name for name in names
            if name.startswith(prefix) and name.endswith(TEMPORARY_SUFFIX)]


@contextmanager
def open_atomic(path, compress=None):
    """A binary handle whose bytes appear at ``path`` only if the block succeeds.

    ``compress=None`` gzips when ``path`` ends in ``.gz`` (with a fixed
    header, so equal bytes in give equal bytes out). Failing to write
    raises :class:`OutputError` naming ``path``.
    """
    path = Path(path)
    compress = path.name.endswith(GZIP_SUFFIX) if compress is None else compress
    try:
        handle = tempfile.NamedTemporaryFile("wb", dir=path.parent or ".",
                                             prefix=temporary_prefix(path),
                                             suffix=TEMPORARY_SUFFIX, delete=False)
    except OSError as error:
        raise OutputError(f"{path}: cannot write ({error.strerror or error})") from None
    try:
        with handle:
            if compress:
                with gzip.GzipFile(filename="", mode="wb", fileobj=handle, mtime=0) as packed:
                    yield packed
            else:
                yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(handle.name, 0o644)
        os.replace(handle.name, path)
    except OSError as error:
        _remove(handle.name)
        raise OutputError(f"{path}: cannot write ({error.strerror or error})") from None
    except BaseException:  # Ctrl-C, SIGTERM, a failed clean: no partial file
        _remove(handle.name)
        raise
    _sync_directory(path.parent)


def write_atomic(path, data):
    """Write ``data`` (``bytes``, or ``str`` as UTF-8) to ``path`` atomically.

    A lone surrogate (which a ``str`` may hold but UTF-8 cannot) is
    written as "?".
    """
    if isinstance(data, str):
        data = data.encode("utf-8", "replace")
    with open_atomic(path) as sink:
        sink.write(data)


def _remove(name):
    try:
        os.unlink(name)
    except FileNotFoundError:
        pass


def _sync_directory(directory):
    """Make the rename itself durable; not every file system lets a directory be synced."""
    try:
        descriptor = os.open(directory or ".", os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
