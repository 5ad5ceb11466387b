"""Real pages from ``../shared/data``: loading, extraction and token counts.

Nothing here is copied into the repository; the pages are read at run time
and every loader returns ``None`` when its corpus is absent.
"""

import csv
import gzip
import json
import re
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .systems import JUSTEXT_LANGUAGES, justext_stoplist, normalise

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
AEB_DIR = SHARED_DATA / "scrapinghub-aeb"
TRAFILATURA_EVAL_DIR = SHARED_DATA / "trafilatura-eval"
#: Labelled plain-text corpora, one JSON document per file.
REAL_PAGES_DIR = SHARED_DATA / "real-pages" / "docs"
SITE_BATCHES_DIR = SHARED_DATA / "site-batches" / "docs"
TOKEN = re.compile(r"\w+")
TAG = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.S | re.I)


@dataclass
class Page:
    """One HTML page with what its corpus says about it."""

    id: str
    html: bytes
    truth: str = ""                               # aeb: the articleBody
    with_snippets: list = field(default_factory=list)     # trafilatura-eval
    without_snippets: list = field(default_factory=list)


def json_documents(directory):
    """The labelled documents of a real-pages style corpus, or None when absent."""
    from stripper.corpus import load_json_corpus
    if not Path(directory).is_dir():
        return None
    return load_json_corpus(directory)


def aeb_pages(limit=None):
    """scrapinghub-aeb pages with their articleBody, or None when absent."""
    truth_file = AEB_DIR / "ground-truth.json"
    if not truth_file.is_file():
        return None
    truth = json.loads(truth_file.read_text(encoding="utf-8"))
    pages = []
    for page_id in sorted(truth)[:limit]:
        path = AEB_DIR / "html" / f"{page_id}.html.gz"
        if path.is_file():
            pages.append(Page(page_id, gzip.decompress(path.read_bytes()),
                              truth=truth[page_id]["articleBody"]))
    return pages


def trafilatura_eval_pages(limit=None):
    """trafilatura-eval pages with their with/without snippets, or None when absent."""
    index = TRAFILATURA_EVAL_DIR / "files_included.tsv"
    if not index.is_file():
        return None
    annotations = json.loads((TRAFILATURA_EVAL_DIR / "evaldata.json").read_text(encoding="utf-8"))
    with open(index, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    pages = []
    for row in rows[:limit]:
        entry = annotations[row["evaldata_key"]]
        path = TRAFILATURA_EVAL_DIR / row["path"]
        pages.append(Page(row["evaldata_key"], gzip.decompress(path.read_bytes()),
                          with_snippets=list(entry.get("with") or []),
                          without_snippets=list(entry.get("without") or [])))
    return pages


def extract_all(pages):
    """trafilatura (defaults) on every page; returns (texts, cpu seconds)."""
    import trafilatura
    started = time.process_time()
    texts = [trafilatura.extract(page.html) or "" for page in pages]
    return texts, time.process_time() - started


def tokens(text):
    """Word tokens for token-level scoring: NFKC, lower case, ``\\w+``."""
    return TOKEN.findall(unicodedata.normalize("NFKC", text).lower())


def token_scores(output, truth):
    """Token precision, recall and F1 of ``output`` against ``truth`` (bags of words)."""
    got, want = Counter(tokens(output)), Counter(tokens(truth))
    common = sum((got & want).values())
    precision = common / sum(got.values()) if got else 0.0
    recall = common / sum(want.values()) if want else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def visible_text(page_html):
    """Rough visible text of a page, for guessing its language."""
    text = page_html.decode("utf-8", "replace") if isinstance(page_html, bytes) else page_html
    return TAG.sub(" ", text)


def guess_justext_language(page_html):
    """The jusText stoplist whose words are densest in the page's text."""
    words = tokens(visible_text(page_html))[:5000]
    if not words:
        return "English"
    best, best_share = "English", -1.0
    for language in sorted(set(JUSTEXT_LANGUAGES.values()) | {"Indonesian", "Korean"}):
        stoplist = justext_stoplist(language)
        share = sum(word in stoplist for word in words) / len(words)
        if share > best_share:
            best, best_share = language, share
    return best


def snippet_present(snippet, normalised_output):
    """Whether a with/without snippet occurs in an (already normalised) output."""
    wanted = normalise(snippet)
    return bool(wanted) and wanted in normalised_output
