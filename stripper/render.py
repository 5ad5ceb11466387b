"""Rendering: the clean text as a view over labelled blocks.

Kept blocks are joined with the input's own separators, so the clean text
is the input's own text: nothing is rewritten except, with ``reflow``, the
line breaks inside a hard-wrapped paragraph.
"""

import re

from .blocks import LINE_BREAK
from .labels import BOILERPLATE
from .settings import DEFAULTS

#: The line breaks ``--reflow`` joins a paragraph's lines at, and the one a
#: text ends with (a clean ends with it too).
REFLOW_BREAK = re.compile(r"\r\n|[\n\r\u2028\u2029]")
TRAILING_BREAK = re.compile(r"(\r\n|[\n\r\u2028\u2029])[ \t]*$")


def kept_blocks(blocks, settings=DEFAULTS):
    """The blocks a clean keeps: content, plus debris of kinds in ``keep``."""
    return [b for b in blocks if b.label != BOILERPLATE or b.kind in settings.keep]


def render(text, blocks, settings=DEFAULTS):
    """The clean text: the kept ``blocks`` of ``text`` joined with its own separators."""
    clean = render_kept(text, kept_blocks(blocks, settings))[0]
    return reflow_paragraphs(clean) if settings.reflow else clean


def render_kept(text, kept):
    """Join ``kept`` blocks of ``text``; return the result and where each block landed.

    Between two kept blocks goes the whitespace that stood between them in
    the input (a blank line stays a blank line); where removed text sat
    between them, the line break (or blank line) that preceded it. Blocks
    cut out of one line are joined with nothing between them. The result
    ends with the input's final line break, if it had one.
    """
    parts, starts, length = [], [], 0
    for previous, block in zip([None, *kept], kept):
        if previous is not None:
            parts.append(_separator(text, previous.end, block.start))
            length += len(parts[-1])
        starts.append(length)
        parts.append(block.text)
        length += len(parts[-1])
    if parts:
        parts.append(_trailing_break(text))
    return "".join(parts), starts


def reflow_paragraphs(text):
    """``text`` with the line breaks inside each hard-wrapped paragraph joined.

    Paragraphs are those :func:`stripper.blocks.split_blocks` finds: lines
    cut mid-sentence at the text's wrap width belong together.
    """
    from .blocks import split_blocks
    parts, position = [], 0
    for block in split_blocks(text):
        parts += [text[position:block.start], _reflow(block.text)]
        position = block.end
    parts.append(text[position:])
    return "".join(parts)


def _separator(text, end, start):
    gap = text[end:start]
    if gap.isspace():
        return gap
    breaks = list(LINE_BREAK.finditer(gap))
    if not breaks:
        return "" if not gap[:1].isspace() else " "
    first = breaks[0]
    blank = len(breaks) > 1 and not gap[first.end():breaks[1].start()].strip()
    return first.group() * (2 if blank else 1)


def _trailing_break(text):
    match = TRAILING_BREAK.search(text)
    return match.group(1) if match else ""


def _reflow(block_text):
    # Split and strip rather than substitute ``[ \t]*BREAK[ \t]*``: a
    # pattern that opens with a run of blanks rescans a long run of spaces
    # from each of its positions, which is quadratic time.
    first, *rest = REFLOW_BREAK.split(block_text)
    if not rest:
        return first
    middle = [line.strip(" \t") for line in rest[:-1]]
    return " ".join([first.rstrip(" \t"), *middle, rest[-1].lstrip(" \t")])
