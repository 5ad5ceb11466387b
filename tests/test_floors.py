"""The shipped model's held-out figures stay above the pinned floors.

The floors in ``tests/floors.json`` are measured numbers: the publication-
held-out cross-validation that ``stripper train`` runs and records in the
model card. Retraining that loses quality fails here.
"""

import json
from pathlib import Path

import pytest

from stripper.corpus import corpus_digest, load_fixtures
from stripper.commands import check_floors
from stripper.modelfile import default_model_path, read_card, sha256_of

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


def test_card_digest_matches_the_shipped_model_file(card):
    assert card["sha256"] == sha256_of(default_model_path())


def test_fixture_floor_matches_the_keep_target_in_settings():
    from stripper.settings import KEEP_TARGETS
    assert FLOORS["fixtures.keep"] >= KEEP_TARGETS["fixtures"]
