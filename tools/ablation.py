"""Ablation: what each part of the design does to held-out real pages.

Every variant runs ``stripper eval``'s cross-validation (publishers and
sites held out; fixtures train only) with one change to the shipped design
(``stripper.train.SPEC`` / ``RULES``), and prints removal at keep >= 0.99
and >= 0.98 and appeal removal on the pooled held-out real pages.

The removal at a keep target sits on a steep part of the curve, so one
fold assignment can favour a variant by a few hundredths. ``--shuffles``
runs each variant under several assignments (0: the one ``stripper train``
uses; N > 0: publishers and sites dealt to folds with seed N) and prints
the mean and the spread, and each run's figures.

Usage: python tools/ablation.py [VARIANT ...] [--shuffles N ...] [--fixtures DIR] [--extra DIR ...]
"""

import argparse
import copy
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from stripper import train  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"


def _spec(**changes):
    spec = copy.deepcopy(train.SPEC)
    for key, value in changes.items():
        section, _, name = key.partition("__")
        if name:
            spec[section][name] = value
        else:
            spec[section] = value
    return spec


#: name -> (spec, rules, description)
VARIANTS = {
    "shipped": (train.SPEC, train.RULES, "the shipped design"),
    "blocks": (_spec(units="blocks"), train.RULES, "paragraphs (hard-wrap joiner) as units"),
    "no-numbers": (_spec(context__features=["mean"]), train.RULES,
                   "context without the six shape numbers"),
    "window-1": (_spec(context__window=1), train.RULES, "one neighbour either side"),
    "window-3": (_spec(context__window=3), train.RULES, "three neighbours either side"),
    "two-rounds": (_spec(context__rounds=2), train.RULES, "two context rounds"),
    "no-context": (_spec(context__rounds=0), train.RULES, "the unit model alone"),
    "no-idf": (_spec(unit_ngrams__idf=False), train.RULES, "raw hashed counts, no idf"),
    "no-rules": (train.SPEC, {"run_margin": 0.0, "tail_units": 0}, "threshold alone"),
    "no-tail": (train.SPEC, {**train.RULES, "tail_units": 0}, "without the tail rule"),
    "margin-0.13": (train.SPEC, {**train.RULES, "run_margin": 0.13}, "run margin 0.13"),
}


def parse_args(argv=None):
    """The command line: the variants to run (all, in table order, when none is named)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # Checked here, not by argparse: with nargs="*" it checks a list default as one choice.
    parser.add_argument("variants", nargs="*", metavar="VARIANT",
                        help=f"any of: {', '.join(VARIANTS)} (default: all)")
    parser.add_argument("--fixtures", default=str(ROOT / "fixtures"))
    parser.add_argument("--extra", action="append",
                        default=None, help="labelled JSON corpora (default: ../shared's)")
    parser.add_argument("--folds", type=int, default=train.FOLDS)
    parser.add_argument("--shuffles", type=int, nargs="+", default=[0], metavar="N",
                        help="fold assignments to run each variant under (default: 0)")
    args = parser.parse_args(argv)
    unknown = [name for name in args.variants if name not in VARIANTS]
    if unknown:
        parser.error(f"unknown variant {unknown[0]!r}; choose from {', '.join(VARIANTS)}")
    args.variants = args.variants or list(VARIANTS)
    return args


def main(argv=None):
    args = parse_args(argv)
    extra = args.extra or [str(SHARED / "real-pages" / "docs"),
                           str(SHARED / "site-batches" / "docs")]
    docs, _ = train.load_corpora([args.fixtures], extra)
    print("| variant | remove @0.99 | remove @0.98 | appeals @0.99 | what | each run |")
    print("|---|---|---|---|---|---|")
    for name in args.variants:
        spec, rules, description = VARIANTS[name]
        runs = [figures(train.evaluate(docs, args.folds, spec, rules, shuffle=shuffle))
                for shuffle in args.shuffles]
        columns = [summary([run[k] for run in runs]) for k in range(3)]
        each = "; ".join("/".join(shown(value) for value in run) for run in runs)
        print(f"| {name} | {' | '.join(columns)} | {description} | {each} |", flush=True)


def figures(result):
    """Removal at keep 0.99 and 0.98, and appeal removal at 0.99, of one evaluation.

    Each is ``(value, keep)``, with the keep reached when no threshold of the
    curve reached the target (a variant whose scores pile up at the top can
    miss it: its figure is then at a lower keep and does not compare), else
    ``(value, None)``.
    """
    at = {p["keep_target"]: p for p in result["operating_points"]}
    short = {target: at[target]["keep"] if at[target]["keep"] < target else None
             for target in (0.99, 0.98)}
    return ((at[0.99]["remove"], short[0.99]), (at[0.98]["remove"], short[0.98]),
            (at[0.99]["appeals_remove"], short[0.99]))


def shown(figure):
    """``0.274``, or ``0.329 (keep 0.985)`` when the keep target was not reached."""
    value, keep = figure
    return f"{value:.3f}" if keep is None else f"{value:.3f} (keep {keep:.3f})"


def summary(figures_of_runs):
    """One figure, or the mean ± the standard deviation of several; marked when any
    run missed its keep target."""
    values = [value for value, _ in figures_of_runs]
    missed = [keep for _, keep in figures_of_runs if keep is not None]
    mark = f" (keep target missed: {min(missed):.3f})" if missed else ""
    if len(values) == 1:
        return shown(figures_of_runs[0])
    return f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}{mark}"


if __name__ == "__main__":
    main()
