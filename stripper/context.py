"""The context stage: a unit's score read beside its neighbours'.

Appeals come in runs, and a line like "Remind me later." only means
something next to one. The context model is a small gradient-boosted
ensemble over each unit's own score, the scores of ``window`` neighbours
either side, its document's mean score, and six plain numbers of the
unit's own shape (:func:`stripper.features.shape_numbers`). Features are computed for a
whole batch at once (units of a document contiguous, in order), so a
million units cost one pass of array operations.
"""

import numpy as np

from . import native
from .features import sigmoid

#: What a neighbour past either end of the document reads as.
PAST_THE_END = -1.0


def context_features(scores, doc, window, features=("mean",), numbers=None):
    """One row per unit: own score, ``window`` neighbours' either side, document mean,
    and with ``"numbers"`` in ``features`` the unit's own ``numbers`` (a row each).

    ``doc`` holds each unit's document number, equal for a document's
    units, which are contiguous and in order.
    """
    scores = np.asarray(scores, dtype=np.float64)
    doc = np.asarray(doc)
    columns = [scores]
    for distance in range(1, window + 1):
        columns += [_shifted(scores, doc, -distance), _shifted(scores, doc, distance)]
    if "mean" in features:
        counts = np.bincount(doc) if len(doc) else np.zeros(0)
        means = np.bincount(doc, weights=scores) / np.maximum(counts, 1) if len(doc) else counts
        columns.append(means[doc] if len(doc) else scores)
    if "numbers" in features:
        columns.extend(np.asarray(numbers, dtype=np.float64).reshape(len(scores), -1).T)
    return np.column_stack(columns) if len(scores) else np.zeros((0, len(columns)))


def _shifted(scores, doc, distance):
    """The score ``distance`` units away in the same document (PAST_THE_END beyond it)."""
    out = np.full(len(scores), PAST_THE_END)
    if distance > 0:
        same = doc[:len(doc) - distance] == doc[distance:]
        out[:len(doc) - distance][same] = scores[distance:][same]
    else:
        distance = -distance
        same = doc[distance:] == doc[:len(doc) - distance]
        out[distance:][same] = scores[:len(doc) - distance][same]
    return out


def context_scores(rounds, first, doc, window, features=("mean",), numbers=None):
    """Debris probabilities after every context round's trees, in order.

    From the second round on, a round also reads the unit's own first score.
    """
    scores = np.asarray(first, dtype=np.float64)
    for number, trees in enumerate(rounds):
        features_now = context_features(scores, doc, window, features, numbers)
        if number:
            features_now = np.column_stack([features_now, first])
        scores = sigmoid(native.tree_predict(features_now, trees))
    return scores
