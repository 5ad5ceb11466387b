"""Labelled documents: our fixture format and the real-pages JSON corpora.

A fixture file is a header of ``key: value`` lines, a line ``---``, then the
document body exactly as a cleaner would receive it, with debris marked
inline::

    publication: The Harbour Gazette
    lang: en
    topic: local
    ---
    The council voted on Tuesday to close the ferry pier.
    [[donation: Dear readers, we need you.]]

``[[kind: text]]`` marks boilerplate of that kind, ``[[?kind: text]]`` an
ambiguous segment; everything unmarked is content. One space or newline after
the colon belongs to the marker, not to the text. Removing the markers gives
back the document text exactly; see ``fixtures/README.md``.
"""

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from .labels import (AMBIGUOUS, AMBIGUOUS_KINDS, BOILERPLATE,
                     BOILERPLATE_KINDS, CONTENT, LABELS, normalise_kind)

REQUIRED_KEYS = ("publication", "lang", "topic")
LANGUAGES = ("en", "ru", "de", "fr", "es", "pt", "it", "uk", "pl", "nl", "cs", "sv")
MARKER_OPEN = re.compile(r"\[\[(\?)?([a-z-]+):[ \n]")
MARKER_CLOSE = "]]"


@dataclass(frozen=True)
class Segment:
    """A labelled character span of a document's text."""

    start: int
    end: int
    label: str
    kind: str


@dataclass
class Document:
    """A labelled document: its text, segments and where it came from."""

    id: str
    text: str
    segments: list
    group: str  # publication or publisher: the unit held out together
    lang: str = "en"
    source: str = "fixtures"
    meta: dict = field(default_factory=dict)


class FixtureError(ValueError):
    """A fixture file breaks the format; carries ``path:line: problem``."""


# ---------------------------------------------------------------- fixtures

def parse_fixture(raw, name="<fixture>"):
    """Parse one fixture file's text into a :class:`Document`.

    Raises :class:`FixtureError` naming the line of the first problem.
    """
    header, body, body_line = _split_header(raw, name)
    meta = _parse_header(header, name)
    text, segments = _parse_body(body, name, body_line)
    if not text.strip():
        raise FixtureError(f"{name}:{body_line}: empty body")
    doc_id = Path(name).stem
    return Document(id=doc_id, text=text, segments=segments,
                    group="fixture:" + meta["publication"], lang=meta["lang"],
                    source="fixtures", meta=meta)


def _split_header(raw, name):
    lines = raw.split("\n")
    for index, line in enumerate(lines):
        if line.rstrip("\r") == "---":
            header = lines[:index]
            body = "\n".join(lines[index + 1:])
            return header, body, index + 2
    raise FixtureError(f"{name}:1: no '---' line between header and body")


def _parse_header(header_lines, name):
    meta = {}
    for number, line in enumerate(header_lines, start=1):
        if not line.strip():
            continue
        key, sep, value = line.partition(":")
        if not sep or not key.strip() or " " in key.strip():
            raise FixtureError(f"{name}:{number}: header line is not 'key: value'")
        meta[key.strip()] = value.strip()
    for key in REQUIRED_KEYS:
        if not meta.get(key):
            raise FixtureError(f"{name}:1: header lacks '{key}'")
    if meta["lang"] not in LANGUAGES:
        raise FixtureError(f"{name}:1: unknown lang '{meta['lang']}'")
    return meta


def _parse_body(body, name, first_line):
    pieces = []  # (text, label, kind) in order
    position = 0
    while position < len(body):
        opening = MARKER_OPEN.search(body, position)
        stray_close = body.find(MARKER_CLOSE, position)
        if stray_close != -1 and (opening is None or stray_close < opening.start()):
            raise FixtureError(f"{name}:{_line_of(body, stray_close, first_line)}: "
                               "']]' without an opening '[[kind:'")
        if opening is None:
            _check_no_stray_open(body, position, len(body), name, first_line)
            pieces.append((body[position:], CONTENT, "body"))
            break
        _check_no_stray_open(body, position, opening.start(), name, first_line)
        pieces.append((body[position:opening.start()], CONTENT, "body"))
        label, kind = _marker_label(opening, body, name, first_line)
        closing = body.find(MARKER_CLOSE, opening.end())
        if closing == -1:
            raise FixtureError(f"{name}:{_line_of(body, opening.start(), first_line)}: "
                               "'[[' is never closed with ']]'")
        inner = body[opening.end():closing]
        if "[[" in inner:
            nested = opening.end() + inner.index("[[")
            raise FixtureError(f"{name}:{_line_of(body, nested, first_line)}: "
                               "markers may not nest")
        if not inner.strip():
            raise FixtureError(f"{name}:{_line_of(body, opening.start(), first_line)}: "
                               "empty marked span")
        pieces.append((inner, label, kind))
        position = closing + len(MARKER_CLOSE)
    return _assemble(pieces)


def _check_no_stray_open(body, start, end, name, first_line):
    stray = body.find("[[", start, end)
    if stray != -1:
        raise FixtureError(f"{name}:{_line_of(body, stray, first_line)}: "
                           "'[[' is not followed by 'kind: '")


def _marker_label(opening, body, name, first_line):
    is_ambiguous, kind = opening.group(1), opening.group(2)
    allowed = AMBIGUOUS_KINDS if is_ambiguous else BOILERPLATE_KINDS
    if kind not in allowed:
        raise FixtureError(f"{name}:{_line_of(body, opening.start(), first_line)}: "
                           f"unknown kind '{kind}' (allowed: {', '.join(allowed)})")
    return (AMBIGUOUS if is_ambiguous else BOILERPLATE), kind


def _line_of(body, offset, first_line):
    return first_line + body.count("\n", 0, offset)


def _assemble(pieces):
    """Join pieces into the text; content is cut into one segment per line."""
    text_parts, segments, offset = [], [], 0
    for piece, label, kind in pieces:
        if label == CONTENT:
            for match in re.finditer(r"[^\n]+", piece):
                _add_segment(segments, offset + match.start(), match.group(), label, kind)
        else:
            _add_segment(segments, offset, piece, label, kind)
        text_parts.append(piece)
        offset += len(piece)
    return "".join(text_parts), segments


def _add_segment(segments, start, piece, label, kind):
    """Append the non-blank core of ``piece`` (at ``start``) as a segment."""
    stripped = piece.strip()
    if not stripped:
        return
    lead = len(piece) - len(piece.lstrip())
    begin = start + lead
    segments.append(Segment(begin, begin + len(stripped), label, kind))


def render_fixture(doc):
    """Write a :class:`Document` back in fixture format (inverse of parsing)."""
    header = "".join(f"{key}: {value}\n" for key, value in doc.meta.items())
    body, position = [], 0
    for segment in doc.segments:
        if segment.label == CONTENT:
            continue
        body.append(doc.text[position:segment.start])
        prefix = "?" if segment.label == AMBIGUOUS else ""
        body.append(f"[[{prefix}{segment.kind}: {doc.text[segment.start:segment.end]}]]")
        position = segment.end
    body.append(doc.text[position:])
    return header + "---\n" + "".join(body)


def fixture_paths(paths):
    """Every ``*.txt`` fixture under the given files or directories, sorted."""
    found = []
    for path in map(Path, paths):
        if path.is_dir():
            found.extend(p for p in path.rglob("*.txt") if p.is_file())
        else:
            found.append(path)
    return sorted(found)


def load_fixtures(paths):
    """Parse every fixture under ``paths``; raises on the first bad file."""
    return [parse_fixture(p.read_text(encoding="utf-8"), str(p)) for p in fixture_paths(paths)]


def check_fixtures(paths):
    """Validate fixtures; return a list of ``path:line: problem`` strings."""
    problems = []
    for path in fixture_paths(paths):
        try:
            raw = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            problems.append(f"{path}:1: cannot read: {error}")
            continue
        try:
            doc = parse_fixture(raw, str(path))
        except FixtureError as error:
            problems.append(str(error))
            continue
        again = parse_fixture(render_fixture(doc), str(path))
        if (again.text, again.segments) != (doc.text, doc.segments):
            problems.append(f"{path}:1: does not round-trip through render_fixture")
    return problems


# ---------------------------------------------------------------- real pages

def load_json_corpus(directory):
    """Load a real-pages style corpus: one JSON document per file.

    Segments are exact substrings of ``text`` in order; their offsets are
    recovered by searching forward from the previous segment's end.
    """
    documents = []
    for path in sorted(Path(directory).glob("*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        documents.append(_json_document(record, path))
    return documents


def _json_document(record, path):
    text, segments, cursor = record["text"], [], 0
    for item in record["segments"]:
        start = text.find(item["text"], cursor)
        if start == -1 or item["label"] not in LABELS:
            raise FixtureError(f"{path}:1: segment not found in text or bad label")
        end = start + len(item["text"])
        label = item["label"]
        segments.append(Segment(start, end, label, normalise_kind(label, item.get("kind"))))
        cursor = end
    return Document(id=record["id"], text=text, segments=segments,
                    group="real:" + record["publisher"], lang=record.get("lang", "en"),
                    source=corpus_name(path), meta={"group": record.get("group", ""),
                                                    "site": record.get("site", "")})


def corpus_name(path):
    """The name of the corpus a JSON document belongs to: its folder (above ``docs/``)."""
    parent = Path(path).resolve().parent
    return parent.parent.name if parent.name == "docs" else parent.name


def without_debris(doc):
    """The document as a perfect clean would leave it: debris segments cut out.

    Training on these teaches the model that a clean text stays as it is,
    which is what a second clean (or an already clean input) looks like.
    Returns None when the document has no debris.
    """
    if not any(s.label == BOILERPLATE for s in doc.segments):
        return None
    parts, segments, previous_end, cut_since = [], [], None, False
    length = 0
    for segment in doc.segments:
        if segment.label == BOILERPLATE:
            cut_since = True
            continue
        if previous_end is not None:
            gap = doc.text[previous_end:segment.start]
            separator = ("\n" if "\n" in gap else " ") if cut_since else gap
            parts.append(separator)
            length += len(separator)
        piece = doc.text[segment.start:segment.end]
        segments.append(Segment(length, length + len(piece), segment.label, segment.kind))
        parts.append(piece)
        length += len(piece)
        previous_end, cut_since = segment.end, False
    if not segments:
        return None
    return Document(id=doc.id + "~clean", text="".join(parts), segments=segments,
                    group=doc.group, lang=doc.lang, source=doc.source,
                    meta={**doc.meta, "augmented": "without-debris"})


def corpus_digest(documents):
    """SHA-256 over documents' ids, text and labels: names a training set."""
    digest = hashlib.sha256()
    for doc in sorted(documents, key=lambda d: (d.source, d.id)):
        digest.update(doc.id.encode() + b"\0" + doc.text.encode() + b"\0")
        for s in doc.segments:
            digest.update(f"{s.start},{s.end},{s.label},{s.kind};".encode())
    return digest.hexdigest()
