"""The harness: every system, the same inputs, one run, one report.

    python -m bench [--quick] [--out DIR] [--growth-budget SECONDS]

Writes ``RESULTS.md``, ``quality.png``, ``throughput.png`` and ``growth.png``
into ``bench/`` (or ``--out``), and the raw figures to ``bench/out/results.json``.
Speed is measured on the fixtures plus ``../shared/data/real-pages``; the
peers' half of (a) and sections (b) and (c) are skipped when their corpus
under ``../shared/data`` is absent.
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
from .pages import REPO_ROOT, SHARED_DATA, REAL_PAGES_DIR, aeb_pages, json_documents, \
    trafilatura_eval_pages
from .profiling import profile
from .systems import PEERS, available_peers, datatrove_available, paragraphs_of

log = logging.getLogger("bench")

BENCH_DIR = Path(__file__).resolve().parent
#: Full run and --quick: timed runs per system (the best counts), pages per
#: HTML corpus, cold starts, CPU budget per growth point, documents profiled.
PLANS = {
    "full": {"repeats": 7, "pages": None, "cold_runs": 7, "growth_budget": 60,
             "profile_docs": None},
    "quick": {"repeats": 2, "pages": 40, "cold_runs": 7, "growth_budget": 10,
              "profile_docs": 200},
}
#: The cold-start target is for a file of about this size.
COLD_START_BYTES = 3_000


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="2 timed runs per system, 40 pages per HTML corpus, a short "
                             "growth curve, 200 documents profiled")
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
    sources = source_times()
    peers = available_peers()
    stripper = Stripper()
    corpus = speed_corpus()
    results = {"environment": environment(quick), "plan": plan,
               "corpus": {"documents": len(corpus["texts"]), "sources": corpus["sources"],
                          "mb": speed.text_bytes(corpus["texts"]) / 1e6}}
    results["heldout"] = held_out(peers)
    results.update(real_pages(plan, stripper, peers))
    results.update(speed_section(corpus, plan, rng, stripper, peers))
    from .sites import site_section
    results["sites"] = site_section(SHARED_DATA, stripper)
    results["environment"]["load_average_end"] = os.getloadavg()
    results["environment"]["changed_during_run"] = sorted(
        name for name, stamp in source_times().items() if sources.get(name) != stamp)
    return results


def source_times():
    """Modification time of each file of the stripper package, by name.

    Others edit stripper while a run goes on; this process keeps the code
    it imported, but a command started later would load the new files, so
    the report names any file that changed during the run.
    """
    import stripper
    package = Path(stripper.__file__).resolve().parent
    return {str(path.relative_to(package.parent)): path.stat().st_mtime_ns
            for pattern in ("*.py", "*.so", "*.c") for path in package.glob(pattern)}


def speed_corpus():
    """The texts every speed figure is measured on: the fixtures, then the real pages.

    Each text comes with its language and its ``split_blocks`` paragraphs
    (what the peers are given), cut here, before any clock starts.
    """
    from stripper.corpus import load_fixtures
    docs = load_fixtures([REPO_ROOT / "fixtures"])
    real = json_documents(REAL_PAGES_DIR) or []
    texts = [d.text for d in docs + real]
    return {"texts": texts, "langs": [d.lang for d in docs + real],
            "paragraphs": [paragraphs_of(t) for t in texts],
            "sources": {"fixtures": len(docs), "real-pages": len(real)}}


def environment(quick):
    """What the figures were measured on."""
    from importlib.metadata import version
    import numpy
    import trafilatura
    from stripper import native
    from stripper.modelfile import read_card
    card = read_card()
    return {
        "mode": "quick" if quick else "full", "started": time.strftime("%Y-%m-%d %H:%M"),
        "python": platform.python_version(),
        "cpus": os.cpu_count(), "load_average": os.getloadavg(),
        "threads": {v: os.environ.get(v, "unset") for v in speed.THREAD_VARIABLES},
        "compiled_core": native.HAVE_CORE, "commit": _commit(),
        "model": f"{card.get('name', 'model')} {card.get('version', '')}".strip(),
        "versions": {"stripper": version("stripper"), "numpy": numpy.__version__,
                     "trafilatura": trafilatura.__version__, "justext": version("jusText"),
                     "datatrove": version("datatrove") if datatrove_available() else None},
        "shared_data": str(SHARED_DATA),
    }


def _commit():
    """The checkout's commit, and how many files under stripper/ differ from it."""
    import subprocess
    def git(*arguments):
        done = subprocess.run(["git", *arguments], cwd=REPO_ROOT, capture_output=True,
                              text=True, check=False)
        return done.stdout.strip() if done.returncode == 0 else None
    head = git("rev-parse", "--short", "HEAD")
    changed = git("status", "--porcelain", "--", "stripper")
    return {"head": head, "stripper_changes": len(changed.splitlines()) if changed else 0}


def held_out(peers):
    """Section (a): the card's held-out figures, and the peers on the same documents."""
    from stripper.modelfile import read_card
    from stripper.train import YARDSTICK
    figures = quality.card_quality(read_card())
    corpora = {name: json_documents(SHARED_DATA / name / "docs") for name in YARDSTICK}
    docs = [doc for found in corpora.values() for doc in found or []]
    figures["yardstick_corpora"] = {name: len(found) if found else 0
                                    for name, found in corpora.items()}
    figures["peers"] = quality.yardstick_peers(docs, peers) if docs else None
    return figures


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


def speed_section(corpus, plan, rng, stripper, peers):
    """Throughput, CLI batch, cold start, model size, growth, peak RSS and a profile."""
    texts = corpus["texts"]
    figures = {"load_average_at_race": os.getloadavg()}
    with speed.temporary_directory() as workdir:
        rows = speed.throughput(corpus, stripper, peers, workdir, plan["repeats"])
        batch = rows["stripper CLI batch"]
        batch["same_as_clean_many"] = speed.same_outputs(batch.pop("outdir", ""),
                                                         stripper.clean_many(texts))
        figures["throughput"] = rows
        log.info("speed: cold start")
        article = min(texts, key=lambda t: abs(len(t.encode("utf-8")) - COLD_START_BYTES))
        figures["cold_start"] = speed.cold_start(article, plan["cold_runs"], workdir)
        figures["import_cost"] = speed.import_cost()
        figures["model"] = speed.model_size()
        figures["growth"] = speed.growth(texts, growth_runners(stripper), plan["growth_budget"])
        measured = [p for p in figures["growth"]["stripper clean"]["points"] if p["measured"]]
        figures["largest_rss"] = speed.largest_document_rss(texts, measured[-1]["bytes"],
                                                            workdir)
    chosen = texts if plan["profile_docs"] is None else \
        rng.sample(texts, min(plan["profile_docs"], len(texts)))
    log.info("speed: profiling clean_many over %d documents", len(chosen))
    figures["profile"] = profile(stripper, chosen)
    return figures


def growth_runners(stripper):
    """The systems on the growth curve: stripper, and jusText (its HTML built untimed) for scale."""
    justext = PEERS["jusText (wrapped)"]
    return {"stripper clean": (lambda document: document, stripper.clean),
            "jusText (wrapped)": (lambda document: justext.prepare(
                [b.text for b in paragraphs_of(document)], "en"), justext.run)}


if __name__ == "__main__":
    main()
