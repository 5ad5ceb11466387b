"""What each CLI command does, as library functions the CLI calls once.

These never print and never exit: they return values (or yield output
pieces) or raise typed errors from :mod:`stripper.errors`. Every cleaning
goes through :meth:`stripper.Stripper.clean_documents`.
"""

import json
from contextlib import contextmanager
from dataclasses import dataclass

from .errors import FixtureProblems, InputError
from .settings import GROUP_FILES, MAX_RECORD_BYTES

STDIN = "-"
STDIN_NAME = "<stdin>"


@dataclass(frozen=True)
class Source:
    """One input of ``stripper clean``: a file path, or stdin's bytes."""

    name: str
    data: bytes = None  # stdin's bytes; None for a file

    @property
    def is_stdin(self):
        return self.data is not None


def page_sources(paths, read_stdin):
    """A :class:`Source` per path (``-`` is stdin, read by ``read_stdin()``); stdin if none."""
    if not paths:
        return [Source(STDIN_NAME, read_stdin())]
    return [Source(STDIN_NAME, read_stdin()) if str(path) == STDIN else Source(str(path))
            for path in paths]


def clean_pages(sources, stripper, html=False, limit=MAX_RECORD_BYTES, site=None,
                profile=None):
    """Clean each source (text or HTML): yields ``(source, Cleaned)`` in order.

    Sources are read and cleaned :data:`GROUP_FILES` at a time, so a long
    list of files neither waits for all of them nor holds them all.
    With ``profile`` (a site profile's path), every page is cleaned with the
    evidence of ``site`` in it (or of the profile's only site); with
    ``site`` alone, the pages are one site's and lend each other evidence
    (they are read twice: to gather, then to clean).
    """
    evidence, site = _page_evidence(sources, html, limit, site, profile)
    for start in range(0, len(sources), GROUP_FILES):
        group = sources[start:start + GROUP_FILES]
        texts = [_page_text(source, html, limit) for source in group]
        sites = [site] * len(texts) if evidence is not None else None
        yield from zip(group, stripper.clean_documents(texts, sites=sites, evidence=evidence))


def _page_evidence(sources, html, limit, site, profile):
    """The evidence and site key pages are cleaned with: ``(None, None)`` for none."""
    if profile is not None:
        from .sites import load_profile
        evidence = load_profile(profile)
        return evidence, profile_site(evidence, site, profile)
    if site is None:
        return None, None
    from .sites import gather_texts
    return gather_texts((site, _page_text(source, html, limit)) for source in sources), site


def profile_site(evidence, site, path):
    """The site of ``evidence`` pages are cleaned as: ``site``, or the profile's only one."""
    if site is not None:
        if site not in evidence:
            raise InputError(f"{path}: no site {site!r} in this profile "
                             f"({', '.join(list(evidence)[:5]) or 'it holds none'})")
        return site
    if len(evidence) != 1:
        raise InputError(f"{path}: the profile holds {len(evidence)} sites; name the "
                         f"pages' site with --site")
    return next(iter(evidence))


def clean_jsonl_inputs(paths, stdin, sink, stripper, stream, profile=None):
    """Clean JSONL files (``-`` or none: ``stdin``, binary) into ``sink``; their stats.

    Records of one site (``url`` host or ``stream.site_field``) are cleaned
    with each other's evidence: a first pass reads every input for its
    fingerprints (stdin is first spooled to a temporary file), the second
    cleans. ``profile`` (a site profile's path) is used instead of
    gathering; with the ``site_evidence=False`` option each record is cleaned alone.
    """
    from contextlib import ExitStack
    from .jsonl import StreamStats, clean_jsonl, open_source
    from .sites import load_profile
    stats = StreamStats()
    names = [str(path) for path in paths] or [STDIN]
    sites = stripper.settings.site_evidence
    with ExitStack() as stack:
        spool = stack.enter_context(_spooled(stdin)) \
            if sites and profile is None and STDIN in names else None
        places = {name: spool if name == STDIN and spool else name for name in names}
        evidence = None if not sites else load_profile(profile) if profile is not None \
            else gather_jsonl(list(places.values()), stream)
        for name in names:
            shown = STDIN_NAME if name == STDIN else name
            if places[name] == STDIN:
                clean_jsonl(stdin, sink, stripper, stream, shown, stats, evidence=evidence)
                continue
            with open_source(places[name]) as source:
                clean_jsonl(source, sink, stripper, stream, shown, stats, evidence=evidence)
    return stats


def gather_jsonl(paths, stream):
    """The site evidence of the records of JSONL files (see :func:`record_prints`)."""
    import tempfile
    from .jsonl import open_source, record_prints
    from .settings import GATHER_MEMORY
    from .sites import Gatherer
    with tempfile.TemporaryDirectory(prefix="stripper-sites-") as spill, \
            Gatherer(GATHER_MEMORY, spill) as gatherer:
        for path in paths:
            with open_source(path) as source:
                for site, prints in record_prints(source, stream, str(path)):
                    gatherer.add(site, prints)
        return gatherer.finish()


@contextmanager
def _spooled(stdin):
    """stdin copied to a temporary file (removed afterwards): its path, to read twice."""
    import shutil
    import tempfile
    with tempfile.NamedTemporaryFile(prefix="stripper-stdin-", suffix=".jsonl") as spool:
        shutil.copyfileobj(stdin, spool, 1 << 20)
        spool.flush()
        yield spool.name


def _page_text(source, html, limit):
    from .html import page_text, read_page
    from .textio import check_size, decode, format_of
    if source.is_stdin:
        check_size(len(source.data), limit, source.name)
        return page_text(decode(source.data, source.name), source.name, html or None)
    return read_page(source.name, html=True if html or format_of(source.name) == "html"
                     else None, limit=limit)


def text_output(cleaned, several):
    """The clean text as written to the output.

    With several inputs, each text ends with a line break of its own, so
    one file's last line never runs into the next file's first.
    """
    text = cleaned.text
    if several and text and not text.endswith(("\n", "\r", "\u2028", "\u2029")):
        text += "\n"
    return text


def json_output(name, cleaned, stripper, threshold):
    """One JSON line: the input's name, model, threshold, clean text and every block."""
    return json.dumps({
        "input": name, "model": stripper.version, "threshold": threshold,
        "text": cleaned.text,
        "blocks": [{"start": b.start, "end": b.end, "label": b.label, "kind": b.kind,
                    "score": round(b.score, 4), "via": b.via, "text": b.text}
                   for b in cleaned.blocks],
    }, ensure_ascii=False) + "\n"


def explain_lines(cleaned):
    """``(label, line)`` for every block: score, label, kind, rule and its text."""
    for block in cleaned.blocks:
        text = block.text.replace("\n", " ⏎ ")
        rule = f"via={block.via}" if block.via else ""
        yield block.label, (f"{block.score:5.2f}  {block.label:<11} {block.kind:<12} "
                            f"{rule:<12} {text[:100]}")


def threshold_in_force(stripper):
    """The threshold ``stripper`` cleans with, and where it comes from, in words."""
    from .core import threshold_of
    settings = stripper.settings
    threshold = threshold_of(settings, stripper.model)
    if settings.threshold is not None:
        return threshold, "set with --threshold"
    if settings.keep_target is not None:
        return threshold, f"the model's operating point for keep {settings.keep_target:g}"
    return threshold, "the model's default"


def check_fixture_files(paths):
    """Validate fixtures; raise :class:`FixtureProblems` listing every fault."""
    from pathlib import Path
    from .corpus import check_fixtures, fixture_paths
    missing = [str(path) for path in paths if not Path(path).exists()]
    if missing:
        raise InputError(f"{missing[0]}: no such file or directory (give the fixture files "
                         f"or directories to check)")
    problems = check_fixtures(paths)
    if problems:
        raise FixtureProblems(problems)
    return len(fixture_paths(paths))


def evaluate_corpora(fixture_paths, extra_paths=(), folds=5):
    """Held-out figures (publishers and sites held out) for fixtures plus extra corpora."""
    from .train import evaluate, load_corpora
    docs, corpora = load_corpora(fixture_paths, extra_paths)
    return {**evaluate(docs, folds), "corpora": corpora}


def train_model(fixture_paths, output_dir, extra_paths=(), folds=5):
    """Train, cross-validate and save the model; return its card."""
    from .train import train
    return train(fixture_paths, output_dir, extra_paths, folds)


def check_floors(metrics, floors):
    """Compare figures with pinned floors; return (name, value, floor, met) rows.

    ``floors`` maps ``"scope.figure"`` to its minimum, where the scope is a
    corpus (``fixtures.keep``), a pool of the held-out real pages
    (``yardstick.remove``, ``appeals.remove``) or ``overall``.
    """
    rows = []
    for name, floor in sorted(floors.items()):
        scope, figure = name.rsplit(".", 1)
        table = metrics["overall"] if scope == "overall" else \
            metrics.get("pools", {}).get(scope) or metrics["source"].get(scope)
        if table is None:
            continue
        value = table[figure]
        rows.append((name, value, floor, value >= floor))
    return rows
