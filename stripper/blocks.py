"""Cutting text into blocks: paragraphs with their exact character spans.

A block is a paragraph of the input. Blank lines always separate blocks.
Consecutive lines are joined into one block only where they look like one
hard-wrapped paragraph (a line broken mid-sentence); otherwise every line is
its own block, because scraped text puts buttons, menu items and headlines
each on a line of their own. Spans index the input string, so the clean
output can be the input's own text.
"""

import re
from dataclasses import dataclass

#: Every line break we honour: \r\n, \n, \r, and the Unicode separators.
LINE_BREAK = re.compile(r"\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
#: Characters that may end a sentence, possibly followed by closing quotes.
SENTENCE_END = re.compile(r"[.!?…:;](?:[\"'”’»)\]*]*)$")
#: A line that opens with a list bullet or a number is an item, not a tail.
ITEM_START = re.compile(r"^(?:[-*•·–—▪►]\s|\d{1,3}[.)]\s)")
#: A reporting sentence glued to the next one with no space: "going.The".
GLUED_SENTENCE = re.compile(r"(?<=[a-zà-ÿа-яё0-9%)][.!?])(?=[A-ZÀ-ÞА-ЯЁІЇЄ«“\"])")

MIN_WRAP_WIDTH = 30
MAX_WRAP_WIDTH = 100


@dataclass(frozen=True, slots=True)
class Block:
    """One paragraph of the input and what the classifier made of it.

    ``text`` is exactly ``input[start:end]``. ``label`` is ``content`` or
    ``boilerplate``; ``kind`` says what kind of debris (or ``body``);
    ``score`` is the model's probability that the block is debris; ``via``
    says which rule removed it (``score``, ``run``, ``lead-in``, ``glued``),
    empty for a kept block.
    """

    text: str
    start: int
    end: int
    label: str = "content"
    kind: str = "body"
    score: float = 0.0
    via: str = ""


def line_spans(text):
    """:func:`split_lines` as the compiled core computes it (the same spans, as lists)."""
    from .native import split_lines as compiled
    return compiled(text).tolist()


def line_blocks(text):
    """Cut ``text`` into one :class:`Block` per non-blank line (spans stripped)."""
    return [Block(text[start:end], start, end) for start, end in line_spans(text)]


def line_texts(text):
    """The texts of :func:`line_blocks`, without building the blocks."""
    return [text[start:end] for start, end in line_spans(text)]


def splitter(units):
    """The function that cuts a text into ``units``: ``lines`` or ``blocks`` (paragraphs)."""
    return {"lines": line_blocks, "blocks": split_blocks}[units]


def text_splitter(units):
    """The function that gives the texts of a text's ``units``, as ``splitter``'s would."""
    return {"lines": line_texts, "blocks": lambda text: [b.text for b in split_blocks(text)]}[units]


def split_lines(text):
    """Return ``(start, end)`` spans of the non-blank lines of ``text``.

    Spans exclude leading and trailing whitespace of each line. This is the
    plain-Python definition; cleaning uses the compiled core's equal spans
    (:func:`line_spans`), and tests hold the two equal.
    """
    spans, position = [], 0
    for match in LINE_BREAK.finditer(text):
        _append_stripped(spans, text, position, match.start())
        position = match.end()
    _append_stripped(spans, text, position, len(text))
    return spans


def _append_stripped(spans, text, start, end):
    line = text[start:end]
    stripped = line.strip()
    if stripped:
        lead = len(line) - len(line.lstrip())
        spans.append((start + lead, start + lead + len(stripped)))


def split_blocks(text):
    """Cut ``text`` into blocks: a list of :class:`Block` in input order.

    Lines separated by a blank line never share a block. Adjacent lines are
    joined where the first looks cut mid-sentence at the text's wrap width.
    """
    lines = line_spans(text)
    width = wrap_width(text, lines)
    # ``last_line`` is where the current block's last line starts (after its
    # line break, so with its indent): tracked here rather than searched for,
    # so a paragraph of a million wrapped lines costs linear time.
    blocks, current, last_line = [], None, 0
    for start, end in lines:
        if current and _continues(text, (last_line, current[1]), (start, end), width):
            last_line = _last_line_start(text, (current[1], start))
            current = (current[0], end)
            continue
        if current:
            blocks.append(current)
        current, last_line = (start, end), start
    if current:
        blocks.append(current)
    return [Block(text[s:e], s, e) for s, e in blocks]


def wrap_width(text, lines):
    """Estimate the column at which the text was hard-wrapped, or 0.

    Hard-wrapped text has several lines cut without closing punctuation
    whose lengths bunch just under one width of at most ``MAX_WRAP_WIDTH``.
    """
    lengths = sorted(e - s for s, e in lines if e - s <= MAX_WRAP_WIDTH)
    if len(lengths) < 3:
        return 0
    width = lengths[int(0.9 * (len(lengths) - 1))]
    if width < MIN_WRAP_WIDTH:
        return 0
    cut_lines = sum(1 for s, e in lines
                    if 0.7 * width <= e - s <= width and not SENTENCE_END.search(text[s:e]))
    return width if cut_lines >= 2 else 0


def _continues(text, previous_line, line, width):
    """Does ``line`` continue the paragraph whose last line is ``previous_line``?"""
    between = text[previous_line[1]:line[0]]
    if len(LINE_BREAK.findall(between)) != 1:
        return False  # a blank line, or none
    previous = text[previous_line[0]:previous_line[1]]
    following = text[line[0]:line[1]]
    if SENTENCE_END.search(previous) or ITEM_START.match(following):
        return False
    if following[:1].islower():
        return True
    # A capitalised continuation ("...was in\nMoscow for") joins only in
    # wrapped text, inside an open quotation or after a trailing comma:
    # elsewhere a capital after an unpunctuated line is usually a headline.
    if not width:
        return False
    if previous.endswith((",", "-")):
        return len(previous) >= 0.6 * width  # "Dear readers," is a line of its own
    return previous[-1:].islower() and _opens_quote(previous)


def _opens_quote(line):
    """Does ``line`` open a quotation it does not close?"""
    return line.count("“") > line.count("”") or line.count('"') % 2 == 1 \
        or line.count("«") > line.count("»") or line.count("„") > line.count("“")


def _last_line_start(text, span):
    breaks = list(LINE_BREAK.finditer(text, span[0], span[1]))
    return breaks[-1].end() if breaks else span[0]
