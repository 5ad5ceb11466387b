"""Cleaning runs on weights exported from the scikit-learn pipeline.

The exported arrays must score exactly as the pipeline they came from, on
every fixture block, and cleaning must not import scikit-learn at all.
"""

import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from stripper.corpus import load_fixtures
from stripper.evaluate import label_blocks
from stripper.modelfile import load_model

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def shipped():
    bundle = load_model().bundle
    return bundle, pickle.loads(bundle["sklearn"])


@pytest.fixture(scope="module")
def fixture_rows():
    return label_blocks(load_fixtures([ROOT / "fixtures"])).rows


def test_exported_scores_equal_the_pipeline_on_every_fixture_block(shipped, fixture_rows):
    bundle, pipeline = shipped
    exported = bundle["detector"].predict_proba(fixture_rows)[:, 1]
    reference = pipeline["detector"].predict_proba(fixture_rows)[:, 1]
    assert np.abs(exported - reference).max() < 1e-9


def test_exported_block_scores_equal_the_pipeline_stage_one(shipped, fixture_rows):
    bundle, pipeline = shipped
    rows = fixture_rows[:3000]
    assert np.abs(bundle["detector"].block_scores(rows)
                  - pipeline["detector"].block_scores(rows)).max() < 1e-9


def test_exported_kinds_equal_the_pipeline(shipped, fixture_rows):
    bundle, pipeline = shipped
    rows = fixture_rows[:3000]
    assert bundle["kinds"].predict(rows) == [str(k) for k in pipeline["kinds"].predict(rows)]


def test_cleaning_does_not_import_scikit_learn():
    probe = ("import sys, stripper; stripper.clean('A line of news.\\nSupport us today!\\n'); "
             "print('sklearn' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "False"
