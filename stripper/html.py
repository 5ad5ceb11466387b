"""HTML pages: trafilatura extracts the main text, stripper cleans it.

trafilatura is tuned here for recall, not precision: it should hand over
every paragraph that might be reporting, debris included, because telling
the two apart is what our classifier is for. trafilatura is imported only
when a page is actually extracted.
"""

import logging

log = logging.getLogger(__name__)

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

    A page where trafilatura finds no main text is logged as a warning
    naming ``name``: an empty clean is then the extractor's doing.
    """
    import trafilatura
    text = trafilatura.extract(html, **EXTRACTION)
    if text is None:
        log.warning("%s: no main text found in the HTML", name)
        return ""
    return text


def page_text(text, name, html=None):
    """The text to clean from one decoded input.

    ``html=True``: ``text`` is HTML, its main text is extracted.
    ``html=None``: the same if ``text`` opens as an HTML page does, with a
    warning (HTML piped without ``--html`` would otherwise come back as
    markup). ``html=False``: ``text`` is cleaned as it is.
    """
    from .textio import looks_like_html
    if html is None and looks_like_html(text):
        log.warning("%s: looks like an HTML page; extracting its main text "
                    "(pass --html to say so)", name)
        html = True
    return extract_text(text, name) if html else text


def read_page(path, html=None, limit=None):
    """Read, decode and (for HTML) extract one input file: the text to clean."""
    from .settings import MAX_RECORD_BYTES
    from .textio import read_text
    return page_text(read_text(path, MAX_RECORD_BYTES if limit is None else limit), str(path),
                     html)
