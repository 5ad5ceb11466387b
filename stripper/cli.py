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
from .streams import ON_ERROR

LABEL_COLOURS = {BOILERPLATE: "red"}


def _fail_cleanly(function):
    """Turn typed errors, failed stdin/stdout I/O and Ctrl-C into a one-line message."""
    import functools

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except StripperError as error:
            raise click.ClickException(str(error)) from None
        except BrokenPipeError:
            raise  # the reader went away: click exits quietly
        except OSError as error:
            # The library reports file problems as typed errors; what is left
            # is this module's own I/O: stdin a directory, stdout a full disk.
            where = error.filename or "stdin/stdout"
            raise click.ClickException(f"{where}: {error.strerror or error}") from None
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
    else:
        _show_warnings(ALWAYS_WARN)


#: Loggers whose warnings reach stderr even without -v: a model loaded
#: without a verified digest, input bytes replaced while decoding.
ALWAYS_WARN = ("stripper.modelfile", "stripper.textio")


class _EchoWarnings(logging.Handler):
    """Print warnings to the current stderr (looked up at each message)."""

    def emit(self, record):
        click.echo(f"stripper: warning: {record.getMessage()}", err=True)


def _show_warnings(names):
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(h, _EchoWarnings) for h in logger.handlers):
            logger.addHandler(_EchoWarnings(logging.WARNING))


@main.command()
@click.argument("inputs", nargs=-1, type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="Write here instead of stdout (atomically). With directories: the "
                   "output directory.")
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
@click.option("--split-glued/--no-split-glued", default=DEFAULTS.split_glued, show_default=True,
              help="Cut debris glued onto the start or end of a kept paragraph.")
@click.option("--run-margin", type=click.FloatRange(0, 1), default=DEFAULTS.run_margin,
              show_default=True,
              help="A block scoring within this of the threshold goes when a neighbour goes "
                   "(0: decide each block by the threshold alone).")
@click.option("--html", is_flag=True,
              help="Input is HTML (stdin, or JSONL fields): extract the main text first. "
                   ".html/.htm files always are.")
@click.option("--jsonl", is_flag=True, help="Input is JSONL records: clean one field of each.")
@click.option("--field", default="text", show_default=True, help="JSONL: the field to clean.")
@click.option("--meta", is_flag=True,
              help="JSONL: add a 'stripper' object (removed characters, kinds, model version).")
@click.option("--on-error", type=click.Choice(ON_ERROR), default="fail", show_default=True,
              help="JSONL: stop at a malformed line, or skip it and go on.")
@click.option("-j", "--jobs", type=click.IntRange(min=1),
              help="Directories: worker processes [all cores].")
@click.option("--resume", is_flag=True,
              help="Directories: skip files whose output already exists.")
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path),
              help="Directories: write an audit log (JSONL) of every removed block.")
@click.option("--scheduler", metavar="tcp://HOST:PORT",
              help="Directories: run on this dask.distributed cluster (pip install "
                   "'stripper[dask]').")
@_fail_cleanly
def clean(inputs, output, threshold, keep, model, trust_model, explain, fmt, reflow, split_glued,
          run_margin, html, jsonl, field, meta, on_error, jobs, resume, report, scheduler):
    """Clean FILES (or stdin) and print the reporting; or DIRS into -o OUTDIR."""
    from .modelfile import MODEL_FILE
    from .streams import StreamOptions
    if model is not None and model.is_dir():
        model = model / MODEL_FILE
    options = dict(model=model, trust_model=trust_model, threshold=threshold, keep=keep,
                   reflow=reflow, split_glued=split_glued, run_margin=run_margin)
    stream = StreamOptions(field=field, meta=meta, on_error=on_error, html=html)
    batch = dict(jobs=jobs, resume=resume or None, report=report, scheduler=scheduler)
    if any(path.is_dir() for path in inputs):
        _refuse_with_directories(output, explain, fmt)
        _clean_directories(inputs, output, options, stream, batch)
        return
    _refuse_without_directories(batch)
    if output is not None:
        from .textio import refuse_overwriting
        refuse_overwriting(output, inputs)
    if jsonl:
        _clean_jsonl(inputs, output, options, stream, explain, fmt)
    else:
        _clean_texts(inputs, output, options, html, explain, fmt)


def _refuse_with_directories(output, explain, fmt):
    if output is None:
        raise click.UsageError("cleaning a directory needs -o OUTDIR")
    if explain or fmt != "text":
        raise click.UsageError("--explain and --format json work on files and stdin, "
                               "not directories")


def _refuse_without_directories(batch):
    used = [f"--{name}" for name, value in batch.items() if value is not None]
    if used:
        raise click.UsageError(f"{', '.join(used)} only apply to directory inputs")


def _clean_directories(inputs, outdir, options, stream, batch):
    from .batch import clean_tree
    display = _BatchDisplay(sys.stderr.isatty())
    summary = clean_tree(inputs, outdir, stream=stream, progress=display, **batch, **options)
    display.finish(summary)
    if summary.failures:
        raise click.ClickException(f"{len(summary.failures)} of {summary.files} files failed")


class _BatchDisplay:
    """Shows a batch on stderr: problems as they come, a bar on a TTY, then the summary."""

    def __init__(self, tty):
        self.tty = tty
        self.failures_shown = 0
        self.skips_shown = 0

    def __call__(self, summary):
        self._show_problems(summary)
        if self.tty:
            click.echo("\r" + summary.progress(), err=True, nl=False)

    def _show_problems(self, summary):
        new = [f"error: {message}" for message in summary.failures[self.failures_shown:]]
        new += [f"skipped {message}" for message in summary.skipped_lines[self.skips_shown:]]
        self.failures_shown = len(summary.failures)
        self.skips_shown = len(summary.skipped_lines)
        if new:
            self._clear()
            click.echo("\n".join(new), err=True)

    def _clear(self):
        if self.tty:
            click.echo("\r\033[K", err=True, nl=False)

    def finish(self, summary):
        """Replace the bar with the one-line summary."""
        self._clear()
        click.echo(summary.line(), err=True)


def _clean_jsonl(inputs, output, options, stream, explain, fmt):
    from .core import Stripper
    from .streams import clean_jsonl_job
    if explain or fmt != "text":
        raise click.UsageError("--explain and --format json do not apply to --jsonl")
    stats = clean_jsonl_job(inputs, output, sys.stdin.buffer,
                            sys.stdout.buffer, Stripper(**options), stream)
    for message in stats.skipped:
        click.echo(f"skipped {message}", err=True)


def _clean_texts(inputs, output, options, html, explain, fmt):
    from .core import Stripper
    from .html import input_texts
    from .jobs import clean_outputs
    from .textio import write_text
    stdin_data = None if inputs else sys.stdin.buffer.read()
    results = clean_outputs(input_texts(inputs, stdin_data, html), Stripper(**options),
                            fmt=fmt, explain=explain)
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
        from .modelfile import _json_safe
        click.echo(json.dumps(_json_safe(result), indent=2, sort_keys=True, allow_nan=False))
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
    tables = [("overall", {"all": metrics["overall"]}), ("by corpus", metrics["source"]),
              ("by language", metrics["language"])]
    tables += [(f"by kind, {source} (remove counts that kind; keep is the corpus's)", kinds)
               for source, kinds in metrics["source_kind"].items()]
    for title, table in tables:
        click.echo(f"\n{title}\n{header}")
        for name, m in table.items():
            click.echo(f"{name:<22}{_figure(m['keep'], 7, 3)}{_figure(m['remove'], 8, 3)}"
                       f"{_figure(m['precision'], 7, 3)}{_figure(m['f1'], 7, 3)}"
                       f"{_figure(m['clean'], 7, 2)}{m['documents']:>6}")


def _figure(value, width, places):
    """A figure, or a dash where there was nothing to count (NaN or None)."""
    if value is None or value != value:
        return f"{'-':>{width}}"
    return f"{value:>{width}.{places}f}"


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
