"""Micro-benchmark of the scoring core: ``python -m bench.native_micro``.

Prints throughput, in CPU seconds of this process (so per core), of:

* hashing n-grams: ``stripper.native.hash_ngrams`` compiled and as its
  numpy twin, against today's path (``stripper.inference._ngrams`` and
  ``mmh3.hash``, bucketed and counted per text as ``_hashed_dot`` does), in
  MB/s of UTF-8 text, on the fixtures' lines (and the real pages' when the
  workspace has them, with ``--real-pages``);
* the tree ensemble: ``native.tree_predict`` compiled and twin against
  ``stripper.context.predict_trees``, in rows/s, on a scikit-learn model of
  the context model's shape (200 trees of 15 leaves) fitted here;
* splitting lines and the linear scorer, for scale.

Each figure is the best of ``--repeats`` runs. Work per call is one
document's lines (as cleaning does) and, for the core, also the whole
corpus in one call.
"""

import argparse
import os
import time
from pathlib import Path

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import numpy as np  # noqa: E402

from stripper import native  # noqa: E402
from stripper.corpus import load_fixtures  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
REAL_PAGES = ROOT.parent / "shared" / "data" / "real-pages" / "docs"
WORD = {"kind": "word", "ngrams": (1, 2), "n_features": 2 ** 18,
        "token_pattern": r"(?u)\b\w+\b"}
CHAR = {"kind": "char_wb", "ngrams": (2, 4), "n_features": 2 ** 18, "token_pattern": None}


def best_cpu(function, repeats):
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        function()
        best = min(best, time.process_time() - start)
    return best


def documents(real_pages):
    texts = [doc.text for doc in load_fixtures([ROOT / "fixtures"])]
    if real_pages and REAL_PAGES.is_dir():
        import json

        texts += [json.loads(p.read_text(encoding="utf-8"))["text"]
                  for p in sorted(REAL_PAGES.glob("*.json"))]
    # What the scorer hashes: each document's non-blank lines, lower-cased.
    return [[text[a:b].lower() for a, b in native.split_lines(text)] for text in texts]


def mmh3_path(units):
    import mmh3

    from stripper.inference import _ngrams

    for text in units:
        for spec in (WORD, CHAR):
            grams = _ngrams(text, spec)
            if grams:
                hashes = np.fromiter(map(mmh3.hash, grams), dtype=np.int64, count=len(grams))
                np.unique(np.abs(hashes) % spec["n_features"], return_counts=True)


def hashing(docs, repeats):
    size = sum(len(u.encode("utf-8")) for units in docs for u in units) / 1e6
    everything = [u for units in docs for u in units]
    print(f"hash_ngrams on {len(docs)} documents, {len(everything)} lines, {size:.2f} MB")
    runs = {
        "core, one call per document": lambda: [native.hash_ngrams(u, use_core=True)
                                                for u in docs],
        "core, one call for the corpus": lambda: native.hash_ngrams(everything, use_core=True),
        "numpy twin, one call per document": lambda: [native.hash_ngrams(u, use_core=False)
                                                      for u in docs],
        "numpy twin, one call for the corpus": lambda: native.hash_ngrams(everything,
                                                                          use_core=False),
        "today: _ngrams + mmh3.hash, per line": lambda: [mmh3_path(u) for u in docs],
    }
    for name, run in runs.items():
        seconds = best_cpu(run, repeats)
        print(f"  {name:40s} {size / seconds:8.2f} MB/s")


def trees(repeats):
    from sklearn.ensemble import HistGradientBoostingClassifier

    from stripper.context import export_trees, predict_trees

    rng = np.random.default_rng(0)
    X = rng.random((20_000, 24))
    y = (X[:, :6].sum(axis=1) + rng.normal(0, 0.5, len(X)) > 3).astype(int)
    model = HistGradientBoostingClassifier(max_iter=200, max_leaf_nodes=15,
                                           early_stopping=False, random_state=0).fit(X, y)
    ours, todays = native.export_hist_gradient_boosting(model), export_trees(model)
    print(f"tree_predict: {len(ours['roots'])} trees, {len(ours['value'])} nodes, 24 features")
    for rows in (300, 20_000):
        sample = X[:rows]
        runs = {
            "core": lambda: native.tree_predict(sample, ours, use_core=True),
            "numpy twin": lambda: native.tree_predict(sample, ours, use_core=False),
            "today: context.predict_trees": lambda: predict_trees(todays, sample),
        }
        for name, run in runs.items():
            seconds = best_cpu(run, repeats)
            print(f"  {rows:6d} rows, {name:30s} {rows / seconds:12,.0f} rows/s")


def lines_and_scores(docs, repeats):
    from stripper.blocks import split_lines

    texts = ["\n".join(units) for units in docs]
    size = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    print(f"split_lines on {len(texts)} documents, {size:.2f} MB")
    for name, run in {"core": lambda: [native.split_lines(t, use_core=True) for t in texts],
                      "numpy twin": lambda: [native.split_lines(t, use_core=False)
                                             for t in texts],
                      "today: blocks.split_lines": lambda: [split_lines(t) for t in texts]
                      }.items():
        print(f"  {name:40s} {size / best_cpu(run, repeats):8.2f} MB/s")
    csrs = [native.hash_ngrams(u) for u in docs]
    rows = sum(len(c[0]) - 1 for c in csrs)
    W = np.random.default_rng(1).normal(size=(1, 2 ** 19))
    blocks = native.analyzer_blocks()
    print(f"linear_decision (l2 per analyzer, one class) on {rows} lines")
    for name, use_core in (("core", True), ("numpy twin", False)):
        seconds = best_cpu(lambda: [native.linear_decision(*c, W, norm_blocks=blocks,
                                                           use_core=use_core)
                                    for c in csrs], repeats)
        print(f"  {name:40s} {rows / seconds:12,.0f} rows/s")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--real-pages", action="store_true",
                        help="add ../shared/data/real-pages/docs to the fixtures")
    args = parser.parse_args()
    if not native.HAVE_CORE:
        raise SystemExit("stripper._core is not built: pip install -e . first")
    docs = documents(args.real_pages)
    hashing(docs, args.repeats)
    trees(args.repeats)
    lines_and_scores(docs, args.repeats)


if __name__ == "__main__":
    main()
