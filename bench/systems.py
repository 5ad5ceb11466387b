"""The peers, each reduced to one question: which paragraphs does it keep?

Every plain-text system sees the same paragraphs: the blocks
:func:`stripper.blocks.split_blocks` cuts (hard-wrapped lines joined). A
peer is three steps, so that a clock can time its own work and nothing else:

- ``prepare(paragraphs, lang)`` builds its input before the clock starts:
  jusText and trafilatura get the paragraphs wrapped one per ``<p>``
  (HTML-escaped), jusText also the stoplist of the document's language;
- ``run(prepared)`` is the peer itself, the only step a benchmark times;
- ``kept(paragraphs, output)`` maps its output back onto the paragraphs by
  aligning normalised text, so its decisions can be scored with the same
  character labels as stripper's.
"""

import difflib
import html
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

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

@dataclass(frozen=True)
class Peer:
    """A paragraph-level system: prepare (untimed), run (timed), kept (untimed)."""

    prepare: Callable
    run: Callable
    kept: Callable

    def kept_of(self, paragraph_texts, lang="en"):
        """Which of ``paragraph_texts`` this peer keeps: all three steps in one call."""
        if not paragraph_texts:
            return []
        return self.kept(paragraph_texts, self.run(self.prepare(paragraph_texts, lang)))


def _as_given(paragraph_texts, lang):
    """A peer that reads the paragraphs themselves."""
    return paragraph_texts


def _flags(paragraph_texts, flags):
    """A peer whose output already is a keep flag per paragraph."""
    return flags


def keep_all(paragraph_texts):
    """Identity: keep everything, the floor every cleaner must beat on debris."""
    return [True] * len(paragraph_texts)


def keyword_flags(paragraph_texts):
    """Drop short paragraphs that name a debris keyword."""
    return [not (DEBRIS_KEYWORDS.search(p) and len(p.split()) <= KEYWORD_MAX_WORDS)
            for p in paragraph_texts]


@lru_cache(maxsize=None)
def justext_stoplist(language):
    """jusText's stoplist for a language name, read once (jusText reads its file per call)."""
    import justext
    return justext.get_stoplist(language)


def justext_input(paragraph_texts, lang):
    """jusText's input: the paragraphs as ``<p>`` HTML bytes, and its stoplist's language."""
    language = JUSTEXT_LANGUAGES.get(lang, "English")
    justext_stoplist(language)  # loaded now, outside any clock
    return wrap_html(paragraph_texts).encode("utf-8"), language


def justext_units(page_html, language):
    """The paragraphs jusText keeps from a page (bytes or str), with its default settings."""
    import justext
    page = page_html.encode("utf-8") if isinstance(page_html, str) else page_html
    parsed = justext.justext(page, justext_stoplist(language), encoding="utf-8")
    return [p.text for p in parsed if not p.is_boilerplate]


def _justext_run(prepared):
    """jusText on a prepared (HTML bytes, language) pair."""
    return justext_units(*prepared)


def _wrapped(paragraph_texts, lang):
    """The paragraphs as ``<p>`` HTML (trafilatura's input)."""
    return wrap_html(paragraph_texts)


def trafilatura_lines(page_html):
    """The lines trafilatura extracts from a page, with its default settings."""
    import trafilatura
    return (trafilatura.extract(page_html) or "").splitlines()


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


@lru_cache(maxsize=1)
def _c4():
    """The one C4 filter, built on first use."""
    return c4_lines_filter()


def _one_per_line(paragraph_texts, lang):
    """The C4 rules' input: one paragraph per line."""
    _c4()  # built now, outside any clock
    return "\n".join(one_line(p) for p in paragraph_texts)


def c4_lines(text):
    """The lines of ``text`` the C4 line rules keep (none when a document rule fires)."""
    from datatrove.data import Document
    document = Document(text=text, id="bench")
    verdict = _c4().filter(document)  # edits document.text in place
    return document.text.splitlines() if verdict is True else []


def datatrove_available():
    """Whether datatrove imports here (the C4 peer runs only then)."""
    return _c4() is not None


#: Paragraph-level peers, by the name the report uses.
PEERS = {
    "identity": Peer(_as_given, keep_all, _flags),
    "keyword regex": Peer(_as_given, keyword_flags, _flags),
    "jusText (wrapped)": Peer(justext_input, _justext_run, align_kept),
    "trafilatura (wrapped)": Peer(_wrapped, trafilatura_lines, align_kept),
    "C4 line rules": Peer(_one_per_line, c4_lines, align_kept),
}


def available_peers():
    """The peers that can run here (C4 needs datatrove)."""
    return {name: peer for name, peer in PEERS.items()
            if name != "C4 line rules" or datatrove_available()}


def filter_text(peer, text, lang="en"):
    """A peer used as a post-filter: ``text`` with its dropped paragraphs removed."""
    paragraphs = [b.text for b in paragraphs_of(text)]
    kept = peer.kept_of(paragraphs, lang)
    return "\n".join(p for p, keep in zip(paragraphs, kept) if keep)
