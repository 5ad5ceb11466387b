"""Micro-benchmark of the scoring core: ``python -m bench.native_micro``.

Prints throughput, in CPU seconds of this process (so per core), of each
function of :mod:`stripper.native` compiled and as its numpy twin:

* ``hash_ngrams`` with the bundled model's unit n-gram spec, in MB/s of
  UTF-8 text, on the fixtures' lines (and the real pages' with
  ``--real-pages``), one call per document as cleaning makes them and one
  call for the whole corpus;
* ``linear_decision`` with the bundled model's unit weights, in lines/s;
* ``tree_predict`` with the bundled model's context trees, in rows/s;
* ``split_lines`` against the pure-Python ``stripper.blocks.split_lines``.

Each figure is the best of ``--repeats`` runs.
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
from stripper.features import prepared  # noqa: E402
from stripper.modelfile import load_model  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
REAL_PAGES = ROOT.parent / "shared" / "data" / "real-pages" / "docs"
#: Rows of context features per tree_predict call: one document's, and a batch's.
TREE_ROWS = (300, 20_000)


def best_cpu(function, repeats):
    """The least CPU time of ``repeats`` calls of ``function()``."""
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        function()
        best = min(best, time.process_time() - start)
    return best


def documents(real_pages):
    """Each document's texts as the unit model hashes them: its lines, prepared."""
    from stripper.corpus import load_json_corpus
    docs = load_fixtures([ROOT / "fixtures"])
    if real_pages and REAL_PAGES.is_dir():
        docs += load_json_corpus(REAL_PAGES)
    return [[prepared(doc.text[a:b]) for a, b in native.split_lines(doc.text)] for doc in docs]


def _both(name, run, amount, unit, repeats):
    """Print ``amount / CPU s`` for the core and the twin."""
    for label, use_core in (("core", True), ("numpy twin", False)):
        seconds = best_cpu(lambda: run(use_core), repeats)
        print(f"  {name + ', ' + label:48s} {amount / seconds:14,.2f} {unit}")


def hashing(docs, spec, repeats):
    """hash_ngrams per document and for the whole corpus."""
    size = sum(len(u.encode("utf-8")) for units in docs for u in units) / 1e6
    everything = [u for units in docs for u in units]
    arguments = (spec.word, spec.char, spec.word_bits, spec.char_bits)
    print(f"hash_ngrams on {len(docs)} documents, {len(everything)} lines, {size:.2f} MB")
    _both("one call per document", lambda core: [native.hash_ngrams(u, *arguments, use_core=core)
                                                 for u in docs], size, "MB/s", repeats)
    _both("one call for the corpus", lambda core: native.hash_ngrams(everything, *arguments,
                                                                     use_core=core),
          size, "MB/s", repeats)


def scoring(docs, model, repeats):
    """linear_decision with the model's unit weights, per document."""
    spec = model.unit_ngrams
    arguments = (spec.word, spec.char, spec.word_bits, spec.char_bits)
    csrs = [native.hash_ngrams(u, *arguments) for u in docs]
    lines = sum(len(c[0]) - 1 for c in csrs)
    weights = (np.asarray(model.arrays["unit_coef"]), np.asarray(model.arrays["unit_intercept"]))
    idf = np.asarray(model.arrays["unit_idf"]) if spec.idf else None
    blocks = native.analyzer_blocks(*arguments)
    print(f"linear_decision (tf-idf, l2 per analyzer) on {lines} lines")
    _both("one call per document", lambda core: [
        native.linear_decision(*c, *weights, idf=idf, sublinear=spec.sublinear,
                               norm_blocks=blocks, use_core=core) for c in csrs],
        lines, "lines/s", repeats)


def trees(model, repeats):
    """tree_predict with the model's first context round."""
    ensemble = model.rounds[0]
    width = int(np.asarray(ensemble["feature"]).max()) + 1
    print(f"tree_predict: {len(ensemble['roots'])} trees, {len(ensemble['value'])} nodes")
    rng = np.random.default_rng(0)
    for rows in TREE_ROWS:
        X = rng.random((rows, width))
        _both(f"{rows} rows", lambda core: native.tree_predict(X, ensemble, use_core=core),
              rows, "rows/s", repeats)


def splitting(docs, repeats):
    """split_lines compiled, twin, and the pure-Python block splitter's line pass."""
    from stripper.blocks import split_lines
    texts = ["\n".join(units) for units in docs]
    size = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    print(f"split_lines on {len(texts)} documents, {size:.2f} MB")
    _both("native.split_lines", lambda core: [native.split_lines(t, use_core=core)
                                              for t in texts], size, "MB/s", repeats)
    seconds = best_cpu(lambda: [split_lines(t) for t in texts], repeats)
    print(f"  {'blocks.split_lines (Python)':48s} {size / seconds:14,.2f} MB/s")


def main():
    """Command line: every figure, core and twin."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--real-pages", action="store_true",
                        help="add ../shared/data/real-pages/docs to the fixtures")
    args = parser.parse_args()
    if not native.HAVE_CORE:
        raise SystemExit("stripper._core is not built: pip install -e . first")
    model = load_model()
    docs = documents(args.real_pages)
    hashing(docs, model.unit_ngrams, args.repeats)
    scoring(docs, model, args.repeats)
    trees(model, args.repeats)
    splitting(docs, args.repeats)


if __name__ == "__main__":
    main()
