"""Scoring the classifier on labelled documents, held out by publication.

Figures are counted in characters of the labelled segments (whitespace and
ambiguous segments are not scored), so they do not depend on how text is
cut into blocks:

- keep: share of content characters kept;
- remove: share of debris characters removed;
- precision: share of removed, scored characters that were debris;
- f1: harmonic mean of remove and precision;
- clean: share of documents with every content character kept and every
  debris character removed.
"""

from dataclasses import dataclass

import numpy as np

from .blocks import split_blocks
from .labels import AMBIGUOUS, BOILERPLATE, CONTENT


CODES = {CONTENT: 1, BOILERPLATE: 2, AMBIGUOUS: 3}


@dataclass
class LabelledBlocks:
    """Every block of a set of documents, with rows, labels and groups."""

    docs: list
    blocks: list        # per document, its blocks
    texts: list         # one per block, all documents: the block's text
    index: np.ndarray   # per block, its place in its document
    y: np.ndarray       # 1 debris, 0 content, -1 ambiguous
    kinds: list         # debris kind per row ("" when not debris)
    groups: np.ndarray  # publication per row
    doc_of_row: np.ndarray
    codes: list         # per document: label code per character (0 = unscored)
    kind_codes: list    # per document: debris kind per character ("" elsewhere)


def label_blocks(docs, split=split_blocks):
    """Cut each document into units with ``split`` and label each by its characters."""
    data = LabelledBlocks(docs, [], [], [], [], [], [], [], [], [])
    for number, doc in enumerate(docs):
        doc_blocks = split(doc.text)
        codes, kind_codes = _char_labels(doc)
        data.blocks.append(doc_blocks)
        data.codes.append(codes)
        data.kind_codes.append(kind_codes)
        for block in doc_blocks:
            label = _majority(np.bincount(codes[block.start:block.end], minlength=4))
            data.y.append(label)
            data.kinds.append(_majority_kind(kind_codes[block.start:block.end]) if label == 1 else "")
        data.texts.extend(block.text for block in doc_blocks)
        data.index.extend(range(len(doc_blocks)))
        data.groups.extend([doc.group] * len(doc_blocks))
        data.doc_of_row.extend([number] * len(doc_blocks))
    data.y, data.groups, data.index = np.array(data.y), np.array(data.groups), \
        np.array(data.index, dtype=np.int64)
    data.doc_of_row = np.array(data.doc_of_row)
    return data


def _char_labels(doc):
    codes = np.zeros(len(doc.text), dtype=np.int64)
    kind_codes = np.full(len(doc.text), "", dtype=object)
    for segment in doc.segments:
        span = doc.text[segment.start:segment.end]
        mask = np.fromiter((not ch.isspace() for ch in span), dtype=bool, count=len(span))
        codes[segment.start:segment.end][mask] = CODES[segment.label]
        if segment.label == BOILERPLATE:
            kind_codes[segment.start:segment.end][mask] = segment.kind
    return codes, kind_codes


def _majority(tally):
    """1 debris, 0 content, -1 when ambiguous text (or nothing) dominates."""
    content, debris, ambiguous = tally[1], tally[2], tally[3]
    if ambiguous > content + debris or content + debris == 0:
        return -1
    return 1 if debris > content else 0


def _majority_kind(kind_codes):
    kinds = [k for k in kind_codes if k]
    return max(sorted(set(kinds)), key=kinds.count) if kinds else "other"


def row_masks(data, removed):
    """Per document, a boolean per character: removed by the row decisions."""
    masks = [np.zeros(len(doc.text), dtype=bool) for doc in data.docs]
    for row_number, gone in enumerate(removed):
        if gone:
            number = data.doc_of_row[row_number]
            block = data.blocks[number][data.index[row_number]]
            masks[number][block.start:block.end] = True
    return masks


def block_masks(docs, labelled_documents):
    """Per document, a boolean per character: inside a block labelled debris."""
    masks = []
    for doc, blocks in zip(docs, labelled_documents):
        mask = np.zeros(len(doc.text), dtype=bool)
        for block in blocks:
            if block.label == BOILERPLATE:
                mask[block.start:block.end] = True
        masks.append(mask)
    return masks


def measure(data, masks, doc_filter=None, kind=None):
    """Char-level figures for the documents ``doc_filter`` selects.

    ``masks`` holds, per document, which characters were removed. With
    ``kind``, only debris of that kind counts toward remove.
    """
    totals = np.zeros(5, dtype=np.int64)  # content kept, content, debris gone, debris, gone
    clean_docs = n_docs = 0
    for number, doc in enumerate(data.docs):
        if doc_filter is not None and not doc_filter(doc):
            continue
        codes, gone = data.codes[number], masks[number]
        content, debris = codes == 1, codes == 2
        if kind is not None:
            wanted = {kind} if isinstance(kind, str) else set(kind)
            debris = debris & np.isin(data.kind_codes[number], list(wanted))
        row = np.array([(content & ~gone).sum(), content.sum(), (debris & gone).sum(),
                        debris.sum(), ((codes == 1) | (codes == 2))[gone].sum()])
        totals += row
        n_docs += 1
        clean_docs += bool(row[0] == row[1] and row[2] == row[3])
    figures = _figures(*totals, clean_docs, n_docs)
    if kind is not None:  # precision and F1 are document-wide, not per kind
        figures["precision"] = figures["f1"] = float("nan")
    return figures


def _figures(kept_content, total_content, removed_debris, total_debris, removed_scored,
             clean_docs, n_docs):
    keep = kept_content / total_content if total_content else 1.0
    remove = removed_debris / total_debris if total_debris else float("nan")
    precision = removed_debris / removed_scored if removed_scored else float("nan")
    f1 = 2 * precision * remove / (precision + remove) if precision + remove > 0 else 0.0
    return {"keep": keep, "remove": remove, "precision": precision, "f1": f1,
            "clean": clean_docs / n_docs if n_docs else float("nan"), "documents": n_docs,
            "debris_chars": int(total_debris)}


def choose_threshold(data, scores, keep_targets, default=0.5):
    """The lowest threshold whose keep meets every source's target.

    ``keep_targets`` maps a document source (``fixtures``, ``docs``...) to
    the content keep it must reach. Lower thresholds remove more debris.
    """
    for threshold in np.round(np.arange(0.05, 1.0, 0.01), 2):
        masks = row_masks(data, scores >= threshold)
        if all(measure(data, masks, lambda d, s=source: d.source == s)["keep"] >= target
               for source, target in keep_targets.items()):
            return float(threshold)
    return default


def report(data, masks, pools=None):
    """Figures overall, per source, per language and per debris kind.

    ``kind`` pools all sources; ``source_kind`` gives each source its own
    per-kind figures (real pages are what the model is judged on).
    """
    sources = sorted({d.source for d in data.docs})
    languages = sorted({d.lang for d in data.docs})
    kinds = sorted({k for codes in data.kind_codes for k in set(codes) if k})
    return {
        "overall": measure(data, masks),
        "pools": {name: measure(data, masks, chosen) for name, chosen in (pools or {}).items()},
        "source": {s: measure(data, masks, lambda d, s=s: d.source == s) for s in sources},
        "language": {lang: measure(data, masks, lambda d, lang=lang: d.lang == lang)
                     for lang in languages},
        "kind": {k: measure(data, masks, kind=k) for k in kinds},
        "source_kind": {s: {k: measure(data, masks, lambda d, s=s: d.source == s, kind=k)
                            for k in kinds} for s in sources},
    }
