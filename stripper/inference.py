"""Scoring with weights exported from the trained pipeline, without scikit-learn.

Importing scikit-learn costs seconds and a few hundred megabytes; cleaning
needs none of it. At training time the fitted pipeline's weights are copied
into plain arrays: the hashed n-gram and layout weights of the block model,
the context model's trees, the kind model's weights. Here the same n-grams
are hashed with MurmurHash3 (as scikit-learn's HashingVectorizer does) and
scored with numpy. A test checks the scores against the pipeline itself on
every fixture.
"""

import math
import re

import mmh3
import numpy as np

from .context import context_rounds
from .features import layout_features, row_texts

_RUNS_OF_SPACE = re.compile(r"\s\s+")


def export_detector(stacker):
    """A :class:`FastDetector` holding a fitted ContextStacker's weights."""
    union = stacker.block_model_.named_steps["features"]
    classifier = stacker.block_model_.named_steps["classify"]
    return FastDetector(
        analyzers=[_analyzer_spec(union, name) for name in ("words", "chars")],
        layout="layout" in dict(union.transformer_list),
        coef=classifier.coef_.ravel().astype(np.float64),
        intercept=float(classifier.intercept_[0]),
        trees=getattr(stacker, "context_trees_", None),
        positions=stacker.positions, context_layout=stacker.context_layout)


def export_kinds(pipeline):
    """A :class:`FastKinds` holding a fitted kind model's weights."""
    union = pipeline.named_steps["features"]
    classifier = pipeline.named_steps["classify"]
    return FastKinds(analyzers=[_analyzer_spec(union, name) for name in ("words", "chars")],
                     coef=classifier.coef_.astype(np.float64),
                     intercept=classifier.intercept_.astype(np.float64),
                     classes=[str(c) for c in classifier.classes_])


def _analyzer_spec(union, name):
    vectorizer = dict(union.transformer_list)[name].steps[-1][1]
    return {"kind": vectorizer.analyzer, "ngrams": tuple(vectorizer.ngram_range),
            "n_features": int(vectorizer.n_features), "token_pattern": vectorizer.token_pattern}


class FastDetector:
    """Block and context scores from exported arrays; same interface as ContextStacker."""

    def __init__(self, analyzers, layout, coef, intercept, trees, positions, context_layout):
        self.analyzers = analyzers
        self.layout = layout
        self.coef = coef
        self.intercept = intercept
        self.trees = trees
        self.positions = positions
        self.context_layout = context_layout

    def block_scores(self, rows):
        """Stage-1 debris probability of each block read alone."""
        decision, offset = _ngram_decision(row_texts(rows), self.analyzers, self.coef,
                                           np.full(len(rows), self.intercept))
        if self.layout and rows:
            decision += layout_features(rows) @ self.coef[offset:]
        return 1.0 / (1.0 + np.exp(-decision))

    def predict_proba(self, rows, first=None):
        """Debris probability per row, as ``ContextStacker.predict_proba``."""
        first = self.block_scores(rows) if first is None else np.asarray(first)
        if self.trees is None:
            return np.column_stack([1 - first, first])
        second = context_rounds(self.trees, rows, first, self.positions, self.context_layout)
        return np.column_stack([1 - second, second])


class FastKinds:
    """The kind of each debris block, from exported multinomial weights."""

    def __init__(self, analyzers, coef, intercept, classes):
        self.analyzers = analyzers
        self.coef = coef
        self.intercept = intercept
        self.classes = classes

    def predict(self, rows):
        decision, _ = _ngram_decision(row_texts(rows), self.analyzers, self.coef,
                                      np.tile(self.intercept, (len(rows), 1)))
        return [self.classes[i] for i in decision.argmax(axis=1)]


def _ngram_decision(texts, analyzers, coef, decision):
    """``decision`` (one row per text) plus the hashed n-gram part of a linear model.

    ``coef`` holds each analyzer's weights side by side on its last axis:
    one row of them for the detector, one per class for the kind model.
    Returns the sum and the column where the n-gram weights end.
    """
    offset = 0
    for spec in analyzers:
        weights = coef[..., offset:offset + spec["n_features"]]
        for i, text in enumerate(texts):
            decision[i] += _hashed_dot(_ngrams(text, spec), weights, spec["n_features"])
        offset += spec["n_features"]
    return decision, offset


def _hashed_dot(ngrams, weights, n_features):
    """Dot product of the l2-normalised hashed count vector with ``weights``."""
    if not ngrams:
        return 0.0 if weights.ndim == 1 else np.zeros(weights.shape[0])
    hashes = np.fromiter(map(mmh3.hash, ngrams), dtype=np.int64, count=len(ngrams))
    buckets = np.abs(hashes) % n_features  # seed 0, signed: as HashingVectorizer
    columns, counts = np.unique(buckets, return_counts=True)
    norm = math.sqrt(float(np.dot(counts, counts)))
    return (weights[..., columns] @ counts) / norm


def _ngrams(text, spec):
    text = text.lower()
    if spec["kind"] == "word":
        return _word_ngrams(re.findall(spec["token_pattern"], text), *spec["ngrams"])
    return _char_wb_ngrams(text, *spec["ngrams"])


def _word_ngrams(tokens, low, high):
    """Word n-grams from ``low`` to ``high`` words, unigrams first."""
    grams = list(tokens) if low == 1 else []
    for n in range(max(low, 2), min(high, len(tokens)) + 1):
        grams.extend(" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1))
    return grams


def _char_wb_ngrams(text, low, high):
    """Character n-grams inside space-padded words; a short word counts once."""
    grams = []
    for word in _RUNS_OF_SPACE.sub(" ", text).split():
        padded = f" {word} "
        for n in range(low, high + 1):
            last = max(len(padded) - n, 0)
            grams.extend(padded[i:i + n] for i in range(last + 1))
            if last == 0:
                break
    return grams
