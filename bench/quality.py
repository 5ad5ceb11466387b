"""Quality: how much reporting each system keeps and how much debris it removes.

- (a) real pages, held out: stripper's figures are read from the shipped
  model's card (cross-validated at training time with publishers and sites
  held out; nothing is re-trained here). The peers need no training and
  are scored on the same documents, character level, on the paragraphs
  they keep.
- (b) scrapinghub-aeb: token precision/recall against ``articleBody``.
- (c) trafilatura-eval: share of ``with`` snippets kept and ``without``
  snippets removed.
"""

import logging
import time
from collections import Counter

import numpy as np

from .aeb_keep import keep_share
from .pages import (extract_all, guess_justext_language, snippet_present, token_scores,
                    tokens)
from .systems import filter_text, justext_stoplist, justext_units, normalise, paragraphs_of

log = logging.getLogger(__name__)

STRIPPER = "stripper"
#: Paragraph peers that also make sense as a post-filter on trafilatura's text.
POST_FILTERS = ("keyword regex", "C4 line rules")
#: The keep target the issue-13 quality check reads the card at.
KEEP_TARGET = 0.99


# --------------------------------------------------- (a) held out, from the card

def card_quality(card):
    """The held-out figures a model card records, and its removal at keep >= 0.99.

    ``cv.metrics.pools.yardstick`` holds the pooled real pages at the
    card's default threshold; ``operating_points`` the held-out figures at
    each keep target.
    """
    metrics = card["cv"]["metrics"]
    points = card.get("operating_points", [])
    at_target = next((p for p in points if abs(p["keep_target"] - KEEP_TARGET) < 1e-9), None)
    return {"method": card["cv"].get("method", ""), "threshold": card["threshold"],
            "version": card.get("version"), "name": card.get("name"),
            "pools": metrics.get("pools", {}), "source": metrics.get("source", {}),
            "operating_points": points, "curve": card["cv"].get("curve", []),
            "corpora": card.get("corpora", []), "at_keep_target": at_target}


def yardstick_peers(docs, peers):
    """Char-level figures per peer on ``docs`` (the documents the card's pool holds)."""
    from stripper.evaluate import label_blocks, measure
    data = label_blocks(docs)  # only its character labels count; units do not matter
    rows = {}
    for name, peer in peers.items():
        log.info("(a) %s on %d held-out documents", name, len(docs))
        masks = [removed_mask(doc.text, doc.lang, peer) for doc in docs]
        rows[name] = measure(data, masks)
    return rows


def removed_mask(text, lang, peer):
    """Per character of ``text``: inside a paragraph the peer dropped."""
    blocks = paragraphs_of(text)
    kept = peer.kept_of([b.text for b in blocks], lang)
    mask = np.zeros(len(text), dtype=bool)
    for block, keep in zip(blocks, kept):
        if not keep:
            mask[block.start:block.end] = True
    return mask


# ------------------------------------------------------- real-page outputs

def page_outputs(pages, stripper, peers):
    """Every system's output text per page, and the CPU each system took.

    trafilatura runs once on the HTML; stripper and the post-filters run on
    its output; jusText runs on the HTML itself, with the stoplist whose
    words are densest in the page (chosen before its clock starts).
    """
    extracted, extract_cpu = extract_all(pages)
    outputs, cpu = {"trafilatura": extracted}, {"trafilatura": extract_cpu}
    started = time.process_time()
    outputs[f"trafilatura + {STRIPPER}"] = stripper.clean_many(extracted)
    cpu[f"trafilatura + {STRIPPER}"] = time.process_time() - started
    for name in POST_FILTERS:
        if name in peers:
            started = time.process_time()
            outputs[f"trafilatura + {name}"] = [filter_text(peers[name], t) for t in extracted]
            cpu[f"trafilatura + {name}"] = time.process_time() - started
    languages = [guess_justext_language(p.html) for p in pages]  # outside the clock
    for language in set(languages):
        justext_stoplist(language)
    started = time.process_time()
    outputs["jusText (HTML)"] = ["\n".join(justext_units(p.html, language))
                                 for p, language in zip(pages, languages)]
    cpu["jusText (HTML)"] = time.process_time() - started
    return outputs, cpu


# ------------------------------------------------------ (b) scrapinghub-aeb

def aeb_quality(pages, outputs):
    """Token figures per system (means over pages), plus debris tokens left."""
    truths = [p.truth for p in pages]
    baseline_extra = _extra_tokens(outputs["trafilatura"], truths)
    rows = {}
    for name, texts in outputs.items():
        scores = np.array([token_scores(out, truth) for out, truth in zip(texts, truths)])
        extra = _extra_tokens(texts, truths)
        rows[name] = {"precision": scores[:, 0].mean(), "recall": scores[:, 1].mean(),
                      "f1": scores[:, 2].mean(), "extra_tokens": extra, "documents": len(pages),
                      "debris_removed_vs_trafilatura":
                          1 - extra / baseline_extra if name.startswith("trafilatura +") else None}
    return rows


def _extra_tokens(texts, truths):
    """Tokens in the outputs that the ground truth does not hold (bag counts)."""
    return sum(sum((Counter(tokens(out)) - Counter(tokens(truth))).values())
               for out, truth in zip(texts, truths))


def aeb_keep_figures(pages, outputs):
    """Issue 2's check: of the truth tokens trafilatura kept, the share stripper keeps."""
    share, per_page = keep_share([p.truth for p in pages], outputs["trafilatura"],
                                 outputs[f"trafilatura + {STRIPPER}"])
    return {"share": share, "pages": len(pages),
            "pages_below": sum(1 for _, s, _ in per_page if s < 0.99),
            "worst": [(pages[i].id, s, lost) for i, s, lost in per_page[:5]]}


# --------------------------------------------------- (c) trafilatura-eval

def snippet_quality(pages, outputs):
    """Share of ``with`` snippets kept and ``without`` snippets removed, per system."""
    baseline = _snippet_hits(pages, outputs["trafilatura"])
    rows = {}
    for name, texts in outputs.items():
        hits = _snippet_hits(pages, texts)
        rows[name] = {
            "with_kept": _share(hits["with"]),
            "without_removed": 1 - _share(hits["without"]),
            "with_kept_of_trafilatura": _share([h for h, b in zip(hits["with"], baseline["with"])
                                                if b]),
            "without_removed_of_trafilatura": 1 - _share(
                [h for h, b in zip(hits["without"], baseline["without"]) if b]),
            "with_snippets": len(hits["with"]), "without_snippets": len(hits["without"]),
            "documents": len(pages)}
    return rows


def _snippet_hits(pages, texts):
    hits = {"with": [], "without": []}
    for page, text in zip(pages, texts):
        normalised = normalise(text)
        hits["with"].extend(snippet_present(s, normalised) for s in page.with_snippets)
        hits["without"].extend(snippet_present(s, normalised) for s in page.without_snippets)
    return hits


def _share(flags):
    return sum(flags) / len(flags) if flags else float("nan")
