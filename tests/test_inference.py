"""Cleaning scores exactly as the fitted models it was exported from.

Training fits scikit-learn models on the matrix the compiled core builds;
cleaning scores from the exported arrays with the same core. These tests
fit their own small models on fixtures and check both sides agree.
"""

from pathlib import Path

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression

from stripper import native
from stripper.blocks import line_blocks
from stripper.context import context_features, context_scores
from stripper.corpus import load_fixtures
from stripper.evaluate import label_blocks
from stripper import features
from stripper.features import NgramSpec, shape_numbers, sigmoid, smooth_idf, unit_numbers
from stripper.train import _matrix, _weighted

ROOT = Path(__file__).resolve().parent.parent
SPEC = NgramSpec(word=(1, 2), char=(2, 4), word_bits=14, char_bits=14, idf=True)


@pytest.fixture(scope="module")
def units():
    """Lines of the first 80 fixtures: texts, labels (-1 dropped) and document numbers."""
    data = label_blocks(load_fixtures([ROOT / "fixtures"])[:80], line_blocks)
    keep = data.y >= 0
    return ([t for t, k in zip(data.texts, keep) if k], data.y[keep], data.doc_of_row[keep])


def test_linear_scores_equal_the_fitted_regression(units):
    texts, y, _ = units
    counts = _matrix(SPEC.counts(texts), SPEC.columns)
    idf = smooth_idf(counts.indices, counts.shape[0], counts.shape[1]).astype(np.float32)
    fitted = LogisticRegression(C=16, solver="liblinear").fit(_weighted(counts, SPEC, idf), y)
    ours = sigmoid(SPEC.decision((counts.indptr, counts.indices, counts.data),
                                 fitted.coef_, fitted.intercept_, idf)[:, 0])
    assert np.abs(ours - fitted.predict_proba(_weighted(counts, SPEC, idf))[:, 1]).max() < 1e-9


def test_context_scores_equal_the_fitted_trees(units):
    texts, y, doc = units
    rng = np.random.default_rng(0)
    first = rng.random(len(texts))
    numbers = np.array([unit_numbers(t) for t in texts])
    X = context_features(first, doc, 2, ("mean", "numbers"), numbers)
    trees = HistGradientBoostingClassifier(max_iter=30, max_leaf_nodes=7,
                                           random_state=0).fit(X, y)
    ours = context_scores([native.export_hist_gradient_boosting(trees)], first, doc, 2,
                          ("mean", "numbers"), numbers)
    assert np.abs(ours - trees.predict_proba(X)[:, 1]).max() < 1e-12


def test_context_features_never_read_across_documents():
    scores = np.array([0.1, 0.2, 0.9, 0.8])
    X = context_features(scores, np.array([0, 0, 1, 1]), 1)
    # own, before, after, mean
    assert X.tolist() == [[0.1, -1.0, 0.2, 0.15000000000000002],
                          [0.2, 0.1, -1.0, 0.15000000000000002],
                          [0.9, -1.0, 0.8, 0.8500000000000001],
                          [0.8, 0.9, -1.0, 0.8500000000000001]]


def test_shape_numbers_of_an_appeal_and_of_reporting():
    appeal = unit_numbers("Support us from just $2 a month: your gift keeps us going!")
    report = unit_numbers("The council met on Tuesday.")
    assert appeal[3] == 1.0 and report[3] == 0.0          # money
    assert appeal[2] > 0 and report[2] == 0.0             # second person
    assert appeal[1] == report[1] == 1.0                  # both end a sentence


def test_shape_numbers_read_only_the_head_and_tail_of_a_huge_unit():
    huge = "word " * 2_000_000
    assert unit_numbers(huge)[0] == pytest.approx(np.log1p(len(huge)) / 10)


def numbers_of_one_unit(text):
    """The six shape numbers of one unit, read as their definition says, one regex at a time."""
    head = text if len(text) <= 1500 else text[:1200] + " " + text[-300:]
    words = native.WORD.findall(head.lower())
    letters, capitals, digits = native.char_classes([text], 1200, 300)[0].tolist()
    return (math.log1p(len(text)) / 10,
            float(bool(features.TERMINAL.search(head.rstrip()[-16:]))),
            min(1.0, 5 * sum(w in features.SECOND_PERSON for w in words) / max(len(words), 1)),
            float(bool(features.MONEY.search(head))),
            capitals / max(letters, 1), min(1.0, digits / max(letters, 1)))


#: Units heavy in what the shape numbers read: amounts at unit edges, "you".
unit_text = st.text(alphabet=st.sampled_from("$€5 EURkr\u0663You're you Вы!.”\n\0a"), max_size=30)


@given(st.lists(unit_text, max_size=8))
def test_shape_numbers_of_a_batch_equal_each_unit_read_alone(texts):
    expected = [numbers_of_one_unit(text) for text in texts]
    assert shape_numbers(texts).tolist() == [list(row) for row in expected]
