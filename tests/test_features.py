"""Layout features that mark a story's own structure: tables, lists, quoted posts."""

import pytest

from stripper.features import LAYOUT_NAMES, layout_features


def feature(text, name):
    row = {"text": text, "index": 0, "count": 1, "doc": 0}
    return layout_features([row])[0][LAYOUT_NAMES.index(name)]


@pytest.mark.parametrize("text", ["| 1 | Ana Ruiz | 5040 |", "  | Ward | Turnout | Seats |"])
def test_pipe_rows_are_table_rows(text):
    assert feature(text, "table_row") == 1.0


def test_a_sentence_with_one_pipe_is_not_a_table_row():
    assert feature("Home | News", "table_row") == 0.0


@pytest.mark.parametrize("text", ["- two eggs", "• a torch", "3) Preheat the oven", "12. Cork"])
def test_bullets_and_numbers_mark_list_items(text):
    assert feature(text, "list_item") == 1.0


def test_a_negative_number_is_not_a_list_item():
    assert feature("-5 degrees overnight", "list_item") == 0.0


def test_the_attribution_under_an_embedded_post_is_recognised():
    assert feature("— Ada Moreno (@adamoreno) March 3, 2024", "embed_credit") == 1.0


def test_a_dash_in_prose_is_not_an_embed_credit():
    assert feature("— and then the lights went out.", "embed_credit") == 0.0
