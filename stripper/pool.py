"""Worker processes for directory batches: a worker that dies costs only its own files.

Each worker runs one task at a time, over a pipe of its own, so when a
worker dies (the OOM killer, a crash in native code) the pool knows which
task it was running. That task's files are tried again, each alone, on a
new worker; a file whose own task kills a worker too fails alone, named,
and the run goes on. What a dead worker was writing is removed: the run
holds its OUTDIR's lock, so those temporary files are its own.

Workers never outlive the run:

- they ignore Ctrl-C: the run stops them (on Ctrl-C, SIGTERM or an error
  it kills every worker and removes what they were writing before it
  returns);
- they die with their parent: on Linux the kernel kills a worker when its
  parent ends (``PR_SET_PDEATHSIG``), and on every system a thread in each
  worker watches the run's process and ends the worker when it is gone
  (even if the run was killed with SIGKILL and could not stop them);
- they write nothing to stdout (it is ``/dev/null`` in a worker), so no
  worker keeps the caller's stdout open.
"""

import multiprocessing
import os
import select
import signal
import sys
import threading
import time
from collections import deque
from multiprocessing.connection import wait

from .atomic import remove_stale_temporaries
from .errors import ModelError
from .workers import clean_task, failed_results, worker_stripper

#: prctl(2) option: the signal a process gets when its parent ends.
PR_SET_PDEATHSIG = 1
#: Seconds idle workers get to exit on their own at the end of a run.
STOP_GRACE = 5
#: How often a worker without a pidfd looks for the run's process, in seconds.
WATCH_INTERVAL = 0.5


def run_in_pool(tasks, jobs):
    """Run ``tasks`` on ``jobs`` worker processes; yield each task's results as it finishes.

    Results are lists of :class:`stripper.workers.FileResult`. A
    :class:`ModelError` in a worker stops the run. However the run ends
    (or is interrupted), no worker is left running when this returns.
    """
    pool = _Pool(tasks[0].options, jobs)
    pool.queue.extend(tasks)
    finished = False
    try:
        while pool.queue or pool.busy():
            pool.fill()
            yield from pool.collect()
        finished = True
    finally:
        pool.stop(kill=not finished)


class _Worker:
    """One worker process, its end of the pipe, and the task it is running."""

    def __init__(self, context, options):
        here, there = context.Pipe()
        self.process = context.Process(target=serve, args=(there, options, os.getpid()),
                                       name="stripper-worker", daemon=True)
        self.process.start()
        there.close()
        self.connection = here
        self.task = None

    def give(self, task):
        self.task = task
        try:
            self.connection.send(task)
        except OSError:
            pass  # it died: collect() finds it dead, with this task

    def how_it_ended(self):
        self.process.join(timeout=STOP_GRACE)
        code = self.process.exitcode
        if code is not None and code < 0:
            return f"killed by {signal.Signals(-code).name}"
        return f"exit code {code}" if code is not None else "no longer answering"

    def end(self):
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.connection.close()


class _Pool:
    """Workers, the tasks still to run, and what happens when a worker dies."""

    def __init__(self, options, jobs):
        self.context = _context()
        self.options, self.jobs = options, jobs
        self.workers = []
        self.queue = deque()

    def busy(self):
        return [worker for worker in self.workers if worker.task is not None]

    def fill(self):
        """Give queued tasks to idle workers, starting workers up to ``jobs``."""
        for worker in [w for w in self.workers if w.task is None and not w.process.is_alive()]:
            self.workers.remove(worker)
            worker.end()
        for worker in self.workers:
            if worker.task is None and self.queue:
                worker.give(self.queue.popleft())
        while self.queue and len(self.workers) < self.jobs:
            worker = _Worker(self.context, self.options)
            self.workers.append(worker)
            worker.give(self.queue.popleft())

    def collect(self):
        """Wait until busy workers finish or die; the results of the tasks that ended."""
        busy = self.busy()
        ready = set(wait([w.connection for w in busy] + [w.process.sentinel for w in busy]))
        results = []
        for worker in busy:
            if worker.connection in ready or worker.process.sentinel in ready:
                results.extend(self._settle(worker))
        return results

    def _settle(self, worker):
        task, reply = worker.task, None
        try:
            reply = worker.connection.recv()
        except (EOFError, OSError):
            pass  # no whole reply: the worker died with its task
        worker.task = None
        if reply is not None:
            status, value = reply
            if status == "error":
                raise value
            return [value]
        self.workers.remove(worker)
        how = worker.how_it_ended()
        worker.end()
        return self._after_death(task, how)

    def _after_death(self, task, how):
        """Clean up after a task whose worker died: try its files again, or fail them."""
        _discard_partial_work(task)
        if task.attempt == 0:
            # a first death may be bad luck (the OOM killer): each file gets a try alone
            self.queue.extendleft(reversed(task.retries()))
            return []
        return [failed_results(task, f"the worker cleaning it died ({how})")]

    def stop(self, kill):
        """End every worker: let idle ones exit, or (``kill``) kill them all at once."""
        try:
            if not kill:
                self._ask_to_exit()
        finally:  # even if a signal cuts the polite way short
            running = [worker.task for worker in self.workers if worker.task is not None]
            for worker in self.workers:
                worker.end()
            for task in running:  # killed mid-task: what it was writing is garbage
                _discard_partial_work(task)
            self.workers = []

    def _ask_to_exit(self):
        for worker in self.workers:
            try:
                worker.connection.send(None)
            except OSError:
                pass
        for worker in self.workers:
            worker.process.join(timeout=STOP_GRACE)


def _discard_partial_work(task):
    """Remove the temporary files and report part a dead worker left for ``task``."""
    remove_stale_temporaries([job.target for job in task.files])
    if task.fragment:
        try:
            os.unlink(task.fragment)
        except FileNotFoundError:
            pass


def _context():
    # forkserver: workers fork from a clean server that has already imported
    # the library (fast start), never from a parent whose OpenMP threads
    # may already be running (which can hang a forked child)
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["stripper.pool", "stripper.core"])
        return context
    return multiprocessing.get_context("spawn")


# ---------------------------------------------------------------- in the worker

def serve(connection, options, parent):
    """A worker's life: load the model, then clean each task the pipe brings.

    Replies ``("done", results)``, or ``("error", ModelError)`` to stop the
    run. Ends when told to (``None``), or when the run is gone.
    """
    _bind_to_run(parent)
    try:
        worker_stripper(options)
    except ModelError:
        pass  # the first task meets it again, and its reply stops the run
    while True:
        try:
            task = connection.recv()
        except (EOFError, OSError):
            return  # the run is gone
        if task is None:
            return
        try:
            reply = ("done", clean_task(task))
        except ModelError as error:
            reply = ("error", error)
        except Exception as error:  # a bug: the task's files fail, the run goes on
            reply = ("done", failed_results(task, f"{type(error).__name__}: {error}"))
        try:
            connection.send(reply)
        except OSError:
            return


def _bind_to_run(parent):
    """Make this worker the run's alone: no Ctrl-C, no stdout, no life after the run."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the run handles Ctrl-C by stopping us
    _die_with_parent()
    _watch(parent)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)


def _die_with_parent():
    """Ask Linux to kill this process when its parent ends (``PR_SET_PDEATHSIG``)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass  # the watcher below still ends the worker


def _watch(parent):
    """End this process when process ``parent`` (the run) ends."""
    try:
        handle = os.pidfd_open(parent)
    except ProcessLookupError:
        os._exit(1)  # the run is already gone
    except (AttributeError, OSError):
        handle = None  # no pidfd here: poll instead
    threading.Thread(target=_wait_for_end, args=(parent, handle), name="stripper-watch",
                     daemon=True).start()


def _wait_for_end(parent, handle):
    if handle is not None:
        select.select([handle], [], [])  # a pidfd becomes readable when its process ends
    else:
        while _alive(parent):
            time.sleep(WATCH_INTERVAL)
    os._exit(1)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
