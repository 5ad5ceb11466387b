"""Site prints: what one page tells about its site, as fingerprints, never text.

Site evidence (:mod:`stripper.sites`) finds a site's debris as the blocks that
repeat across its pages, while reporting repeats only with the rest of its
document. This module computes what one page contributes: 64-bit
fingerprints of its normalised blocks and of the sentence pieces at their
edges, of short two-part "template" blocks and of its headline candidates,
and two MinHash sketches of its word 5-shingles for finding copies of one
document (:func:`page_prints`, a small :class:`PagePrints`). It also holds the
per-block analysis that applying the evidence to a page needs
(:func:`analyse`).

Blocks are the cleaner's paragraphs (:func:`stripper.blocks.split_blocks`),
so a hard-wrapped paragraph is one block whatever its line breaks.

Normalisation (as defined block by block in :func:`norm_exact`,
:func:`number_form`, :func:`near_form`; computed here for a whole page at once):

- *exact form*: NFKC, zero-width characters and soft hyphens dropped,
  ``casefold()``, every whitespace run one space, stripped;
- *number form*: the exact form with each number, with the separators between
  its digits (dates, times, temperatures, pagers), as ``#``;
- *near form*: the tokens (``\\w+`` or ``#``) of the number form joined by one
  space. A block whose near form has no token but ``#`` has no near print.

Fingerprints are :func:`stripper.native.hash64` with one seed per kind (exact
blocks, near forms and pieces, templates, pages, words).

Speed: a page is analysed in a few passes, not block by block. Its blocks are
its lines unless a line may continue the one before (then ``split_blocks`` cuts
them); the compiled core cuts blocks into pieces
(:func:`stripper.native.piece_spans`) and hashes every block and edge piece,
numbers, near tokens and whitespace included, in one call
(:func:`stripper.native.span_prints`); NFKC and case folding run once on the
whole page when it folds character for character (most pages), else on its
blocks and pieces joined; the sketches take one core call each.
"""

import re
import struct
import unicodedata
from itertools import chain

import numpy as np

from . import native
from .blocks import _continues, split_blocks, wrap_width
from .errors import InputError

# ------------------------------------------------------------------ constants

#: Dropped before hashing: zero-width spaces and joiners, soft hyphen, byte-order mark.
_INVISIBLE_CHARACTERS = "\u200b\u200c\u200d\u2060\u00ad\ufeff"
INVISIBLE = re.compile(f"[{_INVISIBLE_CHARACTERS}]")
#: A number with its separators: "7°/ 3°", "05.11.2023", "1 2 3 .. 240", "12:30".
NUMBER = native.NUMBER
#: Tokens of the near form: words, and "#" for a number.
NEAR_TOKEN = re.compile(r"\w+|#")
#: The separator of a two-part block: "Showing: page 4", "Home | News", with the
#: whitespace around it (a match starts where a whitespace run does, so a run is
#: scanned once; the compiled core finds the first, outside numbers:
#: stripper.native.span_prints).
TEMPLATE_SPLIT = re.compile(r"(?<!\s)\s*(?:[:|•]|\s[-–—]\s)\s*")
_DIGIT = re.compile(r"\d")
#: Five words (from a word's start): a fixed side too long for a template.
_FIVE_WORDS = re.compile(r"(?<!\S)\S++\s++\S++\s++\S++\s++\S++\s++\S")
#: A template's variable side has at most this many words (longer: a headline or a
#: speaker's turn, "Analysis: <headline>", "Jane Doe: <what she said>", i.e. reporting).
TEMPLATE_VARIABLE = 4
#: Where a block is cut into sentence pieces (debris is glued on at such points):
#: after ". ! ? … » |", closing quotes and spaces, before a character that may open
#: a sentence (the compiled core cuts at the same places: native.piece_spans).
PIECE_BOUNDARY = re.compile(
    r"(?<=[.!?…»|])[\"'”’)]*\s*(?=[^\s\"'”’)a-zа-яёіїєß0-9,;:.!?…])")
#: Closing punctuation that makes a line a sentence rather than a heading or a label.
SENTENCE_END = re.compile(r"[.!?…;,]['\"”’»)\]]*$")
#: A headline may end in a question or exclamation mark, not in a full stop.
HEADLINE_END = re.compile(r"[.…;,]['\"”’»)\]]*$")
#: A list item: part of a box, never a heading.
BULLET = re.compile(r"^(?:[-*•·–—▪►→>]|\d{1,3}[.)])\s")

#: Only the first and last PIECE_EDGE pieces of a block are fingerprinted: debris
#: glued onto a block sits at its edges.
PIECE_EDGE = 4
#: A block of at least this many characters is "long": a paragraph, not a line.
LONG_BLOCK = 150
#: A headline candidate is followed by a long block within this many blocks.
TITLE_LOOKAHEAD = 5
#: Headline candidates: at most this many per page, of at most TITLE_WORDS words
#: and TITLE_CHARS characters.
TITLES = 3
TITLE_WORDS = 25
TITLE_CHARS = 200
#: MinHash bins per sketch.
SKETCH_BINS = 64
EMPTY = native.EMPTY

#: hash64 seeds, one per kind of print (hexadecimal digits of pi, after the
#: two that stripper.native's n-gram hashes use).
SEED_EXACT = 0xA4093822299F31D0    # a block's exact form
SEED_NEAR = 0x082EFA98EC4E6C89     # near forms: blocks, pieces, headlines, teased titles
SEED_TEMPLATE = 0x452821E638D01377  # "head:<fixed side>" of a template
SEED_PAGE = 0xBE5466CF34E90C6C     # a page's digest
SEED_WORD = 0xC0AC29B7C97C50DD     # a near-form token, for shingles

#: The kinds of prints a page contributes, in :class:`PagePrints` order.
KINDS = ("exact", "near", "template", "piece", "title")


# ------------------------------------------------------ definitions, block by block

def norm_exact(text):
    """Exact form: NFKC, invisible characters dropped, case folded, every whitespace
    run one space, stripped."""
    if not text.isascii():
        text = INVISIBLE.sub("", unicodedata.normalize("NFKC", text))
    return " ".join(text.casefold().split())


def number_form(exact):
    """The exact form with each number (digits and the separators between them) as "#"."""
    return NUMBER.sub("#", exact)


def near_form(exact):
    """Near form of an exact form: its words and "#"s joined by one space.
    "12 comments" and "345 comments" -> "# comments"; "< 1 2 3 .. 240 >" -> "#"."""
    return " ".join(NEAR_TOKEN.findall(number_form(exact)))


def pieces(text):
    """(start, end) offsets in ``text`` of its sentence-like pieces: the text cut
    at :data:`PIECE_BOUNDARY` (strictly inside it), each piece stripped, blank ones
    left out."""
    cuts = [m.end() for m in PIECE_BOUNDARY.finditer(text) if 0 < m.end() < len(text)]
    bounds = [0, *cuts, len(text)]
    spans = []
    for a, b in zip(bounds, bounds[1:]):
        piece = text[a:b]
        stripped = piece.strip()
        if stripped:
            lead = a + len(piece) - len(piece.lstrip())
            spans.append((lead, lead + len(stripped)))
    return spans


def title_candidates(texts):
    """Indices of the first TITLES headline-like blocks: at most TITLE_WORDS words of
    which 2 with letters, at most TITLE_CHARS characters, not ending in a full stop
    (a headline may end in ? or !), not a list item, followed within
    TITLE_LOOKAHEAD blocks by a long block."""
    found, next_long = [], len(texts) + TITLE_LOOKAHEAD  # the first long block after i
    after = [0] * len(texts)
    for i in range(len(texts) - 1, -1, -1):
        after[i] = next_long
        if len(texts[i]) >= LONG_BLOCK:
            next_long = i
    for i, t in enumerate(texts):
        if len(t) > TITLE_CHARS or after[i] > i + TITLE_LOOKAHEAD:
            continue
        tokens = t.split()
        if not 2 <= len(tokens) <= TITLE_WORDS:
            continue  # (two words with letters are needed)
        stripped = t.strip()
        if HEADLINE_END.search(stripped) or BULLET.match(stripped):
            continue
        if _lettered(tokens) >= 2:
            found.append(i)
            if len(found) == TITLES:
                break
    return found


def _lettered(tokens):
    """How many of ``tokens`` hold a letter (counting stops at 2)."""
    count = 0
    for w in tokens:
        if w.isalpha() or (not w.isdigit() and any(c.isalpha() for c in w)):
            count += 1
            if count == 2:
                break
    return count


# ------------------------------------------------------------------ blocks

def block_spans(text):
    """(start, end) of each block of ``text``, as :func:`stripper.blocks.split_blocks`
    cuts them. Blocks join lines only where a line continues the one before: a line
    opening in lower case, or (in hard-wrapped text) one after a line ending in a
    comma, a hyphen or a lower-case letter. Most scraped pages have no such pair of
    lines, or none that ``split_blocks`` joins: their blocks are their lines, found
    by the compiled core. Other pages go through ``split_blocks``."""
    lines = [tuple(x) for x in native.split_lines(text).tolist()]
    if len(lines) < 2:
        return lines
    width = None
    for previous, line in zip(lines, lines[1:]):
        lower, last = text[line[0]].islower(), text[previous[1] - 1]
        if not lower and not (last in ",-" or last.islower()):
            continue  # a capital after a finished line starts a block of its own
        if width is None:
            width = wrap_width(text, lines)
        if (lower or width) and _continues(text, previous, line, width):
            return [(b.start, b.end) for b in split_blocks(text)]
    return lines


def _separator(text):
    """A private-use character that ``text`` does not hold: it joins a page's strings
    for one-pass normalisation (NFKC, case folding and the regular expressions
    neither produce it nor act across it)."""
    for code in range(0xE000, 0xF900):
        if chr(code) not in text:
            return chr(code)
    for code in range(0xF0000, 0x10FFFE):  # pragma: no cover - 6,400 private characters in use
        if chr(code) not in text:
            return chr(code)
    raise InputError("text holds every private-use character")  # pragma: no cover


def _folded(text, segments):
    """(folded text, int64 [k, 2] spans of the segments in it): the texts of
    ``segments`` (int64 [k, 2]) of ``text`` with NFKC, invisible characters dropped
    and case folded, which with whitespace collapsed (the core does it as it
    hashes) are their exact forms. Most pages fold character for character (NFKC leaves them
    as they are, no invisible character, no case folding into two characters):
    the page is folded once and the spans stay. Others are folded as the texts
    joined by a private-use separator, which nothing folds into or across."""
    if text.isascii():
        return text.lower(), segments
    folded = text.casefold()
    if len(folded) == len(text) and not any(c in text for c in _INVISIBLE_CHARACTERS) \
            and unicodedata.is_normalized("NFKC", text):
        return folded, segments
    sep = _separator(text)
    joined = unicodedata.normalize("NFKC", sep.join([text[a:b] for a, b in segments.tolist()]))
    if any(c in joined for c in _INVISIBLE_CHARACTERS):
        joined = INVISIBLE.sub("", joined)
    joined = joined.casefold()
    lengths = np.array([len(p) for p in joined.split(sep)] if len(segments) else [], np.int64)
    ends = np.cumsum(lengths + 1) - 1
    return joined, np.stack([ends - lengths, ends], axis=1)


class Analysis:
    """One page, analysed for site evidence: its blocks and their prints.

    ``spans``/``texts``: the blocks; ``exact``/``near``: their prints (uint64
    arrays; ``near`` 0 without a word); ``template``/``teased``: per block, the
    print of the fixed side of a template block and the near print of a two-part
    block's variable side (0 if none); ``pieces``: int64 pieces per block;
    ``edges``: int64 ``[m, 4]`` (start, end, block, index in block) of the edge
    pieces (the first and last PIECE_EDGE of blocks of two or more), and
    ``edge_prints`` their near prints; ``titles``: indices of the headline
    candidates; ``digest``: the page print; ``sketches``/``shingles``: the page
    and long-block sketches and their distinct shingle counts (when asked for).
    """

    __slots__ = ("spans", "texts", "exact", "near", "template", "teased", "pieces",
                 "edges", "edge_prints", "titles", "digest", "sketches", "shingles")


def analyse(text, spans=None, sketches=True):
    """The :class:`Analysis` of one page. ``spans``: its blocks (:func:`block_spans`
    when None)."""
    spans = block_spans(text) if spans is None else [tuple(s) for s in spans]
    n = len(spans)
    flat = np.fromiter(chain.from_iterable(spans), np.int64, 2 * n).reshape(-1, 2)
    edges, counts = native.piece_spans(text, flat, PIECE_EDGE)
    segments = np.concatenate([flat, edges[:, :2]]) if len(edges) else flat
    folded, where = _folded(text, segments)
    exact, near, has_word, marks, tokens, token_ends, digest = native.span_prints(
        folded, where, n, SEED_EXACT, SEED_WORD, SEED_NEAR, SEED_PAGE)
    near = np.where(has_word, near, np.uint64(0))
    out = Analysis()
    out.spans, out.texts = spans, [text[a:b] for a, b in spans]
    out.exact, out.near, out.digest = exact[:n], near[:n], digest
    out.pieces, out.edges, out.edge_prints = counts, edges, near[n:]
    out.template, out.teased = [0] * n, [0] * n
    marked = np.flatnonzero(marks[:n] >= 0).tolist()
    if marked:
        _templates(folded, where, marks, marked, out)
    out.titles = title_candidates(out.texts)
    out.sketches = out.shingles = None
    if sketches:
        token_ends = token_ends[:n]
        page, page_count = native.shingle_sketch(tokens, token_ends)
        body, body_count = native.shingle_sketch(
            tokens, token_ends, bytes(len(t) >= LONG_BLOCK for t in out.texts))
        out.sketches = np.stack([page, body])
        out.shingles = (page_count, body_count)
    return out


def _templates(folded, where, marks, marked, out):
    """Set ``out.template`` and ``out.teased`` for the blocks ``marked``, whose
    number form has a separator mark (their exact forms but for whitespace are
    ``folded`` at ``where``; ``marks``: where their first mark is): the template
    print of "<fixed> SEP <variable>" (the number form split at its first
    separator, a fixed side of 1-4 words, a variable side of at most
    TEMPLATE_VARIABLE words), and the near print of a variable side of 2+ tokens
    (a teased headline). Numbers never hold the first mark, so each side's
    number form is that of its own text."""
    heads, head_of, variables, variable_of = [], [], [], []
    for i, (a, b), m in zip(marked, where[marked].tolist(), marks[marked].tolist()):
        if _FIVE_WORDS.match(folded, a, m) and not _DIGIT.search(folded, a, m):
            continue  # a fixed side of 5+ words (numbers may join words, nothing else)
        fixed = NUMBER.sub("#", " ".join(folded[a:m].split()))
        if not 1 <= len(fixed.split()) <= 4:
            continue
        variable = NUMBER.sub("#", " ".join(folded[m + 1:b].split()))
        if not variable:
            continue
        if len(variable.split()) <= TEMPLATE_VARIABLE:
            heads.append("head:" + fixed)
            head_of.append(i)
        tokens = NEAR_TOKEN.findall(variable)
        if len(tokens) >= 2:
            variables.append(" ".join(tokens))
            variable_of.append(i)
    if heads:
        for i, value in zip(head_of, native.hash_strings(heads, SEED_TEMPLATE).tolist()):
            out.template[i] = value
    if variables:
        for i, value in zip(variable_of, native.hash_strings(variables, SEED_NEAR).tolist()):
            out.teased[i] = value


# ------------------------------------------------------------------ page prints

_HEADER = struct.Struct("<2sBxQII5I")
#: In-memory bytes of a PagePrints besides its arrays' data (sys.getsizeof of
#: the object, its two tuples, its digest and two array headers; checked by a test).
_OVERHEAD = 480
_MAGIC, _VERSION = b"SP", 1


class PagePrints:
    """What one page contributes to gathering site evidence: fingerprints only.

    ``digest``: the page print (its blocks' exact forms); ``shingles``: distinct
    5-shingles of all its blocks and of its long blocks; ``sketches``: uint64
    ``[2, SKETCH_BINS]``, their MinHash sketches; ``prints``: uint64, the sorted
    distinct prints of each kind of :data:`KINDS` laid end to end, ``sizes`` how
    many of each (``exact`` and ``near`` blocks, ``template`` keys, ``piece``
    prints not already among ``near``, headline candidates' near prints as
    ``title``). Picklable; :meth:`to_bytes` is its compact form (1-1.5 KB for a
    page of 1.6 KB).
    """

    __slots__ = ("digest", "shingles", "sketches", "prints", "sizes")

    def __init__(self, digest, shingles, sketches, prints, sizes):
        self.digest = int(digest)
        self.shingles = (int(shingles[0]), int(shingles[1]))
        self.sketches = np.ascontiguousarray(sketches, dtype=np.uint64).reshape(2, SKETCH_BINS)
        self.prints = np.ascontiguousarray(prints, dtype=np.uint64)
        self.sizes = tuple(int(x) for x in sizes)

    def kind(self, name):
        """The sorted distinct prints of one kind of :data:`KINDS`."""
        k = KINDS.index(name)
        start = sum(self.sizes[:k])
        return self.prints[start:start + self.sizes[k]]

    def nbytes(self):
        """Bytes held in memory: the arrays' data and headers, the object, its
        tuples and its digest."""
        return self.sketches.nbytes + self.prints.nbytes + _OVERHEAD

    def to_bytes(self):
        """Compact, versioned little-endian form: header, each sketch as a 64-bit
        mask of its non-empty bins and their values, then the prints."""
        parts = [_HEADER.pack(_MAGIC, _VERSION, self.digest, *self.shingles, *self.sizes)]
        for sketch in self.sketches:
            full = sketch != np.uint64(EMPTY)
            mask = int(np.packbits(full, bitorder="little").view("<u8")[0])
            parts.append(struct.pack("<Q", mask))
            parts.append(sketch[full].astype("<u8").tobytes())
        parts.append(self.prints.astype("<u8").tobytes())
        return b"".join(parts)

    @classmethod
    def from_bytes(cls, data):
        """A :class:`PagePrints` from :meth:`to_bytes`; InputError if malformed."""
        data = bytes(data)
        try:
            magic, version, digest, page, body, *sizes = _HEADER.unpack_from(data, 0)
        except struct.error:
            raise InputError("page prints: truncated record") from None
        if magic != _MAGIC or version != _VERSION:
            raise InputError("page prints: not a page-prints record of a known version")
        pos, sketches = _HEADER.size, np.full((2, SKETCH_BINS), EMPTY, dtype=np.uint64)
        for row in range(2):
            if pos + 8 > len(data):
                raise InputError("page prints: truncated record")
            (mask,) = struct.unpack_from("<Q", data, pos)
            full = np.unpackbits(np.frombuffer(struct.pack("<Q", mask), np.uint8),
                                 bitorder="little").astype(bool)
            count = int(full.sum())
            pos += 8
            if pos + 8 * count > len(data):
                raise InputError("page prints: truncated record")
            sketches[row, full] = np.frombuffer(data, "<u8", count, pos)
            pos += 8 * count
        if len(data) - pos != 8 * sum(sizes):
            raise InputError("page prints: record length does not match its sizes")
        prints = np.frombuffer(data, "<u8", sum(sizes), pos).astype(np.uint64)
        return cls(digest, (page, body), sketches, prints, sizes)

    def __reduce__(self):
        return (PagePrints.from_bytes, (self.to_bytes(),))

    def __eq__(self, other):
        return isinstance(other, PagePrints) and self.to_bytes() == other.to_bytes()

    def __hash__(self):
        return hash(self.to_bytes())

    def __repr__(self):
        return (f"PagePrints(digest={self.digest:#018x}, shingles={self.shingles}, "
                f"sizes={dict(zip(KINDS, self.sizes))})")


def page_prints(text, spans=None):
    """What one page contributes to site evidence (:class:`PagePrints`): fingerprints
    and sketches of its blocks (``spans``, or :func:`block_spans`), never text."""
    if not isinstance(text, str):
        raise TypeError(f"text is {type(text).__name__}, not str")
    return prints_of(analyse(text, spans))


def prints_of(a):
    """The :class:`PagePrints` of an :class:`Analysis` made with sketches."""
    near_list = a.near.tolist()
    near = set(near_list)
    near.discard(0)
    template = set(a.template)
    template.discard(0)
    piece = set(a.edge_prints.tolist()) - near
    piece.discard(0)
    title = {near_list[i] for i in a.titles} - {0}
    parts = [sorted(set(a.exact.tolist())), sorted(near), sorted(template), sorted(piece),
             sorted(title)]
    return PagePrints(a.digest, a.shingles, a.sketches,
                      np.array([v for p in parts for v in p], dtype=np.uint64),
                      [len(p) for p in parts])
