"""A batch's output directory: one run at a time, and what a killed run left there.

A run holds ``OUTDIR/.stripper.lock`` (an ``flock`` lock; the file holds
the run's pid, for the message a second run gets) from start to end, so a
second run into the same OUTDIR is refused while the first is alive. The
kernel drops the lock when its process dies, however it dies, so the lock
file a killed run leaves never blocks a later run.

Holding the lock, a run owns every temporary file in OUTDIR: it keeps the
parts of its audit report in a working folder there
(``.stripper-report.XXXX``, removed at the end), and ``--resume`` removes
the temporary files and report parts a killed run left.
"""

import logging
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from .atomic import remove_stale_temporaries
from .errors import OutputError

log = logging.getLogger(__name__)

LOCK_NAME = ".stripper.lock"
#: Name prefix of the folders holding a run's report parts...
PARTS_PREFIX = ".stripper-report."
#: ...and its site evidence.
SITES_PREFIX = ".stripper-sites."


@contextmanager
def locked(outdir):
    """Hold ``outdir``'s lock (creating ``outdir``); :class:`OutputError` if another run does."""
    outdir = Path(outdir)
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"{outdir}: cannot create ({error.strerror or error})") from None
    path = outdir / LOCK_NAME
    descriptor = _acquire(path)
    try:
        yield path
    finally:
        _release(path, descriptor)


def _acquire(path):
    import fcntl
    while True:
        try:
            descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as error:
            raise OutputError(f"{path.parent}: cannot write ({error.strerror or error})") \
                from None
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = _owner(descriptor)
            os.close(descriptor)
            raise OutputError(f"{path.parent}: another stripper run{owner} is writing there; "
                              f"wait for it to end, or choose another output directory") \
                from None
        except OSError as error:  # a file system without locks (some network mounts)
            log.warning("%s: cannot lock (%s); make sure no other run writes there",
                        path.parent, error.strerror or error)
            return descriptor
        if _still_there(descriptor, path):
            break
        # The holder removed the file between our open and our lock (it was
        # ending): the lock we got is on a file nobody else will open.
        os.close(descriptor)
    os.ftruncate(descriptor, 0)
    os.write(descriptor, f"{os.getpid()}\n".encode())
    return descriptor


def _owner(descriptor):
    try:
        pid = os.pread(descriptor, 32, 0).decode("ascii").strip()
    except (OSError, UnicodeDecodeError):
        return ""
    return f" (pid {pid})" if pid.isdigit() else ""


def _still_there(descriptor, path):
    try:
        here = os.stat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(descriptor)
    return (here.st_dev, here.st_ino) == (held.st_dev, held.st_ino)


def _release(path, descriptor):
    try:
        os.unlink(path)  # while still locked, so no other run locks the removed file
    except OSError:
        pass  # already gone, or not ours to remove: the lock itself ends below
    finally:
        os.close(descriptor)


def report_parts(outdir):
    """A working folder in ``outdir`` for the parts of a run's audit report, removed after."""
    return working_folder(outdir, PARTS_PREFIX)


def site_folder(outdir):
    """A working folder in ``outdir`` for a run's site evidence, removed after."""
    return working_folder(outdir, SITES_PREFIX)


@contextmanager
def working_folder(outdir, prefix):
    """A hidden folder in ``outdir`` named ``prefix...``, removed when the block ends."""
    try:
        directory = tempfile.mkdtemp(prefix=prefix, dir=outdir)
    except OSError as error:
        raise OutputError(f"{outdir}: cannot write ({error.strerror or error})") from None
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def remove_leftovers(outdir, targets):
    """Remove the temporary files of ``targets``, report parts and site evidence a killed
    run left.

    Only under the lock: a live run's files look the same.
    """
    for stale in remove_stale_temporaries(targets):
        log.info("removed %s, left by an interrupted run", stale)
    for entry in os.scandir(outdir):
        if entry.name.startswith((PARTS_PREFIX, SITES_PREFIX)) \
                and entry.is_dir(follow_symlinks=False):
            log.info("removed %s, left by an interrupted run", entry.path)
            shutil.rmtree(entry.path, ignore_errors=True)
