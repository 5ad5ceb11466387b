"""Turning blocks into numbers: the module-level functions of the model.

Everything here is a plain function over *rows* (one dict per block, made by
:func:`block_rows`) so that the scikit-learn pipeline pickles and clones.
Three families: text (hashed word and character n-grams), layout (length,
position, punctuation, second person, money, links, imperatives, capitals,
digits) and context (neighbours' scores, computed in ``model.py``).
"""

import math
import re
from functools import lru_cache

import numpy as np

#: Bumped whenever a feature changes: a model trained on other features is
#: refused at load time instead of failing deep inside scikit-learn.
FEATURES_VERSION = 4

#: Characters of a block the n-gram features look at: the head and the tail.
#: Appeals announce themselves early and end in buttons; a 10 MB paragraph
#: must not cost 10 MB of n-grams.
TEXT_HEAD = 1200
TEXT_TAIL = 300

SECOND_PERSON = frozenset("""
you your yours yourself you're you've you'll
вы вас вам ваш ваша ваше ваши вами ты тебя тебе твой
ви вас вам ваш ваша ваше ваші вами ти тебе твій
sie ihr ihre ihnen euch dich dir du dein deine
vous votre vos toi ton ta tes
usted ustedes tu tus te vosotros você vocês seu sua teu tua
voi vostro vostra tuo tua ti vi
wy was wam wasz wasza ty ciebie tobie
u uw jij je jou jouw jullie
""".split())

IMPERATIVES = frozenset("""
support donate subscribe sign join read share follow download click become give
help get listen watch register log tap install chip contribute upgrade continue
поддержите подпишитесь читайте подписывайтесь скачайте станьте помогите поделитесь
підтримайте підпишіться читайте завантажте станьте допоможіть поділіться
unterstützen sie abonnieren lesen spenden jetzt teilen folgen melden
soutenez abonnez-vous lisez faites partagez suivez téléchargez inscrivez-vous
apoya apoye suscríbete lee hazte comparte sigue descarga apoie assine leia
sostieni abbonati leggi iscriviti condividi seguici scarica
wesprzyj zapisz czytaj udostępnij pobierz dołącz
steun word lees deel volg download abonneer
""".split())

#: Word stems by what an appeal does, in the languages we see most. A stem
#: matches the start of a lowercased word. These generalise across
#: publishers where n-grams learnt from a few sites do not.
LEXICON = {
    "money": """support donat contribut fund gift give giving chip pay paid sponsor patreon
        member subscri premium free-of-charge tax-deductible crowdfund fundrais dollar euro
        поддерж пожертв донат подпис взнос помощ деньг рубл оплат
        підтрим пожертв донат підпис внес допомог гривн оплат
        unterstütz spend spende abo abonn mitglied zahl förder
        soutien souten don abonn cotis financ contribu adhér
        apoy apoi don suscri socio contribu financ doaç doar assin assinat colabor
        sostien sostegn donaz abbon contribut finanz
        wesprz wspar dar wpłat subskryp prenumer
        steun donat doneer abonne lid bijdrag""".split(),
    "newsroom": """journalis newsroom reporter report independ nonprofit non-profit mission reader
        media newsletter editor
        журнал редакц независим читател издан
        журнал редакц незалеж читач видан
        journalis redaktion unabhängig leser
        journalis rédaction indépend lecteur lectric
        periodis redacc independ lector jornalis redaç independ leitor
        giornalis redazion indipenden lettor
        dziennik redakcj niezależ czytel
        journalist redactie onafhankelijk lezer""".split(),
    "ask": """please need help today now join become sign click button later close maybe remind
        пожалуйста нужн помоги сейчас станьте напомн позже закрыть
        будь потрібн допоможіть зараз станьте нагад пізніше закрити
        bitte brauch helfen jetzt werden später schließen
        besoin aidez maintenant devenez plus-tard fermer
        necesit ayúd ahora hazte después cerrar precis ajud agora torne depois fechar
        bisogno aiut adesso diventa dopo chiudi
        potrzeb pomóż teraz zostań później zamknij
        nodig help nu word later sluiten""".split(),
}

#: First-person plural words, matched whole: the publication speaking.
SELF_WORDS = frozenset("""we our us ours мы нас нам наш наша наше наши ми нас нам наш наша наше
    наші wir uns unser unsere nous notre nos nosotros nuestro nuestra nuestros nós nosso nossa
    noi nostro nostra nostri my nas nam nasz nasza wij ons onze""".split())

WORD = re.compile(r"\w+(?:['’]\w+)?", re.UNICODE)
MONEY = re.compile(r"[$€£₽₴¥]\s?\d|\d\s?(?:€|\$|£|₽|₴|zł|kr|EUR|USD|руб|грн)", re.IGNORECASE)
LINK = re.compile(r"https?://|www\.|\.(?:com|org|net|ru|ua|de|fr)\b|@\w")
TERMINAL = re.compile(r"[.!?…][\"'”’»)\]]*$")
#: A table row as extractors write one ("| cell | cell |"); a list item
#: ("- item", "• item", "3) item", "12. item"); the attribution line under an
#: embedded post ("— Name (@handle) May 2, 2024"). A story's tables, lists
#: and quoted posts are reporting, though they read like menus line by line.
TABLE_ROW = re.compile(r"^\s*\|.*\|.*\|")
LIST_ITEM = re.compile(r"^\s*(?:[-*•–]\s|\d{1,3}[.)]\s)")
EMBED_CREDIT = re.compile(r"^\s*[—–-]\s?.{0,80}\(@\w+\)")

#: Layout features read from a block alone (its place in the document is
#: left to the context stage, so a block's stage-1 score does not change
#: when other blocks are removed).
LAYOUT_NAMES = (
    "log_chars", "log_words", "ends_terminal", "ends_colon", "ends_comma", "second_person",
    "money", "link", "imperative", "capitals", "digits", "one_word", "no_letters",
    "table_row", "list_item", "embed_credit",
) + tuple("lexicon_" + name for name in LEXICON) + ("lexicon_self", "lexicon_appeal")

#: Features of a block's place in its document, for the context stage.
POSITION_NAMES = ("from_start", "from_end", "in_first3", "in_last3", "log_doc_blocks")

#: Every stem's groups, keyed by the stem: a word hits a group when one of
#: its prefixes is a stem of that group.
_STEM_GROUPS = {}
for _group, _stems in LEXICON.items():
    for _stem in _stems:
        _STEM_GROUPS.setdefault(_stem, set()).add(_group)
_STEM_LENGTHS = sorted({len(stem) for stem in _STEM_GROUPS})


def block_rows(blocks, doc_key=0):
    """Rows for the model: each block's text with its place in the document."""
    count = len(blocks)
    return [{"text": block.text, "index": index, "count": count, "doc": doc_key}
            for index, block in enumerate(blocks)]


def row_texts(rows):
    """The text the n-gram features read: head and tail of each block."""
    return [_head_and_tail(row["text"]) for row in rows]


def _head_and_tail(text):
    if len(text) <= TEXT_HEAD + TEXT_TAIL:
        return text
    return text[:TEXT_HEAD] + " " + text[-TEXT_TAIL:]


#: Blocks whose layout features are remembered: the same block is read by
#: the block model and by each context round of each cleaning pass.
LAYOUT_CACHE = 8192


def layout_features(rows):
    """A dense matrix of layout features, one row per block (see LAYOUT_NAMES)."""
    return np.array([_layout(row["text"]) for row in rows], dtype=np.float64).reshape(
        len(rows), len(LAYOUT_NAMES))


@lru_cache(maxsize=LAYOUT_CACHE)
def _layout(full_text):
    text = _head_and_tail(full_text)
    words = WORD.findall(text.lower())
    n_words = max(len(words), 1)
    letters = sum(ch.isalpha() for ch in text) or 1
    tail = text.rstrip()
    return (
        math.log1p(len(full_text)) / 10,
        math.log1p(len(words)) / 7,
        float(bool(TERMINAL.search(tail))),
        float(tail.endswith(":")),
        float(tail.endswith(",")),
        min(1.0, 5 * sum(w in SECOND_PERSON for w in words) / n_words),
        float(bool(MONEY.search(text))),
        float(bool(LINK.search(text))),
        float(bool(words) and words[0] in IMPERATIVES),
        sum(ch.isupper() for ch in text) / letters,
        min(1.0, sum(ch.isdigit() for ch in text) / letters),
        float(len(words) <= 1),
        float(not any(ch.isalpha() for ch in text)),
        float(bool(TABLE_ROW.match(text))),
        float(bool(LIST_ITEM.match(text))),
        float(bool(EMBED_CREDIT.match(text))),
    ) + _lexicon(words, n_words)


def _lexicon(words, n_words):
    """Share of words hitting each appeal lexicon, and their combination."""
    hits = dict.fromkeys(LEXICON, 0)
    for word in words:
        for group in _word_groups(word):
            hits[group] += 1
    shares = [min(1.0, 4 * hits[group] / n_words) for group in LEXICON]
    own_voice = min(1.0, 4 * sum(w in SELF_WORDS for w in words) / n_words)
    appeal = (shares[0] * shares[1] * (shares[2] + own_voice)) ** (1 / 3)
    return (*shares, own_voice, appeal)


def _word_groups(word):
    groups = set()
    for length in _STEM_LENGTHS:
        if length > len(word):
            break
        groups |= _STEM_GROUPS.get(word[:length], set())
    return groups


def position_features(rows):
    """A dense matrix of each block's place in its document (see POSITION_NAMES)."""
    return np.array([_position(row["index"], row["count"]) for row in rows],
                    dtype=np.float64).reshape(len(rows), len(POSITION_NAMES))


def _position(index, count):
    span = max(count - 1, 1)
    return (index / span, (count - 1 - index) / span, float(index < 3),
            float(count - 1 - index < 3), math.log1p(count) / 5)
