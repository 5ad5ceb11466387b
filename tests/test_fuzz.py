"""Fuzzing classify, clean, split_blocks and decode with hostile text and bytes.

Each property is a plain ``check_*`` function over one generated value, so
``tools/fuzz.py`` can run the same properties for many more examples. Here
they run a few hundred times each, to keep the suite fast.
"""

import codecs

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stripper import classify, clean
from stripper.blocks import LINE_BREAK, split_blocks
from stripper.errors import InputError
from stripper.labels import BOILERPLATE
from stripper.textio import decode

#: Characters that break naive text handling: every line break we honour,
#: blanks, zero-width and direction marks, combining marks, a ZWJ emoji,
#: right-to-left letters, quotes and sentence ends that steer block splitting.
HOSTILE = list("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029 \t\xa0\u3000"
               "\u200b\u200c\u200d\u2060\ufeff\u200e\u200f\u202a\u202b\u202c\u202e"
               "\u0301\u0308أبתש.!?…:;,\"'“”«»()|-•") + ["👩‍👩‍👧", "🇺🇦", "\r\n"]
WORDS = ["The council voted.", "Support us today", "Subscribe", "residents said",
         "Поддержите нас", "Share", "Donate now!", "and the mayor", "Related:", "1."]

hostile_text = st.lists(st.one_of(st.sampled_from(HOSTILE), st.sampled_from(WORDS),
                                  st.text(max_size=6)), max_size=60).map("".join)
any_bytes = st.one_of(st.binary(max_size=300),
                      hostile_text.map(lambda text: text.encode("utf-8")),
                      st.tuples(hostile_text, st.sampled_from(["utf-8", "cp1252", "utf-16"]))
                      .map(lambda pair: pair[0].encode(pair[1], errors="ignore")))
no_nul_text = st.text(max_size=200).map(lambda text: text.replace("\x00", ""))

FUZZ = settings(max_examples=120, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def check_split_blocks_cover_every_visible_character(text):
    """Blocks are exact, ordered, stripped spans holding all non-blank text."""
    blocks = split_blocks(text)
    assert all(text[b.start:b.end] == b.text and b.text == b.text.strip() and b.text
               for b in blocks)
    assert all(a.end <= b.start for a, b in zip(blocks, blocks[1:]))
    visible = [ch for ch in text if not ch.isspace()]
    assert [ch for b in blocks for ch in b.text if not ch.isspace()] == visible


def check_split_blocks_never_span_a_blank_line(text):
    for block in split_blocks(text):
        lines = LINE_BREAK.split(block.text)
        assert all(line.strip() for line in lines)


def check_classify_labels_exact_spans(text):
    blocks = classify(text)
    assert all(text[b.start:b.end] == b.text for b in blocks)
    assert all(0.0 <= b.score <= 1.0 and b.label in ("content", BOILERPLATE) for b in blocks)


def check_clean_keeps_only_input_lines(text):
    """Every line of a clean is made of the input's own characters, in order."""
    output = clean(text)
    position = 0
    for line in LINE_BREAK.split(output):
        if line.strip():
            position = text.find(line.strip(), position)
            assert position != -1, f"{line!r} is not input text in order"


def check_clean_adds_no_line_break_kinds(text):
    used = {match.group() for match in LINE_BREAK.finditer(text)}
    assert {match.group() for match in LINE_BREAK.finditer(clean(text))} <= used


def check_decode_gives_text_or_one_input_error(data):
    try:
        text = decode(data)
    except InputError as error:
        assert "\n" not in str(error)
    else:
        assert isinstance(text, str) and "\x00" not in text


def check_decode_round_trips_utf8(text):
    data = text.encode("utf-8")
    assert decode(data) == text and decode(codecs.BOM_UTF8 + data) == text


def check_decode_round_trips_marked_utf16(text):
    assert decode(text.encode("utf-16")) == text


#: Every property with the strategy that feeds it (used by tools/fuzz.py).
PROPERTIES = {
    check_split_blocks_cover_every_visible_character: hostile_text,
    check_split_blocks_never_span_a_blank_line: hostile_text,
    check_classify_labels_exact_spans: hostile_text,
    check_clean_keeps_only_input_lines: hostile_text,
    check_clean_adds_no_line_break_kinds: hostile_text,
    check_decode_gives_text_or_one_input_error: any_bytes,
    check_decode_round_trips_utf8: no_nul_text,
    check_decode_round_trips_marked_utf16: no_nul_text,
}


def _as_test(check, strategy):
    """A pytest test running ``check`` on values drawn from ``strategy``."""
    return FUZZ(given(strategy)(lambda value: check(value)))


# One test per property: test_split_blocks_cover_every_visible_character, ...
for _check, _strategy in PROPERTIES.items():
    globals()["test_" + _check.__name__.removeprefix("check_")] = _as_test(_check, _strategy)
