"""The input shape the tool must get right first: reporting, then an appeal.

``tests/data/example-appeal.txt`` is our own article of the same shape as
the workspace's seed example: hard-wrapped reporting paragraphs, a legal
note, then "A Message from ...", "Dear readers,", a monthly-support pitch
and "Remind me later.". Its expected clean output is written out by hand
beside it. The seed itself is checked read-only when ``../shared`` exists.
"""

from stripper import clean
from stripper.blocks import split_blocks

APPEAL_OPENING = "A Message from"
#: The seed's reporting: five paragraphs and the legal-note line.
SEED_KEPT_BLOCKS = 6


def test_default_model_cleans_our_example_exactly(appeal_text, appeal_expected):
    assert clean(appeal_text) == appeal_expected


def test_our_expected_output_stops_before_the_appeal(appeal_text, appeal_expected):
    # Guards the data files themselves: the expected text is the article
    # up to the appeal, and the appeal really follows it.
    assert appeal_text.startswith(appeal_expected)
    assert appeal_text[len(appeal_expected):].startswith(APPEAL_OPENING)


def seed_text(shared):
    """The shared seed example, read (never written) byte for byte."""
    return (shared / "seeds" / "example-input.txt").read_bytes().decode("utf-8")


def test_seed_splits_into_reporting_then_appeal(shared):
    blocks = split_blocks(seed_text(shared))
    assert blocks[SEED_KEPT_BLOCKS].text.startswith(APPEAL_OPENING)


def test_seed_cleans_to_its_first_six_blocks(shared):
    text = seed_text(shared)
    blocks = split_blocks(text)
    reporting = text[blocks[0].start:blocks[SEED_KEPT_BLOCKS - 1].end]
    final_newline = "\n" if text.endswith("\n") else ""
    assert clean(text) == reporting + final_newline


def test_seed_clean_drops_everything_from_the_appeal_on(shared):
    text = seed_text(shared)
    appeal = text[text.index(APPEAL_OPENING):]
    cleaned = clean(text)
    assert not any(line in cleaned for line in appeal.splitlines() if line.strip())


def test_seed_clean_keeps_the_legal_note_line(shared):
    text = seed_text(shared)
    legal_note = split_blocks(text)[SEED_KEPT_BLOCKS - 1].text
    assert "banned in Russia" in legal_note and legal_note in clean(text)
