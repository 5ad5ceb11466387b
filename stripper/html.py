"""HTML pages: trafilatura extracts the main text, stripper cleans it.

trafilatura is tuned here for recall, not precision: it should hand over
every paragraph that might be reporting, debris included, because telling
the two apart is what our classifier is for. trafilatura is imported only
when a page is actually extracted.
"""

import logging
from pathlib import Path

from .textio import decode

log = logging.getLogger(__name__)

HTML_SUFFIXES = (".html", ".htm")

#: trafilatura settings, chosen for recall (see README, "HTML pages").
EXTRACTION = {
    "favor_recall": True,     # keep borderline blocks; we remove debris ourselves
    "fast": False,            # let the fallback extractors rescue thin pages
    "include_tables": True,   # tables can hold reporting: results, figures
    "include_comments": False,  # readers' comments are never the article
    "include_images": False,
    "include_links": False,
    "include_formatting": False,  # plain text, as our model was trained on
    "deduplicate": False,     # a cross-page cache would make output depend on order
    "with_metadata": False,
    "output_format": "txt",
}


def extract_text(html, name="page"):
    """The main text of an HTML page (``str``), or ``""`` if it has none.

    ``name`` only labels the log message for a page without main text.
    """
    import trafilatura
    text = trafilatura.extract(html, **EXTRACTION)
    if text is None:
        log.info("no main text found in %s", name)
        return ""
    return text


def is_html(path):
    """Does ``path`` name an HTML page (by suffix)?"""
    return Path(path).suffix.lower() in HTML_SUFFIXES


def input_texts(paths, stdin_data=None, html=False):
    """The texts the ``clean`` command works on, one per input.

    Reads ``paths`` (or decodes ``stdin_data`` when there are none). HTML
    pages, by suffix or with ``html=True``, become their extracted text.
    """
    from .textio import read_text
    if not paths:
        text = decode(stdin_data)
        return [extract_text(text) if html else text]
    return [extract_text(read_text(p), str(p)) if html or is_html(p) else read_text(p)
            for p in paths]
