"""What the model reads of a unit's text: hashed word and character n-grams.

A unit's text is cut to its head and tail (a 10 MB line must not cost
10 MB of n-grams; appeals announce themselves early and end in buttons),
lower-cased, and hashed into n-gram counts by the compiled core
(:func:`stripper.native.hash_ngrams`). The counts become tf-idf weights,
each analyzer's part l2-normalised on its own. Training and cleaning call
the same functions, so the model scores exactly what it was fitted on.
"""

import math
import re
from dataclasses import asdict, dataclass

import numpy as np

from . import native

#: Characters of a unit the n-grams read: the head and the tail.
TEXT_HEAD = 1200
TEXT_TAIL = 300

#: Second-person words in the languages we see most: appeals talk to "you".
SECOND_PERSON = frozenset("""
you your yours yourself you're you've you'll
вы вас вам ваш ваша ваше ваши вами ты тебя тебе твой
ви вас вам ваш ваша ваше ваші вами ти тебе твій
sie ihr ihre ihnen euch dich dir du dein deine
vous votre vos toi ton ta tes
usted ustedes tu tus te vosotros você vocês seu sua teu tua
voi vostro vostra tuo tua ti vi
wy was wam wasz wasza ty ciebie tobie
u uw jij je jou jouw jullie
""".split())

MONEY = re.compile(r"[$€£₽₴¥]\s?\d|\d\s?(?:€|\$|£|₽|₴|zł|kr|EUR|USD|руб|грн)", re.IGNORECASE)
TERMINAL = re.compile(r"[.!?…][\"'”’»)\]]*$")
#: The closing punctuation of a unit is looked for in its last characters.
TERMINAL_TAIL = 16
#: The per-unit numbers the context trees read beside the scores.
NUMBER_NAMES = ("log_chars", "ends_sentence", "second_person", "money", "capitals", "digits")


@dataclass(frozen=True)
class NgramSpec:
    """Which n-grams, hashed into how many buckets, weighted how.

    ``word``/``char`` are inclusive n-gram length ranges (``None``: that
    analyzer is off); ``idf``: weight counts by inverse document frequency;
    ``sublinear``: 1 + log(count) instead of the count.
    """

    word: tuple = (1, 2)
    char: tuple = (2, 4)
    word_bits: int = 18
    char_bits: int = 18
    idf: bool = True
    sublinear: bool = False

    @classmethod
    def from_card(cls, entry):
        """The spec a model card records."""
        entry = dict(entry)
        for key in ("word", "char"):
            entry[key] = tuple(entry[key]) if entry.get(key) is not None else None
        return cls(**entry)

    def to_card(self):
        """This spec as JSON-ready values."""
        return {key: list(value) if isinstance(value, tuple) else value
                for key, value in asdict(self).items()}

    @property
    def columns(self):
        """How many columns the hashed counts have."""
        return native.column_count(self.word, self.char, self.word_bits, self.char_bits)

    def counts(self, texts):
        """Hashed n-gram counts of ``texts`` (unit texts as they are) as CSR arrays."""
        return native.hash_ngrams([prepared(text) for text in texts], self.word, self.char,
                                  self.word_bits, self.char_bits)

    def weights(self, counts, idf=None):
        """The tf-idf value of each stored count, each analyzer l2-normalised on its own."""
        indptr, indices, values = counts
        return native.tfidf_weights(indptr, indices, values, idf if self.idf else None,
                                    self.sublinear, self._blocks())

    def decision(self, counts, coef, intercept, idf=None):
        """Linear decision values ``[n, k]`` of counts for weights ``coef`` ``[k, columns]``."""
        indptr, indices, values = counts
        return native.linear_decision(indptr, indices, values, coef, intercept,
                                      idf=idf if self.idf else None, sublinear=self.sublinear,
                                      norm_blocks=self._blocks())

    def _blocks(self):
        return native.analyzer_blocks(self.word, self.char, self.word_bits, self.char_bits)


def head_and_tail(text):
    """What the model reads of a unit: all of it, or its head and tail when it is long."""
    if len(text) > TEXT_HEAD + TEXT_TAIL:
        return text[:TEXT_HEAD] + " " + text[-TEXT_TAIL:]
    return text


def prepared(text):
    """What the n-grams read of a unit: its head and tail, lower-cased."""
    return head_and_tail(text).lower()


def shape_numbers(texts):
    """Six plain numbers of each unit's shape, as float64 ``[n, 6]`` (see :data:`NUMBER_NAMES`).

    Its length (log), whether it ends a sentence, its share of
    second-person words, whether it names an amount of money, and its
    share of capitals and of digits among its letters (counted by the
    compiled core in one pass over the batch). Like the n-grams, they read
    a long unit's head and tail only.
    """
    texts = list(texts)
    heads = [head_and_tail(text) for text in texts]
    letters, capitals, digits = native.char_classes(texts, TEXT_HEAD, TEXT_TAIL).T
    letters = np.maximum(letters, 1)
    words, second = native.word_counts([head.lower() for head in heads], SECOND_PERSON).T
    numbers = np.empty((len(texts), len(NUMBER_NAMES)), dtype=np.float64)
    numbers[:, 0] = [math.log1p(len(text)) / 10 for text in texts]
    numbers[:, 1] = [bool(TERMINAL.search(head.rstrip()[-TERMINAL_TAIL:])) for head in heads]
    numbers[:, 2] = np.minimum(1.0, 5 * second / np.maximum(words, 1))
    numbers[:, 3] = _holds_money(heads, digits > 0)
    numbers[:, 4] = capitals / letters
    numbers[:, 5] = np.minimum(1.0, digits / letters)
    return numbers


def _holds_money(heads, with_digits):
    """Whether each head names an amount of money, as 0/1 floats.

    Only heads with a digit (``with_digits``, from ``str.isdigit``, which
    every ``\\d`` passes) can match :data:`MONEY`; they are scanned once,
    joined by NUL, which no part of :data:`MONEY` matches, so no match
    spans two heads.
    """
    found = np.zeros(len(heads))
    rows = np.flatnonzero(with_digits)
    if rows.size:
        scanned = [heads[row] for row in rows.tolist()]
        starts = np.cumsum([0] + [len(head) + 1 for head in scanned[:-1]])
        at = [match.start() for match in MONEY.finditer("\0".join(scanned))]
        found[rows[np.searchsorted(starts, at, side="right") - 1]] = 1.0
    return found


def unit_numbers(text):
    """:func:`shape_numbers` of one unit, as a tuple."""
    return tuple(shape_numbers([text])[0].tolist())


def smooth_idf(indices, rows, columns):
    """ln((1 + rows) / (1 + df)) + 1 per column, df counted over ``rows`` units."""
    df = np.bincount(indices, minlength=columns).astype(np.float64)
    return np.log((1.0 + rows) / (1.0 + df)) + 1.0


def sigmoid(values):
    """The logistic function, elementwise."""
    return 1.0 / (1.0 + np.exp(-values))
