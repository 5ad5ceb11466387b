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
#: A glued piece is cut off only when the block model is this sure of it...
GLUED_DEBRIS = 0.9
#: ...and the rest of the block reads as reporting.
GLUED_REST = 0.5
#: A block cut at more sentence ends than this is a text dump, not a
#: paragraph with a button glued on: it is not searched for glued debris,
#: which scores every piece and would take minutes on a 20 MB line.
MAX_GLUED_PIECES = 100
#: A line ending in a colon with at most this many words introduces the
#: block after it (see :func:`_lead_ins`).
LEAD_IN_WORDS = 12
#: The line breaks ``--reflow`` joins a kept block's lines at, and the one
#: a text ends with (a clean ends with it too).
REFLOW_BREAK = re.compile(r"\r\n|[\n\r\u2028\u2029]")
TRAILING_BREAK = re.compile(r"(\r\n|[\n\r\u2028\u2029])[ \t]*$")


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
        kept = {n: split_blocks(text) for n, text in enumerate(texts)}
        removed = {n: [] for n in kept}
        final_scores = {n: {} for n in kept}
        self._settle(texts, kept, removed, final_scores, threshold, settings)
        return [self._label(kept[n], removed[n], final_scores[n]) for n in range(len(texts))]

    def clean_many(self, texts, **options):
        """:meth:`clean` for many texts, scored in one batch.

        A clean text is one stripper leaves as it is. Where the clean text
        splits into other blocks than the kept ones (two lines that met
        when the debris between them went can read as one wrapped
        paragraph), it is cleaned again until it is stable.
        """
        settings = self.settings.with_options(**options)
        outputs = list(texts)
        pending = list(range(len(texts)))
        while pending:
            inputs = [outputs[n] for n in pending]
            classified = self.classify_many(inputs, **options)
            still = []
            for n, text, blocks in zip(pending, inputs, classified):
                outputs[n] = render(text, blocks, settings)
                # An output differs from its input only by being shorter, so
                # cleaning again until the blocks agree always ends.
                if outputs[n] != text and not settings.reflow \
                        and not _splits_alike(outputs[n], kept_blocks(blocks, settings)):
                    still.append(n)
            pending = still
        return outputs

    def _settle(self, texts, kept, removed, final_scores, threshold, settings):
        """Remove debris until nothing more goes.

        Removing a run of debris changes its neighbours' context, and so
        does cutting glued debris off a paragraph, so the kept blocks are
        scored again as the document they now form until no decision
        changes. Each further pass removes text, so this ends.
        """
        active = [n for n in kept if kept[n]]
        first_scores = {}  # block text -> stage-1 score, which only the text decides
        while active:
            rows = [row for n in active for row in block_rows(kept[n], doc_key=n)]
            batch, position, changed = self._scores(rows, first_scores), 0, set()
            for n in active:
                scores = batch[position:position + len(kept[n])]
                position += len(kept[n])
                going = _grow_runs(scores >= threshold, scores, threshold - settings.run_margin)
                going = _lead_ins(kept[n], going)
                final_scores[n].update({b.start: float(sc) for b, sc in zip(kept[n], scores)})
                if going.any():
                    removed[n].extend(b for b, gone in zip(kept[n], going) if gone)
                    kept[n] = [b for b, gone in zip(kept[n], going) if not gone]
                    changed.add(n)
            if settings.split_glued:
                changed |= self._cut_glued(texts, kept, removed, final_scores, threshold,
                                           [n for n in active if n not in changed])
            active = [n for n in sorted(changed) if kept[n]]

    def _cut_glued(self, texts, kept, removed, final_scores, threshold, numbers):
        """Cut debris glued onto the start or end of kept blocks.

        Each kept block is cut at sentence ends; a leading or trailing run
        of pieces the block model is sure are debris goes, when the rest
        reads as reporting. Returns the documents that changed.
        """
        candidates = [(n, i, pieces) for n in numbers for i, block in enumerate(kept[n])
                      for pieces in [_pieces(block)] if 2 <= len(pieces) <= MAX_GLUED_PIECES]
        if not candidates:
            return set()
        doc_rows = {n: block_rows(kept[n]) for n in {n for n, _, _ in candidates}}
        rows = [{**doc_rows[n][i], "text": texts[n][s:e]}
                for n, i, pieces in candidates for s, e in pieces]
        scores = self.bundle["detector"].block_scores(rows)
        bar = max(GLUED_DEBRIS, threshold)  # threshold 1.0 keeps everything
        changed, position, replacements = set(), 0, {}
        for n, i, pieces in candidates:
            piece_scores = scores[position:position + len(pieces)]
            position += len(pieces)
            lead, trail = _run_length(piece_scores, bar), _run_length(piece_scores[::-1], bar)
            middle = piece_scores[lead:len(pieces) - trail]
            if not (lead or trail) or not len(middle) or middle.max() >= GLUED_REST:
                continue
            for j in [*range(lead), *range(len(pieces) - trail, len(pieces))]:
                removed[n].append(_span_block(texts[n], pieces[j]))
                final_scores[n][pieces[j][0]] = float(piece_scores[j])
            replacements[(n, i)] = _span_block(texts[n], (pieces[lead][0],
                                                          pieces[len(pieces) - trail - 1][1]))
            changed.add(n)
        for (n, i), block in replacements.items():
            kept[n][i] = block
        return changed

    def _scores(self, rows, first_scores):
        """Debris scores for rows, reusing and filling the stage-1 cache."""
        if not rows:
            return np.zeros(0)
        detector = self.bundle["detector"]
        missing = list({row["text"]: row for row in rows if row["text"] not in first_scores}
                       .values())
        if missing:
            first_scores.update(zip((row["text"] for row in missing),
                                    detector.block_scores(missing)))
        first = np.array([first_scores[row["text"]] for row in rows])
        return detector.predict_proba(rows, first)[:, 1]

    def _threshold(self, settings):
        return settings.threshold if settings.threshold is not None else self.bundle["threshold"]

    def _label(self, kept, removed, scores):
        """Every block in input order: kept ones as content, removed as debris."""
        kinds = self._kinds(block_rows(removed))
        labelled = [replace(b, label=BOILERPLATE, kind=str(kind), score=scores[b.start])
                    for b, kind in zip(removed, kinds)]
        labelled += [replace(b, label=CONTENT, kind="body", score=scores[b.start]) for b in kept]
        return sorted(labelled, key=lambda b: b.start)

    def _kinds(self, rows):
        if not rows:
            return []
        return self.bundle["kinds"].predict(rows)


def _grow_runs(going, scores, floor):
    """``going`` with each run of debris grown into its doubtful edges.

    A block scoring at least ``floor`` next to a block that goes goes too,
    and so on outward (hysteresis, as in jusText's second pass for
    "near-good" blocks): inside an appeal, a paragraph that reads half like
    reporting ("our newsroom has lost half its advertisers") is part of the
    run. It must be decided while the run is still around it: once the run
    is removed it would read as reporting alone.
    """
    going = going.copy()
    for i in range(1, len(going)):
        going[i] |= going[i - 1] and scores[i] >= floor
    for i in range(len(going) - 2, -1, -1):
        going[i] |= going[i + 1] and scores[i] >= floor
    return going


def _lead_ins(blocks, going):
    """``going`` with each lead-in line going with the debris it leads into.

    A short line ending in a colon announces the block after it: "Related:",
    "A message from our editors:", "Share this:". When that block goes, the
    line that announced it goes with it. (Before reporting, such as "She
    said:" before a quotation, it stays, since the quotation stays.)
    """
    going = going.copy()
    for i in range(len(blocks) - 2, -1, -1):
        going[i] |= going[i + 1] and _is_lead_in(blocks[i].text)
    return going


def _is_lead_in(text):
    stripped = text.strip()
    return stripped.endswith(":") and len(stripped.split()) <= LEAD_IN_WORDS


def _splits_alike(clean_text, kept):
    """Does ``clean_text`` split into exactly the kept blocks' texts?"""
    return [b.text for b in split_blocks(clean_text)] == [b.text for b in kept]


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


def _run_length(scores, bar):
    run = 0
    for score in scores:
        if score < bar:
            break
        run += 1
    return run


def _span_block(text, span):
    return Block(text[span[0]:span[1]], span[0], span[1])


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
