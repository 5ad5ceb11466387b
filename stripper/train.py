"""Training and held-out evaluation: ``stripper train`` and ``stripper eval``.

The model is fitted on every labelled document given (our fixtures and the
real-page corpora), and judged only on real pages of publishers it has not
seen: cross-validation holds out whole publishers (and whole sites), and
the figures that choose thresholds and fill the card are those of the
real-page corpora, cleaned by the whole cleaning path with a model that
never saw them. Fixtures are training data, not the yardstick.

A model is fitted in three parts, each on the units of the training
documents: the unit model (tf-idf hashed n-grams into a logistic
regression), the context trees (over the unit model's out-of-fold scores,
so they see the scores the unit model gives to text it has not read, which
is what it meets on a new site), and the kind model (which kind of debris a
debris unit is). Everything is exported to plain arrays.
"""

import logging
from dataclasses import replace
from pathlib import Path

import numpy as np

from . import native
from .core import clean_documents
from .corpus import corpus_digest, load_fixtures, load_json_corpus
from .evaluate import block_masks, label_blocks, measure, report
from .features import NgramSpec, shape_numbers, sigmoid, smooth_idf
from .labels import BOILERPLATE_KINDS, LABELS
from .blocks import splitter
from .context import context_features
from .modelfile import library_versions, save_model
from .scoring import Model
from .settings import DEFAULTS, KEEP_TARGETS
from .sites import gather_texts

log = logging.getLogger(__name__)

FOLDS = 5
INNER_FOLDS = 5
#: The corpora held-out figures are judged on (real pages); fixtures train only.
YARDSTICK = ("real-pages", "site-batches")
#: The kinds of debris the "appeals" figure counts.
APPEALS = ("donation", "membership")
#: ...and the one of batch mode on site batches (issue 12 counts subscriptions too).
SITE_APPEALS = ("donation", "membership", "subscription")
#: Thresholds the held-out curve is measured at.
THRESHOLDS = tuple(np.round(np.arange(0.30, 0.995, 0.01), 2))
#: Publishers that appear under two names in the corpora (same newsroom, or
#: the same regional-paper system): always on the same side of a split.
SAME_PUBLISHER = {"real:neues-deutschland.de": "real:nd-aktuell.de",
                  "real:ostsee-zeitung.de": "real:maz-online.de"}

#: The design, as the held-out ablation chose it (README, "How it works").
SPEC = {
    "units": "lines",
    "unit_ngrams": NgramSpec(word=(1, 2), char=(2, 4), word_bits=18, char_bits=18,
                             idf=True, sublinear=False).to_card(),
    "kind_ngrams": NgramSpec(word=(1, 1), char=(3, 4), word_bits=14, char_bits=14,
                             idf=False, sublinear=False).to_card(),
    "context": {"window": 2, "features": ["mean", "numbers"], "rounds": 1},
}
UNIT_C = 16.0
KIND_C = 4.0
TREES = dict(max_iter=200, learning_rate=0.08, max_leaf_nodes=15, min_samples_leaf=20,
             l2_regularization=1.0, early_stopping=False, random_state=0)
RULES = {"run_margin": 0.2, "tail_units": 6, "tail_floor": 0.3, "tail_anchor": 0.3}


# ------------------------------------------------------------- corpora

def load_corpora(fixture_paths, extra_paths=()):
    """Fixtures plus extra JSON corpora, and a description of each corpus."""
    docs = load_fixtures(fixture_paths) if fixture_paths else []
    corpora = [{"name": "fixtures", "documents": len(docs), "digest": corpus_digest(docs)}]
    for path in extra_paths:
        extra = load_json_corpus(path)
        docs.extend(extra)
        corpora.append({"name": extra[0].source if extra else Path(path).name,
                        "documents": len(extra), "digest": corpus_digest(extra)})
    for doc in docs:
        doc.group = SAME_PUBLISHER.get(doc.group, doc.group)
    return docs, corpora


# ------------------------------------------------------------- fitting

def fit_model(data, rows, spec=SPEC, rules=RULES):
    """Fit every part of a model on ``rows`` of ``data``; return its arrays and card.

    ``data`` is :func:`stripper.evaluate.label_blocks` of the documents,
    cut into the spec's units; ``rows`` selects the training units.
    """
    unit_ngrams = NgramSpec.from_card(spec["unit_ngrams"])
    texts = [data.texts[i] for i in rows]
    counts = _matrix(unit_ngrams.counts(texts), unit_ngrams.columns)
    y, groups, doc = data.y[rows], data.groups[rows], data.doc_of_row[rows]
    arrays = _prefixed("unit", _fit_linear(counts, y, unit_ngrams, UNIT_C, "balanced"))
    first = _out_of_fold(counts, y, groups, unit_ngrams)
    numbers = shape_numbers(texts)
    arrays.update(_fit_context(first, y, doc, spec["context"], numbers))
    kinds, kind_arrays = _fit_kinds(data, rows, NgramSpec.from_card(spec["kind_ngrams"]))
    arrays.update(_prefixed("kind", kind_arrays))
    return arrays, {"spec": {**spec, "kinds": kinds}, "rules": dict(rules)}


def _matrix(counts, columns):
    import scipy.sparse as sp
    indptr, indices, values = counts
    return sp.csr_matrix((values, indices, indptr), shape=(len(indptr) - 1, columns))


def _fit_linear(counts, y, ngrams, strength, class_weight=None):
    """A logistic regression over tf-idf n-grams of the labelled rows: idf, coef, intercept.

    ``y`` is 1/0 (debris/content) for the unit model, kind names for the
    kind model; rows with ``y == -1`` (ambiguous) only count towards idf.
    """
    from sklearn.linear_model import LogisticRegression
    idf = smooth_idf(counts.indices, counts.shape[0], counts.shape[1]) if ngrams.idf else None
    labelled = np.flatnonzero(np.asarray(y != -1))
    X = _weighted(counts[labelled], ngrams, idf)
    solver = dict(solver="liblinear") if class_weight else dict(max_iter=1000)
    classifier = LogisticRegression(C=strength, class_weight=class_weight, random_state=0,
                                    **solver).fit(X, np.asarray(y)[labelled])
    arrays = {"coef": classifier.coef_.astype(np.float32),
              "intercept": classifier.intercept_.astype(np.float64)}
    if idf is not None:
        arrays["idf"] = idf.astype(np.float32)
    return arrays | ({"classes": classifier.classes_} if not class_weight else {})


def _weighted(counts, ngrams, idf):
    """The tf-idf matrix of a count matrix, weighted exactly as scoring weighs it."""
    import scipy.sparse as sp
    data = ngrams.weights((counts.indptr, counts.indices, counts.data),
                          None if idf is None else idf.astype(np.float32))
    return sp.csr_matrix((data, counts.indices, counts.indptr), shape=counts.shape)


def _scores(counts, ngrams, arrays):
    """Unit-model debris probabilities of count rows, from exported arrays."""
    decision = ngrams.decision((counts.indptr, counts.indices, counts.data), arrays["coef"],
                               arrays["intercept"], arrays.get("idf"))
    return sigmoid(decision[:, 0])


def _out_of_fold(counts, y, groups, ngrams):
    """Each row's unit-model score from a model fitted without its group's rows."""
    scores = np.zeros(counts.shape[0])
    for train, test in _group_folds(groups, INNER_FOLDS):
        fold = _fit_linear(counts[train], y[train], ngrams, UNIT_C, "balanced")
        scores[test] = _scores(counts[test], ngrams, fold)
    return scores


def _group_folds(groups, folds, shuffle=0):
    """Folds of whole groups; ``shuffle`` > 0 deals the groups to folds in another order."""
    from sklearn.model_selection import GroupKFold
    folding = GroupKFold(n_splits=min(folds, len(set(groups))), shuffle=bool(shuffle),
                         random_state=shuffle or None)
    return folding.split(np.zeros(len(groups)), groups=groups)


def _fit_context(first, y, doc, context, numbers):
    """The context rounds' trees, as arrays ``context{n}_*``."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    labelled = np.flatnonzero(y >= 0)
    arrays, scores = {}, first
    for number in range(context["rounds"]):
        X = context_features(scores, doc, context["window"], context["features"], numbers)
        if number:
            X = np.column_stack([X, first])
        trees = HistGradientBoostingClassifier(**TREES).fit(X[labelled], y[labelled])
        exported = native.export_hist_gradient_boosting(trees)
        arrays.update(_prefixed(f"context{number}", exported))
        scores = sigmoid(native.tree_predict(X, exported))
    return arrays


def _fit_kinds(data, rows, ngrams):
    """The kind model on the debris units of ``rows``: class names and arrays."""
    debris = [i for i in rows if data.y[i] == 1]
    counts = _matrix(ngrams.counts([data.texts[i] for i in debris]), ngrams.columns)
    fitted = _fit_linear(counts, np.array([data.kinds[i] for i in debris]), ngrams, KIND_C)
    return [str(name) for name in fitted.pop("classes")], fitted


def _prefixed(prefix, arrays):
    return {f"{prefix}_{name}": value for name, value in arrays.items()}


# ---------------------------------------------------------- evaluating

def cross_validate(docs, folds=FOLDS, spec=SPEC, rules=RULES, thresholds=THRESHOLDS,
                   shuffle=0):
    """Held-out figures of the whole cleaning path at every threshold.

    ``shuffle`` > 0 deals publishers and sites to the folds in another order
    (with that seed): a second look at a difference that may be the folds'.

    Returns ``(data, fold_models, curve)``: the labelled units, each fold's
    model with the documents it holds out, and per threshold the figures
    (:func:`_figures`) of every document cleaned by the fold model that
    never saw its publisher.
    """
    data = label_blocks(docs, splitter(spec["units"]))
    fold_models = []
    for number, (train, test) in enumerate(_group_folds(data.groups, folds, shuffle)):
        log.info("fold %d of %d: %d training units", number + 1, folds, len(train))
        arrays, card = fit_model(data, train, spec, rules)
        fold_models.append((Model(arrays, {**card, "threshold": 0.5}),
                            sorted(set(data.doc_of_row[test]))))
    curve = {t: _figures(data, block_masks(docs, _clean_held_out(docs, fold_models, t)))
             for t in thresholds}
    return data, fold_models, curve


def _figures(data, masks):
    """What the curve records at one threshold: real pages pooled, each corpus, appeals."""
    real = lambda d: d.source in YARDSTICK  # noqa: E731
    return {"yardstick": measure(data, masks, real),
            "appeals": measure(data, masks, real, kind=APPEALS),
            "source": {s: measure(data, masks, lambda d, s=s: d.source == s)
                       for s in sorted({d.source for d in data.docs})}}


def _clean_held_out(docs, fold_models, threshold, sites=False):
    """Every document's blocks, cleaned by the fold model that never saw it.

    With ``sites``, documents that name their site are cleaned in batch
    mode: each site's held-out pages (a site is never split across folds)
    lend each other site evidence.
    """
    labelled = [None] * len(docs)
    settings = replace(DEFAULTS, threshold=float(threshold))
    for model, numbers in fold_models:
        texts = [docs[n].text for n in numbers]
        keys = [docs[n].meta.get("site") or None for n in numbers]
        gathered = gather_texts(zip(keys, texts)) if sites else None
        evidence = [gathered.site(k) if k else None for k in keys] if sites else None
        cleaned = clean_documents(texts, model, settings, evidence)
        for n, done in zip(numbers, cleaned):
            labelled[n] = done.blocks
    return labelled


def site_batch_figures(data, docs, fold_models, threshold):
    """Held-out figures on the pages that name their site: alone, and in batch mode."""
    batched = lambda d: bool(d.meta.get("site"))  # noqa: E731
    figures = {}
    for mode, sites in (("per_page", False), ("batch", True)):
        masks = block_masks(docs, _clean_held_out(docs, fold_models, threshold, sites))
        figures[mode] = {"all": measure(data, masks, batched),
                         "appeals": measure(data, masks, batched, kind=SITE_APPEALS)}
    return figures


def operating_points(curve, targets=KEEP_TARGETS):
    """For each keep target, the lowest threshold whose held-out real-page keep reached it."""
    points = []
    for target in targets:
        meeting = [t for t in sorted(curve) if curve[t]["yardstick"]["keep"] >= target]
        threshold = meeting[0] if meeting else max(curve)
        figures = curve[threshold]["yardstick"]
        points.append({"keep_target": target, "threshold": float(threshold),
                       "keep": figures["keep"], "remove": figures["remove"],
                       "precision": figures["precision"],
                       "appeals_remove": curve[threshold]["appeals"]["remove"]})
    return points


def evaluate(docs, folds=FOLDS, spec=SPEC, rules=RULES, shuffle=0):
    """``stripper eval``: the held-out curve, operating points, and the full report
    (per corpus, language and kind) at the default operating point."""
    data, fold_models, curve = cross_validate(docs, folds, spec, rules, shuffle=shuffle)
    points = operating_points(curve)
    default = points[0]["threshold"]
    masks = block_masks(docs, _clean_held_out(docs, fold_models, default))
    metrics = report(data, masks, pools={"yardstick": lambda d: d.source in YARDSTICK})
    metrics["pools"]["appeals"] = curve[default]["appeals"]
    return {"threshold": default, "operating_points": points, "metrics": metrics,
            "sites": site_batch_figures(data, docs, fold_models, default),
            "curve": [{"threshold": float(t), "keep": m["yardstick"]["keep"],
                       "remove": m["yardstick"]["remove"],
                       "precision": m["yardstick"]["precision"],
                       "appeals_remove": m["appeals"]["remove"]}
                      for t, m in sorted(curve.items())]}


# ------------------------------------------------------------ training

def train(fixture_paths, output_dir, extra_paths=(), folds=FOLDS):
    """Cross-validate, then fit on everything and save the model folder.

    Returns the card written beside the arrays.
    """
    from . import __version__
    docs, corpora = load_corpora(fixture_paths, extra_paths)
    result = evaluate(docs, folds)
    data = label_blocks(docs, splitter(SPEC["units"]))
    arrays, card = fit_model(data, np.arange(len(data.texts)))
    card.update({
        "name": "stripper-default",
        "version": __version__,
        "libraries": library_versions(),
        "fixtures_digest": corpora[0]["digest"],
        "corpora": corpora,
        "labels": list(LABELS),
        "debris_kinds": sorted(set(BOILERPLATE_KINDS) | {k for k in data.kinds if k}),
        "threshold": result["threshold"],
        "operating_points": result["operating_points"],
        "cv": {"method": f"GroupKFold({folds}) by publisher and site; figures on "
                         f"{', '.join(YARDSTICK)} held out",
               "metrics": result["metrics"], "curve": result["curve"],
               "sites": result["sites"]},
    })
    return save_model(output_dir, arrays, card)
