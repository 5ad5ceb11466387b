"""The shipped model's held-out figures stay above the pinned floors.

The floors in ``tests/floors.json`` are measured numbers: the held-out
cross-validation (by publisher and site) that ``stripper train`` runs and
records in the model card. Retraining that loses quality fails here.
"""

import json
from pathlib import Path

import pytest

from stripper.corpus import corpus_digest, load_fixtures
from stripper.commands import check_floors
from stripper.modelfile import default_model_path, load_model, read_card

ROOT = Path(__file__).resolve().parent.parent
FLOORS = json.loads((ROOT / "tests" / "floors.json").read_text())["floors"]


@pytest.fixture(scope="module")
def card():
    return read_card(default_model_path())


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_cross_validated_figure_meets_its_floor(card, name):
    rows = check_floors(card["cv"]["metrics"], {name: FLOORS[name]})
    assert rows, f"the model card has no figure for {name}"
    (_, value, floor, met), = rows
    assert met, f"{name} = {value:.4f} is below its floor {floor:.4f}"


def test_model_was_trained_on_the_fixtures_in_the_repository(card):
    fixtures = load_fixtures([ROOT / "fixtures"])
    assert card["fixtures_digest"] == corpus_digest(fixtures)


def test_the_shipped_arrays_match_their_card():
    model = load_model()  # checks every array's SHA-256, dtype and shape
    assert set(model.arrays) == set(read_card(default_model_path())["arrays"])


def test_the_card_records_an_operating_point_per_keep_target(card):
    from stripper.settings import KEEP_TARGETS
    points = card["operating_points"]
    assert [p["keep_target"] for p in points] == list(KEEP_TARGETS)
    assert all(p["keep"] >= p["keep_target"] for p in points)
    assert card["threshold"] == points[0]["threshold"]


def test_lower_keep_targets_remove_more(card):
    removes = [p["remove"] for p in card["operating_points"]]
    assert removes == sorted(removes)
