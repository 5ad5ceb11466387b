"""Helpers for ``test_faults.py``: the CLI as a real process, and what it leaves behind.

Everything here treats stripper as a black box: a command run in a
subprocess (so that exit codes, signals, segfaults and worker processes
are real), files on disk, and processes found through ``/proc``.

Every process started here carries ``STRIPPER_FAULT_TAG=<unique tag>`` in
its environment; children inherit it, so the processes a run leaves
behind (workers, a fork server) can be found by scanning
``/proc/*/environ``, and :func:`kill_tagged` ends them (by pid, and only
processes this module started or their descendants).
"""

import atexit
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

TAG_VARIABLE = "STRIPPER_FAULT_TAG"
#: Every tag handed out in this session, so leftovers can be ended at teardown.
TAGS = []
#: Seconds any one command may take before the test gives up on it.
TIMEOUT = 120
#: Commands run from an empty directory, so that ``python -m stripper`` runs
#: the installed package, never a ``stripper/`` folder in the current directory.
NEUTRAL_CWD = tempfile.mkdtemp(prefix="stripper-faults-cwd-")
atexit.register(os.rmdir, NEUTRAL_CWD)


# ---------------------------------------------------------------- running

@dataclass
class Done:
    """A finished command: exit code, stdout (bytes) and stderr (text)."""

    returncode: int
    stdout: bytes
    stderr: str
    tag: str
    #: processes of the run still alive after it ended (found, then ended)
    left: tuple = ()

    @property
    def lines(self):
        """The non-blank lines of stderr."""
        return [line for line in self.stderr.splitlines() if line.strip()]

    def records(self):
        """stdout as JSONL records."""
        return [json.loads(line) for line in self.stdout.decode("utf-8").splitlines()
                if line.strip()]


def new_tag():
    tag = uuid.uuid4().hex
    TAGS.append(tag)
    return tag


def tagged_env(tag):
    env = dict(os.environ)
    env[TAG_VARIABLE] = tag
    env.setdefault("OMP_NUM_THREADS", "1")
    env.pop("COLUMNS", None)
    return env


def cli(*args):
    """The argv that runs ``stripper ARGS`` with this interpreter."""
    return [sys.executable, "-m", "stripper", *map(str, args)]


def run(argv, input=None, stdout=None, timeout=TIMEOUT):
    """Run ``argv`` to completion; a :class:`Done`. Leftover processes are ended.

    Output goes to files, not pipes: a worker orphaned by the command could
    hold a pipe open for ever. ``stdout`` may be an open file to write to.
    """
    started = Started(argv, stdin=subprocess.PIPE if input is not None else None,
                      stdout=stdout)
    if input is not None:
        with contextlib.suppress(BrokenPipeError):
            started.process.stdin.write(input)
        started.process.stdin.close()
    return started.finish(timeout=timeout, grace=2)


def run_cli(*args, **kwargs):
    """``stripper ARGS`` to completion (see :func:`run`)."""
    return run(cli(*args), **kwargs)


def run_python(code, timeout=TIMEOUT):
    """``python -c CODE`` to completion, so that a segfault fails a test, not pytest."""
    return run([sys.executable, "-c", code], timeout=timeout)


class Started:
    """A command running in the background, with its tag and a way to stop it."""

    def __init__(self, argv, stdin=None, stdout=None):
        self.tag = new_tag()
        self._out = None if stdout is not None else tempfile.TemporaryFile()
        self._err = tempfile.TemporaryFile()
        self.process = subprocess.Popen(argv, stdin=stdin, stdout=stdout or self._out,
                                        stderr=self._err, env=tagged_env(self.tag),
                                        cwd=NEUTRAL_CWD)
        self.started = time.monotonic()

    @property
    def pid(self):
        return self.process.pid

    def signal(self, number):
        self.process.send_signal(number)

    def finish(self, timeout=TIMEOUT, grace=None):
        """Wait for the main process; a :class:`Done`.

        After ``timeout`` seconds the command and its children are killed.
        With ``grace``, processes of the command still alive that many
        seconds after it ended are recorded in ``Done.left``; then every
        process of the command is ended.
        """
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_tagged(self.tag)
            self.process.wait()
        left = tuple(survivors(self.tag, grace)) if grace is not None else ()
        if grace is not None:
            kill_tagged(self.tag)
        return Done(self.process.returncode, _read(self._out),
                    _read(self._err).decode("utf-8", "replace"), self.tag, left)

    def others(self):
        """Live processes started by this command, other than its main process."""
        return [pid for pid in tagged_pids(self.tag) if pid != self.pid]


def _read(handle):
    if handle is None:
        return b""
    handle.seek(0)
    data = handle.read()
    handle.close()
    return data


def start_cli(*args):
    return Started(cli(*args))


def wait_for(condition, timeout, step=0.02):
    """Poll ``condition()`` until it is true or ``timeout`` seconds pass; its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step)


# ---------------------------------------------------------------- processes

def _state(pid):
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()


def tagged_pids(tag):
    """Live (not zombie) processes whose environment holds ``tag``."""
    needle = f"{TAG_VARIABLE}={tag}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        state = _state(entry.name)
        if needle in environ.split(b"\0") and state and state[0] not in ("Z", "X"):
            found.append(int(entry.name))
    return found


def cpu_ticks(pid):
    """User plus system CPU time of ``pid`` in clock ticks (0 when it is gone)."""
    state = _state(pid)
    return int(state[11]) + int(state[12]) if state else 0


def survivors(tag, grace):
    """Processes carrying ``tag`` still alive after up to ``grace`` seconds."""
    wait_for(lambda: not tagged_pids(tag), grace)
    return tagged_pids(tag)


def kill_tagged(tag):
    """SIGKILL every live process carrying ``tag`` (all of them started by these tests)."""
    for pid in tagged_pids(tag):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    wait_for(lambda: not tagged_pids(tag), 5)


def kill_all_tagged():
    for tag in TAGS:
        kill_tagged(tag)


def peak_rss_bytes(argv):
    """Run ``argv`` (output to /dev/null) and return (exit code, its own peak RSS in bytes)."""
    tag = new_tag()
    with open(os.devnull, "wb") as sink:
        process = subprocess.Popen(argv, stdout=sink, stderr=sink, env=tagged_env(tag),
                                   cwd=NEUTRAL_CWD)
    try:
        _, status, usage = os.wait4(process.pid, 0)  # this child's own rusage
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped: Popen must not wait
    finally:
        kill_tagged(tag)
    return process.returncode, usage.ru_maxrss * 1024


# ---------------------------------------------------------------- messages

def has_traceback(done):
    return "Traceback" in done.stderr


def one_line_error(done, code=1):
    """Did the command exit with ``code`` and print exactly one ``Error:`` line?"""
    return (done.returncode == code and len(done.lines) == 1
            and done.lines[0].startswith("Error:") and not has_traceback(done))


def describe(done):
    """A failure message: exit code and the end of stderr."""
    code = done.returncode
    how = f"killed by {signal.Signals(-code).name}" if code < 0 else f"exit {code}"
    return f"{how}; stderr:\n{done.stderr[-3000:]}"


# ---------------------------------------------------------------- files

def leftovers(*roots):
    """Temporary files (``.*.tmp``) and report fragment folders under ``roots``."""
    found = []
    for root in map(Path, roots):
        if not root.exists():
            continue
        for path in root.rglob(".*"):
            if path.name.endswith(".tmp") or path.name.startswith(".stripper-report."):
                found.append(str(path))
    return sorted(found)


def tree_bytes(root):
    """Every visible file under ``root`` (relative path: bytes); hidden names are not outputs."""
    root = Path(root)
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and not any(part.startswith(".") for part in
                                       p.relative_to(root).parts)}


def snapshot(root):
    """Every entry under ``root``: relative path -> (bytes or None for a directory, mtime_ns)."""
    root = Path(root)
    entries = {}
    for path in sorted(root.rglob("*")):
        info = path.lstat()
        content = path.read_bytes() if path.is_file() and not path.is_symlink() else None
        entries[str(path.relative_to(root))] = (content, info.st_mtime_ns)
    return entries


@contextlib.contextmanager
def full_disk(directory, size="64k"):
    """``directory`` as a tiny tmpfs: a disk that fills up after ``size`` bytes.

    Skips the test when tmpfs cannot be mounted here (not root, no mount).
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(directory)],
                       check=True, capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as error:
        pytest.skip(f"cannot mount a tiny tmpfs to stand for a full disk: {error}")
    try:
        yield directory
    finally:
        subprocess.run(["umount", "-l", str(directory)], capture_output=True, timeout=30)


# ---------------------------------------------------------------- corpora

PLACES = ["harbour", "library", "bridge", "school", "hospital", "market", "station", "park",
          "ferry terminal", "swimming pool", "fire station", "bus depot"]
VERBS = ["approved", "rejected", "delayed", "funded", "reviewed", "debated"]
DEBRIS = ["Support our journalism. Donate now.\nMaybe later",
          "Share this story\nFacebook\nTwitter\nEmail",
          "Sign up for our morning newsletter",
          "Advertisement",
          "Read more:\nCouncil tax to rise\nNew mayor sworn in"]


def article(rng, number, paragraphs=8):
    """A short invented news story with a debris block or two, as plain text."""
    parts = []
    for _ in range(paragraphs):
        place = rng.choice(PLACES)
        parts.append(f"The council {rng.choice(VERBS)} the plan for the {place} on day {number}, "
                     f"after {rng.randint(2, 90)} residents spoke at a meeting that ran late "
                     f"into the evening.\nOfficials said the work on the {place} would take "
                     f"{rng.randint(2, 30)} weeks and cost {rng.randint(1, 40)} million.")
    for _ in range(rng.randint(1, 2)):
        parts.insert(rng.randint(1, len(parts)), rng.choice(DEBRIS))
    return "\n\n".join(parts) + "\n"


def make_corpus(root, count, seed=11, folders=("city", "county")):
    """``count`` article files spread over ``folders`` under ``root``; returns ``root``."""
    rng = random.Random(seed)
    root = Path(root)
    for number in range(count):
        folder = root / folders[number % len(folders)]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"story{number:04d}.txt").write_text(article(rng, number), encoding="utf-8")
    return root


def jsonl_lines(records):
    """JSONL text for ``records`` (dicts), ASCII-escaped as many dumps are."""
    return "".join(json.dumps(record) + "\n" for record in records)


def write(path, content):
    """Write ``content`` (str as UTF-8, or bytes) to ``path``, making folders; returns it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path
