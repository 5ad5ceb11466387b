"""The scoring core: hashed n-grams, tf-idf weights, linear and tree scores.

Each function runs in the compiled module :mod:`stripper._core` when it is
built, and otherwise in its numpy twin here, after one logged warning. The
twins are the executable specification: ``tests/test_native.py`` checks
that both give identical results, bit for bit, on generated and real text.
Every public function takes ``use_core``: ``None`` (the default) uses the
compiled core when present, ``False`` forces the twin, ``True`` requires
the core.

Hashed n-grams (:func:`hash_ngrams`)
------------------------------------
Text is taken as given: the caller lower-cases it and cuts it to length.

* **Word tokens** are maximal runs of code points ``c`` with
  ``c.isalnum() or c == "_"`` (what :mod:`re`'s ``\\w`` matches). A word
  n-gram is ``n`` consecutive tokens joined by one U+0020.
* **Character n-grams** ("char_wb"): the text is split on runs of
  whitespace (``str.isspace``, as :meth:`str.split` does); each piece is
  padded with one U+0020 each side, and every window of ``n`` code points
  of the padded piece is an n-gram, for each ``n`` in the range. A padded
  piece shorter than ``n`` gives no window of that length. (scikit-learn's
  ``char_wb`` instead counts a piece shorter than the *smallest* ``n`` once
  whole; the two agree whenever the smallest ``n`` is at most 3, since a
  padded piece has at least 3 code points.)
* **Hash** of a sequence of code point values ``c_1 .. c_L`` (a lone
  surrogate or NUL is just its value), all arithmetic modulo ``2**64``::

      h = seed
      for c in code_points:  h = h * K + c
      hash = fmix64(h)

  with ``K = 0x9E3779B97F4A7C15`` and ``fmix64`` MurmurHash3's 64-bit
  finaliser::

      h ^= h >> 33; h *= 0xFF51AFD7ED558CCD
      h ^= h >> 33; h *= 0xC4CEB9FE1A85EC53
      h ^= h >> 33

  ``seed`` is :data:`WORD_SEED` (``0x243F6A8885A308D3``) for word n-grams,
  :data:`CHAR_SEED` (``0x13198A2E03707344``) for character n-grams. The
  bucket is the hash's low ``bits`` bits. The inner polynomial is the same
  on every platform and byte order, and it extends by concatenation, so a
  word n-gram's hash is combined from its tokens' without building the
  string; ``fmix64`` makes every bit of the result depend on every bit of
  ``h``, so the low bits are well mixed. It is not a cryptographic hash:
  someone who wants two n-grams to share a bucket can make them.
  The same hash, with other seeds, fingerprints site prints
  (:func:`hash_strings`, :func:`span_prints`; see :mod:`stripper.siteprints`).
* **Columns**: word buckets ``[0, 2**word_bits)``, then character buckets
  offset by ``2**word_bits`` (by 0 when word n-grams are off).

:func:`hash64`, :func:`word_ngrams` and :func:`char_ngrams` state these
definitions in the plainest Python; the twin of :func:`hash_ngrams`
computes the same thing vectorised.
"""

import logging
import math
import re
from itertools import chain

import numpy as np

try:
    from . import _core
except ImportError as error:  # not built: the numpy twins do the work
    _core = None
    logging.getLogger(__name__).warning(
        "stripper._core is not built (%s); scoring falls back to numpy, about ten "
        "times slower. Reinstall with a C compiler to build it.", error)

#: Is the compiled core importable?
HAVE_CORE = _core is not None

K = 0x9E3779B97F4A7C15
WORD_SEED = 0x243F6A8885A308D3
CHAR_SEED = 0x13198A2E03707344
#: Longest n-gram, in tokens or code points, that the core accepts.
MAX_N = 64
_MASK = (1 << 64) - 1
_K_INVERSE = pow(K, -1, 1 << 64)

_WORD = re.compile(r"\w+")
_PIECE = re.compile(r"\S+")
_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
#: A non-blank line with its outer whitespace stripped: from a non-space to
#: the last non-space before the next line break.
_LINE = re.compile(rf"\S(?:[^{_BREAKS}]*\S)?")
#: Code points per vectorised step of the hashing twin, bounding its memory.
_CHUNK_CODE_POINTS = 1 << 20


def _use_core(use_core):
    if use_core is None:
        return HAVE_CORE
    if use_core and not HAVE_CORE:
        raise ImportError("stripper._core is not built")
    return bool(use_core)


# ------------------------------------------------------------ the definitions

def fmix64(h):
    """MurmurHash3's 64-bit finaliser, on a Python int."""
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & _MASK
    h ^= h >> 33
    h = (h * 0xC4CEB9FE1A85EC53) & _MASK
    return h ^ (h >> 33)


def hash64(seed, text):
    """The n-gram hash of ``text``'s code points: the definition, slowly."""
    h = seed
    for char in text:
        h = (h * K + ord(char)) & _MASK
    return fmix64(h)


def word_ngrams(text, low, high):
    """Word n-grams of ``low`` to ``high`` tokens, as strings."""
    tokens = _WORD.findall(text)
    return [" ".join(tokens[i:i + n]) for n in range(low, high + 1)
            for i in range(len(tokens) - n + 1)]


def char_ngrams(text, low, high):
    """Character n-grams of ``low`` to ``high`` code points inside padded pieces."""
    grams = []
    for piece in text.split():
        padded = f" {piece} "
        for n in range(low, min(high, len(padded)) + 1):
            grams.extend(padded[i:i + n] for i in range(len(padded) - n + 1))
    return grams


# ------------------------------------------------------------ hashed n-grams

def _range(ngrams, bits, name):
    if ngrams is None or bits is None:
        return 1, 1, 0
    low, high = (int(n) for n in ngrams)
    bits = int(bits)
    if not (1 <= low <= high <= MAX_N and 1 <= bits <= 30):
        raise ValueError(f"{name}: need 1 <= low <= high <= {MAX_N} and 1 <= bits <= 30, "
                         f"got {ngrams} and {bits}")
    return low, high, bits


def hash_ngrams(texts, word=(1, 2), char=(2, 4), word_bits=18, char_bits=18, *,
                use_core=None):
    """Hashed n-gram counts of each text, as CSR arrays.

    ``texts`` is a sequence of ``str``; ``word`` and ``char`` are inclusive
    ``(low, high)`` n-gram lengths, or ``None`` to leave that analyzer out.
    Returns ``(indptr, indices, counts)``: int64 ``[len(texts) + 1]``,
    int32 ``[nnz]``, int32 ``[nnz]``; within a row, indices rise strictly.
    The column space has ``column_count(...)`` columns: see the module
    docstring for the n-grams, the hash and the columns.
    """
    spec = (*_range(word, word_bits, "word"), *_range(char, char_bits, "char"))
    if _use_core(use_core):
        indptr, indices, counts = _core.hash_ngrams(texts, *spec)
        return (np.frombuffer(indptr, np.int64), np.frombuffer(indices, np.int32),
                np.frombuffer(counts, np.int32))
    return _hash_ngrams_numpy(list(texts), *spec)


def column_count(word=(1, 2), char=(2, 4), word_bits=18, char_bits=18):
    """How many columns :func:`hash_ngrams` has with these arguments."""
    return sum(1 << bits for ngrams, bits in ((word, word_bits), (char, char_bits))
               if ngrams is not None and bits is not None)


def analyzer_blocks(word=(1, 2), char=(2, 4), word_bits=18, char_bits=18):
    """Column boundaries of each analyzer, for ``norm_blocks``: each analyzer's
    part of a row l2-normalised on its own, as a union of two scikit-learn
    vectorizers with ``norm="l2"`` does."""
    sizes = [1 << bits for ngrams, bits in ((word, word_bits), (char, char_bits))
             if ngrams is not None and bits is not None]
    return np.cumsum([0] + sizes, dtype=np.int64)


def _code_points(text):
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), "<u4").astype(np.uint64)


def _fmix64_array(h):
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xFF51AFD7ED558CCD)
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xC4CEB9FE1A85EC53)
    return h ^ (h >> np.uint64(33))


def _spans(pattern, text):
    """``(start, end)`` of each match, as int64 ``[k, 2]``."""
    ends = chain.from_iterable(map(re.Match.span, pattern.finditer(text)))
    return np.fromiter(ends, dtype=np.int64).reshape(-1, 2)


def _ranges(starts, lengths):
    """Concatenated ``arange(s, s + n)`` for each start and length."""
    ends = np.cumsum(lengths)
    return np.repeat(starts - ends + lengths, lengths) + np.arange(ends[-1] if len(ends) else 0)


def _hash_ngrams_numpy(texts, wlo, whi, wbits, clo, chi, cbits):
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"texts[{i}] is {type(text).__name__}, not str")
    ncols = (1 << wbits if wbits else 0) + (1 << cbits if cbits else 0)
    keys, chunk, size, first = [], [], 0, 0
    for text in texts + [None]:
        if text is None or (chunk and size + len(text) > _CHUNK_CODE_POINTS):
            keys.append(first * ncols + _chunk_keys(chunk, wlo, whi, wbits, clo, chi, cbits))
            first, chunk, size = first + len(chunk), [], 0
        if text is not None:
            chunk.append(text)
            size += len(text) + 1
    columns, counts = np.unique(np.concatenate(keys), return_counts=True)
    rows = columns // max(ncols, 1)
    indptr = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=len(texts)), out=indptr[1:])
    return indptr, (columns % max(ncols, 1)).astype(np.int32), counts.astype(np.int32)


def _chunk_keys(texts, wlo, whi, wbits, clo, chi, cbits):
    """``row * ncols + column`` of every n-gram of ``texts``, rows from 0.

    The texts are joined by spaces, which neither tokens nor pieces cross.
    """
    joined = " ".join(texts)
    starts = np.cumsum([0] + [len(t) + 1 for t in texts[:-1]], dtype=np.int64)
    ncols = (1 << wbits if wbits else 0) + (1 << cbits if cbits else 0)
    rows, columns = [np.zeros(0, np.int64)], [np.zeros(0, np.uint64)]
    if wbits:
        for row, bucket in _word_buckets(joined, starts, wlo, whi, wbits):
            rows.append(row)
            columns.append(bucket)
    if cbits:
        offset = np.uint64(1 << wbits if wbits else 0)
        for row, bucket in _char_buckets(joined, starts, clo, chi, cbits):
            rows.append(row)
            columns.append(bucket + offset)
    return np.concatenate(rows) * ncols + np.concatenate(columns).astype(np.int64)


def _word_buckets(joined, starts, low, high, bits):
    """Word n-gram buckets, from per-token polynomials as the C core does.

    A token's polynomial comes from prefix sums: with
    ``R[j] = sum(c[i] * K**-(i+1) for i < j)``, the polynomial of
    ``c[a:b]`` (from zero) is ``K**b * (R[b] - R[a])``.
    """
    spans = _spans(_WORD, joined)
    if not len(spans):
        return
    code_points = _code_points(joined)
    size = len(code_points)
    power = np.cumprod(np.full(size + 1, K, dtype=np.uint64))  # K**(j+1)
    power = np.concatenate([np.ones(1, np.uint64), power[:-1]])  # K**j
    inverse = np.cumprod(np.full(size, _K_INVERSE, dtype=np.uint64))  # K**-(i+1)
    prefix = np.concatenate([np.zeros(1, np.uint64), np.cumsum(code_points * inverse)])
    a, b = spans[:, 0], spans[:, 1]
    poly = power[b] * (prefix[b] - prefix[a])
    scale = power[b - a]
    token_rows = np.searchsorted(starts, a, side="right") - 1
    mask, k = np.uint64((1 << bits) - 1), np.uint64(K)
    grams_poly, grams_scale = poly, scale  # n-grams ending at each token
    for n in range(1, high + 1):
        if n > 1:
            if len(grams_poly) < 2:
                break
            left_poly, left_scale = poly[:len(poly) - n + 1], scale[:len(scale) - n + 1]
            grams_poly = left_poly * (k * grams_scale[1:]) + np.uint64(32) * grams_scale[1:] \
                + grams_poly[1:]
            grams_scale = left_scale * k * grams_scale[1:]
        if n >= low:
            same_row = token_rows[:len(token_rows) - n + 1] == token_rows[n - 1:]
            hashed = _fmix64_array(np.uint64(WORD_SEED) * grams_scale + grams_poly)
            yield token_rows[n - 1:][same_row], (hashed & mask)[same_row]


def _char_buckets(joined, starts, low, high, bits):
    """Character n-gram buckets: windows streamed over the padded pieces laid
    end to end."""
    spans = _spans(_PIECE, joined)
    if not len(spans):
        return
    code_points = _code_points(joined)
    lengths = spans[:, 1] - spans[:, 0]
    padded = lengths + 2
    offsets = np.cumsum(padded) - padded
    laid = np.full(int(padded.sum()), 32, dtype=np.uint64)
    laid[_ranges(offsets + 1, lengths)] = code_points[_ranges(spans[:, 0], lengths)]
    remaining = np.repeat(offsets + padded, padded) - np.arange(len(laid))
    position_rows = np.repeat(np.searchsorted(starts, spans[:, 0], side="right") - 1, padded)
    mask, k = np.uint64((1 << bits) - 1), np.uint64(K)
    h = np.full(len(laid), CHAR_SEED, dtype=np.uint64)
    positions = np.arange(len(laid))
    for n in range(1, high + 1):
        fits = remaining >= n
        if not fits.any():
            break
        # Windows that do not fit read a wrong code point, and are dropped.
        h = h * k + laid[np.minimum(positions + n - 1, len(laid) - 1)]
        if n >= low:
            yield position_rows[fits], (_fmix64_array(h[fits]) & mask)


# ------------------------------------------------------------- split lines

def split_lines(text, *, use_core=None):
    """``(start, end)`` of each non-blank line of ``text``, as int64 ``[k, 2]``.

    Line breaks are ``\\r\\n``, ``\\n``, ``\\r``, ``\\x0b``, ``\\x0c``,
    ``\\x1c``, ``\\x1d``, ``\\x1e``, ``\\x85``, ``\\u2028`` and ``\\u2029``;
    spans leave out each line's leading and trailing whitespace
    (``str.strip``), as :func:`stripper.blocks.split_lines` does.
    """
    if not isinstance(text, str):
        raise TypeError(f"text is {type(text).__name__}, not str")
    if _use_core(use_core):
        return np.frombuffer(_core.split_lines(text), np.int64).reshape(-1, 2)
    return _spans(_LINE, text)


def char_classes(texts, head, tail, *, use_core=None):
    """How many letters, capitals and digits each text holds, as int64 ``[n, 3]``.

    Each code point counts as ``str.isalpha``, ``str.isupper`` and
    ``str.isdigit`` say; a text longer than ``head + tail`` counts only its
    first ``head`` and last ``tail`` code points.
    """
    texts = list(texts)
    if _use_core(use_core):
        return np.frombuffer(_core.char_classes(texts, int(head), int(tail)),
                             np.int64).reshape(-1, 3)
    counts = np.zeros((len(texts), 3), dtype=np.int64)
    for row, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"texts[{row}] is not str")
        part = text[:head] + text[len(text) - tail:] if len(text) > head + tail else text
        counts[row] = (sum(map(str.isalpha, part)), sum(map(str.isupper, part)),
                       sum(map(str.isdigit, part)))
    return counts



#: A word as :func:`word_counts` counts them.
WORD = re.compile(r"\w+(?:['’]\w+)?")


def word_counts(texts, vocabulary, *, use_core=None):
    """How many words each text holds, and how many of them are in ``vocabulary``.

    A word is what :data:`WORD` finds; ``vocabulary`` is a set or frozenset
    of str. Returns int64 ``[n, 2]``.
    """
    texts = list(texts)
    if _use_core(use_core):
        longest = max(map(len, vocabulary), default=0)
        return np.frombuffer(_core.word_counts(texts, vocabulary, longest),
                             np.int64).reshape(-1, 2)
    counts = np.zeros((len(texts), 2), dtype=np.int64)
    for row, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"texts[{row}] is not str")
        words = WORD.findall(text)
        counts[row] = (len(words), sum(map(vocabulary.__contains__, words)))
    return counts


# ------------------------------------------------------------- site prints
#
# For :mod:`stripper.siteprints`: the prints of a whole page in a few calls
# rather than one per block. :func:`hash_strings` hashes strings;
# :func:`piece_spans` cuts blocks into sentence pieces; :func:`span_prints`
# hashes spans of one text as exact forms, near forms (numbers as "#") and
# tokens, and finds template marks; :func:`shingle_sketch` makes MinHash
# sketches of token 5-shingles. Every hash is :func:`hash64` with the caller's
# seed.

#: A number with the separators between its digits ("05.11.2023", "12:30").
NUMBER = re.compile(r"\d(?:[\d\s.,:/°'’\-–]*[\d°])?")
#: A token of a near form: a run of word characters, or a single "#".
_NEAR_TOKEN = re.compile(r"\w+|#")
#: A mark that may split a template block ("Read more: ...", "Home | News").
_MARK = re.compile(r"[:|\u2022]|(?<=\s)[-\u2013\u2014](?=\s)")
#: Shingles combine this many consecutive token hashes ...
SHINGLE = 5
#: ... each multiplied by its own odd constant, then xor-ed and mixed.
SHINGLE_MULTIPLIERS = (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9,
                       0xD6E8FEB86659FD93, 0xFF51AFD7ED558CCD)
#: An empty bin of a sketch.
EMPTY = (1 << 64) - 1


def _seed(seed):
    seed = int(seed)
    if not 0 <= seed <= _MASK:
        raise ValueError("a seed must be in [0, 2**64)")
    return seed


def hash_strings(strings, seed, *, use_core=None):
    """``hash64(seed, s)`` of each ``str`` of a list or tuple, as uint64 ``[k]``."""
    seed = _seed(seed)
    if not isinstance(strings, (list, tuple)):
        raise TypeError("strings must be a list or tuple of str")
    if _use_core(use_core):
        return np.frombuffer(_core.hash_strings(strings, seed), np.uint64)
    for k, item in enumerate(strings):
        if not isinstance(item, str):
            raise TypeError(f"strings[{k}] is {type(item).__name__}, not str")
    code_points = _code_points("".join(strings))
    ends = np.cumsum([len(s) for s in strings], dtype=np.int64)
    return _hash_spans(code_points, ends - [len(s) for s in strings], ends, seed)


def _hash_spans(code_points, starts, ends, seed):
    """hash64(seed, ...) of ``code_points[a:b]`` for each start ``a`` and end ``b``,
    from prefix sums as :func:`_word_buckets` computes token polynomials."""
    size = len(code_points)
    power = np.ones(size + 1, dtype=np.uint64)
    inverse = np.cumprod(np.full(size, _K_INVERSE, dtype=np.uint64))
    if size:
        power[1:] = np.cumprod(np.full(size, K, dtype=np.uint64))
    prefix = np.concatenate([np.zeros(1, np.uint64), np.cumsum(code_points * inverse)])
    a, b = np.asarray(starts, np.int64), np.asarray(ends, np.int64)
    poly = power[b] * (prefix[b] - prefix[a])
    return _fmix64_array(np.uint64(seed) * power[b - a] + poly)


#: Where a block is cut into sentence pieces: the end of a match (after ". ! ?
#: … » |", closing quotes and spaces, before a character that may open a
#: sentence).
PIECE_CUT = re.compile(r"[.!?…»|][\"'”’)]*\s*(?=[^\s\"'”’)a-zа-яёіїєß0-9,;:.!?…])")


def piece_spans(text, spans, edge=0, *, use_core=None):
    """The sentence pieces of each block ``text[a:b]`` for ``(a, b)`` in ``spans``.

    A block is cut at the end of each match of :data:`PIECE_CUT` in it (strictly
    inside it); each piece is stripped of whitespace and kept when not blank.
    ``edge`` 0 returns every piece; ``edge`` n > 0 only the first and last n
    pieces of blocks of two pieces or more. Returns ``(rows, counts)``: int64
    ``[m, 4]``, per piece returned, its start and end in ``text``, its block
    and its index among the block's pieces; and int64 ``[k]`` pieces per block.
    """
    spans = np.ascontiguousarray(spans, dtype=np.int64).reshape(-1, 2)
    if _use_core(use_core):  # the core checks its arguments
        rows, counts = _core.piece_spans(text, spans, edge)
        return np.frombuffer(rows, np.int64).reshape(-1, 4), np.frombuffer(counts, np.int64)
    if not isinstance(text, str):
        raise TypeError(f"text is {type(text).__name__}, not str")
    if edge < 0:
        raise ValueError("edge must be at least 0")
    if ((spans[:, 0] < 0) | (spans[:, 1] < spans[:, 0]) | (spans[:, 1] > len(text))).any():
        raise ValueError("spans must be (start, end) with 0 <= start <= end <= len(text)")
    out, counts = [], []
    for k, (a, b) in enumerate(spans.tolist()):
        block = text[a:b]
        bounds = [0, *(m.end() for m in PIECE_CUT.finditer(block) if 0 < m.end() < len(block)),
                  len(block)]
        pieces = []
        for x, y in zip(bounds, bounds[1:]):
            piece = block[x:y]
            if piece.strip():
                lead = len(piece) - len(piece.lstrip())
                pieces.append((a + x + lead, a + x + lead + len(piece.strip())))
        counts.append(len(pieces))
        for m, (x, y) in enumerate(pieces):
            if not edge or (len(pieces) >= 2 and (m < edge or m >= len(pieces) - edge)):
                out.append((x, y, k, m))
    return np.array(out, dtype=np.int64).reshape(-1, 4), np.array(counts, np.int64)


def _first_mark(text, a, b):
    """Index in ``text`` of the first template mark of ``text[a:b]`` outside its
    numbers (NUMBER matches): ``:``, ``|``, ``•``, or a dash between whitespace
    with other characters before and after that whitespace; -1 if none."""
    segment = text[a:b]
    numbers = [m.span() for m in NUMBER.finditer(segment)]
    for m in _MARK.finditer(segment):
        p = m.start()
        if any(x <= p < y for x, y in numbers):
            continue
        if segment[p] in "-\u2013\u2014" and not (segment[:p].strip() and segment[p + 1:].strip()):
            continue
        return a + p
    return -1


def span_prints(text, spans, count, exact_seed, word_seed, near_seed, page_seed, *,
                use_core=None):
    """The prints of each segment ``text[a:b]`` for ``(a, b)`` in ``spans``.

    A segment's *exact form* is its whitespace runs as one space, stripped
    (``" ".join(segment.split())``). Its *number form* replaces each match of
    :data:`NUMBER` in the exact form (a decimal digit, and the separators up to
    its last digit or degree sign: "05.11.2023", "12:30", "7°/ 3°") with ``#``;
    its *near tokens* are the runs of word characters (``\\w+``) and the
    single ``#`` of its number form.

    ``spans`` is int64 ``[k, 2]``. Returns ``(exact, near, has_word, mark,
    tokens, ends, digest)``: per segment, uint64 ``hash64(exact_seed, exact
    form)`` (for the first ``count`` segments; 0 for the others) and ``hash64(near_seed, " ".join(near tokens))``, bool whether it
    has a token other than ``#``, int64 index in ``text`` of its first template
    mark outside numbers (``:``, ``|``, ``•``, or ``-``, ``–``, ``—`` between
    whitespace inside the segment), or -1; uint64 ``hash64(word_seed,
    token)`` of every near token in order; int64 count of tokens up to each
    segment's end; and ``hash64(page_seed, " ".join(exact forms of the first
    count segments))``.
    """
    spans = np.ascontiguousarray(spans, dtype=np.int64).reshape(-1, 2)
    if _use_core(use_core):  # the core checks its arguments
        out = _core.span_prints(text, spans, count, exact_seed, word_seed, near_seed,
                                page_seed)
        return (np.frombuffer(out[0], np.uint64), np.frombuffer(out[1], np.uint64),
                np.frombuffer(out[2], np.bool_), np.frombuffer(out[3], np.int64),
                np.frombuffer(out[4], np.uint64), np.frombuffer(out[5], np.int64), out[6])
    if not isinstance(text, str):
        raise TypeError(f"text is {type(text).__name__}, not str")
    seeds = [_seed(x) for x in (exact_seed, word_seed, near_seed, page_seed)]
    count = int(count)
    if not 0 <= count <= len(spans):
        raise ValueError("spans must be [k, 2] and count in [0, k]")
    if ((spans[:, 0] < 0) | (spans[:, 1] < spans[:, 0]) | (spans[:, 1] > len(text))).any():
        raise ValueError("spans must be (start, end) with 0 <= start <= end <= len(text)")
    forms = [" ".join(text[a:b].split()) for a, b in spans.tolist()]
    sep = next(chr(c) for c in range(0xE000, 0x10FFFF) if all(chr(c) not in f for f in forms))
    digest = int(hash_strings([" ".join(forms[:count])], seeds[3], use_core=False)[0])
    exact = hash_strings(forms, seeds[0], use_core=False)
    exact[count:] = 0
    numbers = [NUMBER.sub("#", f) for f in forms]
    marked = np.array([_first_mark(text, a, b) for a, b in spans.tolist()], dtype=np.int64)
    numbered = sep.join(numbers)
    code_points = _code_points(numbered)
    cuts = np.flatnonzero(code_points == ord(sep))
    found = _spans(_NEAR_TOKEN, numbered)
    a, b = found[:, 0], found[:, 1]
    segment = np.searchsorted(cuts, a)
    tokens = _hash_spans(code_points, a, b, seeds[1])
    ends = np.searchsorted(segment, np.arange(len(cuts) + 1), side="right").astype(np.int64)
    is_number = (b - a == 1) & (code_points[a] == ord("#")) if len(a) else np.zeros(0, bool)
    has_word = np.bincount(segment[~is_number], minlength=len(cuts) + 1) > 0
    near = hash_strings([" ".join(_NEAR_TOKEN.findall(f)) for f in numbers], seeds[2],
                        use_core=False)
    if not len(spans):
        return (np.zeros(0, np.uint64), np.zeros(0, np.uint64), np.zeros(0, bool),
                np.zeros(0, np.int64), np.zeros(0, np.uint64), np.zeros(0, np.int64), digest)
    return exact, near, has_word, marked, tokens, ends, digest


def shingle_sketch(hashes, ends, select=None, bins=64, *, use_core=None):
    """One-permutation MinHash of the 5-shingles of lists of token hashes.

    ``hashes`` is uint64 ``[n]``; list ``k`` is ``hashes[ends[k-1]:ends[k]]``
    (from 0 for ``k = 0``), ``ends`` int64 rising; only the lists whose
    ``select`` (bool ``[k]``; None: all) is set count. A shingle never crosses
    from one list to the next; a list of fewer than :data:`SHINGLE` hashes is
    one shingle, padded with zeros; an empty list has none. A shingle's value
    is ``fmix64`` of the xor of its hashes times :data:`SHINGLE_MULTIPLIERS`
    (modulo ``2**64``). Returns ``(sketch, count)``: uint64 ``[bins]``, where
    bin ``i`` holds the least distinct shingle value ``v`` with ``v % bins ==
    i`` (:data:`EMPTY` if none), and the number of distinct shingles.
    """
    hashes = np.ascontiguousarray(hashes, dtype=np.uint64)
    ends = np.ascontiguousarray(ends, dtype=np.int64)
    if isinstance(select, (bytes, bytearray)):
        select = np.frombuffer(select, np.uint8)
    elif select is not None:
        select = np.ascontiguousarray(select, dtype=np.uint8)
    if _use_core(use_core):  # the core checks its arguments
        sketch, count = _core.shingle_sketch(hashes.view(np.int64), ends, select, int(bins))
        return np.frombuffer(sketch, np.uint64), count
    bins = int(bins)
    if not 1 <= bins <= 1 << 20:
        raise ValueError("bins must be in [1, 2**20]")
    starts = np.concatenate([[0], ends[:-1]]).astype(np.int64)
    if ends.ndim != 1 or (ends < starts).any() or (len(ends) and ends[-1] > len(hashes)) \
            or (select is not None and len(select) != len(ends)):
        raise ValueError("ends must rise from 0 to at most len(hashes), "
                         "with one select per list")
    chosen = range(len(ends)) if select is None else np.flatnonzero(select).tolist()
    lists = [hashes[starts[k]:ends[k]] for k in chosen if ends[k] > starts[k]]
    lists = [h if len(h) >= SHINGLE else np.concatenate([h, np.zeros(SHINGLE - len(h), np.uint64)])
             for h in lists]
    sketch = np.full(bins, EMPTY, dtype=np.uint64)
    if not lists:
        return sketch, 0
    values = []
    for h in lists:
        k = len(h) - SHINGLE + 1
        x = np.zeros(k, dtype=np.uint64)
        for offset, mult in enumerate(SHINGLE_MULTIPLIERS):
            x ^= h[offset:offset + k] * np.uint64(mult)
        values.append(x)
    values = np.unique(_fmix64_array(np.concatenate(values)))
    np.minimum.at(sketch, (values % np.uint64(bins)).astype(np.int64), values)
    return sketch, int(len(values))


# ------------------------------------------------------------------- trees

#: The arrays of an exported tree ensemble, and their types.
TREE_ARRAYS = {"feature": np.int32, "threshold": np.float64, "missing_left": np.uint8,
               "left": np.int32, "right": np.int32, "leaf": np.uint8,
               "value": np.float64, "roots": np.int32}


def export_hist_gradient_boosting(model):
    """A fitted binary ``HistGradientBoostingClassifier`` as plain arrays.

    Returns a dict of the :data:`TREE_ARRAYS` (one item per node of all
    trees laid end to end; ``left`` and ``right`` index that whole array;
    ``roots`` holds each tree's first node) and ``baseline``, a float64
    scalar array. The keys are those of
    :func:`stripper.context.export_trees`, whose dicts
    :func:`tree_predict` also takes.
    """
    if any(len(trees) != 1 for trees in model._predictors):
        raise ValueError("only binary classifiers: one tree per iteration")
    nodes = [trees[0].nodes for trees in model._predictors]
    if any(n["is_categorical"].any() for n in nodes):
        raise ValueError("categorical splits are not supported")
    sizes = [len(n) for n in nodes]
    offsets = np.cumsum([0] + sizes[:-1]).astype(np.int64)
    shift = np.repeat(offsets, sizes)

    def field(name, dtype):
        return np.concatenate([n[name] for n in nodes] + [np.zeros(0)]).astype(dtype)

    return {
        "feature": field("feature_idx", np.int32),
        "threshold": field("num_threshold", np.float64),
        "missing_left": field("missing_go_to_left", np.uint8),
        "left": (field("left", np.int64) + shift).astype(np.int32),
        "right": (field("right", np.int64) + shift).astype(np.int32),
        "leaf": field("is_leaf", np.uint8),
        "value": field("value", np.float64),
        "roots": offsets.astype(np.int32),
        "baseline": np.array(np.ravel(model._baseline_prediction)[0], dtype=np.float64),
    }


def _tree_arrays(trees):
    arrays = {name: np.ascontiguousarray(trees[name], dtype=dtype)
              for name, dtype in TREE_ARRAYS.items()}
    baseline = float(np.asarray(trees["baseline"], dtype=np.float64).reshape(()))
    return arrays, baseline


def tree_predict(X, trees, *, use_core=None):
    """Raw margin of each row of ``X``: the baseline plus, tree by tree in
    order, the value of the leaf the row reaches.

    ``X`` is float64 ``[n, m]``; at a node a row goes left when its value of
    the node's feature is ``<= threshold``, or, when that value is NaN, when
    ``missing_left`` is set (as scikit-learn predicts). ``trees`` is a dict
    from :func:`export_hist_gradient_boosting`. Malformed trees (a child not
    after its parent, a feature outside ``X``) raise ValueError.
    """
    X = np.ascontiguousarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError("X must be two-dimensional")
    arrays, baseline = _tree_arrays(trees)
    if _use_core(use_core):
        out = np.empty(len(X), dtype=np.float64)
        _core.tree_predict(X, *arrays.values(), baseline, out)
        return out
    return _tree_predict_numpy(X, arrays, baseline)


def _tree_predict_numpy(X, t, baseline):
    count = len(t["feature"])
    if any(len(a) != count for name, a in t.items() if name != "roots"):
        raise ValueError("tree arrays differ in length")
    node_ids = np.arange(count)
    inner = t["leaf"] == 0
    if (inner & ((t["feature"] < 0) | (t["feature"] >= X.shape[1])
                 | (t["left"] <= node_ids) | (t["left"] >= count)
                 | (t["right"] <= node_ids) | (t["right"] >= count))).any():
        raise ValueError("a node's feature or child is out of range")
    if ((t["roots"] < 0) | (t["roots"] >= count)).any():
        raise ValueError("a tree's root is out of range")
    rows = np.arange(len(X))[:, None]
    node = np.broadcast_to(t["roots"], (len(X), len(t["roots"]))).copy()
    while True:
        walking = inner[node]
        if not walking.any():
            break
        values = X[rows, np.where(walking, t["feature"][node], 0)]
        left = np.where(np.isnan(values), t["missing_left"][node] != 0,
                        values <= t["threshold"][node])
        node = np.where(walking, np.where(left, t["left"][node], t["right"][node]), node)
    # In tree order from the baseline: accumulate adds left to right.
    terms = np.column_stack([np.full(len(X), baseline), t["value"][node]])
    return np.add.accumulate(terms, axis=1)[:, -1]


# ---------------------------------------------------------- linear scoring

def _csr(indptr, indices):
    indptr = np.ascontiguousarray(indptr, dtype=np.int64)
    indices = np.ascontiguousarray(indices, dtype=np.int32)
    if len(indptr) < 1 or indptr[0] != 0 or indptr[-1] != len(indices) \
            or (np.diff(indptr) < 0).any():
        raise ValueError("indptr must rise from 0 to len(indices)")
    return indptr, indices


def _reals(array):
    array = np.asarray(array)
    return np.ascontiguousarray(array, dtype=np.float32 if array.dtype == np.float32
                                else np.float64)


def tfidf_weights(indptr, indices, counts, idf=None, sublinear=False, norm_blocks=None, *,
                  use_core=None):
    """The weight of each stored item of a count CSR, as float64 ``[nnz]``.

    ``tf`` is the count, or ``1 + log(count)`` with ``sublinear`` (counts
    must then be at least 1); it is multiplied by ``idf[column]`` when
    ``idf`` (float32 or float64, one per column) is given. With
    ``norm_blocks``, rising column boundaries ``b``, each row's items in
    ``[b[k], b[k+1])`` are divided by their l2 norm, block by block (a zero
    norm leaves them as they are); every column must then fall in a block.
    ``norm_blocks=[0, ncols]`` normalises whole rows; :func:`analyzer_blocks`
    gives one block per analyzer. Training builds its matrix with this
    function and scoring uses it too, so both weigh alike.
    """
    indptr, indices = _csr(indptr, indices)
    counts = np.ascontiguousarray(counts, dtype=np.int32)
    idf = None if idf is None else _reals(idf)
    blocks = None if norm_blocks is None else np.ascontiguousarray(norm_blocks, np.int64)
    if _use_core(use_core):
        out = np.empty(len(indices), dtype=np.float64)
        _core.tfidf_weights(indptr, indices, counts, idf, bool(sublinear), blocks, out)
        return out
    return _tfidf_numpy(indptr, indices, counts, idf, sublinear, blocks)


def _tfidf_numpy(indptr, indices, counts, idf, sublinear, blocks):
    if len(counts) != len(indices):
        raise ValueError("counts and out must match indices")
    bad = "a column is outside idf or blocks, or a count is below 1 with sublinear tf"
    if (indices < 0).any() or (idf is not None and (indices >= len(idf)).any()):
        raise ValueError(bad)
    if sublinear:
        if (counts < 1).any():
            raise ValueError(bad)
        # math.log is the C library's log, which the core calls: numpy's
        # own may differ in the last bit.
        distinct, where = np.unique(counts, return_inverse=True)
        weights = np.array([1.0 + math.log(float(c)) for c in distinct])[where.ravel()]
    else:
        weights = counts.astype(np.float64)
    if idf is not None:
        weights = weights * idf[indices].astype(np.float64)
    if blocks is None:
        return weights
    if len(blocks) < 2 or (np.diff(blocks) <= 0).any():
        raise ValueError("blocks must be at least two rising boundaries")
    block = np.searchsorted(blocks, indices, side="right") - 1
    if ((block < 0) | (block >= len(blocks) - 1)).any():
        raise ValueError(bad)
    rows = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
    segment = rows * (len(blocks) - 1) + block
    norms = np.sqrt(np.bincount(segment, weights=weights * weights,
                                minlength=(len(indptr) - 1) * (len(blocks) - 1)))
    norms[norms == 0] = 1.0
    return weights / norms[segment]


def sparse_dot(indptr, indices, data, W, intercept=None, *, use_core=None):
    """``X @ W.T + intercept`` for the CSR ``X`` of ``(indptr, indices, data)``.

    ``W`` is float32 or float64 ``[k, ncols]`` (one row per class; keep it
    C-contiguous to spare a copy per call), ``intercept`` float64 ``[k]``.
    Returns float64 ``[n, k]``; each row sums its items in order from zero,
    then adds the intercept, as scipy's CSR product does.
    """
    indptr, indices = _csr(indptr, indices)
    data = np.ascontiguousarray(data, dtype=np.float64)
    W = _reals(W)
    if W.ndim == 1:
        W = W[None, :]
    intercept = np.zeros(len(W)) if intercept is None else \
        np.ascontiguousarray(np.atleast_1d(intercept), dtype=np.float64)
    if len(data) != len(indices) or len(intercept) != len(W):
        raise ValueError("sparse_dot: shapes do not match")
    if _use_core(use_core):
        out = np.empty((len(indptr) - 1, len(W)), dtype=np.float64)
        _core.sparse_dot(indptr, indices, data, W, intercept, out)
        return out
    if (indices < 0).any() or (indices >= W.shape[1]).any():
        raise ValueError("a column is outside W")
    rows = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
    out = np.empty((len(indptr) - 1, len(W)), dtype=np.float64)
    for k, weights in enumerate(W):
        out[:, k] = np.bincount(rows, weights=data * weights[indices].astype(np.float64),
                                minlength=len(indptr) - 1) + intercept[k]
    return out


def linear_decision(indptr, indices, counts, W, intercept=None, *, idf=None, sublinear=False,
                    norm_blocks=None, use_core=None):
    """A linear model's decision values on a count CSR from :func:`hash_ngrams`:
    :func:`sparse_dot` of the :func:`tfidf_weights`. Returns float64 ``[n, k]``."""
    data = tfidf_weights(indptr, indices, counts, idf, sublinear, norm_blocks,
                         use_core=use_core)
    return sparse_dot(indptr, indices, data, W, intercept, use_core=use_core)
