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
which is what it meets on a new site. Stage 2 runs twice: the second round
reads the first round's (held-out) scores of the neighbours, so the
confident ends of an appeal can pull in a middle that reads like reporting.
A second small model names the kind of each debris block. All parts are module-level, so the bundle pickles.
"""

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import FeatureUnion, Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer

from .context import context_rounds, export_trees, predict_trees, round_features
from .features import layout_features, row_texts

def make_block_model(word_bits=19, char_bits=19, alpha=1e-5, layout=True):
    """Stage 1: n-grams and layout features into a logistic regression.

    The regression is fitted by averaged stochastic gradient descent: as
    accurate here as an exact solver and ten times faster, which matters
    because cross-validation fits it dozens of times.
    """
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
        ("classify", SGDClassifier(loss="log_loss", alpha=alpha, class_weight="balanced",
                                   average=True, max_iter=30, tol=None, random_state=0)),
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


class ContextStacker(BaseEstimator, ClassifierMixin):
    """Stage 1 on each block, stage 2 on neighbour scores; see module doc.

    ``fit(rows, y, groups)`` takes ``y`` as 1 (debris), 0 (content) or -1
    (ambiguous: present for context, absent from the loss).
    """

    def __init__(self, block_model=None, context_model=None, folds=5, use_context=True,
                 context_layout=True, positions=False, rounds=2):
        self.block_model = block_model
        self.rounds = rounds
        self.context_model = context_model
        self.folds = folds
        self.use_context = use_context
        self.context_layout = context_layout
        self.positions = positions

    def fit(self, rows, y, groups=None):
        y = np.asarray(y)
        labelled = np.flatnonzero(y >= 0)
        template = self.block_model if self.block_model is not None else make_block_model()
        # The features are stateless (hashing and fixed formulas), so they are
        # computed once and every fit below reuses them.
        featurizer = template.named_steps["features"]
        features = featurizer.transform(rows)
        classifier = clone(template.named_steps["classify"]).fit(features[labelled], y[labelled])
        self.block_model_ = Pipeline([("features", featurizer), ("classify", classifier)])
        self.classes_ = np.array([0, 1])
        if not self.use_context:
            return self
        groups = np.asarray(groups if groups is not None else [r["doc"] for r in rows])
        held_out = self._held_out(template.named_steps["classify"], features, y, groups,
                                  lambda model, x: model.predict_proba(x)[:, 1])
        context_model = self.context_model if self.context_model is not None \
            else make_context_model()
        # Each round reads the previous round's held-out scores of the
        # neighbours, so a run's confident ends can pull in its middle.
        self.context_trees_, scores, first = [], held_out, held_out
        for round_number in range(self.rounds):
            context = round_features(rows, scores, first, round_number, self.positions,
                                     self.context_layout)
            model = clone(context_model).fit(context[labelled], y[labelled])
            self.context_trees_.append(export_trees(model))
            if round_number + 1 < self.rounds:
                scores = self._held_out(context_model, context, y, groups,
                                        lambda model, x: predict_trees(export_trees(model), x))
        return self

    def _held_out(self, estimator, features, y, groups, score):
        """Scores for every row from a clone fitted without its group's rows.

        Ambiguous rows (``y == -1``) are scored but never trained on.
        """
        scores = np.zeros(len(y))
        splitter = GroupKFold(n_splits=min(self.folds, len(set(groups))))
        for train, test in splitter.split(features, y, groups):
            train = train[y[train] >= 0]
            model = clone(estimator).fit(features[train], y[train])
            scores[test] = score(model, features[test])
        return scores

    def block_scores(self, rows):
        """Stage-1 scores: each block read alone."""
        return self.block_model_.predict_proba(rows)[:, 1]

    def predict_proba(self, rows, first=None):
        """Debris probability per row; ``first`` may supply stage-1 scores.

        Stage-1 scores depend on a block's text alone, so a caller that
        scores the same blocks again (with others removed) can pass them in.
        """
        first = self.block_scores(rows) if first is None else np.asarray(first)
        if not self.use_context:
            return np.column_stack([1 - first, first])
        second = context_rounds(self.context_trees_, rows, first, self.positions,
                                self.context_layout)
        return np.column_stack([1 - second, second])

    def predict(self, rows):
        return (self.predict_proba(rows)[:, 1] >= 0.5).astype(int)
