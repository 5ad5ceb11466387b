"""The context stage's arithmetic, in numpy alone.

Context features put each block's stage-1 score beside its neighbours'
scores; the tree arrays exported from the fitted context model score them.
Nothing here imports scikit-learn, so cleaning never pays for it.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .features import layout_features, position_features

WINDOW = 3           # neighbours read either side
FAR = 10             # distance cap, in blocks
CONFIDENT = 0.8      # a stage-1 score this high marks "confident debris"
SIDE = 6             # scores summarised (max, mean) either side


#: Columns of :func:`context_features` that say where a block sits.
POSITION_COLUMNS = [-4, -3, -1]


def stage_two_features(rows, scores, positions=False, with_layout=True):
    """Everything the context model reads for each block.

    Neighbour scores always; where the block sits only with ``positions``
    (left out by default: a clean text would otherwise be cleaned again
    differently, the last paragraph now being last); the block's own
    layout features with ``with_layout``.
    """
    parts = [context_features(rows, scores)]
    if positions:
        parts.append(position_features(rows))
    else:
        parts[0] = np.delete(parts[0], POSITION_COLUMNS, axis=1)
    if with_layout:
        parts.append(layout_features(rows))
    return np.hstack(parts)


def round_features(rows, scores, first, round_number, positions=False, with_layout=True):
    """What context round ``round_number`` reads: stage-two features of the
    previous round's scores, and from the second round on the block's own
    stage-1 score beside them."""
    features = stage_two_features(rows, scores, positions, with_layout)
    if round_number:
        features = np.column_stack([features, first])
    return features


def context_rounds(rounds, rows, first, positions=False, with_layout=True):
    """Debris probabilities after every context round's trees, in order."""
    scores = np.asarray(first, dtype=np.float64)
    for round_number, trees in enumerate(rounds):
        features = round_features(rows, scores, first, round_number, positions, with_layout)
        scores = predict_trees(trees, features)
    return scores


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
    # Whole-array operations only (sliding windows, running sums, one
    # median): a document of a million blocks must cost linear time.
    count = len(scores)
    positions = np.arange(count)
    padded = np.concatenate([np.full(WINDOW, -1.0), scores, np.full(WINDOW, -1.0)])
    neighbours = np.delete(sliding_window_view(padded, 2 * WINDOW + 1), WINDOW, axis=1)
    before, after = _side_windows(scores, SIDE)
    confident = np.flatnonzero(scores >= CONFIDENT)
    lengths = np.array([len(row["text"]) for row in rows], dtype=np.float64)
    return np.column_stack([
        scores, neighbours, _window_max(before), _window_max(after),
        _window_mean(before), _window_mean(after),
        _distance(confident, positions, before=True), _distance(confident, positions, before=False),
        np.full(count, scores.mean()), np.full(count, np.median(scores)),
        np.cumsum(scores[::-1])[::-1] / (count - positions), np.cumsum(scores) / (positions + 1),
        positions / max(count - 1, 1), (count - 1 - positions) / max(count - 1, 1),
        np.log1p(lengths) / 10, np.full(count, np.log1p(count) / 5),
    ])


def _side_windows(scores, width):
    """The ``width`` scores before and after each block, NaN past the ends."""
    padded = np.concatenate([np.full(width, np.nan), scores, np.full(width, np.nan)])
    windows = sliding_window_view(padded, width)
    return windows[:len(scores)], windows[width + 1:width + 1 + len(scores)]


def _window_max(windows):
    return np.where(np.isnan(windows), -1.0, windows).max(axis=1)


def _window_mean(windows):
    present = (~np.isnan(windows)).sum(axis=1)
    sums = np.where(np.isnan(windows), 0.0, windows).sum(axis=1)
    return np.where(present > 0, sums / np.maximum(present, 1), -1.0)


def _distance(confident, positions, before):
    """Blocks from each position to the nearest confident-debris block on one side."""
    if before:
        nearest = np.searchsorted(confident, positions, side="left") - 1
        found = nearest >= 0
        gap = positions - confident[np.maximum(nearest, 0)] if len(confident) else positions
    else:
        nearest = np.searchsorted(confident, positions, side="right")
        found = nearest < len(confident)
        gap = confident[np.minimum(nearest, len(confident) - 1)] - positions \
            if len(confident) else positions
    return np.where(found, np.minimum(gap, FAR) / FAR, 1.0)


def export_trees(model):
    """A fitted binary HistGradientBoostingClassifier as plain arrays.

    Predicting from arrays with numpy walks every row down every tree at
    once; scikit-learn's own predictor starts a thread pool per tree, which
    costs more than the work on the few hundred rows of one document.
    """
    nodes = [predictors[0].nodes for predictors in model._predictors]
    offsets = np.cumsum([0] + [len(n) for n in nodes[:-1]])
    joined = np.concatenate(nodes)
    shift = np.concatenate([np.full(len(n), o) for n, o in zip(nodes, offsets)])
    return {
        "roots": offsets.astype(np.int64),
        "feature": joined["feature_idx"].astype(np.int64),
        "threshold": joined["num_threshold"].astype(np.float64),
        "missing_left": joined["missing_go_to_left"].astype(bool),
        "left": (joined["left"] + shift).astype(np.int64),
        "right": (joined["right"] + shift).astype(np.int64),
        "leaf": joined["is_leaf"].astype(bool),
        "value": joined["value"].astype(np.float64),
        "baseline": float(np.ravel(model._baseline_prediction)[0]),
    }


def predict_trees(trees, features):
    """Debris probabilities from :func:`export_trees` arrays."""
    features = np.asarray(features, dtype=np.float64)
    rows = np.arange(len(features))[:, None]
    node = np.broadcast_to(trees["roots"], (len(features), len(trees["roots"]))).copy()
    while True:
        inner = ~trees["leaf"][node]
        if not inner.any():
            break
        values = features[rows, trees["feature"][node]]
        go_left = (values <= trees["threshold"][node]) | \
            (np.isnan(values) & trees["missing_left"][node])
        step = np.where(go_left, trees["left"][node], trees["right"][node])
        node = np.where(inner, step, node)
    raw = trees["baseline"] + trees["value"][node].sum(axis=1)
    return 1.0 / (1.0 + np.exp(-raw))
