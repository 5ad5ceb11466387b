"""Properties that hold for any input: no crash, exact spans, idempotent clean."""

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from stripper import classify, clean
from stripper.labels import BOILERPLATE

PROPERTY = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

#: Lines of the kinds a scraped article mixes: reporting, wrapped reporting,
#: appeal wording, buttons and menu items (all our own words).
LINES = [
    "The council approved the budget on Tuesday by nine votes to four.",
    "Residents of the valley said the new bus route would cut their",
    "journey to the hospital by half an hour.",
    "“We were not consulted,” said the head of the tenants' association.",
    "Dear readers,",
    "Our journalism depends on you. Please give monthly, from just $4.",
    "Support independent reporting today.",
    "Remind me later.",
    "Subscribe to our newsletter",
    "Share on Facebook",
    "Home | Politics | Sport",
    "Related: Five things to know about the tram strike",
    "Der Stadtrat hat am Dienstag den Haushalt beschlossen.",
    "Поддержите нашу редакцию ежемесячным взносом.",
]
SEPARATORS = ["\n", "\n\n", "\r\n", "\r\n\r\n", "\r", "\u2028", " \n  ", "\n\n\n", ""]

unicode_text = st.text(max_size=400)
article_like = st.lists(
    st.tuples(st.one_of(st.sampled_from(LINES), st.text(max_size=40)),
              st.sampled_from(SEPARATORS)),
    max_size=14,
).map(lambda parts: "".join(line + separator for line, separator in parts))
any_text = st.one_of(unicode_text, article_like)


@PROPERTY
@given(unicode_text)
def test_clean_never_raises_on_arbitrary_unicode(text):
    assert isinstance(clean(text), str)


@PROPERTY
@given(any_text)
def test_every_block_is_the_input_own_text(text):
    assert all(text[b.start:b.end] == b.text for b in classify(text))


@PROPERTY
@given(any_text)
def test_block_spans_are_nonempty_and_increase(text):
    blocks = classify(text)
    assert all(b.start < b.end for b in blocks)
    assert all(a.end <= b.start for a, b in zip(blocks, blocks[1:]))


@PROPERTY
@given(any_text)
def test_clean_output_is_the_kept_blocks_in_order(text):
    kept = [b.text for b in classify(text) if b.label != BOILERPLATE]
    assert whitespace_between(clean(text), kept).strip() == ""


def whitespace_between(output, pieces):
    """What is left of ``output`` once ``pieces`` are found in it, in order.

    Fails if a piece is missing or out of order.
    """
    left, position = [], 0
    for piece in pieces:
        found = output.find(piece, position)
        assert found != -1, f"kept block {piece!r} missing or out of order"
        left.append(output[position:found])
        position = found + len(piece)
    left.append(output[position:])
    return "".join(left)


#: Inputs Hypothesis once found to break idempotence, kept as regressions:
#: glued debris judged out of context, a pass limit stopping _settle early,
#: and (still open) a glued cut that changes the blocks a second clean sees.
IDEMPOTENCE_REGRESSIONS = [
    "|<0\r:",
    "\n".join([LINES[0], LINES[11], "G0AAA:\x93©³ó", LINES[5], LINES[5],
               LINES[1], LINES[1], LINES[1], LINES[0], ""]),
    "  _)deehenor e.Brd_ee:\nr\nBBHS      _______)cddeeeeghhhilnnrrsssttttttu.",
]


@PROPERTY
@given(any_text)
@example(IDEMPOTENCE_REGRESSIONS[0])
@example(IDEMPOTENCE_REGRESSIONS[1])
@example(IDEMPOTENCE_REGRESSIONS[2])
def test_clean_is_idempotent(text):
    once = clean(text)
    assert clean(once) == once


@PROPERTY
@given(any_text)
def test_clean_is_stable_when_run_again(text):
    assert clean(text) == clean(text)
