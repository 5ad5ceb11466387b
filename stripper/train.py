"""Training and evaluating the model: ``stripper train`` and ``stripper eval``.

Both run the same publication-held-out cross-validation: documents of one
publication (or one real-pages publisher) are never in training and
evaluation at once. The threshold is the most aggressive one whose held-out
content keep meets :data:`settings.KEEP_TARGETS`; the figures reported are
those of the whole cleaning path (fixpoint passes, glued-debris cuts) on the
held-out documents at that threshold.
"""

import logging
from pathlib import Path

import numpy as np
from sklearn.model_selection import GroupKFold

from .core import Stripper
from .corpus import corpus_digest, load_fixtures, load_json_corpus
from .evaluate import block_masks, choose_threshold, label_blocks, report
from .labels import BOILERPLATE_KINDS, LABELS
from .model import ContextStacker, make_kind_model
from .modelfile import FORMAT, library_versions, save_model
from .settings import KEEP_TARGETS

log = logging.getLogger(__name__)

FOLDS = 5


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


def cross_validate(docs, folds=FOLDS):
    """Held-out figures for ``docs``: threshold, and the report at it."""
    data = label_blocks(docs)
    splitter = GroupKFold(n_splits=min(folds, len(set(data.groups))))
    scores = np.zeros(len(data.rows))
    fold_models = []
    for number, (train, test) in enumerate(splitter.split(data.rows, data.y, data.groups)):
        log.info("fold %d of %d: %d training blocks", number + 1, folds, len(train))
        bundle = fit_bundle(data, train)
        scores[test] = bundle["detector"].predict_proba([data.rows[i] for i in test])[:, 1]
        fold_models.append((bundle, sorted(set(data.doc_of_row[test]))))
    targets = {source: keep for source, keep in KEEP_TARGETS.items()
               if any(d.source == source for d in docs)}
    threshold = choose_threshold(data, scores, targets)
    labelled = [None] * len(docs)
    for bundle, doc_numbers in fold_models:
        bundle["threshold"] = threshold
        stripper = Stripper.from_bundle(bundle)
        results = stripper.classify_many([docs[n].text for n in doc_numbers])
        for n, blocks in zip(doc_numbers, results):
            labelled[n] = blocks
    return threshold, report(data, block_masks(docs, labelled))


def fit_bundle(data, rows_selected=None):
    """Fit detector and kind model on the selected rows (all by default)."""
    selected = np.arange(len(data.rows)) if rows_selected is None else np.asarray(rows_selected)
    rows = [data.rows[i] for i in selected]
    detector = ContextStacker().fit(rows, data.y[selected], data.groups[selected])
    debris = [i for i in selected if data.y[i] == 1]
    kinds = make_kind_model().fit([data.rows[i] for i in debris], [data.kinds[i] for i in debris])
    return {"format": FORMAT, "detector": detector, "kinds": kinds, "threshold": 0.5}


def train(fixture_paths, output_dir, extra_paths=(), folds=FOLDS):
    """Cross-validate, then fit on everything and save model and card.

    Returns the card written beside the model.
    """
    from . import __version__
    docs, corpora = load_corpora(fixture_paths, extra_paths)
    threshold, metrics = cross_validate(docs, folds)
    data = label_blocks(docs)
    bundle = fit_bundle(data)
    bundle["threshold"] = threshold
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
