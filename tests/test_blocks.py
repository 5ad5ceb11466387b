"""Cutting text into blocks: paragraphs, lines, hard wraps and exact spans."""

import pytest

from stripper.blocks import split_blocks

#: A paragraph hard-wrapped near 60 columns, cut mid-sentence on every line.
WRAPPED_PARAGRAPH = (
    "The harbour commission voted on Monday to extend the ferry\n"
    "timetable into the winter months, after a petition signed by\n"
    "more than four thousand residents of the outer islands asked\n"
    "for a service that runs past the end of October this year."
)


def texts(text):
    return [block.text for block in split_blocks(text)]


def test_blank_lines_separate_paragraphs():
    text = "First paragraph, one sentence.\n\nSecond paragraph here.\n"
    assert texts(text) == ["First paragraph, one sentence.", "Second paragraph here."]


def test_blank_line_splits_even_mid_sentence():
    text = "A sentence that was cut in the\n\nmiddle by a blank line."
    assert texts(text) == ["A sentence that was cut in the", "middle by a blank line."]


def test_single_newlines_separate_lines_without_blank_lines():
    text = "Home\nWorld\nSport\nThe mayor resigned on Friday.\nShare this article"
    assert texts(text) == ["Home", "World", "Sport", "The mayor resigned on Friday.",
                           "Share this article"]


def test_hard_wrapped_paragraph_becomes_one_block():
    assert texts(WRAPPED_PARAGRAPH) == [WRAPPED_PARAGRAPH]


def test_hard_wrapped_paragraphs_stay_apart_at_sentence_ends():
    text = WRAPPED_PARAGRAPH + "\n" + WRAPPED_PARAGRAPH.replace("The harbour", "A harbour")
    assert len(split_blocks(text)) == 2


def test_wrapped_quotation_rejoins_across_a_capitalised_line():
    # A line cut inside an open quotation continues even when the next
    # line starts with a name, as long as the text is hard-wrapped.
    text = (WRAPPED_PARAGRAPH + "\n"
            "“The minister was in\n"
            "Tarrow for two days. During the visit they agreed to look again\n"
            "at the subsidy for the night crossings,” the spokesman said.")
    assert len(split_blocks(text)) == 2
    assert split_blocks(text)[1].text.startswith("“The minister was in\nTarrow")


def test_headline_above_a_paragraph_stays_its_own_block():
    text = "Ferry service extended\nThe harbour commission voted on Monday."
    assert texts(text) == ["Ferry service extended", "The harbour commission voted on Monday."]


def test_list_items_are_not_joined_to_a_cut_line():
    text = WRAPPED_PARAGRAPH.replace(" this year.", " the list\n- one item\n- another item")
    assert texts(text)[-2:] == ["- one item", "- another item"]


@pytest.mark.parametrize("text", [
    "  Indented first line.\n\n\tTabbed second paragraph.  \n",
    WRAPPED_PARAGRAPH + "\n\n  Closing line, indented.\n",
    "Title\r\n\r\nBody text here.\r\n",
    "x",
])
def test_every_block_text_is_its_exact_input_span(text):
    for block in split_blocks(text):
        assert text[block.start:block.end] == block.text


def test_blocks_exclude_surrounding_whitespace():
    block, = split_blocks("   Only line.   \n")
    assert (block.start, block.end, block.text) == (3, 13, "Only line.")


def test_spans_increase_in_input_order():
    blocks = split_blocks("One.\n\nTwo.\nThree.\n\n\nFour.")
    assert all(a.end < b.start for a, b in zip(blocks, blocks[1:]))


@pytest.mark.parametrize("separator", ["\r\n", "\r", "\u2028", "\u2029", "\x85"])
def test_other_line_breaks_separate_lines(separator):
    text = separator.join(["Home", "World", "The mayor resigned on Friday."])
    assert texts(text) == ["Home", "World", "The mayor resigned on Friday."]


@pytest.mark.parametrize("separator", ["\r\n", "\r", "\u2028"])
def test_other_line_breaks_make_blank_lines(separator):
    text = f"A sentence that was cut in the{separator}{separator}middle."
    assert len(split_blocks(text)) == 2


def test_crlf_hard_wrap_rejoins_with_exact_span():
    text = WRAPPED_PARAGRAPH.replace("\n", "\r\n")
    block, = split_blocks(text)
    assert (block.start, block.end) == (0, len(text))


@pytest.mark.parametrize("text", ["", " ", "\n\n", " \t\r\n\u2028\u00a0 \n"])
def test_whitespace_only_input_gives_no_blocks(text):
    assert split_blocks(text) == []


def test_new_blocks_are_content_until_classified():
    block, = split_blocks("Some reporting.")
    assert (block.label, block.kind, block.score) == ("content", "body", 0.0)
