"""Training and evaluating the model: ``stripper train`` and ``stripper eval``.

Both run the same publication-held-out cross-validation: documents of one
publication (or one real-pages publisher) are never in training and
evaluation at once. The threshold is the most aggressive one whose held-out
content keep meets :data:`settings.KEEP_TARGETS`; the figures reported are
those of the whole cleaning path (fixpoint passes, glued-debris cuts) on the
held-out documents at that threshold.
"""

import logging
import pickle
from pathlib import Path

import numpy as np
from sklearn.model_selection import GroupKFold

from .core import clean_documents
from .corpus import corpus_digest, load_fixtures, load_json_corpus, without_debris
from .features import FEATURES_VERSION
from .inference import export_detector, export_kinds
from .evaluate import block_masks, choose_threshold, label_blocks, report
from .labels import BOILERPLATE_KINDS, LABELS
from .model import ContextStacker, make_kind_model
from .modelfile import FORMAT, library_versions, save_model
from .scoring import Model
from .settings import DEFAULTS, KEEP_TARGETS

log = logging.getLogger(__name__)

FOLDS = 5
THRESHOLD_STEP = 0.01
THRESHOLD_CEILING = 0.99


def load_corpora(fixture_paths, extra_paths=()):
    """Fixtures plus extra JSON corpora, and a description of each corpus."""
    docs = load_fixtures(fixture_paths) if fixture_paths else []
    corpora = [{"name": "fixtures", "documents": len(docs), "digest": corpus_digest(docs)}]
    for path in extra_paths:
        extra = load_json_corpus(path)
        docs.extend(extra)
        corpora.append({"name": Path(path).resolve().parent.name + "/" + Path(path).name,
                        "documents": len(extra), "digest": corpus_digest(extra)})
    return docs, corpora


def training_extras(docs):
    """Extra training documents: each document as a perfect clean leaves it.

    Off by default: on held-out real pages it lowered removal (0.26 to
    0.20 at the same keep), though it was meant to steady the fixpoint.
    """
    return [clean for clean in map(without_debris, docs) if clean is not None]


def cross_validate(docs, folds=FOLDS, augment=False, detector_options=None,
                   clean_options=None):
    """Held-out figures for ``docs``: threshold, and the report at it.

    ``detector_options`` go to :class:`ContextStacker` and ``clean_options``
    to the cleaning path (``split_glued``, ``run_margin``): the ablation tool varies them.

    The threshold is searched on the whole cleaning path: block-level
    held-out scores give a first guess, then a bisection between it and
    the ceiling finds the lowest one whose cleaned held-out documents meet
    the keep targets.
    """
    originals = label_blocks(docs)
    # With augment, the extras' rows follow the originals' rows in ``data``.
    data = label_blocks(docs + training_extras(docs)) if augment else originals
    splitter = GroupKFold(n_splits=min(folds, len(set(data.groups))))
    scores = np.zeros(len(data.rows))
    fold_models = []
    for number, (train, test) in enumerate(splitter.split(data.rows, data.y, data.groups)):
        log.info("fold %d of %d: %d training blocks", number + 1, folds, len(train))
        bundle = fit_bundle(data, train, detector_options)
        scores[test] = bundle["detector"].predict_proba([data.rows[i] for i in test])[:, 1]
        held_out = sorted(n for n in set(data.doc_of_row[test]) if n < len(docs))
        fold_models.append((bundle, held_out))
    scores = scores[:len(originals.rows)]
    data = originals
    targets = {source: keep for source, keep in KEEP_TARGETS.items()
               if any(d.source == source for d in docs)}
    guess = choose_threshold(data, scores, targets)

    def outcome(threshold):
        labelled = _clean_held_out(docs, fold_models, threshold, clean_options or {})
        metrics = report(data, block_masks(docs, labelled))
        met = all(metrics["source"][source]["keep"] >= keep for source, keep in targets.items())
        log.info("threshold %.2f: keep targets %s", threshold, "met" if met else "not met")
        return met, metrics

    return _lowest_meeting(outcome, guess)


def _lowest_meeting(outcome, guess):
    """Bisect for the lowest threshold (in steps of 0.01) whose outcome is met.

    Keep rises with the threshold, so the search is between the block-level
    guess and the ceiling; the ceiling is returned if nothing lower meets.
    """
    met, metrics = outcome(guess)
    if met:
        return guess, metrics
    low, high = guess, THRESHOLD_CEILING
    high_met, high_metrics = outcome(high)
    if not high_met:
        return high, high_metrics
    while round(high - low, 2) > THRESHOLD_STEP:
        middle = round((low + high) / 2, 2)
        met, metrics = outcome(middle)
        if met:
            high, high_metrics = middle, metrics
        else:
            low = middle
    return high, high_metrics


def _clean_held_out(docs, fold_models, threshold, clean_options):
    """Classify each document with the fold model that never saw its publication."""
    labelled = [None] * len(docs)
    settings = DEFAULTS.with_options(threshold=threshold, **clean_options)
    for bundle, doc_numbers in fold_models:
        cleaned = clean_documents([docs[n].text for n in doc_numbers], Model(bundle), settings)
        for n, done in zip(doc_numbers, cleaned):
            labelled[n] = done.blocks
    return labelled


def fit_bundle(data, rows_selected=None, detector_options=None):
    """Fit detector and kind model on the selected rows (all by default)."""
    selected = np.arange(len(data.rows)) if rows_selected is None else np.asarray(rows_selected)
    rows = [data.rows[i] for i in selected]
    detector = ContextStacker(**(detector_options or {})).fit(rows, data.y[selected],
                                                             data.groups[selected])
    debris = [i for i in selected if data.y[i] == 1]
    kinds = make_kind_model().fit([data.rows[i] for i in debris], [data.kinds[i] for i in debris])
    return {"format": FORMAT, "features": FEATURES_VERSION, "detector": detector, "kinds": kinds,
            "threshold": 0.5}


def shippable(bundle, threshold):
    """The bundle as shipped: exported weights for cleaning, the pipeline beside.

    Cleaning runs on the exported arrays (no scikit-learn import); the
    fitted scikit-learn objects travel pickled inside the same file, so a
    test can check the two give the same scores.
    """
    _forget_address_caches(bundle["detector"].block_model_, bundle["kinds"])
    return {
        "format": bundle["format"], "features": bundle["features"], "threshold": threshold,
        "detector": export_detector(bundle["detector"]), "kinds": export_kinds(bundle["kinds"]),
        "sklearn": pickle.dumps({"detector": bundle["detector"], "kinds": bundle["kinds"]},
                                protocol=pickle.HIGHEST_PROTOCOL),
    }


def _forget_address_caches(*pipelines):
    """Drop scikit-learn's memory-address caches from fitted pipelines, in place.

    A fitted HashingVectorizer remembers ``id(stop_words)`` to skip a check
    next time; pickled, that address differs between runs, and so would the
    model file's bytes and SHA-256. scikit-learn recomputes it when absent.
    """
    for pipeline in pipelines:
        for part in pipeline.get_params(deep=True).values():
            if hasattr(part, "_stop_words_id"):
                del part._stop_words_id


def train(fixture_paths, output_dir, extra_paths=(), folds=FOLDS):
    """Cross-validate, then fit on everything and save model and card.

    Returns the card written beside the model.
    """
    from . import __version__
    docs, corpora = load_corpora(fixture_paths, extra_paths)
    threshold, metrics = cross_validate(docs, folds)
    data = label_blocks(docs)
    bundle = shippable(fit_bundle(data), threshold)
    card = {
        "name": "stripper-default",
        "version": __version__,
        "libraries": library_versions(),
        "fixtures_digest": corpora[0]["digest"],
        "corpora": corpora,
        "labels": list(LABELS),
        "kinds": sorted(set(BOILERPLATE_KINDS) | {k for k in data.kinds if k}),
        "threshold": threshold,
        "keep_targets": KEEP_TARGETS,
        "cv": {"method": f"GroupKFold({folds}) by publication", "metrics": metrics},
    }
    return save_model(bundle, card, output_dir)
