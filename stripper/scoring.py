"""The loaded model as the decision rules see it: units, scores, kinds, thresholds.

A :class:`Model` is a model folder's arrays (see :mod:`stripper.modelfile`)
and its card. It cuts a text into units, scores each unit as debris — read
alone by a linear model over hashed n-grams, then beside its neighbours by
the context trees — names the kind of a debris unit, and knows the
thresholds it was trained for. It imports neither scikit-learn nor joblib.
"""

import numpy as np

from . import native
from .blocks import splitter, text_splitter
from .context import context_scores
from .errors import ModelError, OptionError
from .features import NUMBER_NAMES, NgramSpec, shape_numbers, sigmoid


class Model:
    """A loaded model: units, per-unit debris scores, debris kinds, operating points."""

    def __init__(self, arrays, card):
        self.arrays = arrays
        self.card = card
        try:
            spec = card["spec"]
            self.units = spec["units"]
            self._split = splitter(self.units)
            self._split_texts = text_splitter(self.units)
            self.unit_ngrams = NgramSpec.from_card(spec["unit_ngrams"])
            self.kind_ngrams = NgramSpec.from_card(spec["kind_ngrams"])
            self.kind_names = list(spec["kinds"])
            self.window = int(spec["context"]["window"])
            self.context_features = tuple(spec["context"]["features"])
            self.rounds = [_trees(arrays, f"context{n}")
                           for n in range(int(spec["context"]["rounds"]))]
            self.rules = dict(card.get("rules", {}))
            _check_shapes(self)
        except (KeyError, TypeError, ValueError) as error:
            raise ModelError(f"model card does not describe this model "
                             f"({type(error).__name__}: {error})") from None

    @property
    def version(self):
        """The model's version string from its card."""
        return self.card.get("version", "unknown")

    @property
    def threshold(self):
        """The threshold the model was trained to use."""
        return float(self.card["threshold"])

    def operating_points(self):
        """``[{"keep_target", "threshold", "keep", "remove"}, ...]`` from the card."""
        return list(self.card.get("operating_points", []))

    def threshold_for(self, keep_target):
        """The threshold whose held-out keep reached ``keep_target`` at training time."""
        points = self.operating_points()
        if not points:
            raise OptionError("this model records no operating points; "
                              "use --threshold, or retrain with `stripper train`")
        reaching = [p for p in points if p["keep_target"] >= keep_target - 1e-9]
        if not reaching:
            targets = ", ".join(f"{p['keep_target']:g}" for p in points)
            raise OptionError(f"keep target {keep_target:g} is above every operating point "
                              f"of this model ({targets})")
        return float(min(reaching, key=lambda p: p["keep_target"])["threshold"])

    def split(self, text):
        """The units of ``text`` this model scores: its lines, or its paragraphs."""
        return self._split(text)

    def unit_texts(self, text):
        """The texts of :meth:`split`'s units of ``text``, without building them."""
        return self._split_texts(text)

    def document_scores(self, documents, memo):
        """Debris scores of every unit of every document (a list of unit lists).

        ``memo`` maps a unit's text to what depends on its text alone (its
        score read alone and its shape numbers), so a caller scoring the
        same units again (with others removed) passes the same dict and
        pays for them once.
        """
        texts = [unit.text for units in documents for unit in units]
        missing = list(dict.fromkeys(text for text in texts if text not in memo))
        if missing:
            memo.update(zip(missing, zip(self.scores_alone_of(missing),
                                         shape_numbers(missing))))
        alone = np.fromiter((memo[text][0] for text in texts), dtype=np.float64,
                            count=len(texts))
        numbers = np.array([memo[text][1] for text in texts], dtype=np.float64).reshape(
            len(texts), len(NUMBER_NAMES))
        doc = np.repeat(np.arange(len(documents)), [len(units) for units in documents])
        scores = context_scores(self.rounds, alone, doc, self.window, self.context_features,
                                numbers)
        return np.split(scores, np.cumsum([len(units) for units in documents])[:-1])

    def scores_alone(self, units):
        """Each unit's debris score read alone, without its neighbours."""
        return self.scores_alone_of([unit.text for unit in units])

    def scores_alone_of(self, texts):
        """:meth:`scores_alone` of unit texts."""
        if not texts:
            return np.zeros(0)
        counts = self.unit_ngrams.counts(texts)
        decision = self.unit_ngrams.decision(counts, self.arrays["unit_coef"],
                                             self.arrays["unit_intercept"],
                                             self.arrays.get("unit_idf"))
        return sigmoid(decision[:, 0])

    def kinds(self, units):
        """The debris kind of each unit."""
        if not units:
            return []
        counts = self.kind_ngrams.counts([unit.text for unit in units])
        decision = self.kind_ngrams.decision(counts, self.arrays["kind_coef"],
                                             self.arrays["kind_intercept"],
                                             self.arrays.get("kind_idf"))
        return [self.kind_names[i] for i in decision.argmax(axis=1)]


def _trees(arrays, prefix):
    return {name: arrays[f"{prefix}_{name}"] for name in (*native.TREE_ARRAYS, "baseline")}


def _check_shapes(model):
    """Refuse arrays that do not fit the card, before they meet the core."""
    arrays = model.arrays
    if arrays["unit_coef"].shape != (1, model.unit_ngrams.columns):
        raise ValueError("unit_coef does not match the n-gram spec")
    if arrays["kind_coef"].shape != (len(model.kind_names), model.kind_ngrams.columns):
        raise ValueError("kind_coef does not match the kinds and their n-gram spec")
    for name, spec in (("unit_idf", model.unit_ngrams), ("kind_idf", model.kind_ngrams)):
        if spec.idf and arrays[name].shape != (spec.columns,):
            raise ValueError(f"{name} does not match its n-gram spec")
    width = 1 + 2 * model.window + ("mean" in model.context_features) \
        + len(NUMBER_NAMES) * ("numbers" in model.context_features)
    for number, trees in enumerate(model.rounds):
        features = trees["feature"][trees["leaf"] == 0]
        if len(features) and (features.min() < 0 or features.max() >= width + bool(number)):
            raise ValueError(f"context round {number} reads a feature it is not given")
