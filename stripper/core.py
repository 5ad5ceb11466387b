"""The decision rules, top-down in call order.

:func:`clean_documents` is the one cleaning path: the API, the CLI (stdin,
files, ``-o``), directory batches, JSONL streams, HTML pages and Dask all
call it, so they cannot disagree. For each text it returns the clean text
and every block of the input, labelled. In call order:

1. **Units.** Each text is cut into the units the model scores: its lines
   (or, for a model trained so, its paragraphs).
2. **Scores.** The model scores every unit beside its neighbours.
3. **Decision.** A unit goes when its score reaches the threshold; an
   appeal at the end of a page takes its doubtful middle along (the tail
   rule); a run of debris grows into its doubtful edges; a lead-in line
   ("Related:") goes with the unit it announces.
4. **Settling.** The kept units are scored again as the document they now
   form, until no decision changes (removing a run changes its neighbours'
   context). Optionally, debris glued onto a kept paragraph is cut off.
5. **Site evidence.** In a batch, what the site's other pages show to be
   its furniture goes too (:mod:`stripper.sites`). It only adds removals,
   and what is left is not scored again: the page's reporting is judged
   in the context it came in.
6. **Kinds.** Every removed unit gets its kind of debris.
7. **Rendering, until stable.** The kept units are joined into the clean
   text. If the clean text splits into other units than the kept ones
   (with paragraphs as units, two lines that met when the debris between
   them went can read as one wrapped paragraph), it is cleaned again, from
   step 1, until it is stable, so that ``clean(clean(x)) == clean(x)``.

Blocks removed in a later round are reported with their spans in the
input, like the rest: every block this returns is exactly
``input[start:end]``.
"""

import re
from bisect import bisect_right
from dataclasses import dataclass, replace

import numpy as np

from .blocks import Block
from .labels import BOILERPLATE, CONTENT
from .render import kept_blocks, reflow_paragraphs, render_kept

#: A line ending in a colon with at most this many words introduces the
#: block after it (see :func:`lead_ins`).
LEAD_IN_WORDS = 12
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


@dataclass
class Cleaned:
    """One cleaned text: the input, the clean text and every block, labelled.

    ``blocks`` cover the input in order, each exactly
    ``source[start:end]``; ``removed`` are those the clean text leaves out
    (debris not kept by ``keep``).
    """

    source: str
    text: str
    blocks: list

    @property
    def removed(self):
        """The blocks the clean text leaves out."""
        return [b for b in self.blocks if b.via]

    @property
    def chars_removed(self):
        """How many characters shorter the clean text is."""
        return len(self.source) - len(self.text)


def clean_documents(texts, model, settings, sites=None):
    """Clean ``texts`` with ``model``: a :class:`Cleaned` for each, in order.

    ``settings`` is a :class:`stripper.settings.Settings`; its threshold and
    run margin are resolved against the model here (:func:`threshold_of`).
    ``sites`` holds, per text, its site's :class:`stripper.sites.SiteEvidence`
    (or None: the per-page decision alone).
    """
    threshold = threshold_of(settings, model)
    rules = {**model.rules, **({"run_margin": settings.run_margin}
                               if settings.run_margin is not None else {})}
    work = [_Work(text, model.unit_texts) for text in texts]
    evidence = dict(zip(map(id, work), sites or ()))
    pending = [w for w in work if w.current.strip()]
    while pending:
        labelled = classify_round([w.current for w in pending], model, settings, threshold,
                                  rules, [evidence.pop(id(w), None) for w in pending])
        pending = [w for w, blocks in zip(pending, labelled) if not w.advance(blocks, settings)]
    return [w.result() for w in work]


def threshold_of(settings, model):
    """The threshold in force: an explicit one, a keep target's, or the model's."""
    if settings.threshold is not None:
        return settings.threshold
    if settings.keep_target is not None:
        return model.threshold_for(settings.keep_target)
    return model.threshold


# ------------------------------------------------------------ one round

def classify_round(texts, model, settings, threshold, rules, sites=()):
    """Steps 1-5 on ``texts``: every unit of each text, labelled.

    ``sites`` holds each text's site evidence (or None). It is applied once
    the per-page decision has settled, and only adds removals: what is left
    is not scored again, so the page's reporting is judged in the context
    it came in.
    """
    kept = [model.split(text) for text in texts]
    scores = [np.zeros(len(units)) for units in kept]
    removed = [[] for _ in texts]  # (unit, score, rule) of every unit that went
    memo = {}
    active = [n for n in range(len(texts)) if kept[n]]
    while active:
        changed = decide(active, kept, scores, removed, model, rules, threshold, memo)
        if settings.split_glued:
            changed |= cut_glued(texts, [n for n in active if n not in changed], kept, scores,
                                 removed, model, threshold)
        active = [n for n in sorted(changed) if kept[n]]
    for n, site in enumerate(sites):
        if site is not None:
            add_site_evidence(texts[n], n, site, kept, scores, removed)
    return name_kinds(kept, scores, removed, model)


def decide(active, kept, scores, removed, model, rules, threshold, memo):
    """Score the kept units of the ``active`` documents and remove what goes.

    Moves removed units (with their score and rule) from ``kept`` to
    ``removed``, keeps the last score of every unit kept in ``scores``, and
    returns the documents that changed.
    """
    changed = set()
    for n, now in zip(active, model.document_scores([kept[n] for n in active], memo)):
        via = decide_units(kept[n], now, threshold, rules)
        scores[n] = now
        if any(via):
            removed[n].extend((unit, score, rule)
                              for unit, score, rule in zip(kept[n], now.tolist(), via) if rule)
            staying = [i for i, rule in enumerate(via) if not rule]
            kept[n] = [kept[n][i] for i in staying]
            scores[n] = now[staying]
            changed.add(n)
    return changed


def add_site_evidence(text, n, site, kept, scores, removed):
    """Remove what site evidence shows to be the site's furniture from document ``n``.

    The evidence reads the page's units with their scores and the decision
    just made; it only ever adds removals (a unit, or a piece cut from the
    edge of a unit that stays). Returns ``{n}`` when something went.
    """
    units = kept[n] + [unit for unit, _, _ in removed[n]]
    order = sorted(range(len(units)), key=lambda i: units[i].start)
    units = [units[i] for i in order]
    unit_scores = np.concatenate([scores[n], [score for _, score, _ in removed[n]]])[order]
    going = np.array([i >= len(kept[n]) for i in order], dtype=bool)
    decisions = site.apply(text, units, unit_scores, going)
    gone = {id(unit): via for unit, via, went in zip(units, decisions.vias, going)
            if via and not went}
    cuts = _cuts_by_unit(kept[n], decisions.cuts)
    if not gone and not cuts:
        return set()
    staying, staying_scores = [], []
    for unit, score in zip(kept[n], scores[n].tolist()):
        if id(unit) in gone:
            removed[n].append((unit, score, gone[id(unit)]))
            continue
        for piece, via in _cut(text, unit, cuts.get(id(unit), ())):
            if via:
                removed[n].append((piece, score, via))
            else:
                staying.append(piece)
                staying_scores.append(score)
    kept[n], scores[n] = staying, np.array(staying_scores)
    return {n}


def _cuts_by_unit(units, cuts):
    """The ``(start, end, via)`` cuts that fall inside each unit, by unit id."""
    found = {}
    for start, end, via in cuts:
        for unit in units:
            if unit.start <= start and end <= unit.end:
                found.setdefault(id(unit), []).append((start, end, via))
    return found


def _cut(text, unit, cuts):
    """``unit`` cut into ``(piece, via)``: the cut spans with their via, the rest with ""."""
    pieces, position = [], unit.start
    for start, end, via in sorted(cuts):
        if start > position:
            pieces.append((position, start, ""))
        pieces.append((max(start, position), end, via))
        position = max(position, end)
    pieces.append((position, unit.end, ""))
    blocks = []
    for start, end, via in pieces:
        start, end = _strip_span(text, start, end)
        if start < end:
            blocks.append((_span_block(text, (start, end)), via))
    return blocks


def decide_units(units, scores, threshold, rules):
    """Which units go and why: ``score``, ``tail``, ``run``, ``lead-in``, or ``""`` (stays).

    ``rules`` holds the model's ``run_margin`` and its tail rule's
    ``tail_units``, ``tail_floor`` and ``tail_anchor`` (0 units: no tail rule).
    """
    confident = scores >= threshold
    tail = tail_rule(confident, scores, threshold, rules.get("tail_units", 0),
                     rules.get("tail_floor", 1.0), rules.get("tail_anchor", 0.0)).tolist()
    grown = grow_runs(tail, scores, threshold - rules.get("run_margin", 0.0))
    led = lead_ins(units, grown)
    return ["score" if c else "tail" if t else "run" if g else "lead-in" if lead else ""
            for c, t, g, lead in zip(confident.tolist(), tail, grown, led)]


def tail_rule(going, scores, threshold, most, floor, anchor_margin):
    """``going`` with an appeal at the end of a page taking its doubtful middle along.

    When the last unit goes, the kept units just before that trailing run
    go too if there are at most ``most`` of them, each scores at least
    ``floor``, and the unit before them scores within ``anchor_margin`` of
    the threshold: the header of an appeal ("A message from...") and its
    buttons are confident, the paragraphs between them about the outlet's
    troubles read half like reporting. Repeated while it fires.
    """
    going = going.copy()
    while most and len(going) and going[-1]:
        anchors = going | (scores >= threshold - anchor_margin)
        last_kept = len(going) - 1
        while last_kept >= 0 and going[last_kept]:
            last_kept -= 1
        anchor = last_kept
        while anchor >= 0 and not anchors[anchor]:
            anchor -= 1
        middle = scores[anchor + 1:last_kept + 1]
        if last_kept < 0 or anchor < 0 or last_kept - anchor > most \
                or (len(middle) and middle.min() < floor):
            break
        going[anchor:last_kept + 1] = True
    return going


def grow_runs(going, scores, floor):
    """``going`` (bools) with each run of debris grown into its doubtful edges, as a list.

    A block scoring at least ``floor`` next to a block that goes goes too,
    and so on outward (hysteresis, as in jusText's second pass for
    "near-good" blocks): inside an appeal, a paragraph that reads half like
    reporting ("our newsroom has lost half its advertisers") is part of the
    run. It must be decided while the run is still around it: once the run
    is removed it would read as reporting alone. Lists, not arrays: a page
    has tens of units, and indexing a list costs a fraction of indexing an
    array.
    """
    grown, near = [bool(flag) for flag in going], (np.asarray(scores) >= floor).tolist()
    for i in range(1, len(grown)):
        grown[i] = grown[i] or (grown[i - 1] and near[i])
    for i in range(len(grown) - 2, -1, -1):
        grown[i] = grown[i] or (grown[i + 1] and near[i])
    return grown


def lead_ins(blocks, going):
    """``going`` (a list of bools) with each lead-in line going with the debris it leads into.

    A short line ending in a colon announces the block after it: "Related:",
    "A message from our editors:", "Share this:". When that block goes, the
    line that announced it goes with it. (Before reporting, such as "She
    said:" before a quotation, it stays, since the quotation stays.)
    """
    going = list(going)
    for i in range(len(blocks) - 2, -1, -1):
        going[i] = going[i] or (going[i + 1] and _is_lead_in(blocks[i].text))
    return going


def _is_lead_in(text):
    stripped = text.strip()
    return stripped.endswith(":") and len(stripped.split()) <= LEAD_IN_WORDS


def cut_glued(texts, numbers, kept, scores, removed, model, threshold):
    """Cut debris glued onto the start or end of the kept units of ``numbers``.

    Each kept unit is cut at sentence ends; a leading or trailing run of
    pieces the model is sure are debris (read alone) goes, when the rest
    reads as reporting. Returns the documents that changed.
    """
    candidates = [(n, i, pieces) for n in numbers for i, block in enumerate(kept[n])
                  for pieces in [_pieces(block)] if 2 <= len(pieces) <= MAX_GLUED_PIECES]
    if not candidates:
        return set()
    piece_blocks = [_span_block(texts[n], span) for n, _, pieces in candidates for span in pieces]
    alone = model.scores_alone(piece_blocks)
    bar = max(GLUED_DEBRIS, threshold)  # threshold 1.0 keeps everything
    changed, position = set(), 0
    for n, i, pieces in candidates:
        piece_scores = alone[position:position + len(pieces)]
        position += len(pieces)
        lead, trail = _run_length(piece_scores, bar), _run_length(piece_scores[::-1], bar)
        middle = piece_scores[lead:len(pieces) - trail]
        if not (lead or trail) or not len(middle) or middle.max() >= GLUED_REST:
            continue
        for j in [*range(lead), *range(len(pieces) - trail, len(pieces))]:
            removed[n].append((_span_block(texts[n], pieces[j]), float(piece_scores[j]), "glued"))
        kept[n][i] = _span_block(texts[n], (pieces[lead][0], pieces[len(pieces) - trail - 1][1]))
        changed.add(n)
    return changed


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


def name_kinds(kept, scores, removed, model):
    """Per document, every unit in input order: kept ones as content, removed ones with
    their kind (named for the whole batch at once)."""
    kinds = iter(model.kinds([unit for document in removed for unit, _, _ in document]))
    documents = []
    for units, unit_scores, gone in zip(kept, scores, removed):
        labelled = [Block(unit.text, unit.start, unit.end, BOILERPLATE, str(next(kinds)),
                          score, rule) for unit, score, rule in gone]
        labelled += [Block(unit.text, unit.start, unit.end, CONTENT, "body", score)
                     for unit, score in zip(units, unit_scores.tolist())]
        documents.append(sorted(labelled, key=lambda b: b.start))
    return documents


# ------------------------------------------------------- until stable

class _Work:
    """One text on its way to a stable clean.

    ``current`` is the text the next round cleans: the input at first,
    then the previous round's clean text. ``origin`` maps it back to the
    input: ``(start, end, input_start)`` for every stretch of ``current``
    copied from the input (kept block text), in order, so any block of
    ``current`` can be reported as spans of the input.
    """

    def __init__(self, source, unit_texts):
        self.source = source
        self.unit_texts = unit_texts
        self.current = source
        self.origin = [(0, len(source), 0)]
        self.settled = []  # blocks decided for good, as spans of the input
        self.text = ""

    def advance(self, blocks, settings):
        """Take one round's labelled ``blocks`` of ``current``; True when stable."""
        kept = kept_blocks(blocks, settings)
        kept_ids = {id(b) for b in kept}
        self.settled.extend(self._in_source([b for b in blocks if id(b) not in kept_ids]))
        clean, starts = render_kept(self.current, kept)
        if clean != self.current and \
                self.unit_texts(clean) != [unit.text for unit in kept]:
            self.origin = [(start + low - block.start, start + high - block.start, source)
                           for block, start in zip(kept, starts)
                           for low, high, source in self._stretches(block)]
            self.current = clean
            return False
        self.settled.extend(self._in_source([replace(b, via="") if b.via else b for b in kept]))
        self.text = reflow_paragraphs(clean) if settings.reflow else clean
        return True

    def result(self):
        """The finished :class:`Cleaned`."""
        return Cleaned(self.source, self.text, sorted(self.settled, key=lambda b: b.start))

    def _in_source(self, blocks):
        """``blocks`` of ``current`` as blocks of the input: one per copied stretch."""
        if self.current is self.source:
            return blocks  # the first round cleans the input itself
        found = []
        for block in blocks:
            for low, high, source in self._stretches(block):
                start, end = _strip_span(self.source, source, source + high - low)
                if start < end:
                    found.append(replace(block, text=self.source[start:end], start=start, end=end))
        return found

    def _stretches(self, block):
        """``(low, high, input_start)`` for each stretch of ``origin`` inside ``block``."""
        first = bisect_right(self.origin, (block.start, float("inf"))) - 1
        stretches = []
        for piece_start, piece_end, source in self.origin[max(first, 0):]:
            if piece_start >= block.end:
                break
            low, high = max(block.start, piece_start), min(block.end, piece_end)
            if low < high:
                stretches.append((low, high, source + low - piece_start))
        return stretches


def _strip_span(text, start, end):
    """``(start, end)`` narrowed past the whitespace at both ends of ``text[start:end]``."""
    piece = text[start:end]
    stripped = piece.strip()
    lead = len(piece) - len(piece.lstrip())
    return start + lead, start + lead + len(stripped)
