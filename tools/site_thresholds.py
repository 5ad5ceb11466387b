"""Site batches held out: each page alone and in batch mode, at several thresholds.

Cross-validates the shipped design once (publishers and sites held out, as
``stripper train`` does), then cleans the held-out site batches with each
fold's model at every threshold named, alone and with site evidence, and
prints keep, removal and appeal removal (donation, membership and
subscription) for both. It shows what a stricter per-page threshold costs in
batch mode, where repeated debris goes whatever the threshold.

Usage: OMP_NUM_THREADS=1 python tools/site_thresholds.py [THRESHOLD ...]
"""

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from stripper import train  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
THRESHOLDS = (0.93, 0.96, 0.98, 0.99, 1.0)


def parse_args(argv=None):
    """The thresholds to measure (default: :data:`THRESHOLDS`), each within [0, 1]."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("thresholds", nargs="*", type=float, metavar="THRESHOLD")
    args = parser.parse_args(argv)
    if any(not 0.0 <= t <= 1.0 for t in args.thresholds):
        parser.error("a threshold is a number from 0 to 1")
    args.thresholds = args.thresholds or list(THRESHOLDS)
    return args


def row(threshold, figures):
    """One table row: the threshold, then keep / remove / appeals alone and in batch mode."""
    cells = [f"{figures[mode]['all']['keep']:.4f} / {figures[mode]['all']['remove']:.3f} / "
             f"{figures[mode]['appeals']['remove']:.3f}" for mode in ("per_page", "batch")]
    return f"| {threshold:g} | {cells[0]} | {cells[1]} |"


def main(argv=None):
    args = parse_args(argv)
    docs, _ = train.load_corpora([str(ROOT / "fixtures")],
                                 [str(SHARED / "real-pages" / "docs"),
                                  str(SHARED / "site-batches" / "docs")])
    data, fold_models, _ = train.cross_validate(docs, thresholds=(args.thresholds[0],))
    print("| threshold | alone: keep / remove / appeals | batch: keep / remove / appeals |")
    print("|---|---|---|")
    for threshold in args.thresholds:
        print(row(threshold, train.site_batch_figures(data, docs, fold_models, threshold)),
              flush=True)


if __name__ == "__main__":
    main()
