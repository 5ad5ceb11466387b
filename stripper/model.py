"""The classifier: a scikit-learn pipeline that scores blocks as debris.

Two stages, stacked:

1. a block model reads each block alone: hashed word and character n-grams
   plus layout features, into a logistic regression;
2. a context model reads each block's stage-1 score together with its
   neighbours' (a window either side, the distance to the nearest confident
   debris, the document's mean), because appeals come in runs and a line
   like "Remind me later." only means something next to one.

At fit time stage 2 learns from *out-of-fold* stage-1 scores, held out by
publisher, so it sees the scores stage 1 gives to text it has not read,
which is what it meets on a new site. A second small model names the kind
of each debris block. All parts are module-level, so the bundle pickles.
"""

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import FeatureUnion, Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer

from .features import layout_features, row_texts

WINDOW = 3           # neighbours read either side
FAR = 10             # distance cap, in blocks
CONFIDENT = 0.8      # a stage-1 score this high marks "confident debris"


def make_block_model(word_bits=19, char_bits=19, C=4.0, layout=True):
    """Stage 1: n-grams and layout features into a logistic regression."""
    parts = [
        ("words", make_pipeline(
            FunctionTransformer(row_texts),
            HashingVectorizer(analyzer="word", ngram_range=(1, 2), n_features=2 ** word_bits,
                              alternate_sign=False, norm="l2", token_pattern=r"(?u)\b\w+\b"))),
        ("chars", make_pipeline(
            FunctionTransformer(row_texts),
            HashingVectorizer(analyzer="char_wb", ngram_range=(2, 4), n_features=2 ** char_bits,
                              alternate_sign=False, norm="l2"))),
    ]
    if layout:
        parts.append(("layout", FunctionTransformer(layout_features)))
    return Pipeline([
        ("features", FeatureUnion(parts)),
        ("classify", LogisticRegression(C=C, class_weight="balanced", solver="liblinear",
                                        max_iter=2000)),
    ])


def make_context_model():
    """Stage 2: a small gradient-boosted model over neighbour scores."""
    return HistGradientBoostingClassifier(max_iter=200, learning_rate=0.08, max_leaf_nodes=15,
                                          min_samples_leaf=20, l2_regularization=1.0,
                                          early_stopping=False, random_state=0)


def make_kind_model():
    """Names the kind of a debris block (donation, nav, share, ...)."""
    return Pipeline([
        ("features", FeatureUnion([
            ("words", make_pipeline(
                FunctionTransformer(row_texts),
                HashingVectorizer(analyzer="word", ngram_range=(1, 1), n_features=2 ** 15,
                                  alternate_sign=False, norm="l2"))),
            ("chars", make_pipeline(
                FunctionTransformer(row_texts),
                HashingVectorizer(analyzer="char_wb", ngram_range=(3, 4), n_features=2 ** 15,
                                  alternate_sign=False, norm="l2"))),
        ])),
        ("classify", LogisticRegression(C=4.0, max_iter=1000)),
    ])


def context_features(rows, scores):
    """Stage-2 features: each block's score beside its neighbours' scores.

    ``rows`` carry ``doc`` and ``index``; rows of one document are
    contiguous and in order, as :func:`features.block_rows` makes them.
    """
    scores = np.asarray(scores, dtype=np.float64)
    out = np.zeros((len(rows), _context_width()), dtype=np.float64)
    for start, stop in _document_ranges(rows):
        out[start:stop] = _document_context(scores[start:stop], rows[start:stop])
    return out


def _context_width():
    return 1 + 2 * WINDOW + 8 + 6


def _document_ranges(rows):
    start = 0
    for position in range(1, len(rows) + 1):
        if position == len(rows) or rows[position]["doc"] != rows[start]["doc"]:
            yield start, position
            start = position


def _document_context(scores, rows):
    count = len(scores)
    padded = np.concatenate([np.full(WINDOW, -1.0), scores, np.full(WINDOW, -1.0)])
    confident = np.flatnonzero(scores >= CONFIDENT)
    features = []
    for i in range(count):
        neighbours = padded[i:i + 2 * WINDOW + 1]
        before = scores[max(0, i - 6):i]
        after = scores[i + 1:i + 7]
        features.append([
            scores[i], *np.delete(neighbours, WINDOW),
            before.max(initial=-1.0), after.max(initial=-1.0),
            before.mean() if len(before) else -1.0, after.mean() if len(after) else -1.0,
            _distance(confident, i, before=True), _distance(confident, i, before=False),
            scores.mean(), np.median(scores),
            scores[i:].mean(), scores[:i + 1].mean(),
            i / max(count - 1, 1), (count - 1 - i) / max(count - 1, 1),
            np.log1p(len(rows[i]["text"])) / 10, np.log1p(count) / 5,
        ])
    return np.array(features)


def _distance(confident, i, before):
    """Blocks from i to the nearest confident-debris block on one side."""
    side = confident[confident < i] if before else confident[confident > i]
    if not len(side):
        return 1.0
    nearest = i - side[-1] if before else side[0] - i
    return min(nearest, FAR) / FAR


class ContextStacker(BaseEstimator, ClassifierMixin):
    """Stage 1 on each block, stage 2 on neighbour scores; see module doc.

    ``fit(rows, y, groups)`` takes ``y`` as 1 (debris), 0 (content) or -1
    (ambiguous: present for context, absent from the loss).
    """

    def __init__(self, block_model=None, context_model=None, folds=5, use_context=True,
                 context_layout=True):
        self.block_model = block_model
        self.context_model = context_model
        self.folds = folds
        self.use_context = use_context
        self.context_layout = context_layout

    def fit(self, rows, y, groups=None):
        y = np.asarray(y)
        labelled = y >= 0
        block_model = self.block_model if self.block_model is not None else make_block_model()
        self.block_model_ = clone(block_model).fit(_take(rows, labelled), y[labelled])
        self.classes_ = np.array([0, 1])
        if not self.use_context:
            return self
        held_out = self._out_of_fold_scores(block_model, rows, y, groups)
        context_model = self.context_model if self.context_model is not None \
            else make_context_model()
        features = self._context(rows, held_out)
        self.context_model_ = clone(context_model).fit(features[labelled], y[labelled])
        return self

    def _out_of_fold_scores(self, block_model, rows, y, groups):
        groups = np.asarray(groups if groups is not None else [r["doc"] for r in rows])
        scores = np.zeros(len(rows))
        splitter = GroupKFold(n_splits=min(self.folds, len(set(groups))))
        for train, test in splitter.split(rows, y, groups):
            train = train[y[train] >= 0]
            model = clone(block_model).fit(_take(rows, train), y[train])
            scores[test] = model.predict_proba(_take(rows, test))[:, 1]
        return scores

    def _context(self, rows, scores):
        features = context_features(rows, scores)
        if self.context_layout:
            features = np.hstack([features, layout_features(rows)])
        return features

    def block_scores(self, rows):
        """Stage-1 scores: each block read alone."""
        return self.block_model_.predict_proba(rows)[:, 1]

    def predict_proba(self, rows):
        first = self.block_scores(rows)
        if not self.use_context:
            return np.column_stack([1 - first, first])
        second = self.context_model_.predict_proba(self._context(rows, first))[:, 1]
        return np.column_stack([1 - second, second])

    def predict(self, rows):
        return (self.predict_proba(rows)[:, 1] >= 0.5).astype(int)


def _take(rows, selector):
    """Rows picked by a boolean mask or an index array."""
    selector = np.asarray(selector)
    if selector.dtype == bool:
        selector = np.flatnonzero(selector)
    return [rows[i] for i in selector]
