"""The Python API: clean, classify, Stripper, options and the JSON output."""

import json

import numpy as np
import pytest

import stripper
from stripper import Block, ModelError, Stripper, classify, clean
from stripper.commands import json_output as json_line
from stripper.core import grow_runs, lead_ins
from stripper.labels import BOILERPLATE, BOILERPLATE_KINDS, LABELS

OTHER_TEXT = "Tram fares rise in March\n\nThe transit board approved a ten percent rise.\n"


def removed(blocks):
    return [b for b in blocks if b.label == BOILERPLATE]


def test_clean_returns_the_expected_text_type(appeal_text):
    assert isinstance(clean(appeal_text), str)


def test_clean_drops_the_closing_button(appeal_text):
    assert "Remind me later." not in clean(appeal_text)


def test_clean_keeps_the_reporting(appeal_text):
    first_line = appeal_text.splitlines()[0]
    assert clean(appeal_text).startswith(first_line)


def test_classify_returns_blocks(appeal_text):
    blocks = classify(appeal_text)
    assert blocks and all(isinstance(b, Block) for b in blocks)


def test_classify_blocks_carry_their_input_span(appeal_text):
    assert all(appeal_text[b.start:b.end] == b.text for b in classify(appeal_text))


def test_classify_blocks_have_a_known_label(appeal_text):
    assert {b.label for b in classify(appeal_text)} <= set(LABELS)


def test_classify_scores_are_probabilities(appeal_text):
    assert all(0.0 <= b.score <= 1.0 for b in classify(appeal_text))


def test_classify_names_a_debris_kind_for_removed_blocks(appeal_text):
    gone = removed(classify(appeal_text))
    assert gone and all(b.kind in BOILERPLATE_KINDS for b in gone)


def test_classify_kind_of_kept_blocks_is_body(appeal_text):
    kept = [b for b in classify(appeal_text) if b.label != BOILERPLATE]
    assert kept and all(b.kind == "body" for b in kept)


def test_module_functions_match_a_stripper(appeal_text, default_stripper):
    assert clean(appeal_text) == default_stripper.clean(appeal_text)


def test_stripper_loads_no_model_until_used(monkeypatch):
    calls = count_model_loads(monkeypatch)
    Stripper()
    assert calls == []


def test_stripper_loads_its_model_once_across_calls(monkeypatch, appeal_text):
    calls = count_model_loads(monkeypatch)
    reusable = Stripper()
    reusable.clean(appeal_text)
    reusable.classify(OTHER_TEXT)
    reusable.clean_many([appeal_text, OTHER_TEXT])
    assert len(calls) == 1


def count_model_loads(monkeypatch):
    """Record every model load a Stripper asks for; returns the record."""
    calls = []
    real_load = stripper.api.load_model

    def counting_load(*args, **kwargs):
        calls.append(args)
        return real_load(*args, **kwargs)

    monkeypatch.setattr(stripper.api, "load_model", counting_load)
    return calls


def test_clean_many_equals_clean_per_text(default_stripper, appeal_text):
    texts = [appeal_text, OTHER_TEXT, "", appeal_text.replace("\n", "\r\n")]
    assert default_stripper.clean_many(texts) == [default_stripper.clean(t) for t in texts]


def test_classify_many_equals_classify_per_text(default_stripper, appeal_text):
    texts = [appeal_text, OTHER_TEXT]
    assert default_stripper.classify_many(texts) == \
        [default_stripper.classify(t) for t in texts]


def test_keep_kind_keeps_blocks_of_that_kind(appeal_text):
    gone = removed(classify(appeal_text))
    assert gone, "the model removed nothing from the example"
    kind = gone[0].kind
    assert gone[0].text in clean(appeal_text, keep=[kind])


def test_keep_kind_still_removes_other_kinds(appeal_text):
    other_kinds = [k for k in BOILERPLATE_KINDS if k not in {b.kind for b in classify(appeal_text)}]
    assert clean(appeal_text, keep=other_kinds) == clean(appeal_text)


def test_threshold_one_keeps_everything(appeal_text):
    assert clean(appeal_text, threshold=1.0) == appeal_text


def test_threshold_zero_removes_everything(appeal_text):
    assert clean(appeal_text, threshold=0.0) == ""


def test_options_set_on_the_stripper_apply_to_every_call(appeal_text):
    assert Stripper(threshold=0.0).clean(appeal_text) == ""


def test_call_options_override_stripper_options(appeal_text):
    assert Stripper(threshold=0.0).clean(appeal_text, threshold=1.0) == appeal_text


def test_reflow_joins_hard_wrapped_lines(appeal_text):
    reflowed = clean(appeal_text, reflow=True, threshold=1.0)
    assert "was in Kessing" in reflowed and "was in\nKessing" in appeal_text


def test_unknown_option_raises_type_error(appeal_text):
    with pytest.raises(TypeError):
        clean(appeal_text, keep_everything=True)


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t\n"])
def test_whitespace_only_input_cleans_to_nothing(text):
    assert (clean(text), classify(text)) == ("", [])


def test_missing_model_raises_model_error_naming_it(tmp_path, appeal_text):
    with pytest.raises(ModelError, match="absent.joblib not found"):
        Stripper(model=tmp_path / "absent.joblib").clean(appeal_text)


def test_tampered_model_raises_model_error(tampered_model, appeal_text):
    with pytest.raises(ModelError, match="SHA-256"):
        Stripper(model=tampered_model).clean(appeal_text)


def test_intact_model_copy_loads(model_copy, appeal_text):
    assert Stripper(model=model_copy).clean(appeal_text) == clean(appeal_text)


# ------------------------------------------------------------- JSON output

def json_output(text, **options):
    stripper = Stripper(**options)
    cleaned, = stripper.clean_documents([text])
    return json.loads(json_line("in.txt", cleaned, stripper, 0.5))


def test_json_has_input_model_threshold_text_and_blocks(appeal_text):
    assert set(json_output(appeal_text)) == {"input", "model", "threshold", "text", "blocks"}


def test_json_text_is_the_clean_text(appeal_text):
    assert json_output(appeal_text)["text"] == clean(appeal_text)


def test_json_blocks_carry_span_label_kind_score_text(appeal_text):
    for block in json_output(appeal_text)["blocks"]:
        assert set(block) == {"start", "end", "label", "kind", "score", "via", "text"}
        assert appeal_text[block["start"]:block["end"]] == block["text"]


def test_json_blocks_match_classify(appeal_text):
    blocks = json_output(appeal_text)["blocks"]
    assert [(b["start"], b["end"], b["label"], b["kind"]) for b in blocks] == \
        [(b.start, b.end, b.label, b.kind) for b in classify(appeal_text)]


def test_json_honours_options(appeal_text):
    assert json_output(appeal_text, threshold=0.0)["text"] == ""


# --- runs of debris and their lead-in lines ----------------------------------

def _blocks(*texts):
    return [Block(text, 0, len(text)) for text in texts]


def _mask(*flags):
    return np.array(flags, dtype=bool)


def test_lead_in_goes_with_the_debris_it_announces():
    going = lead_ins(_blocks("A word from the newsroom:", "Give monthly."), _mask(0, 1))
    assert list(going) == [True, True]


def test_lead_in_before_reporting_stays():
    going = lead_ins(_blocks("The minister said:", "We will cut the tax."), _mask(0, 0))
    assert list(going) == [False, False]


def test_long_line_ending_in_a_colon_is_not_a_lead_in():
    long_line = "The committee, after weeks of argument over the budget, finally agreed on three points:"
    going = lead_ins(_blocks(long_line, "Give monthly."), _mask(0, 1))
    assert list(going) == [False, True]


def test_lead_ins_chain_back_through_several_lines():
    going = lead_ins(_blocks("Before you go:", "Dear readers:", "Give monthly."), _mask(0, 0, 1))
    assert list(going) == [True, True, True]


def test_a_run_grows_into_doubtful_neighbours_on_both_sides():
    going = grow_runs(_mask(0, 0, 1, 0, 0), np.array([0.1, 0.8, 0.95, 0.85, 0.82]), 0.8)
    assert list(going) == [False, True, True, True, True]


def test_a_run_stops_at_the_first_confident_reporting_block():
    going = grow_runs(_mask(1, 0, 0), np.array([0.95, 0.2, 0.9]), 0.8)
    assert list(going) == [True, False, False]


def test_doubtful_blocks_without_a_run_stay():
    going = grow_runs(_mask(0, 0, 0), np.array([0.85, 0.85, 0.85]), 0.8)
    assert not any(going)
