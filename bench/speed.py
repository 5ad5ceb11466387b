"""Speed and cost: throughput per core, the CLI batch and cold start, RSS, growth.

In-process throughput is counted in CPU seconds of this process
(``time.process_time``), so a figure is per core and holds up when other
work shares the machine; wall time is recorded beside it. A command is
measured with ``os.wait4`` by the small process that starts it (see
:data:`LAUNCHER`), which gives the command's own CPU time (start-up
included) and peak RSS. Every system is timed
``repeats`` times, the systems taking turns so that a burst of load on the
shared machine falls on all of them, and the best CPU time counts.
"""

import logging
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

#: Document sizes for the cost-growth curve, 1 KB to 10 MB.
GROWTH_SIZES = (1_000, 3_000, 10_000, 30_000, 100_000, 300_000, 1_000_000, 3_000_000,
                10_000_000)
#: Log-log slope of time against size that still counts as linear.
LINEAR_SLOPE = (0.85, 1.15)
#: Thread pins the harness sets (see bench/__init__.py), reported with the run.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
#: GNU time, for a second opinion on the CLI's peak RSS.
GNU_TIME = Path("/usr/bin/time")


def timed(function, *args):
    """Run ``function(*args)``; return (result, cpu seconds, wall seconds)."""
    cpu, wall = time.process_time(), time.perf_counter()
    result = function(*args)
    return result, time.process_time() - cpu, time.perf_counter() - wall


def rate(documents, size_bytes, cpu, wall):
    """A throughput row: documents/s and MB/s per core (CPU time) and by the clock."""
    def per(amount, seconds):
        return amount / seconds if seconds and seconds == seconds else float("nan")
    return {"documents": documents, "mb": size_bytes / 1e6, "cpu": cpu, "wall": wall,
            "docs_per_s": per(documents, cpu), "mb_per_s": per(size_bytes / 1e6, cpu),
            "docs_per_s_wall": per(documents, wall)}


def text_bytes(texts):
    """Total UTF-8 size of ``texts``."""
    return sum(len(t.encode("utf-8")) for t in texts)


# ----------------------------------------------------------------- racing

def in_process(run):
    """A measurement of ``run()`` in this process: {"cpu", "wall"}."""
    def measure():
        _, cpu, wall = timed(run)
        return {"cpu": cpu, "wall": wall}
    return measure


def race(systems, repeats):
    """Time every system ``repeats`` times, taking turns; keep each one's best CPU run.

    ``systems`` maps a name to a function returning a measurement dict with
    at least ``cpu`` and ``wall``. A failed measurement (one with an
    ``error``) is kept only when no run succeeded. Every run's CPU seconds
    are listed under ``runs``.
    """
    best, runs = {}, {name: [] for name in systems}
    for repeat in range(repeats):
        for name, measure in systems.items():
            log.info("speed: %s (run %d of %d)", name, repeat + 1, repeats)
            found = measure()
            runs[name].append(found["cpu"])
            if _better(found, best.get(name)):
                best[name] = found
    return {name: {**found, "runs": runs[name]} for name, found in best.items()}


def _better(found, kept):
    """Is measurement ``found`` better than ``kept``: a success over a failure, else less CPU."""
    if kept is None or (kept.get("error") and not found.get("error")):
        return True
    return not found.get("error") and found["cpu"] < kept["cpu"]


def throughput(corpus, stripper, peers, workdir, repeats):
    """Rows per system over the corpus's texts: in-process systems and the CLI batch.

    Peers' inputs (paragraphs, ``<p>`` HTML, stoplists) are built here,
    before any clock starts; each timed run is the peer's own calls only.
    """
    texts, langs = corpus["texts"], corpus["langs"]
    paragraphs = [[b.text for b in corpus["paragraphs"][n]] for n in range(len(texts))]
    systems = {"stripper clean (API)": in_process(lambda: [stripper.clean(t) for t in texts]),
               "stripper clean_many": in_process(lambda: stripper.clean_many(texts))}
    for name, peer in peers.items():
        prepared = [peer.prepare(p, lang) for p, lang in zip(paragraphs, langs)]
        systems[name] = in_process(lambda peer=peer, prepared=prepared:
                                   [peer.run(x) for x in prepared])
        peer.run(prepared[0])  # imports and lazy set-up outside the clock
    stripper.clean(texts[0])  # the model loaded outside the clock
    systems["stripper CLI batch"] = cli_batch(texts, workdir)
    systems["stripper CLI batch, site evidence (default)"] = cli_batch(texts, workdir, True)
    best = race(systems, repeats)
    size = text_bytes(texts)
    return {name: {**rate(len(texts), size, found["cpu"], found["wall"]),
                   **{k: v for k, v in found.items() if k not in ("cpu", "wall")}}
            for name, found in best.items()}


# ------------------------------------------------------------ subprocesses

def stripper_command():
    """The ``stripper`` console script beside this interpreter, else ``-m stripper``."""
    script = Path(sys.executable).with_name("stripper")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "stripper"]


#: Starts a command and writes the command's own usage to the file named
#: first. Linux carries the peak RSS of the process that forks into the
#: ``ru_maxrss`` of the child it becomes after exec, and this harness is
#: large (the peers, the corpora), so a command started by it directly
#: reports the harness's peak. Started by this small interpreter instead
#: (``python -S``, about 10 MB), it reports its own.
LAUNCHER = """
import os, sys, time
report, command = sys.argv[1], sys.argv[2:]
started = time.perf_counter()
pid = os.posix_spawnp(command[0], command, os.environ)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - started
with open(report, "w") as handle:
    handle.write(f"{os.waitstatus_to_exitcode(status)} {wall} {usage.ru_utime} "
                 f"{usage.ru_stime} {usage.ru_maxrss}")
"""


def run_child(arguments, stdin_path=None):
    """Run a command; its wall seconds, CPU seconds (user + system) and peak RSS (MB).

    The command is the direct child of :data:`LAUNCHER`, which measures it
    with ``os.wait4``: its own usage, start-up included (plus any children
    it waited for; ``stripper clean`` at ``-j 1`` starts none). Its output
    goes to /dev/null, stderr to a file, so a chatty command never blocks.
    """
    with tempfile.TemporaryDirectory(prefix="stripper-bench-child-") as scratch, \
            open(stdin_path or os.devnull, "rb") as stdin, \
            open(Path(scratch) / "stderr", "w+b") as errors:
        report = Path(scratch) / "usage"
        subprocess.run([sys.executable, "-S", "-c", LAUNCHER, str(report), *arguments],
                       stdin=stdin, stdout=subprocess.DEVNULL, stderr=errors, check=False)
        errors.seek(0)
        message = errors.read().decode(errors="replace").strip().splitlines()[-1:]
        fields = report.read_text().split() if report.is_file() else ["-1", "nan", "nan",
                                                                        "nan", "nan"]
    code, wall, user, system, rss_kb = int(fields[0]), *map(float, fields[1:])
    if code != 0:  # recorded, not raised: one failing command must not end the run
        log.error("%s exited %d: %s", " ".join(arguments[:3]), code, message)
        nan = float("nan")
        return {"wall": nan, "cpu": nan, "rss_mb": nan,
                "error": f"exit {code}: {message[0] if message else ''}"}
    return {"wall": wall, "cpu": user + system, "system_cpu": system, "rss_mb": rss_kb / 1024}


def write_corpus(texts, directory):
    """``texts`` as files ``doc-NNNNN.txt`` in ``directory``, byte for byte."""
    directory.mkdir(parents=True, exist_ok=True)
    for number, text in enumerate(texts):
        (directory / f"doc-{number:05d}.txt").write_bytes(text.encode("utf-8"))
    return directory


def cli_batch(texts, workdir, sites=False):
    """A measurement of ``stripper clean DIR -o OUT -j 1`` over ``texts`` written as files.

    Without ``sites`` the run is ``--no-sites``: the same work as
    ``clean_many`` (each page alone), so the two compare. With it, the
    default: a gathering pass, then every page cleaned with site evidence
    (all files in one folder are one group). Each run writes into a fresh
    OUT (a directory run skips or refuses outputs already there), named in
    the measurement so its files can be compared with ``clean_many``'s texts.
    """
    source = write_corpus(texts, Path(workdir) / "batch-in")
    runs = []
    flags = [] if sites else ["--no-sites"]

    def measure():
        outdir = Path(workdir) / f"batch-out-{'sites-' if sites else ''}{len(runs)}"
        runs.append(outdir)
        return {**run_child([*stripper_command(), "clean", str(source), "-o", str(outdir),
                             "-j", "1", *flags]), "outdir": str(outdir)}
    return measure


def same_outputs(outdir, cleaned):
    """How many of the CLI batch's output files equal ``clean_many``'s texts, byte for byte."""
    same = 0
    for number, text in enumerate(cleaned):
        path = Path(outdir) / f"doc-{number:05d}.txt"
        same += path.is_file() and path.read_bytes() == text.encode("utf-8")
    return same


def cold_start(text, runs, workdir):
    """``stripper clean FILE`` in ``runs`` fresh processes: median wall and CPU, peak RSS.

    Also the peak RSS ``/usr/bin/time -v`` reports for it, and the floor
    of the measurement: the RSS a command that does nothing reports.
    """
    article = Path(workdir) / "article.txt"
    article.write_bytes(text.encode("utf-8"))
    measured = [run_child([*stripper_command(), "clean", str(article)]) for _ in range(runs)]
    ok = [m for m in measured if not m.get("error")] or measured
    return {"runs": runs, "bytes": len(text.encode("utf-8")),
            "wall": statistics.median(m["wall"] for m in ok),
            "cpu": statistics.median(m["cpu"] for m in ok),
            "walls": [m["wall"] for m in measured], "rss_mb": max(m["rss_mb"] for m in ok),
            "gnu_time_rss_mb": gnu_time_rss(article),
            "floor_rss_mb": run_child(["true"])["rss_mb"],
            "error": next((m["error"] for m in measured if m.get("error")), None)}


def gnu_time_rss(path):
    """Peak RSS (MB) of ``stripper clean FILE`` as ``/usr/bin/time -v`` reports it, or None."""
    if not GNU_TIME.is_file():
        return None
    done = subprocess.run([str(GNU_TIME), "-v", *stripper_command(), "clean", str(path)],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    return int(found.group(1)) / 1024 if found and done.returncode == 0 else None


def model_size():
    """Bytes on disk of the bundled model: every file in its folder, and the card's share."""
    from stripper.modelfile import CARD_FILE, default_model_path
    folder = default_model_path()
    files = {p.name: p.stat().st_size for p in sorted(folder.iterdir()) if p.is_file()}
    return {"path": str(folder), "bytes": sum(files.values()), "files": len(files),
            "card_bytes": files.get(CARD_FILE, 0),
            "largest": sorted(files.items(), key=lambda item: -item[1])[:3]}


def import_cost():
    """CPU, wall and RSS of ``import stripper`` plus loading the model, in a fresh interpreter."""
    return run_child([sys.executable, "-c", "import stripper; stripper.Stripper().model"])


def largest_document_rss(texts, size, workdir):
    """Peak RSS and CPU of ``stripper clean FILE -o OUT`` on one document of ``size`` bytes."""
    document = sized_document(texts, size)
    path = Path(workdir) / "largest.txt"
    path.write_bytes(document.encode("utf-8"))
    log.info("speed: peak RSS of the CLI on %d bytes", len(document.encode("utf-8")))
    child = run_child([*stripper_command(), "clean", str(path), "-o",
                       str(Path(workdir) / "largest.out")])
    return {**child, "bytes": len(document.encode("utf-8"))}


# ------------------------------------------------------------- growth

def sized_document(texts, size):
    """Articles joined by blank lines, cut at a line end at about ``size`` characters."""
    pool = "\n\n".join(texts)
    while len(pool) < size:
        pool = pool + "\n\n" + pool
    cut = pool.find("\n", size)
    return pool[:cut if cut != -1 else size]


def growth(texts, runners, budget_s):
    """CPU time per document size for each runner, 1 KB to 10 MB.

    ``runners`` maps a name to ``(prepare, run)``: ``prepare(document)``
    builds the input outside the clock, ``run(input)`` is timed. A size is
    projected from the last measured cost per byte, not measured, when
    that projection exceeds ``budget_s`` CPU seconds.
    """
    curves = {name: [] for name in runners}
    for size in GROWTH_SIZES:
        document = sized_document(texts, size)
        size_bytes = len(document.encode("utf-8"))
        for name, (prepare, run) in runners.items():
            projected = _projection(curves[name], size_bytes)
            if projected is not None and projected > budget_s:
                curves[name].append({"bytes": size_bytes, "cpu": projected, "measured": False})
                continue
            log.info("growth: %s at %d bytes", name, size_bytes)
            _, cpu, _ = timed(run, prepare(document))
            curves[name].append({"bytes": size_bytes, "cpu": cpu, "measured": True})
    return {name: {"points": points, **linearity(points)} for name, points in curves.items()}


def _projection(points, size_bytes):
    """CPU seconds at ``size_bytes`` at the last measured cost per byte (None before any)."""
    measured = [p for p in points if p["measured"]]
    if not measured:
        return None
    last = measured[-1]
    return last["cpu"] / last["bytes"] * size_bytes


def linearity(points, smallest=10_000):
    """Log-log slope of the measured points from ``smallest`` bytes on, and a verdict."""
    usable = [p for p in points if p["measured"] and p["bytes"] >= smallest and p["cpu"] > 0]
    if len(usable) < 2:
        return {"slope": float("nan"), "linear": None}
    slope = float(np.polyfit(np.log([p["bytes"] for p in usable]),
                             np.log([p["cpu"] for p in usable]), 1)[0])
    return {"slope": slope, "linear": LINEAR_SLOPE[0] <= slope <= LINEAR_SLOPE[1]}


def temporary_directory():
    """A scratch directory for CLI inputs and outputs, removed when its context ends."""
    return tempfile.TemporaryDirectory(prefix="stripper-bench-")
