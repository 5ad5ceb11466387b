"""The peers, each reduced to one question: which paragraphs does it keep?

Every plain-text system sees the same paragraphs: the blocks
:func:`stripper.blocks.split_blocks` cuts (hard-wrapped lines joined). Peers
that read HTML get those paragraphs wrapped one per ``<p>``. A peer's output
is mapped back onto the paragraphs it was given by aligning normalised
text, so its decisions can be scored with the same character labels as
stripper's.
"""

import difflib
import html
import re
import unicodedata

from stripper.blocks import split_blocks

#: jusText stoplist names for the language codes our fixtures use.
JUSTEXT_LANGUAGES = {
    "en": "English", "ru": "Russian", "de": "German", "fr": "French", "es": "Spanish",
    "pt": "Portuguese", "it": "Italian", "uk": "Ukrainian", "pl": "Polish", "nl": "Dutch",
    "cs": "Czech", "sv": "Swedish",
}
#: An unmatched paragraph this long still counts as kept if its text occurs
#: inside the output (a peer may merge two paragraphs into one line).
MIN_CONTAINED = 30

#: What a hand-written filter would look for: debris phrases in our languages.
DEBRIS_KEYWORDS = re.compile(r"""(?ix)
    \b(?:subscri\w*|newsletter\w*|sign\ up|sign\ in|log\ in|donat\w*|support\ (?:us|our)\w*
    |become\ a\ (?:member|supporter|subscriber)|membership|paywall|cookie\w*|advertis\w*
    |share\ (?:this|on)|follow\ us|related|read\ more|read\ next|download\ (?:the|our)\ app
    |podcast|comments?|click\ here|privacy\ policy|terms\ of\ (?:use|service)
    |abonn\w*|spende\w*|unterstütz\w*|anzeige|werbung|teilen
    |soutene\w*|faites\ un\ don|inscri\w*|partager
    |suscr[ií]b\w*|donaci[oó]n|dona\ ahora|doa[çc][aã]o|hazte\ socio|compart\w*
    |publicidad|assin\w*
    |sostieni|abbonati|iscriviti|condividi|pubblicità
    |wesprzyj|subskryp\w*|udostępnij|reklama
    |steun\ ons|abonneer\w*|delen
    |подпис\w*|поддерж\w*|реклам\w*|поделит\w*
    |підпис\w*|підтрима\w*)\b""")
#: The keyword baseline only drops short paragraphs: long ones are reporting
#: that happens to mention a newsletter.
KEYWORD_MAX_WORDS = 60


def paragraphs_of(text):
    """The paragraphs every plain-text system is given: stripper's blocks."""
    return split_blocks(text)


def one_line(paragraph_text):
    """A paragraph's text on one line (hard wraps become spaces)."""
    return " ".join(paragraph_text.split())


def wrap_html(paragraph_texts):
    """Paragraphs as a minimal HTML page, one ``<p>`` each."""
    body = "".join(f"<p>{html.escape(one_line(p))}</p>\n" for p in paragraph_texts)
    return f"<html><head><title></title></head><body>\n{body}</body></html>"


def normalise(text):
    """Text for matching: NFKC, lower case, single spaces."""
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def align_kept(paragraph_texts, output_units):
    """Which input paragraphs survive in a peer's output units (lines or paragraphs)."""
    wanted = [normalise(p) for p in paragraph_texts]
    found = [normalise(u) for u in output_units if u.strip()]
    kept = [False] * len(wanted)
    matcher = difflib.SequenceMatcher(None, wanted, found, autojunk=False)
    for block in matcher.get_matching_blocks():
        for offset in range(block.size):
            kept[block.a + offset] = True
    whole_output = "\n".join(found)
    for index, text in enumerate(wanted):
        if not kept[index] and len(text) >= MIN_CONTAINED and text in whole_output:
            kept[index] = True
    return kept


# ------------------------------------------------------------------ peers

def identity_kept(paragraph_texts, lang="en"):
    """Keep everything: the floor every cleaner must beat on debris."""
    return [True] * len(paragraph_texts)


def keyword_kept(paragraph_texts, lang="en"):
    """Drop short paragraphs that name a debris keyword."""
    return [not (DEBRIS_KEYWORDS.search(p) and len(p.split()) <= KEYWORD_MAX_WORDS)
            for p in paragraph_texts]


def justext_kept(paragraph_texts, lang="en"):
    """jusText over the paragraphs wrapped as HTML."""
    kept_units = justext_units(wrap_html(paragraph_texts), JUSTEXT_LANGUAGES.get(lang, "English"))
    return align_kept(paragraph_texts, kept_units)


def justext_units(page_html, language):
    """The paragraphs jusText keeps from a page, with its default settings."""
    import justext
    parsed = justext.justext(page_html.encode("utf-8") if isinstance(page_html, str) else page_html,
                             justext.get_stoplist(language), encoding="utf-8")
    return [p.text for p in parsed if not p.is_boilerplate]


def trafilatura_kept(paragraph_texts, lang="en"):
    """trafilatura over the paragraphs wrapped as HTML."""
    import trafilatura
    output = trafilatura.extract(wrap_html(paragraph_texts)) or ""
    return align_kept(paragraph_texts, output.splitlines())


def c4_lines_filter():
    """datatrove's C4QualityFilter with its document-level rules switched off.

    Left on: terminal punctuation, at least three words, no "javascript",
    no cookie/policy phrases, no word over 1000 characters. Off: minimum
    sentences, "lorem ipsum" and curly-bracket page drops, and the citation
    rewrite (it edits lines rather than dropping them). None when datatrove
    is not installed.
    """
    try:
        from datatrove.pipeline.filters.c4_filters import C4QualityFilter
    except ImportError:
        return None
    return C4QualityFilter(remove_citations=False, min_num_sentences=-1,
                           filter_lorem_ipsum=False, filter_curly_bracket=False)


_C4 = []


def c4_kept(paragraph_texts, lang="en"):
    """The C4 line rules over the paragraphs, one line each."""
    from datatrove.data import Document
    if not _C4:
        _C4.append(c4_lines_filter())
    document = Document(text="\n".join(one_line(p) for p in paragraph_texts), id="bench")
    verdict = _C4[0].filter(document)
    kept_lines = document.text.splitlines() if verdict is True else []
    return align_kept(paragraph_texts, kept_lines)


def datatrove_available():
    """Whether datatrove imports here (the C4 peer runs only then)."""
    return c4_lines_filter() is not None


#: Paragraph-level peers, by the name the report uses.
PEERS = {
    "identity": identity_kept,
    "keyword regex": keyword_kept,
    "jusText (wrapped)": justext_kept,
    "trafilatura (wrapped)": trafilatura_kept,
    "C4 line rules": c4_kept,
}


def available_peers():
    """The peers that can run here (C4 needs datatrove)."""
    return {name: kept for name, kept in PEERS.items()
            if kept is not c4_kept or datatrove_available()}


def filter_text(kept_function, text, lang="en"):
    """A peer used as a post-filter: ``text`` with its dropped paragraphs removed."""
    paragraphs = [b.text for b in paragraphs_of(text)]
    kept = kept_function(paragraphs, lang) if paragraphs else []
    return "\n".join(p for p, keep in zip(paragraphs, kept) if keep)
