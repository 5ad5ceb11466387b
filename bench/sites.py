"""Site batches: stripper in batch mode and alone, trafilatura's ``deduplicate``, and cost.

stripper's quality figures are the card's (the site batches held out by
site, each site's pages cleaned together; nothing is re-trained here). The
peer, trafilatura with ``deduplicate=True``, remembers paragraphs across
extractions: each page goes to it as simple HTML (one ``<p>`` per line), a
site's pages in order, its cache emptied between sites; it is scored on the
lines it keeps, like the other peers. Cost: CPU time of the gathering pass
(every page's fingerprints, then the fold) against cleaning the same pages
alone.
"""

import html
import logging
import time

import numpy as np

log = logging.getLogger(__name__)


def site_section(shared_data, stripper):
    """``results["sites"]`` for :func:`bench.report.site_batches`, or None without the data."""
    folder = shared_data / "site-batches" / "docs"
    if not folder.is_dir():
        return None
    from stripper.corpus import load_json_corpus
    docs = load_json_corpus(folder)
    rows = {}
    card = stripper.model.card["cv"].get("sites", {})
    for mode, name in (("per_page", "stripper, each page alone (card, held out)"),
                       ("batch", "stripper, site batches (card, held out)")):
        if mode in card:
            rows[name] = {"keep": card[mode]["all"]["keep"],
                          "remove": card[mode]["all"]["remove"],
                          "appeals": card[mode]["appeals"]["remove"]}
    for dedup in (False, True):
        rows[f"trafilatura, deduplicate={dedup}"] = trafilatura_on_sites(docs, dedup)
    return {"title": "Site batches (issue 12)",
            "note": _note(len(docs), len({d.meta["site"] for d in docs}),
                          evidence_cost(docs, stripper)),
            "rows": rows}


def trafilatura_on_sites(docs, deduplicate):
    """keep / remove / appeals of trafilatura on each site's pages in order, lines as units."""
    import trafilatura
    from trafilatura.deduplication import LRU_TEST
    from stripper.blocks import line_blocks
    from stripper.evaluate import label_blocks, measure
    data = label_blocks(docs, line_blocks)
    masks, previous = [], None
    for doc, units in zip(docs, data.blocks):
        if deduplicate and doc.meta["site"] != previous:
            LRU_TEST.clear()  # a fresh cache for each site, as a per-site run would have
        previous = doc.meta["site"]
        page = "<html><body>" + "".join(f"<p>{html.escape(u.text)}</p>" for u in units) + \
            "</body></html>"
        kept = trafilatura.extract(page, favor_recall=True, include_tables=True,
                                   include_comments=False, deduplicate=deduplicate) or ""
        kept_lines = {line.strip() for line in kept.splitlines()}
        mask = np.zeros(len(doc.text), dtype=bool)
        for unit in units:
            if unit.text.strip() not in kept_lines:
                mask[unit.start:unit.end] = True
        masks.append(mask)
    appeals = ("donation", "membership", "subscription")
    every, appeal = measure(data, masks), measure(data, masks, kind=appeals)
    return {"keep": every["keep"], "remove": every["remove"], "appeals": appeal["remove"]}


def evidence_cost(docs, stripper, runs=5):
    """CPU seconds per page of gathering (prints + fold) and of cleaning alone: best of runs."""
    from stripper.sites import gather_texts
    texts = [d.text for d in docs]
    keys = [d.meta["site"] for d in docs]
    gather = min(_cpu(lambda: gather_texts(zip(keys, texts))) for _ in range(runs))
    clean = min(_cpu(lambda: stripper.clean_documents(texts)) for _ in range(runs))
    batch = min(_cpu(lambda: stripper.clean_documents(texts, sites=keys)) for _ in range(runs))
    return {"gather": gather / len(texts), "clean": clean / len(texts),
            "batch": batch / len(texts)}


def _cpu(function):
    started = time.process_time()
    function()
    return time.process_time() - started


def _note(pages, sites, cost):
    share = cost["gather"] / cost["clean"]
    return (f"{pages} pages of {sites} sites (`../shared/data/site-batches`); keep = reporting "
            f"characters kept, remove = debris characters removed, appeals = donation, "
            f"membership and subscription debris removed. Cost, CPU per page: cleaning each "
            f"page alone {cost['clean'] * 1e3:.2f} ms; the gathering pass "
            f"{cost['gather'] * 1e3:.2f} ms (**{share:.0%}** of cleaning; issue 12's target is "
            f"at most 15%); cleaning in batch mode, evidence applied, "
            f"{cost['batch'] * 1e3:.2f} ms.")
