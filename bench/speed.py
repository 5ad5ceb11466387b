"""Speed and cost: throughput per core, CLI batch and cold start, RSS, growth.

Throughput is counted in CPU seconds of this process (``time.process_time``),
so a figure is per core and holds up when other work shares the machine;
wall time is recorded beside it. Subprocesses (the CLI) are measured with
``os.wait4``, which gives that one child's CPU time and peak RSS.
"""

import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from .systems import paragraphs_of

log = logging.getLogger(__name__)

#: Document sizes for the cost-growth curve, 1 KB to 10 MB.
GROWTH_SIZES = (1_000, 3_000, 10_000, 30_000, 100_000, 300_000, 1_000_000, 3_000_000,
                10_000_000)
#: Log-log slope of time against size that still counts as linear.
LINEAR_SLOPE = (0.85, 1.15)
#: Thread pins the harness sets; a "default threads" run drops them.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def timed(function, *args):
    """Run ``function(*args)``; return (result, cpu seconds, wall seconds)."""
    cpu, wall = time.process_time(), time.perf_counter()
    result = function(*args)
    return result, time.process_time() - cpu, time.perf_counter() - wall


def rate(documents, size_bytes, cpu, wall):
    """A throughput row: documents/s and MB/s per core (CPU time) and by the clock."""
    return {"documents": documents, "mb": size_bytes / 1e6, "cpu": cpu, "wall": wall,
            "docs_per_s": documents / cpu if cpu else float("inf"),
            "mb_per_s": size_bytes / 1e6 / cpu if cpu else float("inf"),
            "docs_per_s_wall": documents / wall if wall else float("inf")}


# ------------------------------------------------------------- in process

def throughput(texts, langs, stripper, peers):
    """Rows per system over the same texts, all in this process."""
    size = sum(len(t.encode("utf-8")) for t in texts)
    systems = {"stripper clean (API)": lambda: [stripper.clean(t) for t in texts],
               "stripper clean_many": lambda: stripper.clean_many(texts)}
    for name, kept_function in peers.items():
        systems[name] = _peer_run(kept_function, texts, langs)
    rows = {}
    for name, run in systems.items():
        _warm_up(name, stripper, peers, texts[0], langs[0])
        log.info("speed: %s", name)
        _, cpu, wall = timed(run)
        rows[name] = rate(len(texts), size, cpu, wall)
    return rows


def _peer_run(kept_function, texts, langs):
    def run():
        for text, lang in zip(texts, langs):
            kept_function([b.text for b in paragraphs_of(text)], lang)
    return run


def _warm_up(name, stripper, peers, text, lang):
    """Load models and imports before the clock starts."""
    if name in peers:
        peers[name]([b.text for b in paragraphs_of(text)], lang)
    else:
        stripper.clean(text)


# ------------------------------------------------------------ subprocesses

def stripper_command():
    """The ``stripper`` console script beside this interpreter, else ``-m stripper``."""
    script = Path(sys.executable).with_name("stripper")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "stripper"]


def run_child(arguments, stdin_path=None, pinned=True):
    """Run a command; return wall seconds, its CPU seconds and peak RSS (MB)."""
    environment = dict(os.environ)
    if not pinned:
        for variable in THREAD_VARIABLES:
            environment.pop(variable, None)
    stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
    try:
        started = time.perf_counter()
        child = subprocess.Popen(arguments, stdin=stdin, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, env=environment)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
    finally:
        if stdin_path:
            stdin.close()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:  # recorded, not raised: one failing command must not lose the whole run
        message = child.stderr.read().decode(errors="replace").strip().splitlines()[-1:]
        log.error("%s exited %d: %s", " ".join(arguments[:2]), code, message)
        nan = float("nan")
        return {"wall": nan, "cpu": nan, "rss_mb": nan,
                "error": f"exit {code}: {message[0] if message else ''}"}
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
            "rss_mb": usage.ru_maxrss / 1024}


def cli_batch(texts, workdir, pinned=True):
    """``stripper clean FILE... -o OUT`` over every text: one process, startup included."""
    paths = []
    for number, text in enumerate(texts):
        path = Path(workdir) / f"doc-{number:05d}.txt"
        path.write_text(text, encoding="utf-8")
        paths.append(str(path))
    measured = run_child([*stripper_command(), "clean", *paths, "-o",
                          str(Path(workdir) / "cleaned.out")], pinned=pinned)
    size = sum(len(t.encode("utf-8")) for t in texts)
    return {**rate(len(texts), size, measured["cpu"], measured["wall"]),
            "rss_mb": measured["rss_mb"], "error": measured.get("error")}


def cold_start(text, runs, workdir):
    """Median wall and CPU of ``stripper clean < one-article.txt`` over ``runs`` runs."""
    article = Path(workdir) / "one-article.txt"
    article.write_text(text, encoding="utf-8")
    measured = [run_child([*stripper_command(), "clean"], stdin_path=article)
                for _ in range(runs)]
    return {"runs": runs, "bytes": len(text.encode("utf-8")),
            "wall": statistics.median(m["wall"] for m in measured),
            "cpu": statistics.median(m["cpu"] for m in measured),
            "walls": [m["wall"] for m in measured], "rss_mb": max(m["rss_mb"] for m in measured),
            "error": next((m["error"] for m in measured if m.get("error")), None)}


def model_size():
    """Bytes on disk of the bundled model file and its card."""
    from stripper.modelfile import card_path, default_model_path
    model = default_model_path()
    return {"path": str(model), "model_bytes": model.stat().st_size,
            "card_bytes": card_path(model).stat().st_size}


def import_cost():
    """CPU and wall of ``import stripper`` plus loading the model, in a fresh interpreter."""
    code = "import stripper; stripper.Stripper().bundle"
    return run_child([sys.executable, "-c", code])


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

    A size is skipped (and projected from the last measured cost per byte)
    when that projection exceeds ``budget_s`` CPU seconds.
    """
    curves = {name: [] for name in runners}
    for size in GROWTH_SIZES:
        document = sized_document(texts, size)
        size_bytes = len(document.encode("utf-8"))
        for name, run in runners.items():
            projected = _projection(curves[name], size_bytes)
            if projected is not None and projected > budget_s:
                curves[name].append({"bytes": size_bytes, "cpu": projected, "measured": False})
                continue
            log.info("growth: %s at %d bytes", name, size_bytes)
            _, cpu, _ = timed(run, document)
            curves[name].append({"bytes": size_bytes, "cpu": cpu, "measured": True})
    return {name: {"points": points, **linearity(points)} for name, points in curves.items()}


def _projection(points, size_bytes):
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
    """A scratch directory for CLI inputs; removed by the caller's context."""
    return tempfile.TemporaryDirectory(prefix="stripper-bench-")


def profile_stripper(stripper, texts, top=12):
    """Where ``clean_many`` spends its time: the top functions by cumulative time."""
    import cProfile
    import pstats
    profiler = cProfile.Profile()
    profiler.enable()
    stripper.clean_many(texts)
    profiler.disable()
    stats = pstats.Stats(profiler)
    rows = []
    for (filename, line, function), (_, calls, own, cumulative, _) in stats.stats.items():
        rows.append({"where": f"{_short_path(filename)}:{line}({function})", "calls": calls,
                     "own_s": own, "cumulative_s": cumulative})
    ours = [r for r in rows if "site-packages" in r["where"] or "stripper/" in r["where"]]
    return {"total_s": stats.total_tt, "documents": len(texts),
            "rows": sorted(ours, key=lambda row: -row["cumulative_s"])[:top],
            "own_rows": sorted(rows, key=lambda row: -row["own_s"])[:top]}


def _short_path(filename):
    for marker in ("site-packages/", "/stripper/"):
        if marker in filename:
            return filename.split(marker, 1)[1] if marker == "site-packages/" \
                else "stripper/" + filename.split(marker, 1)[1]
    return Path(filename).name
