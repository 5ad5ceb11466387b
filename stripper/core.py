"""Label, then strip: the library's main entry points.

:func:`classify` cuts a text into blocks and labels every one of them with a
label, kind, score and span; :func:`clean` is a view over that list that
joins the kept blocks' own text with the input's own separators.
"""

import logging
import re
from dataclasses import replace

import numpy as np

from .blocks import LINE_BREAK, Block, split_blocks
from .features import block_rows
from .labels import BOILERPLATE, CONTENT
from .modelfile import load_model
from .settings import DEFAULTS

log = logging.getLogger(__name__)

#: Sentence boundaries inside a block where debris may be glued on: after
#: closing punctuation (with or without a space), or after a "»"/"|".
PIECE_BOUNDARY = re.compile(
    r"(?<=[.!?…»|])[\"'”’)]*\s*(?=[^\s\"'”’)a-zа-яёіїєß0-9,;:.!?…])")
#: Scoring passes at most; each pass can only remove blocks.
MAX_PASSES = 6
#: A glued piece is cut off only when the block model is this sure of it...
GLUED_DEBRIS = 0.9
#: ...and the rest of the block reads as reporting.
GLUED_REST = 0.5


class Stripper:
    """A loaded model and default options, reusable across many texts.

    ``Stripper(model=None)`` uses the bundled default model; the model is
    loaded on first use, once. Keyword options are those of
    :class:`stripper.settings.Settings`.
    """

    def __init__(self, model=None, trust_model=False, **options):
        self.model_path = model
        self.trust_model = trust_model
        self.settings = DEFAULTS.with_options(**options)
        self._bundle = None

    @classmethod
    def from_bundle(cls, bundle, **options):
        """A Stripper over an in-memory model bundle (used by cross-validation)."""
        stripper = cls(**options)
        stripper._bundle = bundle
        return stripper

    @property
    def bundle(self):
        """The model bundle, loaded (and digest-checked) on first access."""
        if self._bundle is None:
            self._bundle = load_model(self.model_path, trust=self.trust_model)
        return self._bundle

    @property
    def version(self):
        """The loaded model's version string from its card."""
        return self.bundle.get("card", {}).get("version", "unknown")

    def classify(self, text, **options):
        """Every block of ``text`` with its label, kind, score and span."""
        return self.classify_many([text], **options)[0]

    def clean(self, text, **options):
        """The reporting of ``text``: kept blocks' own text, in order."""
        return self.clean_many([text], **options)[0]

    def classify_many(self, texts, **options):
        """:meth:`classify` for many texts, scored in one batch."""
        settings = self.settings.with_options(**options)
        threshold = self._threshold(settings)
        documents = [split_blocks(text) for text in texts]
        scores = self._settle(documents, threshold)
        return [self._label(text, blocks, doc_scores, threshold, settings)
                for text, blocks, doc_scores in zip(texts, documents, scores)]

    def _settle(self, documents, threshold):
        """Score blocks until removing debris changes no decision.

        Removing a run of debris changes its neighbours' context, so the
        kept blocks are scored again as the document they now form, until
        nothing more goes. This makes ``clean(clean(x)) == clean(x)``.
        """
        scores = [np.zeros(len(blocks)) for blocks in documents]
        active = {n: list(range(len(blocks))) for n, blocks in enumerate(documents)}
        for _ in range(MAX_PASSES):
            if not active:
                break
            numbers = sorted(active)
            rows = [row for n in numbers
                    for row in block_rows([documents[n][i] for i in active[n]], doc_key=n)]
            batch = self._scores(rows)
            position, still_active = 0, {}
            for n in numbers:
                kept = active[n]
                doc_scores = batch[position:position + len(kept)]
                position += len(kept)
                scores[n][kept] = doc_scores
                remaining = [i for i, score in zip(kept, doc_scores) if score < threshold]
                if 0 < len(remaining) < len(kept):
                    still_active[n] = remaining
            active = still_active
        return scores

    def clean_many(self, texts, **options):
        """:meth:`clean` for many texts, scored in one batch."""
        settings = self.settings.with_options(**options)
        classified = self.classify_many(texts, **options)
        return [render(text, blocks, settings) for text, blocks in zip(texts, classified)]

    def _scores(self, rows):
        if not rows:
            return np.zeros(0)
        return self.bundle["detector"].predict_proba(rows)[:, 1]

    def _threshold(self, settings):
        return settings.threshold if settings.threshold is not None else self.bundle["threshold"]

    def _label(self, text, blocks, scores, threshold, settings):
        rows = block_rows(blocks)
        debris = [score >= threshold for score in scores]
        kinds = self._kinds([row for row, gone in zip(rows, debris) if gone])
        labelled = []
        for block, row, score, gone in zip(blocks, rows, scores, debris):
            if gone:
                labelled.append(replace(block, label=BOILERPLATE, kind=str(next(kinds)),
                                        score=float(score)))
            elif settings.split_glued:
                labelled.extend(self._cut_glued(text, block, row, float(score)))
            else:
                labelled.append(replace(block, score=float(score)))
        return labelled

    def _kinds(self, rows):
        if not rows:
            return iter(())
        return iter(self.bundle["kinds"].predict(rows))

    def _cut_glued(self, text, block, row, score):
        """Split debris glued onto the start or end of a kept block."""
        pieces = _pieces(block)
        if len(pieces) < 2:
            return [replace(block, score=score)]
        piece_rows = [{**row, "text": text[s:e]} for s, e in pieces]
        piece_scores = self.bundle["detector"].block_scores(piece_rows)
        lead = _run_length(piece_scores)
        trail = _run_length(piece_scores[::-1])
        middle = piece_scores[lead:len(pieces) - trail]
        if not (lead or trail) or not len(middle) or middle.max() >= GLUED_REST:
            return [replace(block, score=score)]
        kinds = self._kinds(piece_rows[:lead] + piece_rows[len(pieces) - trail:])
        out = [_piece_block(text, pieces[i], BOILERPLATE, str(next(kinds)), piece_scores[i])
               for i in range(lead)]
        out.append(_piece_block(text, (pieces[lead][0], pieces[len(pieces) - trail - 1][1]),
                                CONTENT, "body", score))
        out.extend(_piece_block(text, pieces[i], BOILERPLATE, str(next(kinds)), piece_scores[i])
                   for i in range(len(pieces) - trail, len(pieces)))
        return out


def _pieces(block):
    """Sentence-like spans of a block, at possible glue points."""
    cuts = [m.end() for m in PIECE_BOUNDARY.finditer(block.text) if 0 < m.end() < len(block.text)]
    bounds = [0, *cuts, len(block.text)]
    pieces = []
    for start, end in zip(bounds, bounds[1:]):
        piece = block.text[start:end]
        stripped = piece.strip()
        if stripped:
            lead = len(piece) - len(piece.lstrip())
            pieces.append((block.start + start + lead, block.start + start + lead + len(stripped)))
    return pieces


def _run_length(scores):
    run = 0
    for score in scores:
        if score < GLUED_DEBRIS:
            break
        run += 1
    return run


def _piece_block(text, span, label, kind, score):
    return Block(text[span[0]:span[1]], span[0], span[1], label, kind, float(score))


def kept_blocks(blocks, settings=DEFAULTS):
    """The blocks a clean keeps: content, plus debris of kinds in ``keep``."""
    return [b for b in blocks if b.label != BOILERPLATE or b.kind in settings.keep]


def render(text, blocks, settings=DEFAULTS):
    """Join kept blocks with the input's own separators.

    Between two kept blocks goes the whitespace that stood between them in
    the input (a blank line stays a blank line); where a removed block sat
    between them, the separator that preceded the removed run is used.
    Blocks cut out of one line are joined with nothing between them.
    """
    kept = kept_blocks(blocks, settings)
    parts = []
    for previous, block in zip([None, *kept], kept):
        if previous is not None:
            parts.append(_separator(text, previous.end, block.start))
        parts.append(_reflow(block.text) if settings.reflow else block.text)
    if parts:
        parts.append(_trailing_newline(text))
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


def _trailing_newline(text):
    match = re.search(r"(\r\n|[\n\r\u2028\u2029])[ \t]*$", text)
    return match.group(1) if match else ""


def _reflow(block_text):
    return re.sub(r"[ \t]*(?:\r\n|[\n\r\u2028\u2029])[ \t]*", " ", block_text)


_DEFAULT = None


def _default():
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Stripper()
    return _DEFAULT


def classify(text, **options):
    """Every block of ``text`` with label, kind, score and span (default model)."""
    return _default().classify(text, **options)


def clean(text, **options):
    """``text`` with page debris removed, using the bundled default model."""
    return _default().clean(text, **options)
