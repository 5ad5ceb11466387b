"""The command line: parse options, call one library function, report errors.

Only this module touches stdin, stdout and exit codes. Typed library errors
become one-line messages with exit code 1; usage errors exit 2.
"""

import json
import logging
import sys
from pathlib import Path

import click

from . import __version__
from .errors import FixtureProblems, StripperError
from .labels import BOILERPLATE, BOILERPLATE_KINDS
from .settings import DEFAULTS

LABEL_COLOURS = {BOILERPLATE: "red"}


def _fail_cleanly(function):
    """Turn typed errors (and Ctrl-C) into a one-line message."""
    import functools

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except StripperError as error:
            raise click.ClickException(str(error)) from None
        except KeyboardInterrupt:
            raise click.ClickException("interrupted") from None
    return wrapper


@click.group()
@click.version_option(__version__, prog_name="stripper")
@click.option("-v", "--verbose", count=True, help="Log progress to stderr (-vv for debug).")
def main(verbose):
    """Keep the reporting, drop the page debris."""
    if verbose:
        logging.basicConfig(level=logging.DEBUG if verbose > 1 else logging.INFO,
                            format="stripper: %(message)s")


@main.command()
@click.argument("inputs", nargs=-1, type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="Write here instead of stdout (atomically).")
@click.option("--threshold", type=click.FloatRange(0, 1),
              help="Debris score at or above which a block goes [model's own].")
@click.option("--keep", "keep", multiple=True, type=click.Choice(BOILERPLATE_KINDS),
              help="Keep this kind of debris (repeatable).")
@click.option("--model", type=click.Path(path_type=Path),
              help="Model file (stripper.joblib, with its card beside it) or its directory.")
@click.option("--trust-model", is_flag=True,
              help="Load --model even if its card is missing or its SHA-256 differs. "
                   "A model file can run code: only for files you trust.")
@click.option("--explain", is_flag=True, help="Show every block with label, kind and score.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="json: blocks with spans, labels, kinds, scores, and text.")
@click.option("--reflow", is_flag=True, default=DEFAULTS.reflow,
              help="Join hard-wrapped lines of kept paragraphs.")
@_fail_cleanly
def clean(inputs, output, threshold, keep, model, trust_model, explain, fmt, reflow):
    """Clean FILES (or stdin) and print the reporting."""
    from .core import Stripper
    from .jobs import clean_outputs
    from .modelfile import MODEL_FILE
    from .textio import decode, read_text, write_text
    if model is not None and model.is_dir():
        model = model / MODEL_FILE
    texts = [read_text(p) for p in inputs] if inputs else \
        [decode(click.get_binary_stream("stdin").read())]
    stripper = Stripper(model=model, trust_model=trust_model, threshold=threshold,
                        keep=keep, reflow=reflow)
    results = clean_outputs(texts, stripper, fmt=fmt, explain=explain)
    if explain:
        _show_explained(results, output)
        return
    joined = "\n".join(results) + "\n" if fmt == "json" else "".join(results)
    if output:
        write_text(output, joined)
    else:
        click.echo(joined, nl=False)


def _show_explained(documents, output):
    lines = []
    for blocks in documents:
        for block in blocks:
            text = block.text.replace("\n", " ⏎ ")
            lines.append((block.label, f"{block.score:5.2f}  {block.label:<11} {block.kind:<12} "
                                       f"{text[:100]}"))
    if output:
        from .textio import write_text
        write_text(output, "".join(line + "\n" for _, line in lines))
        return
    for label, line in lines:
        click.secho(line, fg=LABEL_COLOURS.get(label))


@main.command()
@click.argument("fixtures", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path),
              default=Path("models"), show_default=True, help="Directory for model and card.")
@click.option("--extra", multiple=True, type=click.Path(exists=True, file_okay=False),
              help="Extra labelled corpus (real-pages JSON directory), repeatable.")
@click.option("--folds", default=5, show_default=True, type=click.IntRange(2, 20))
@_fail_cleanly
def train(fixtures, output, extra, folds):
    """Train the model on FIXTURES (default: fixtures/) and extra corpora."""
    from .jobs import train_model
    card = train_model(list(fixtures) or ["fixtures"], output, extra, folds)
    _print_metrics(card["cv"]["metrics"], card["threshold"])
    click.echo(f"model written to {output}/ (sha256 {card['sha256'][:12]}...)")


@main.command(name="eval")
@click.argument("fixtures", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--extra", multiple=True, type=click.Path(exists=True, file_okay=False),
              help="Extra labelled corpus (real-pages JSON directory), repeatable.")
@click.option("--folds", default=5, show_default=True, type=click.IntRange(2, 20))
@click.option("--floors", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="JSON file of pinned floors; exit 1 if any is not met.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@_fail_cleanly
def evaluate(fixtures, extra, folds, floors, as_json):
    """Cross-validate, holding out whole publications, and print the figures."""
    from .jobs import check_floors, evaluate_corpora
    result = evaluate_corpora(list(fixtures) or ["fixtures"], extra, folds)
    if as_json:
        click.echo(json.dumps(result, indent=2, sort_keys=True))
    else:
        _print_metrics(result["metrics"], result["threshold"])
    if floors:
        rows = check_floors(result["metrics"], json.loads(floors.read_text())["floors"])
        for name, value, floor, met in rows:
            click.echo(f"floor {name}: {value:.4f} >= {floor:.4f} {'met' if met else 'NOT MET'}")
        if not all(met for *_, met in rows):
            raise click.ClickException("quality floors not met")


def _print_metrics(metrics, threshold):
    click.echo(f"threshold {threshold:.2f}  (held out by publication)")
    header = f"{'':<22}{'keep':>7}{'remove':>8}{'prec':>7}{'f1':>7}{'clean':>7}{'docs':>6}"
    for title, table in (("overall", {"all": metrics["overall"]}), ("by corpus", metrics["source"]),
                         ("by language", metrics["language"]), ("by kind", metrics["kind"])):
        click.echo(f"\n{title}\n{header}")
        for name, m in table.items():
            click.echo(f"{name:<22}{m['keep']:>7.3f}{m['remove']:>8.3f}{m['precision']:>7.3f}"
                       f"{m['f1']:>7.3f}{m['clean']:>7.2f}{m['documents']:>6}")


@main.group()
def fixtures():
    """Work with labelled fixture files."""


@fixtures.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
def check(paths):
    """Validate fixture files; print file:line: problem for each fault."""
    from .jobs import check_fixture_files
    try:
        count = check_fixture_files(list(paths) or ["fixtures"])
    except FixtureProblems as error:
        for problem in error.problems:
            click.echo(problem)
        raise click.ClickException(f"{len(error.problems)} problem(s)") from None
    click.echo(f"{count} fixture file(s) OK")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
