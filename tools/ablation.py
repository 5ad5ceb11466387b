"""Ablation: which feature families and context choices move real-page figures.

Each variant runs the same publication-held-out cross-validation as
``stripper eval`` on fixtures plus real pages, with the threshold searched
so that held-out keep meets the targets, and prints keep / remove /
precision on real pages and on fixtures, and donation and membership
removal on real pages.

Usage: python tools/ablation.py [VARIANT ...] [--real-pages DIR] [--fixtures DIR]
"""

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from stripper.model import make_block_model  # noqa: E402
from stripper.train import cross_validate, load_corpora  # noqa: E402

#: name -> (detector options, cleaning options, augment, description)
VARIANTS = {
    "shipped": ({}, {}, False, "the shipped design"),
    "no-context": ({"use_context": False}, {}, False, "block model alone"),
    "one-round": ({"rounds": 1}, {}, False, "a single context round"),
    "three-rounds": ({"rounds": 3}, {}, False, "three context rounds"),
    "positions": ({"positions": True}, {}, False, "context also reads position in document"),
    "no-layout": ({"block_model": make_block_model(layout=False)}, {}, False,
                  "block model without layout and lexicon features"),
    "no-context-layout": ({"context_layout": False}, {}, False,
                          "context model without the block's own layout features"),
    "glued-cuts": ({}, {"split_glued": True}, False, "cut glued debris off paragraphs"),
    "augmented": ({}, {}, True, "also train on perfectly cleaned copies"),
    "no-run-growth": ({}, {"run_margin": 0.0}, False,
                      "decide every block by the threshold alone"),
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variants", nargs="*", default=list(VARIANTS),
                        help=f"some of: {', '.join(VARIANTS)} (default: all)")
    parser.add_argument("--real-pages", default=str(ROOT.parent / "shared/data/real-pages/docs"))
    parser.add_argument("--fixtures", default=str(ROOT / "fixtures"))
    args = parser.parse_args(argv)
    unknown = set(args.variants) - set(VARIANTS)
    if unknown:
        parser.error(f"unknown variant(s): {', '.join(sorted(unknown))}")
    docs, _ = load_corpora([args.fixtures], [args.real_pages])
    print("| variant | threshold | real keep | real remove | real precision | donation | "
          "membership | fixtures keep | fixtures remove |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name in args.variants:
        detector, cleaning, augment, _ = VARIANTS[name]
        threshold, metrics = cross_validate(docs, augment=augment, detector_options=detector,
                                            clean_options=cleaning)
        real, fixtures = metrics["source"]["docs"], metrics["source"]["fixtures"]
        kinds = metrics["source_kind"]["docs"]
        print(f"| {name} | {threshold:.2f} | {real['keep']:.3f} | {real['remove']:.3f} | "
              f"{real['precision']:.3f} | {kinds['donation']['remove']:.2f} | "
              f"{kinds['membership']['remove']:.2f} | {fixtures['keep']:.3f} | "
              f"{fixtures['remove']:.3f} |", flush=True)


if __name__ == "__main__":
    main()
