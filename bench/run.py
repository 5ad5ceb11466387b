"""The harness: every system, the same inputs, one run, one report.

    python -m bench [--quick] [--out DIR] [--growth-budget SECONDS]

Writes ``RESULTS.md``, ``quality.png``, ``throughput.png`` and ``growth.png``
into ``bench/`` (or ``--out``), and the raw figures to ``bench/out/results.json``.
Sections (b) and (c) are skipped when ``../shared/data`` is absent.
"""

import argparse
import json
import logging
import os
import platform
import random
import sys
import time
from pathlib import Path

from . import quality, speed
from .pages import REPO_ROOT, aeb_pages, trafilatura_eval_pages
from .systems import available_peers, datatrove_available, justext_kept, paragraphs_of

log = logging.getLogger("bench")

BENCH_DIR = Path(__file__).resolve().parent
#: Full run and --quick: fixture documents timed, pages per real corpus,
#: cross-validation folds, cold-start runs, CPU budget per growth point.
PLANS = {
    "full": {"speed_docs": None, "pages": None, "folds": 5, "cold_runs": 7, "growth_budget": 60,
             "profile_docs": 40},
    "quick": {"speed_docs": 80, "pages": 40, "folds": 2, "cold_runs": 3, "growth_budget": 10,
              "profile_docs": 15},
}


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="smaller samples: 2 folds, 40 pages per corpus, 80 documents timed")
    parser.add_argument("--out", type=Path, default=BENCH_DIR,
                        help="directory for RESULTS.md and the charts [bench/]")
    parser.add_argument("--growth-budget", type=float,
                        help="CPU seconds one growth point may take before it is projected "
                             "instead of measured [60; --quick: 10]")
    parser.add_argument("--report-only", action="store_true",
                        help="rewrite RESULTS.md and the charts from bench/out/results.json")
    parser.add_argument("--seed", type=int, default=4, help="sampling seed for --quick")
    return parser.parse_args(argv)


def main(argv=None):
    """Run everything and write the report; exit status 0 unless something crashed."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="bench: %(message)s", stream=sys.stderr)
    raw = BENCH_DIR / "out" / "results.json"
    if args.report_only:
        results = json.loads(raw.read_text(encoding="utf-8"))
    else:
        plan = dict(PLANS["quick" if args.quick else "full"])
        if args.growth_budget is not None:
            plan["growth_budget"] = args.growth_budget
        results = run(plan, random.Random(args.seed), quick=args.quick)
        raw.parent.mkdir(exist_ok=True)
        raw.write_text(json.dumps(results, indent=1, default=str) + "\n", encoding="utf-8")
    from .report import write_report
    write_report(results, args.out)
    log.info("wrote %s and the charts; raw figures in %s", args.out / "RESULTS.md", raw)


def run(plan, rng, quick=False):
    """Every section; returns one dict of figures for the report."""
    from stripper import Stripper
    from stripper.corpus import load_fixtures
    docs = load_fixtures([REPO_ROOT / "fixtures"])
    peers = available_peers()
    stripper = Stripper()
    results = {"environment": environment(quick, plan, len(docs)), "plan": plan}
    results["fixtures"] = quality.fixture_quality(docs, peers, plan["folds"])
    results.update(real_pages(plan, stripper, peers))
    results.update(speed_section(docs, plan, rng, stripper, peers))
    return results


def environment(quick, plan, fixture_count):
    """What the figures were measured on."""
    import justext  # noqa: F401  (version below)
    import sklearn
    import trafilatura
    from importlib.metadata import version
    return {
        "mode": "quick" if quick else "full", "started": time.strftime("%Y-%m-%d %H:%M"),
        "python": platform.python_version(),
        "cpus": os.cpu_count(), "load_average": os.getloadavg(),
        "threads": {v: os.environ.get(v, "unset") for v in speed.THREAD_VARIABLES},
        "versions": {"stripper": version("stripper"), "trafilatura": trafilatura.__version__,
                     "justext": version("jusText"), "scikit-learn": sklearn.__version__,
                     "datatrove": version("datatrove") if datatrove_available() else None},
        "fixtures": fixture_count, "shared_data": str(REPO_ROOT.parent / "shared" / "data"),
    }


def real_pages(plan, stripper, peers):
    """Sections (b) and (c); each is None when its corpus is absent."""
    found = {}
    aeb = aeb_pages(plan["pages"])
    if aeb:
        log.info("(b) scrapinghub-aeb: %d pages", len(aeb))
        outputs, cpu = quality.page_outputs(aeb, stripper, peers)
        found["aeb"] = quality.aeb_quality(aeb, outputs)
        found["aeb_keep"] = quality.aeb_keep_figures(aeb, outputs)
        found["html_speed"] = html_rates(aeb, outputs, cpu)
    evaluation = trafilatura_eval_pages(plan["pages"])
    if evaluation:
        log.info("(c) trafilatura-eval: %d pages", len(evaluation))
        outputs, _ = quality.page_outputs(evaluation, stripper, peers)
        found["snippets"] = quality.snippet_quality(evaluation, outputs)
    return {"aeb": None, "aeb_keep": None, "html_speed": None, "snippets": None, **found}


def html_rates(pages, outputs, cpu):
    """Throughput on real pages: HTML extractors on HTML, stripper on trafilatura's text."""
    html_bytes = sum(len(p.html) for p in pages)
    text_bytes = sum(len(t.encode("utf-8")) for t in outputs["trafilatura"])
    return {name: {**speed.rate(len(pages), text_bytes if "+" in name else html_bytes,
                                seconds, float("nan")),
                   "input": "trafilatura's text" if "+" in name else "HTML"}
            for name, seconds in cpu.items()}


def speed_section(docs, plan, rng, stripper, peers):
    """Throughput, CLI, cold start, model size, growth, peak RSS and a profile."""
    chosen = docs if plan["speed_docs"] is None else rng.sample(docs, plan["speed_docs"])
    texts, langs = [d.text for d in chosen], [d.lang for d in chosen]
    figures = {"throughput": speed.throughput(texts, langs, stripper, peers)}
    with speed.temporary_directory() as workdir:
        log.info("speed: CLI batch (threads pinned, then default)")
        figures["throughput"]["stripper CLI batch"] = speed.cli_batch(texts, workdir)
        figures["throughput"]["stripper CLI batch, default threads"] = \
            speed.cli_batch(texts, workdir, pinned=False)
        log.info("speed: cold start")
        article = sorted(texts, key=len)[len(texts) // 2]
        figures["cold_start"] = speed.cold_start(article, plan["cold_runs"], workdir)
        figures["import_cost"] = speed.import_cost()
        figures["model"] = speed.model_size()
        figures["growth"] = speed.growth(texts, growth_runners(stripper),
                                         plan["growth_budget"])
        figures["largest_rss"] = largest_document_rss(texts, figures["growth"], workdir)
    log.info("speed: profiling clean_many")
    figures["profile"] = speed.profile_stripper(stripper, texts[:plan["profile_docs"]])
    return figures


def growth_runners(stripper):
    """The systems on the growth curve: stripper, and jusText for scale."""
    def run_justext(text):
        justext_kept([b.text for b in paragraphs_of(text)], "en")
    return {"stripper clean": stripper.clean, "jusText (wrapped)": run_justext}


def largest_document_rss(texts, growth_curves, workdir):
    """Peak RSS of the CLI on the largest document the growth curve measured."""
    measured = [p for p in growth_curves["stripper clean"]["points"] if p["measured"]]
    document = speed.sized_document(texts, measured[-1]["bytes"])
    path = Path(workdir) / "largest.txt"
    path.write_text(document, encoding="utf-8")
    log.info("speed: peak RSS of the CLI on %d bytes", len(document.encode("utf-8")))
    child = speed.run_child([*speed.stripper_command(), "clean", str(path), "-o",
                             str(Path(workdir) / "largest.out")])
    return {**child, "bytes": len(document.encode("utf-8"))}


if __name__ == "__main__":
    main()
