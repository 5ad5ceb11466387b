"""The command line: parse options, call one library function, report errors.

Only this module touches stdin, stdout, signals and exit codes. Typed
library errors become one-line messages with exit code 1; usage errors
exit 2. SIGTERM (what a scheduler or ``timeout`` sends) is handled like
Ctrl-C: temporary files are removed, workers stopped, one line, exit 1.
"""

import functools
import json
import logging
import signal
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

import click

from . import __version__
from .commands import clean_jsonl_inputs
from .errors import FixtureProblems, InputError, OutputError, StripperError
from .jsonl import ON_ERROR
from .labels import BOILERPLATE, BOILERPLATE_KINDS
from .settings import DEFAULTS, MAX_RECORD_BYTES

LABEL_COLOURS = {BOILERPLATE: "red"}
#: Loggers whose warnings reach stderr even without -v: bytes replaced
#: while decoding, HTML found or not found where it was not expected,
#: skipped records, a compiled core that could not be loaded.
ALWAYS_WARN = ("stripper.textio", "stripper.html", "stripper.jsonl", "stripper.native")


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived: unwinds like Ctrl-C, so every cleanup Ctrl-C runs runs too."""


def _fail_cleanly(function):
    """Turn typed errors, failed writes, Ctrl-C and SIGTERM into one line and exit 1."""
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            with _sigterm_as_interrupt():
                return function(*args, **kwargs)
        except StripperError as error:
            raise click.ClickException(str(error)) from None
        except BrokenPipeError:
            raise  # the reader went away: click exits quietly
        except OSError as error:
            # The library reports file problems as typed errors; this is a
            # last resort, and names the file when the error does.
            reason = error.strerror or str(error)
            raise click.ClickException(
                f"{error.filename}: {reason}" if error.filename else reason) from None
        except Terminated:
            raise click.ClickException("terminated") from None
        except KeyboardInterrupt:
            raise click.ClickException("interrupted") from None
    return wrapper


@contextmanager
def _sigterm_as_interrupt():
    """While the command runs, SIGTERM raises :class:`Terminated` (once; later ones wait)."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set signal handlers
        return

    def terminate(signum, frame):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # let the cleanup finish
        raise Terminated()
    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


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


class _EchoWarnings(logging.Handler):
    """Print warnings to the current stderr (looked up at each message)."""

    def emit(self, record):
        click.echo(f"stripper: warning: {record.getMessage()}", err=True)


def _show_warnings(names):
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(h, _EchoWarnings) for h in logger.handlers):
            logger.addHandler(_EchoWarnings(logging.WARNING))


def _default_threshold():
    """The bundled model's threshold and keep targets, for --help (never fails)."""
    try:
        from .modelfile import default_model_path, read_card
        card = read_card(default_model_path())
        targets = "/".join(f"{p['keep_target']:g}" for p in card.get("operating_points", []))
        return f"{card['threshold']:.2f}", targets or "none recorded"
    except Exception:  # --help must work even on a broken install
        return "the model's own", "none recorded"


_THRESHOLD, _TARGETS = _default_threshold()


@main.command()
@click.argument("inputs", nargs=-1, type=click.Path(path_type=Path, allow_dash=True))
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="Write here instead of stdout (atomically). With directories: the "
                   "output directory.")
@click.option("--threshold", type=click.FloatRange(0, 1),
              help=f"Debris score at or above which a block goes; lower removes more "
                   f"[default: {_THRESHOLD}, the bundled model's].")
@click.option("--keep-target", type=click.FloatRange(0.5, 1),
              help=f"Use the threshold that kept this share of reporting on held-out real "
                   f"pages at training time (bundled model: {_TARGETS}).")
@click.option("--keep", "keep", multiple=True, type=click.Choice(BOILERPLATE_KINDS),
              help="Keep this kind of debris (repeatable).")
@click.option("--model", type=click.Path(path_type=Path),
              help="Another model: a folder with card.json and its arrays.")
@click.option("--explain", is_flag=True,
              help="Show every block with score, label, kind and the rule that removed it.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True,
              help="json: one line per input with the clean text and every block.")
@click.option("--reflow", is_flag=True, default=DEFAULTS.reflow,
              help="Join hard-wrapped lines of kept paragraphs.")
@click.option("--split-glued/--no-split-glued", default=DEFAULTS.split_glued, show_default=True,
              help="Cut debris glued onto the start or end of a kept paragraph.")
@click.option("--run-margin", type=click.FloatRange(0, 1), default=DEFAULTS.run_margin,
              help="A unit scoring within this of the threshold goes when a neighbour goes "
                   "(0: decide each unit by the threshold alone) [default: the model's].")
@click.option("--html", is_flag=True,
              help="Input is HTML (stdin, or JSONL fields): extract the main text first. "
                   ".html/.htm files always are; stdin that opens like a page is too.")
@click.option("--jsonl", is_flag=True,
              help="Input is JSONL records: clean one field of each. .jsonl(.gz) files "
                   "always are.")
@click.option("--field", default="text", show_default=True, help="JSONL: the field to clean.")
@click.option("--meta", is_flag=True,
              help="JSONL: add a 'stripper' object (removed characters, kinds, model version).")
@click.option("--on-error", type=click.Choice(ON_ERROR), default="fail", show_default=True,
              help="JSONL: stop at a malformed line, or skip it and go on.")
@click.option("--max-record-bytes", type=click.IntRange(min=0), default=MAX_RECORD_BYTES,
              show_default=True,
              help="Refuse a file or JSONL record larger than this (0: no limit).")
@click.option("-j", "--jobs", type=click.IntRange(min=1),
              help="Directories: worker processes [all cores].")
@click.option("--resume", is_flag=True,
              help="Directories: skip files whose output already exists, and remove what "
                   "a killed run left in OUTDIR.")
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path),
              help="Directories: write an audit log (JSONL) of every removed block.")
@click.option("--follow-symlinks", is_flag=True,
              help="Directories: also clean files that symlinks lead to outside the input "
                   "directory (by default they are skipped and counted).")
@click.option("--scheduler", metavar="tcp://HOST:PORT",
              help="Directories: run on this dask.distributed cluster (pip install "
                   "'stripper[dask]').")
@click.option("--sites/--no-sites", default=DEFAULTS.site_evidence, show_default=True,
              help="Clean pages of one site with what its other pages show (directories: "
                   "the first folder level is the site; JSONL: the url's host).")
@click.option("--site-field", metavar="FIELD",
              help="JSONL: the field naming a record's site [the host of 'url'].")
@click.option("--profile", type=click.Path(dir_okay=False, path_type=Path),
              help="Clean with this site profile (from `stripper sites`) instead of "
                   "gathering evidence from the inputs.")
@click.option("--site", metavar="SITE",
              help="Files and stdin: the pages' site (in --profile, or among the files "
                   "given).")
@_fail_cleanly
def clean(inputs, output, threshold, keep_target, keep, model, explain, fmt,
          reflow, split_glued, run_margin, html, jsonl, field, meta, on_error, max_record_bytes,
          jobs, resume, report, follow_symlinks, scheduler, sites, site_field, profile, site):
    """Clean FILES (or stdin, or -) and print the reporting; or DIRS into -o OUTDIR."""
    from .jsonl import StreamOptions
    options = dict(model=model, threshold=threshold,
                   keep_target=keep_target, keep=keep, reflow=reflow, split_glued=split_glued,
                   run_margin=run_margin, site_evidence=sites)
    stream = StreamOptions(field=field, meta=meta, on_error=on_error, html=html,
                           max_record_bytes=max_record_bytes, site_field=site_field)
    batch = dict(jobs=jobs, resume=resume or None, report=report, scheduler=scheduler,
                 follow_symlinks=follow_symlinks or None)
    if explain and fmt != "text":
        raise click.UsageError("--explain lists blocks as text; --format json already "
                               "carries every block: use one or the other")
    if any(path.is_dir() for path in inputs if str(path) != "-"):
        _refuse_with_directories(output, explain, fmt)
        if site is not None:
            raise click.UsageError("--site names the site of files and stdin; in "
                                   "directories the first folder level is the site")
        _clean_directories(inputs, output, options, stream, {**batch, "profile": profile})
        return
    _refuse_without_directories(batch)
    if output is not None:
        from .paths import refuse_overwriting
        refuse_overwriting(output, inputs)
    from .api import Stripper
    stripper = Stripper(**options)
    if _jsonl_inputs(inputs, jsonl):
        if explain or fmt != "text":
            raise click.UsageError("--explain and --format json do not apply to JSONL input")
        if site is not None:
            raise click.UsageError("--site does not apply to JSONL: records name their site "
                                   "(--site-field)")
        _write_output(output, lambda sink: clean_jsonl_inputs(
            inputs, sys.stdin.buffer, sink, stripper, stream, profile))
    else:
        colour = output is None and sys.stdout.isatty()
        _write_output(output, lambda sink: _clean_pages(
            inputs, sink, stripper, html, explain, fmt, max_record_bytes, colour,
            site if sites else None, profile if sites else None))


def _jsonl_inputs(inputs, jsonl):
    """Are the inputs JSONL (by --jsonl or by name)? Mixed inputs are refused."""
    from .textio import format_of
    named = {format_of(path) == "jsonl" for path in inputs if str(path) != "-"}
    if len(named) > 1:
        raise click.UsageError("JSONL files and other files cannot be cleaned in one run "
                               "to one output; clean them separately, or put them in a "
                               "directory")
    return jsonl or named == {True}


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


def _write_output(output, write):
    """Run ``write(sink)`` into the -o file (atomically) or stdout, checking every byte.

    A write to stdout that fails or stores only part of its bytes, up to
    the final flush, is an :class:`OutputError` naming stdout.
    """
    if output is not None:
        from .atomic import open_atomic
        with open_atomic(output) as sink:
            write(sink)
        return
    from .atomic import stream_writer
    sink = stream_writer(sys.stdout.buffer)
    try:
        try:
            write(sink)
        finally:
            sink.flush()  # what was cleaned before an error goes out too
    except BrokenPipeError:
        raise
    except OSError as error:
        raise OutputError(f"stdout: cannot write ({error.strerror or error})") from None


def _clean_pages(inputs, sink, stripper, html, explain, fmt, limit, colour, site, profile):
    from .commands import clean_pages, json_output, page_sources, text_output, threshold_in_force
    sources = page_sources(inputs, lambda: _read_stdin(limit))
    several = len(sources) > 1
    threshold, why = threshold_in_force(stripper)
    if explain:
        sink.write(f"# threshold {threshold:.2f}: {why}\n".encode())
    for source, cleaned in clean_pages(sources, stripper, html, limit, site, profile):
        if explain:
            _write_explained(sink, source.name if several else None, cleaned, colour)
        elif fmt == "json":
            sink.write(json_output(source.name, cleaned, stripper, threshold).encode("utf-8"))
        else:
            sink.write(text_output(cleaned, several).encode("utf-8", "replace"))


def _read_stdin(limit):
    """stdin's bytes; past ``limit`` (0: none) one byte more is read, for the size check."""
    return sys.stdin.buffer.read(limit + 1) if limit else sys.stdin.buffer.read()


def _write_explained(sink, name, cleaned, colour):
    from .commands import explain_lines
    if name is not None:
        sink.write(f"# {name}\n".encode("utf-8", "replace"))
    for label, line in explain_lines(cleaned):
        if colour and label in LABEL_COLOURS:
            line = click.style(line, fg=LABEL_COLOURS[label])
        sink.write((line + "\n").encode("utf-8", "replace"))


@main.command()
@click.argument("inputs", nargs=-1, required=True,
                type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The site profile to write (atomically).")
@click.option("--site-field", metavar="FIELD",
              help="JSONL: the field naming a record's site [the host of 'url'].")
@click.option("--site", metavar="SITE",
              help="The site of page files given directly (not in a directory).")
@click.option("--field", default="text", show_default=True, help="JSONL: the field to read.")
@click.option("--html", is_flag=True, help="JSONL fields hold HTML.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), help="Worker processes [all cores].")
@click.option("--follow-symlinks", is_flag=True,
              help="Also read files that symlinks lead to outside the input directory.")
@_fail_cleanly
def sites(inputs, output, site_field, site, field, html, jobs, follow_symlinks):
    """Learn what pages of each site share, from DIRS and FILES, into a site profile.

    `stripper clean --profile PROFILE` then cleans single pages of those
    sites with it, one at a time, as they arrive.
    """
    from .batch import gather_tree
    from .jsonl import StreamOptions
    from .paths import refuse_overwriting
    from .atomic import write_atomic
    refuse_overwriting(output, inputs, "-o")
    evidence = gather_tree(inputs, jobs=jobs, follow_symlinks=follow_symlinks, site=site,
                           stream=StreamOptions(field=field, html=html, site_field=site_field))
    write_atomic(output, evidence.to_bytes())
    learnt = sum(1 for key in evidence if evidence.site(key) is not None)
    click.echo(f"{output}: {len(evidence)} sites, {learnt} with evidence "
               f"(2 or more independent pages)", err=True)


def _clean_directories(inputs, outdir, options, stream, batch):
    from .batch import clean_tree
    display = _BatchDisplay(sys.stderr.isatty())
    if any(str(path) == "-" for path in inputs):
        raise click.UsageError("stdin (-) cannot be cleaned together with directories")
    summary = clean_tree(inputs, outdir, stream=stream, progress=display, **batch, **options)
    display.finish(summary)
    if summary.failures:
        sys.exit(1)  # each failure has its line above; the summary stays the last line


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
        self._show_problems(summary)
        self._clear()
        click.echo(summary.line(), err=True)


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
    from .commands import train_model
    card = train_model(_fixture_paths(fixtures), output, extra, folds)
    _print_metrics(card["cv"]["metrics"], card["threshold"], card["operating_points"])
    click.echo(f"model written to {output}/")


def _fixture_paths(fixtures):
    """The fixture paths given, or ``fixtures/`` here; a one-line error if there is none."""
    if fixtures:
        return list(fixtures)
    if not Path("fixtures").is_dir():
        raise InputError("no fixtures/ directory here; give the fixture files or "
                         "directories (e.g. stripper fixtures check path/to/fixtures)")
    return ["fixtures"]


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
    from .commands import check_floors, evaluate_corpora
    result = evaluate_corpora(_fixture_paths(fixtures), extra, folds)
    if as_json:
        from .modelfile import _json_safe
        click.echo(json.dumps(_json_safe(result), indent=2, sort_keys=True, allow_nan=False))
    else:
        _print_metrics(result["metrics"], result["threshold"], result["operating_points"])
    if floors:
        rows = check_floors(result["metrics"], json.loads(floors.read_text())["floors"])
        for name, value, floor, met in rows:
            click.echo(f"floor {name}: {value:.4f} >= {floor:.4f} {'met' if met else 'NOT MET'}")
        if not all(met for *_, met in rows):
            raise click.ClickException("quality floors not met")


def _print_metrics(metrics, threshold, points=()):
    click.echo("operating points (held-out real pages: publishers and sites never trained on)")
    click.echo(f"{'keep target':>12}{'threshold':>11}{'keep':>7}{'remove':>8}{'prec':>7}"
               f"{'appeals':>9}")
    for point in points:
        click.echo(f"{point['keep_target']:>12.2f}{point['threshold']:>11.2f}"
                   f"{_figure(point['keep'], 7, 3)}{_figure(point['remove'], 8, 3)}"
                   f"{_figure(point['precision'], 7, 3)}"
                   f"{_figure(point.get('appeals_remove'), 9, 3)}")
    click.echo(f"\nat the default threshold {threshold:.2f}:")
    header = f"{'':<22}{'keep':>7}{'remove':>8}{'prec':>7}{'f1':>7}{'clean':>7}{'docs':>6}"
    tables = [("held-out real pages", metrics.get("pools", {})),
              ("by corpus", metrics["source"]), ("by language", metrics["language"])]
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
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@_fail_cleanly
def check(paths):
    """Validate fixture files; print file:line: problem for each fault."""
    from .commands import check_fixture_files
    try:
        count = check_fixture_files(_fixture_paths(paths))
    except FixtureProblems as error:
        for problem in error.problems:
            click.echo(problem)
        raise click.ClickException(f"{len(error.problems)} problem(s)") from None
    click.echo(f"{count} fixture file(s) OK")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
