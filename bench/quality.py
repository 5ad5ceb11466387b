"""Quality: how much reporting each system keeps and how much debris it removes.

- (a) fixtures: character-level, with the fixture labels; stripper held out
  by publication exactly as ``stripper eval`` does, peers scored on the
  paragraphs they kept.
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
from .systems import filter_text, justext_units, normalise, paragraphs_of

log = logging.getLogger(__name__)

STRIPPER = "stripper"
#: Paragraph peers that also make sense as a post-filter on trafilatura's text.
POST_FILTERS = ("keyword regex", "C4 line rules")


# ----------------------------------------------------------- (a) fixtures

def fixture_quality(docs, peers, folds):
    """Char-level figures per system on the fixtures; stripper held out by publication."""
    from stripper.evaluate import label_blocks, measure
    from stripper.train import cross_validate
    log.info("(a) cross-validating stripper, %d folds", folds)
    started = time.process_time()
    threshold, metrics = cross_validate(docs, folds)
    rows = {f"{STRIPPER} (held out)": dict(metrics["overall"], threshold=threshold,
                                           cpu=time.process_time() - started)}
    data = label_blocks(docs)
    for name, kept_function in peers.items():
        log.info("(a) %s", name)
        masks = [removed_mask(doc.text, doc.lang, kept_function) for doc in docs]
        rows[name] = measure(data, masks)
    return rows


def removed_mask(text, lang, kept_function):
    """Per character of ``text``: inside a paragraph the peer dropped."""
    blocks = paragraphs_of(text)
    kept = kept_function([b.text for b in blocks], lang) if blocks else []
    mask = np.zeros(len(text), dtype=bool)
    for block, keep in zip(blocks, kept):
        if not keep:
            mask[block.start:block.end] = True
    return mask


# ------------------------------------------------------- real-page outputs

def page_outputs(pages, stripper, peers):
    """Every system's output text per page, and the CPU each system took.

    trafilatura runs once on the HTML; stripper and the post-filters run on
    its output; jusText runs on the HTML itself.
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
    started = time.process_time()
    outputs["jusText (HTML)"] = ["\n".join(justext_units(p.html, guess_justext_language(p.html)))
                                 for p in pages]
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
