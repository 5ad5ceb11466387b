"""The one atomic writer: a file appears whole, or not at all.

Every output stripper writes (``-o``, batch outputs, JSONL outputs,
``--report``, model files) goes through :func:`open_atomic`: bytes go to a
hidden temporary file beside the target, which is flushed, synced and
renamed into place only when writing ended without error. On any error or
interruption the temporary file is removed and an earlier file at the
target is left as it was.

Every byte, to a file or to stdout, goes through a :class:`FullWriter`: a
``write`` that stores fewer bytes than it was given (a full disk can do
that without raising) is retried until every byte is stored or the system
says why it cannot be.
"""

import errno
import gzip
import hashlib
import io
import os
import tempfile
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

from .errors import OutputError

GZIP_SUFFIX = ".gz"
TEMPORARY_SUFFIX = ".tmp"
#: Target names longer than this get a hashed temporary name: the
#: temporary name must fit the file system's 255-byte limit too.
LONGEST_PLAIN_NAME = 64
#: Bytes a FullWriter gathers before it writes them out.
WRITE_BUFFER = 1 << 16


class FullWriter(io.BufferedIOBase):
    """A binary sink over a raw stream that stores every byte it is given, or raises.

    ``raw.write`` may store only part of its bytes (a file system that
    fills up part-way does that); the rest is written again until all of it
    is stored, so a full disk surfaces as the ``OSError`` of the write that
    stores nothing. Bytes are gathered up to :data:`WRITE_BUFFER`;
    :meth:`flush` writes out what is gathered.
    """

    def __init__(self, raw):
        super().__init__()
        self.raw = raw
        # Gathered pieces as immutable bytes, never a bytearray: a view of a
        # bytearray (the one a write is passed) forbids resizing it while alive.
        self._pending, self._pending_size = [], 0
        self._written = 0

    def writable(self):
        return True

    def write(self, data):
        """Store ``data`` (gathered, or at once if it is large). Returns its size in bytes."""
        data = bytes(data) if not isinstance(data, bytes) else data
        if len(data) >= WRITE_BUFFER:
            self.flush()
            self._write_out(data)
        else:
            self._pending.append(data)
            self._pending_size += len(data)
            if self._pending_size >= WRITE_BUFFER:
                self.flush()
        return len(data)

    def flush(self):
        """Write out every gathered byte (``OSError`` if the system cannot store them)."""
        if self._pending:
            gathered = b"".join(self._pending)
            self._pending, self._pending_size = [], 0
            self._write_out(gathered)

    def close(self):
        # What was never flushed is dropped: flush() is the commit, and a
        # sink abandoned after an error must not write on when collected.
        self._pending, self._pending_size = [], 0
        super().close()

    def _write_out(self, data):
        with memoryview(data) as view:
            done = 0
            while done < len(view):
                count = self.raw.write(view[done:])
                if not count:  # None (would block) or 0: nothing stored, nothing said why
                    raise OSError(errno.EIO, f"short write ({done:,} of {len(view):,} bytes "
                                             f"stored)")
                done += count
        self._written += len(data)

    def tell(self):
        return self._written + self._pending_size


def stream_writer(stream):
    """A :class:`FullWriter` onto a binary stream such as ``sys.stdout.buffer``.

    A stream backed by a file descriptor is written through the descriptor
    itself (after what the stream already holds), so that no buffer of its
    own can drop bytes; any other stream is written through its ``write``.
    """
    try:
        descriptor = stream.fileno()
    except (OSError, ValueError):  # an in-memory stream (a test runner's)
        return FullWriter(stream)
    stream.flush()
    return FullWriter(io.FileIO(descriptor, "wb", closefd=False))


def temporary_prefix(path):
    """The name prefix of ``path``'s temporary files (``.NAME.`` or ``.HASH.``)."""
    name = Path(path).name
    if len(name.encode("utf-8", "surrogateescape")) > LONGEST_PLAIN_NAME:
        name = hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return f".{name}."


def stale_temporaries(paths):
    """Temporary files that writers of ``paths`` (one path, or several) left behind.

    Each directory is listed once, however many of ``paths`` it holds.
    """
    paths = [paths] if isinstance(paths, (str, os.PathLike)) else paths
    prefixes = defaultdict(set)
    for path in map(Path, paths):
        prefixes[path.parent].add(temporary_prefix(path))
    found = []
    for directory, wanted in prefixes.items():
        try:
            names = os.listdir(directory)
        except OSError:
            continue
        found += [directory / name for name in names if _prefix_of(name) in wanted]
    return found


def _prefix_of(name):
    """The prefix of a temporary file's name (``.NAME.`` of ``.NAME.RANDOM.tmp``), or None.

    The random part never holds a dot, so ``a.txt``'s prefix is not taken
    for that of ``a.txt.gz``.
    """
    if not name.endswith(TEMPORARY_SUFFIX):
        return None
    head, dot, random = name[:-len(TEMPORARY_SUFFIX)].rpartition(".")
    return head + dot if dot and random else None


def remove_stale_temporaries(paths):
    """Remove what :func:`stale_temporaries` finds; returns the paths removed.

    Only for paths no live writer is writing (a batch holds its OUTDIR's
    lock while it calls this).
    """
    stale = stale_temporaries(paths)
    for path in stale:
        _remove(path)
    return stale


@contextmanager
def open_atomic(path, compress=None, sync_directory=True):
    """A binary handle whose bytes appear at ``path`` only if the block succeeds.

    ``compress=None`` gzips when ``path`` ends in ``.gz`` (with a fixed
    header, so equal bytes in give equal bytes out). Failing to write
    raises :class:`OutputError` naming ``path``. ``sync_directory=False``
    leaves making the rename durable to the caller, who writes many files
    into one directory and syncs it once (:func:`sync_directories`).
    """
    path = Path(path)
    compress = path.name.endswith(GZIP_SUFFIX) if compress is None else compress
    try:
        # unbuffered: FullWriter does the buffering, and sees every short write
        handle = tempfile.NamedTemporaryFile("wb", buffering=0, dir=path.parent or ".",
                                             prefix=temporary_prefix(path),
                                             suffix=TEMPORARY_SUFFIX, delete=False)
    except OSError as error:
        raise OutputError(f"{path}: cannot write ({error.strerror or error})") from None
    try:
        with handle:
            sink = FullWriter(handle)
            if compress:
                with gzip.GzipFile(filename="", mode="wb", fileobj=sink, mtime=0) as packed:
                    yield packed
            else:
                yield sink
            sink.flush()
            os.fsync(handle.fileno())
        os.chmod(handle.name, 0o644)
        os.replace(handle.name, path)
    except OSError as error:
        _remove(handle.name)
        raise OutputError(f"{path}: cannot write ({error.strerror or error})") from None
    except BaseException:  # Ctrl-C, SIGTERM, a failed clean: no partial file
        _remove(handle.name)
        raise
    if sync_directory:
        _sync_directory(path.parent)


def sync_directories(paths):
    """Make the renames of files written with ``sync_directory=False`` durable: each of
    their directories synced once."""
    for directory in sorted({Path(path).parent for path in paths}):
        _sync_directory(directory)


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
