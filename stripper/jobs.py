"""What each CLI command does, as library functions the CLI calls once.

These never print and never exit: they return values or raise typed
errors from :mod:`stripper.errors`.
"""

import json

from .core import Stripper, render
from .corpus import check_fixtures
from .errors import FixtureProblems

FORMATS = ("text", "json")


def clean_outputs(texts, stripper=None, fmt="text", explain=False, **options):
    """Clean every text; return one output string per input.

    ``fmt="json"`` gives an object with the blocks (span, label, kind,
    score) and the clean text; ``explain=True`` gives the blocks as
    :class:`Block` lists instead, for the caller to display.
    """
    stripper = stripper or Stripper()
    classified = stripper.classify_many(texts, **options)
    if explain:
        return classified
    settings = stripper.settings.with_options(**options)
    if fmt == "json":
        return [json.dumps(_as_json(text, blocks, settings, stripper), ensure_ascii=False)
                for text, blocks in zip(texts, classified)]
    return [render(text, blocks, settings) for text, blocks in zip(texts, classified)]


def _as_json(text, blocks, settings, stripper):
    return {
        "model": stripper.version,
        "text": render(text, blocks, settings),
        "blocks": [{"start": b.start, "end": b.end, "label": b.label, "kind": b.kind,
                    "score": round(b.score, 4), "text": b.text} for b in blocks],
    }


def check_fixture_files(paths):
    """Validate fixtures; raise :class:`FixtureProblems` listing every fault."""
    problems = check_fixtures(paths)
    if problems:
        raise FixtureProblems(problems)
    from .corpus import fixture_paths
    return len(fixture_paths(paths))


def evaluate_corpora(fixture_paths, extra_paths=(), folds=5):
    """Publication-held-out figures for fixtures plus extra corpora."""
    from .train import cross_validate, load_corpora
    docs, corpora = load_corpora(fixture_paths, extra_paths)
    threshold, metrics = cross_validate(docs, folds)
    return {"threshold": threshold, "corpora": corpora, "metrics": metrics}


def train_model(fixture_paths, output_dir, extra_paths=(), folds=5):
    """Train, cross-validate and save the model; return its card."""
    from .train import train
    return train(fixture_paths, output_dir, extra_paths, folds)


def check_floors(metrics, floors):
    """Compare figures with pinned floors; return (name, value, floor, met) rows.

    ``floors`` maps ``"source.figure"`` (``fixtures.keep``) or
    ``"overall.figure"`` to its minimum.
    """
    rows = []
    for name, floor in sorted(floors.items()):
        scope, figure = name.rsplit(".", 1)
        table = metrics["overall"] if scope == "overall" else metrics["source"].get(scope)
        if table is None:
            continue
        value = table[figure]
        rows.append((name, value, floor, value >= floor))
    return rows
