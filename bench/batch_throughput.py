"""Directory throughput at -j 1 and -j 2, and peak memory on a long JSONL stream.

Usage: python bench/batch_throughput.py [--files 240] [--stream-mb 1024]

1. Throughput: the fixture documents (text only, markers removed) are
   written as ``--files`` text files into a temporary tree, which
   ``stripper clean DIR -o OUT`` cleans at ``-j 1`` and then at ``-j 2``
   in this one run. Wall time includes starting the workers and loading
   the model in each. The outputs of both runs must be byte-identical.
2. Memory: ``stripper clean --jsonl`` reads a generated stream from a pipe
   (nothing is stored on disk) and its peak RSS is measured at a tenth of
   ``--stream-mb`` and at the full size. Each record carries a 250 kB
   field that passes through untouched and a short article to clean, so
   a gigabyte streams through in minutes; the ratio of the two peaks
   shows whether memory grows with the stream.

Figures print as ratios; the load average is printed too, because other
processes on the machine slow both runs.
"""

import argparse
import filecmp
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.speed import LAUNCHER  # noqa: E402
from stripper.corpus import load_fixtures  # noqa: E402

STRIPPER = [sys.executable, "-m", "stripper"]
PASSTHROUGH = 250_000  # bytes of untouched payload per record


def main():
    """Both measurements, with the load average before and after."""
    options = parse_args()
    texts = [doc.text for doc in load_fixtures([ROOT / "fixtures"])]
    print(f"load average before: {format_load()}")
    with tempfile.TemporaryDirectory(prefix="stripper-bench-") as scratch:
        throughput(Path(scratch), texts, options.files)
    memory(texts, options.stream_mb)
    print(f"load average after: {format_load()}")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=240, help="text files in the corpus")
    parser.add_argument("--stream-mb", type=int, default=1024, help="JSONL stream size, MB")
    return parser.parse_args()


def format_load():
    """The 1, 5 and 15 minute load averages."""
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


# ---------------------------------------------------------------- throughput

def throughput(scratch, texts, count):
    """Clean one corpus at -j 1 and -j 2; print both rates and whether the outputs agree."""
    corpus = make_corpus(scratch / "corpus", texts, count)
    size = sum(p.stat().st_size for p in corpus.rglob("*.txt"))
    print(f"\ncorpus: {count} files, {size / 1e6:.2f} MB")
    seconds = {jobs: timed_batch(corpus, scratch / f"out-j{jobs}", jobs) for jobs in (1, 2)}
    for jobs, elapsed in seconds.items():
        print(f"-j {jobs}: {elapsed:7.1f} s  {count / elapsed:6.2f} files/s  "
              f"{size / elapsed / 1e3:7.1f} kB/s")
    print(f"speed-up -j 2 / -j 1: {seconds[1] / seconds[2]:.2f}x  (target >= 1.7x)")
    same = same_tree(scratch / "out-j1", scratch / "out-j2")
    print(f"outputs byte-identical across -j: {same}")


def make_corpus(root, texts, count):
    """``count`` text files in eight folders under ``root``, cycling through ``texts``."""
    for n in range(count):
        path = root / f"part{n % 8}" / f"doc{n:05}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(texts[n % len(texts)], encoding="utf-8")
    return root


def timed_batch(corpus, outdir, jobs):
    """Wall seconds of ``stripper clean CORPUS -o OUTDIR -j JOBS``."""
    started = time.monotonic()
    subprocess.run([*STRIPPER, "clean", str(corpus), "-o", str(outdir), "-j", str(jobs)],
                   check=True, stderr=subprocess.DEVNULL)
    return time.monotonic() - started


def same_tree(left, right):
    """Do two output trees hold the same files with the same bytes?"""
    names = sorted(str(p.relative_to(left)) for p in left.rglob("*") if p.is_file())
    other = sorted(str(p.relative_to(right)) for p in right.rglob("*") if p.is_file())
    return names == other and all(filecmp.cmp(left / n, right / n, shallow=False)
                                  for n in names)


# ---------------------------------------------------------------- memory

def memory(texts, stream_mb):
    """Peak RSS at a tenth of the stream and at all of it, and their ratio."""
    print()
    small = peak_rss(texts, stream_mb // 10)
    large = peak_rss(texts, stream_mb)
    print(f"peak RSS ratio {stream_mb} MB / {stream_mb // 10} MB stream: {large / small:.2f}  "
          f"(flat memory: about 1.0)")


def peak_rss(texts, megabytes):
    """Stream ``megabytes`` of records through ``clean --jsonl``; its peak RSS in MB.

    The command is started by bench.speed's small launcher, which reads
    its usage with ``os.wait4``: started from this process it would report
    this process's peak instead (Linux carries it across fork and exec).
    The command inherits the launcher's stdin, the pipe written here.
    """
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="stripper-bench-") as scratch:
        usage = Path(scratch) / "usage"
        process = subprocess.Popen([sys.executable, "-S", "-c", LAUNCHER, str(usage),
                                    *STRIPPER, "clean", "--jsonl"],
                                   stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
        written = records = 0
        payload = "x" * PASSTHROUGH
        while written < megabytes * 1e6:
            text = texts[records % len(texts)][:400]  # a headline and a paragraph or two
            line = (json.dumps({"id": records, "payload": payload, "text": text}) + "\n").encode()
            process.stdin.write(line)
            written += len(line)
            records += 1
        process.stdin.close()
        process.wait()
        code, _, _, _, rss_kb = usage.read_text().split()
    if int(code):
        raise SystemExit(f"stripper failed with exit code {code}")
    peak = float(rss_kb) / 1024  # kB on Linux
    print(f"stream {written / 1e6:7.0f} MB, {records} records: peak RSS {peak:6.0f} MB, "
          f"{time.monotonic() - started:6.1f} s")
    return peak


if __name__ == "__main__":
    main()
