"""Site evidence (stripper.sites) on the site batches: the issue-12 report's figures.

Reproduces, with the library's port, the main table of the issue-12 report (each row
adds one kind of evidence; tuned parameters chosen leave-one-site-group-out) and its
syndication / duplicate / small-site / teaser variants, side by side with the
reference implementation's figures. Every site's pages are gathered and cleaned as
one batch; every page is scored against its own labels, in characters (whitespace
and ambiguous segments unscored) and in segments (a content segment is kept when
none of its characters went, a debris segment removed when more than half went).

The per-page decision is a fixed stand-in, as in the report: the block scores and
labels of the model the reference used (``--scores``, spans + scores only), and
for pages built here (the variants), that model run from its snapshot
(``--stand-in``, a directory holding its ``stripper`` package) in a subprocess.
Without the snapshot, variant pages are scored with this library's own model, and
the output says so.

Units: ``blocks`` gives the cleaner's paragraphs (``split_blocks``) to ``apply``
with their stand-in scores, like for like with the reference; ``lines`` gives one
unit per line, each with its block's stand-in score and decision.

    OMP_NUM_THREADS=1 python tools/site_eval.py [--units blocks lines] [--quick]
    OMP_NUM_THREADS=1 python tools/site_eval.py --speed

The data (``../shared/data/site-batches``) is read at run time and never written.
"""

import argparse
import collections
import hashlib
import itertools
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from stripper import native  # noqa: E402
from stripper.blocks import Block, split_blocks  # noqa: E402
from stripper.corpus import Document, Segment, load_json_corpus  # noqa: E402
from stripper.sites import Evidence, Settings  # noqa: E402
from stripper.siteprints import page_prints  # noqa: E402

SHARED = ROOT.parent / "shared" / "data" / "site-batches" / "docs"
REFERENCE_DIR = Path("/work/exp/sites")
PODCAST = "whowhatwhy.libsyn.com"
APPEALS = ("donation", "membership", "subscription")
KINDS = ("nav", "donation", "membership", "subscription", "ui", "related", "newsletter", "ad",
         "paywall", "comments")
SHOWN_KINDS = ("nav", "donation", "subscription", "ui", "related", "newsletter", "ad",
               "paywall", "comments")
THRESHOLD = 0.93
KEEP_SLACK = 0.0005
FLOORS = (0.5, 0.3, 0.2, 0.1, 0.0)

#: The reference implementation's figures (issue-12 report, /work/exp/sites/REPORT.md):
#: keep, removed, appeals, removed -podcast, seg keep, seg removed, seg appeals,
#: seg removed -podcast, copies, quote, alone keep / removed / -podcast.
REFERENCE = {
    "per-page model only": (0.9891, 0.208, 0.090, 0.124, 0.967, 0.639, 0.166, 0.302,
                            None, None, None, None, None),
    "exact repeats (no guard)": (0.9824, 0.592, 0.690, 0.547, 0.948, 0.811, 0.710, 0.632,
                                 0.016, 0.992, 0.992, 0.538, 0.488),
    "+ syndication guard": (0.9824, 0.489, 0.495, 0.433, 0.948, 0.800, 0.645, 0.610,
                            0.986, 0.992, 0.992, 0.436, 0.373),
    "+ repeated-content guard": (0.9878, 0.481, 0.495, 0.426, 0.966, 0.783, 0.645, 0.582,
                                 1.000, 1.000, 0.999, 0.382, 0.316),
    "+ near-repeats and templates": (0.9891, 0.486, 0.495, 0.427, 0.967, 0.791, 0.645,
                                     0.588, 1.000, 1.000, 0.999, 0.388, 0.319),
    "+ glued pieces": (0.9891, 0.508, 0.510, 0.452, 0.967, 0.814, 0.650, 0.633, 1.000,
                       1.000, 0.999, 0.395, 0.326),
    "+ teasers": (0.9891, 0.507, 0.510, 0.451, 0.967, 0.813, 0.650, 0.632, 1.000, 1.000,
                  0.999, 0.395, 0.326),
    "+ runs, all tuned": (0.9870, 0.519, 0.516, 0.464, 0.959, 0.823, 0.668, 0.652, 0.999,
                          1.000, 0.999, 0.399, 0.331),
    "+ runs, tail only (recommended)": (0.9891, 0.511, 0.518, 0.456, 0.967, 0.818, 0.677,
                                        0.641, 1.000, 1.000, 0.999, 0.399, 0.331),
}
#: Syndication variants of the reference: keep (per-page), evidence keep, evidence
#: alone keep, removed (per-page removed).
REFERENCE_VARIANTS = {
    "(a) exact copy": (0.9824, 0.9824, 1.0000, 0.9995, 0.552, 0.237),
    "(a) other nav line": (0.9853, 0.9853, 1.0000, 0.9995, 0.579, 0.296),
    "(a) other date": (0.9862, 0.9862, 1.0000, 0.9995, 0.556, 0.242),
    "(a) re-paragraphed": (0.9826, 0.9826, 1.0000, 0.9995, 0.530, 0.189),
    "(a) excerpt (70%)": (0.9820, 0.9820, 1.0000, 0.9994, 0.583, 0.256),
    "(b) story on two sites": (0.9846, 0.9846, 1.0000, 0.9997, 0.687, 0.354),
    "(b) story twice on one site": (0.9894, 0.9894, 1.0000, 0.9998, 0.807, 0.267),
    "(e) standard quote": (0.9898, 0.9898, 1.0000, 1.0000, 0.513, 0.310),
    "(e) standard paragraph": (0.9898, 0.9966, 0.9932, 0.9932, 0.510, 0.290),
    "(c) 1-page sites": (0.9700, 0.9700, 1.0000, 1.0000, 0.282, 0.282),
    "(c) 2-page sites": (0.9721, 0.9721, 1.0000, 0.9994, 0.483, 0.249),
    "(d) teasers: owner pages": (0.9736, 0.9764, 0.9972, 0.9960, 0.701, 0.204),
}


# ------------------------------------------------------------------ data

def load():
    """The site batches' documents and each one's site."""
    docs = load_json_corpus(SHARED)
    return docs, {d.id: d.meta["site"] for d in docs}


def group_of(site):
    """Sites that stay on the same side of a split (same publisher or CMS)."""
    return {"neues-deutschland.de": "nd-aktuell.de",
            "ostsee-zeitung.de": "maz-online.de"}.get(site, site)


class StandIn:
    """Per-page block scores and labels of the reference's model, by text digest:
    the cached scores of the original pages, and the model's snapshot run in a
    subprocess for pages built here (or this library's model without one)."""

    CODE = (
        "import json, sys\n"
        "from stripper import Stripper\n"
        "texts = json.loads(sys.stdin.read())\n"
        "model = sys.argv[1] if len(sys.argv) > 1 else None\n"
        "out = [[(b.start, b.end, b.score, b.label == 'boilerplate') for b in blocks]\n"
        "       for blocks in Stripper(model=model).classify_many(texts)]\n"
        "sys.stdout.write(json.dumps(out))\n")

    def __init__(self, docs, scores_path, snapshot):
        self.cache = {}
        self.snapshot = snapshot if snapshot and (Path(snapshot) / "stripper").is_dir() else None
        scores = json.loads(Path(scores_path).read_text()) if Path(scores_path).is_file() else {}
        for d in docs:
            if d.id in scores:
                self.cache[self._key(d.text)] = [(a, b, s, lab == "boilerplate")
                                                 for a, b, s, lab, *_ in scores[d.id]]
        self.note = ("variant pages scored by the reference's model snapshot "
                     f"({self.snapshot})" if self.snapshot else
                     "variant pages scored by THIS library's model (no snapshot of the "
                     "reference's model): variant figures are not like for like")

    @staticmethod
    def _key(text):
        return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()

    def scores(self, texts):
        todo = sorted({t for t in texts if self._key(t) not in self.cache})
        if todo:
            for text, blocks in zip(todo, self._run(todo)):
                self.cache[self._key(text)] = [tuple(x) for x in blocks]
        return [self.cache[self._key(t)] for t in texts]

    def _run(self, texts):
        if self.snapshot is None:
            from stripper import Stripper
            stripper = Stripper()
            out = []
            for text in texts:
                blocks = split_blocks(text)
                lines = stripper.classify(text)
                out.append(_line_scores_to_blocks(blocks, lines))
            return out
        env = dict(os.environ, PYTHONPATH=str(self.snapshot), OMP_NUM_THREADS="1")
        model = Path(self.snapshot) / "models" / "stripper.joblib"
        command = [sys.executable, "-c", self.CODE] + ([str(model)] if model.is_file() else [])
        done = subprocess.run(command, input=json.dumps(texts),
                              capture_output=True, text=True, env=env, cwd=self.snapshot,
                              check=True)
        return json.loads(done.stdout)


def _line_scores_to_blocks(blocks, units):
    """Per block: (start, end, max score of its units, all its units removed)."""
    out = []
    for b in blocks:
        inside = [u for u in units if u.start < b.end and u.end > b.start]
        out.append((b.start, b.end, max((u.score for u in inside), default=0.0),
                    bool(inside) and all(u.label == "boilerplate" for u in inside)))
    return out


# ------------------------------------------------------------------ bench

class Bench:
    """A batch of labelled pages with their stand-in decisions, cleaned with site
    evidence under any settings and tallied against the labels."""

    def __init__(self, docs, sites, standin, units="blocks"):
        self.docs, self.sites, self.units_mode = docs, sites, units
        self.ids = [d.id for d in docs]
        self.text = {d.id: d.text for d in docs}
        self.blocks, self.units, self.scores, self.going = {}, {}, {}, {}
        for d, stand in zip(docs, standin.scores([d.text for d in docs])):
            blocks = split_blocks(d.text)
            if [(b.start, b.end) for b in blocks] != [(a, b) for a, b, *_ in stand]:
                raise SystemExit(f"{d.id}: stand-in spans are not the page's blocks")
            self.blocks[d.id] = [(b.start, b.end) for b in blocks]
            block_scores = np.array([x[2] for x in stand], np.float64)
            block_going = np.array([bool(x[3]) for x in stand], bool)
            if units == "blocks":
                self.units[d.id] = blocks
                self.scores[d.id], self.going[d.id] = block_scores, block_going
            else:
                lines = [Block(d.text[a:b], a, b) for a, b in native.split_lines(d.text).tolist()]
                owner = np.searchsorted([b.start for b in blocks], [u.start for u in lines],
                                        side="right") - 1
                self.units[d.id] = lines
                self.scores[d.id], self.going[d.id] = block_scores[owner], block_going[owner]
        self.prints = {d.id: page_prints(d.text) for d in docs}
        self._labels = {d.id: _char_labels(d) for d in docs}

    def evidence(self, guard=True):
        return Evidence.gather(((self.sites[i], self.prints[i]) for i in self.ids),
                               syndication_guard=guard)

    def masks(self, evidence, settings, no_model=False, ids=None):
        """Per page: which characters go (the per-page decision and site evidence)."""
        out = {}
        for i in ids or self.ids:
            text, units = self.text[i], self.units[i]
            scores, going = self.scores[i], self.going[i]
            if no_model:
                scores, going = np.zeros(len(units)), np.zeros(len(units), bool)
            mask = np.zeros(len(text), bool)
            ev = evidence.site(self.sites[i]) if evidence is not None else None
            vias, cuts = ([""] * len(units), []) if ev is None else ev.apply(
                text, units, scores, going, blocks=self.blocks[i], settings=settings)
            for u, g, via in zip(units, going, vias):
                if g or via:
                    mask[u.start:u.end] = True
            for a, b, _ in cuts:
                mask[a:b] = True
            out[i] = mask
        return out

    def tallies(self, masks):
        return {i: _tally(self._labels[i], m) for i, m in masks.items()}


def _char_labels(doc):
    """Per character: 1 content, 2 debris, 3 ambiguous, 0 unscored (whitespace);
    debris kind per character; and per segment (label, kind, scored characters)."""
    n = len(doc.text)
    codes, kinds = np.zeros(n, np.int8), np.full(n, -1, np.int8)
    space = np.fromiter((c.isspace() for c in doc.text), bool, n)
    segments = []
    for s in doc.segments:
        where = np.arange(s.start, s.end)[~space[s.start:s.end]]
        codes[where] = {"content": 1, "boilerplate": 2, "ambiguous": 3}[s.label]
        if s.label == "boilerplate" and s.kind in KINDS:
            kinds[where] = KINDS.index(s.kind)
        segments.append((s.label, s.kind, where))
    return codes, kinds, segments


def _tally(labels, mask):
    codes, kinds, segments = labels
    t = collections.Counter()
    content, debris = codes == 1, codes == 2
    t["ck"], t["ct"] = int((content & ~mask).sum()), int(content.sum())
    t["dr"], t["dt"] = int((debris & mask).sum()), int(debris.sum())
    for k, name in enumerate(KINDS):
        sel = kinds == k
        if sel.any():
            t["r_" + name] += int((sel & mask).sum())
            t["t_" + name] += int(sel.sum())
    for label, kind, where in segments:
        gone = mask[where]
        if label == "content":
            t["sct"] += 1
            t["sck"] += int(not gone.any())
        elif label == "boilerplate":
            t["sdt"] += 1
            t["sdr"] += int(gone.mean() > 0.5) if len(gone) else 0
            if kind in APPEALS:
                t["sat"] += 1
                t["sar"] += int(gone.mean() > 0.5) if len(gone) else 0
    return t


def summarise(tallies, ids):
    t = collections.Counter()
    for i in ids:
        t.update(tallies[i])

    def f(a, b):
        return t[a] / t[b] if t[b] else float("nan")
    appeals = sum(t["r_" + k] for k in APPEALS) / max(1, sum(t["t_" + k] for k in APPEALS))
    out = {"keep": f("ck", "ct"), "remove": f("dr", "dt"), "appeals": appeals,
           "seg_keep": f("sck", "sct"), "seg_remove": f("sdr", "sdt"),
           "seg_appeals": f("sar", "sat")}
    for k in KINDS:
        out[k] = f("r_" + k, "t_" + k)
    return out


def loso(bench, table, per_page):
    """Leave-one-site-group-out: for each group, the setting with the highest
    removal on the other sites among those keeping at most KEEP_SLACK less than the
    per-page decision there (ties: the earlier, safer setting). Returns the held-out
    tallies and the choice per group."""
    groups = collections.defaultdict(list)
    for i in bench.ids:
        groups[group_of(bench.sites[i])].append(i)
    held, choice = {}, {}
    for g, members in groups.items():
        train = [i for i in bench.ids if i not in members]
        base_keep = summarise(per_page, train)["keep"]
        best = None
        for combo, tallies in table.items():
            s = summarise(tallies, train)
            ok = s["keep"] >= base_keep - KEEP_SLACK
            key = (ok, round(s["remove"], 6) if ok else s["keep"])
            if best is None or key > best[0]:
                best = (key, combo)
        choice[g] = best[1]
        for i in members:
            held[i] = table[best[1]][i]
    return held, choice


# ------------------------------------------------------------------ rows

OFF = Settings(near=False, templates=False, pieces=False, teasers=False, head_guard=False,
               long_floor=0.0, tail=False)


def rows():
    """(name, {choice: Settings} or None, syndication guard) of the main table."""
    floors = {lf: replace(OFF, head_guard=True, long_floor=lf) for lf in FLOORS}
    yield "per-page model only", None, False
    yield "exact repeats (no guard)", {None: OFF}, False
    yield "+ syndication guard", {None: OFF}, True
    yield "+ repeated-content guard", floors, True
    more = dict(near=True, templates=True)
    yield "+ near-repeats and templates", {k: replace(v, **more) for k, v in floors.items()}, True
    more["pieces"] = True
    yield "+ glued pieces", {k: replace(v, **more) for k, v in floors.items()}, True
    more["teasers"] = True
    yield "+ teasers", {k: replace(v, **more) for k, v in floors.items()}, True
    runs = {(lf, sw, gm, tail): Settings(long_floor=lf, sandwich_chars=sw, grow_margin=gm,
                                          tail=tail, threshold=THRESHOLD)
            for lf, sw, gm, tail in itertools.product(FLOORS, (0, 200), (0.0, 0.1, 0.2, 0.3),
                                                       (False, True))}
    yield "+ runs, all tuned", runs, True
    yield "+ runs, tail only (recommended)", {lf: Settings(long_floor=lf) for lf in FLOORS}, True


def fmt(v, digits=3):
    return "—" if v is None else "n/a" if v != v else f"{v:.{digits}f}"


# ------------------------------------------------------------------ variants

def shifted(doc, new_id, text, segs):
    return Document(id=new_id, text=text, segments=segs, group=doc.group, lang=doc.lang,
                    source=doc.source, meta=dict(doc.meta))


def prepend(doc, new_id, line, label="boilerplate", kind="nav"):
    k = len(line) + 1
    segs = [Segment(0, len(line), label, kind)] + [
        Segment(s.start + k, s.end + k, s.label, s.kind) for s in doc.segments]
    return shifted(doc, new_id, line + "\n" + doc.text, segs)


def append(doc, new_id, line, label="boilerplate", kind="related"):
    base = doc.text.rstrip("\n")
    start = len(base) + 1
    segs = list(doc.segments) + [Segment(start, start + len(line), label, kind)]
    return shifted(doc, new_id, base + "\n" + line + "\n", segs)


def redate(doc, new_id):
    """Every digit in the first 300 characters shifted by one (offsets unchanged)."""
    head = re.sub(r"\d", lambda m: str((int(m.group()) + 1) % 10), doc.text[:300])
    if head == doc.text[:300]:
        return prepend(doc, new_id, "Updated 2024-03-05 10:41", "ambiguous", "byline")
    return shifted(doc, new_id, head + doc.text[300:], list(doc.segments))


def reparagraph(doc, new_id):
    """Every second pair of lines joined (line break -> space; offsets unchanged)."""
    chars = list(doc.text)
    for pos in [m.start() for m in re.finditer(r"(?<=\S)\n(?=\S)", doc.text)][::2]:
        chars[pos] = " "
    return shifted(doc, new_id, "".join(chars), list(doc.segments))


def excerpt(doc, new_id, share=0.7):
    """The first ~70% of the page (cut at a segment end)."""
    cut = max((s.end for s in doc.segments if s.end <= share * len(doc.text)),
              default=len(doc.text))
    return shifted(doc, new_id, doc.text[:cut] + "\n", [s for s in doc.segments if s.end <= cut])


def insert(doc, new_id, pos, string, label="content", kind="body", grow=False):
    k = len(string)
    segs = []
    for s in doc.segments:
        if s.end <= pos:
            segs.append(Segment(s.start, s.end + (k if grow and s.end == pos else 0), s.label,
                                s.kind))
        else:
            segs.append(Segment(s.start + k, s.end + k, s.label, s.kind))
    if not grow:
        lead = len(string) - len(string.lstrip())
        segs.append(Segment(pos + lead, pos + lead + len(string.strip()), label, kind))
        segs.sort(key=lambda s: s.start)
    return shifted(doc, new_id, doc.text[:pos] + string + doc.text[pos:], segs)


#: Invented standard phrases (the report's (e) variants).
PHRASE = " “We do not comment on ongoing investigations,” a spokesperson said."
PARAGRAPH = ("\nThe agency said in a statement that it would review the findings and respond "
             "to the report within 30 days.")


def standard_phrase(doc, paragraph):
    for s in doc.segments:
        if s.label == "content" and s.end - s.start >= 150 and (
                s.end == len(doc.text) or doc.text[s.end] == "\n"):
            if paragraph:
                return insert(doc, doc.id, s.end, PARAGRAPH)
            return insert(doc, doc.id, s.end, PHRASE, grow=True)
    return None


VARIANTS = {
    "exact copy": lambda d, i: shifted(d, i, d.text, list(d.segments)),
    "other nav line": lambda d, i: prepend(
        d, i, "Home | World | Politics | Business | Sport | Opinion"),
    "other date": redate,
    "re-paragraphed": reparagraph,
    "excerpt (70%)": excerpt,
}


def story_into(story, host, new_id):
    """``story``'s content and ambiguous segments in place of ``host``'s (host's
    debris kept before its first and after its last content segment)."""
    content = [s for s in host.segments if s.label == "content"]
    if not content:
        return None
    first, last = content[0].start, content[-1].end
    pre = [s for s in host.segments if s.end <= first and s.label != "content"]
    post = [s for s in host.segments if s.start >= last and s.label != "content"]
    body = [s for s in story.segments if s.label != "boilerplate"]
    parts, segs, pos = [], [], 0
    order = [(host, x) for x in pre] + [(story, x) for x in body] + [(host, x) for x in post]
    for src, s in order:
        t = src.text[s.start:s.end]
        segs.append(Segment(pos, pos + len(t), s.label, s.kind))
        parts.append(t)
        pos += len(t) + 1
    return shifted(host, new_id, "\n".join(parts) + "\n", segs)


def variant_batches(docs, sites):
    """(name, docs, sites, affected ids) of every duplicate / syndication variant."""
    by_site = collections.defaultdict(list)
    for d in docs:
        by_site[sites[d.id]].append(d)
    out = []
    for name, make in VARIANTS.items():
        extra, extra_sites, touched = [], dict(sites), []
        for s, ds in by_site.items():
            for d in ds[: (len(ds) + 1) // 2]:
                c = make(d, d.id + "~copy")
                extra.append(c)
                extra_sites[c.id] = s
                touched += [d.id, c.id]
        out.append(("(a) " + name, docs + extra, extra_sites, touched))
    names = sorted(by_site)
    extra, extra_sites, touched = [], dict(sites), []
    for a, b in zip(names, names[1:] + names[:1]):
        story, host = by_site[a][0], by_site[b][-1]
        c = story_into(story, host, f"{story.id}~on~{b}")
        if c:
            extra.append(c)
            extra_sites[c.id] = b
            touched += [story.id, c.id]
    out.append(("(b) story on two sites", docs + extra, extra_sites, touched))
    extra, extra_sites, touched = [], dict(sites), []
    for s, ds in by_site.items():
        if len(ds) < 3:
            continue
        for host in ds[1:3]:
            c = story_into(ds[0], host, f"{ds[0].id}~in~{host.id}")
            if c:
                extra.append(c)
                extra_sites[c.id] = s
                touched.append(c.id)
        touched.append(ds[0].id)
    out.append(("(b) story twice on one site", docs + extra, extra_sites, touched))
    for paragraph, name in ((False, "(e) standard quote"), (True, "(e) standard paragraph")):
        changed, touched = {}, []
        for s, ds in by_site.items():
            done = 0
            for d in ds:
                c = standard_phrase(d, paragraph)
                if c is not None and done < 3:
                    changed[d.id] = c
                    touched.append(d.id)
                    done += 1
        out.append((name, [changed.get(d.id, d) for d in docs], dict(sites), touched))
    return out


def small_and_teasers(docs, sites):
    """The (c) small-site batches and the (d) teaser batch."""
    by_site = collections.defaultdict(list)
    for d in docs:
        by_site[sites[d.id]].append(d)
    out = []
    for k in (1, 2):
        sub = [d for ds in by_site.values() for d in ds[:k]]
        out.append((f"(c) {k}-page sites", sub, dict(sites), [d.id for d in sub]))
    replaced, owners = {}, []
    for s, ds in by_site.items():
        titled = [d for d in ds if any(x.kind == "title" for x in d.segments)]
        for a, h in zip(titled, ds[::-1]):
            if a.id == h.id:
                continue
            t = next(x for x in a.segments if x.kind == "title")
            title = a.text[t.start:t.end]
            page = replaced.get(h.id, h)
            page = append(page, h.id, "Read more: " + title)
            replaced[h.id] = append(page, h.id, title)
            owners.append(a.id)
    out.append(("(d) teasers: owner pages", [replaced.get(d.id, d) for d in docs], dict(sites),
                sorted(set(owners))))
    return out, replaced


class Run:
    """One variant batch cleaned three ways: per page, with evidence, evidence alone."""

    def __init__(self, docs, sites, standin, settings, guard=True, units="blocks"):
        self.bench = Bench(docs, sites, standin, units)
        ev = self.bench.evidence(guard)
        self.masks_s = self.bench.masks(ev, settings)
        self.masks_p = self.bench.masks(None, settings)
        self.masks_a = self.bench.masks(ev, settings, no_model=True)
        self.with_sites = self.bench.tallies(self.masks_s)
        self.per_page = self.bench.tallies(self.masks_p)
        self.alone = self.bench.tallies(self.masks_a)

    def evidence_keep(self, ids):
        """1 - share of reporting characters removed with evidence but kept per page."""
        lost = total = 0
        for i in ids:
            content = self.bench._labels[i][0] == 1
            lost += int((content & self.masks_s[i] & ~self.masks_p[i]).sum())
            total += int(content.sum())
        return 1 - lost / total if total else float("nan")

    def report(self, ids):
        a, p, e = (summarise(t, ids) for t in (self.with_sites, self.per_page, self.alone))
        return {"pages": len(ids), "keep": a["keep"], "keep_per_page": p["keep"],
                "evidence_keep": self.evidence_keep(ids), "alone_keep": e["keep"],
                "remove": a["remove"], "remove_per_page": p["remove"]}


def copies_keep(docs, sites, standin, settings, guard, units, cache):
    """Worst evidence keep over the (a)/(b) variants, and the (e) quote's."""
    worst, quote = 1.0, None
    for name, ds, ss, touched in cache.setdefault("variants", variant_batches(docs, sites)):
        if name.startswith(("(a)", "(b)")):
            worst = min(worst, Run(ds, ss, standin, settings, guard, units).evidence_keep(touched))
        elif name == "(e) standard quote":
            quote = Run(ds, ss, standin, settings, guard, units).evidence_keep(touched)
    return worst, quote


# ------------------------------------------------------------------ main

def main_table(docs, sites, standin, units, quick):
    bench = Bench(docs, sites, standin, units)
    ids = bench.ids
    no_podcast = [i for i in ids if sites[i] != PODCAST]
    per_page = bench.tallies(bench.masks(None, Settings()))
    evidence = {g: bench.evidence(g) for g in (False, True)}
    cache = {}
    head = ("| row | keep | removed | appeals | removed −podcast | seg keep | seg removed | "
            "seg appeals | seg removed −podcast | copies | quote | evidence alone: keep / "
            "removed / −podcast | choice |")
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    kinds_rows, results = [], {}
    for name, grid, guard in rows():
        if quick and name not in ("per-page model only", "+ runs, tail only (recommended)"):
            continue
        if grid is None:
            held, modal, alone, copies, quote, choices = per_page, None, None, None, None, {}
        else:
            table = {c: bench.tallies(bench.masks(evidence[guard], st)) for c, st in grid.items()}
            if len(grid) == 1:
                held, choices = next(iter(table.values())), {}
                modal = next(iter(grid))
            else:
                held, choice = loso(bench, table, per_page)
                choices = collections.Counter(choice.values())
                modal = choices.most_common(1)[0][0]
            settings = grid[modal]
            alone_t = bench.tallies(bench.masks(evidence[guard], settings, no_model=True))
            alone = (summarise(alone_t, ids), summarise(alone_t, no_podcast))
            copies, quote = copies_keep(docs, sites, standin, settings, guard, units, cache)
        s, g = summarise(held, ids), summarise(held, no_podcast)
        results[name] = (s, g, copies, quote, alone)
        al = "—" if alone is None else \
            f"{fmt(alone[0]['keep'])} / {fmt(alone[0]['remove'])} / {fmt(alone[1]['remove'])}"
        print(f"| {name} | {s['keep']:.4f} | {fmt(s['remove'])} | {fmt(s['appeals'])} | "
              f"{fmt(g['remove'])} | {fmt(s['seg_keep'])} | {fmt(s['seg_remove'])} | "
              f"{fmt(s['seg_appeals'])} | {fmt(g['seg_remove'])} | {fmt(copies)} | "
              f"{fmt(quote)} | {al} | {dict(choices) if choices else modal if modal else ''} |",
              flush=True)
        ref = REFERENCE.get(name)
        if ref:
            print(f"| *reference* | {ref[0]:.4f} | " + " | ".join(fmt(x) for x in ref[1:10]) +
                  f" | {fmt(ref[10])} / {fmt(ref[11])} / {fmt(ref[12])} | |")
        kinds_rows.append((name, s))
    print("\nRemoval per kind of debris (characters):\n")
    print("| row | " + " | ".join(SHOWN_KINDS) + " |")
    print("|" + "---|" * (len(SHOWN_KINDS) + 1))
    for name, s in kinds_rows:
        print(f"| {name} | " + " | ".join(fmt(s[k]) for k in SHOWN_KINDS) + " |")
    return results


def variants_table(docs, sites, standin, units):
    settings = Settings()
    print("\n| variant | pages | keep (per-page) | evidence keep | evidence alone keep | "
          "removed (per-page) | reference: keep (per-page) / evidence keep / alone / removed "
          "(per-page) |")
    print("|---|---|---|---|---|---|---|")
    batches = variant_batches(docs, sites)
    small, replaced = small_and_teasers(docs, sites)
    for name, ds, ss, touched in batches + small:
        r = Run(ds, ss, standin, settings, units=units).report(touched)
        ref = REFERENCE_VARIANTS.get(name)
        refs = "" if ref is None else (f"{ref[0]:.4f} ({ref[1]:.4f}) / {ref[2]:.4f} / "
                                       f"{ref[3]:.4f} / {ref[4]:.3f} ({ref[5]:.3f})")
        print(f"| {name} | {r['pages']} | {r['keep']:.4f} ({r['keep_per_page']:.4f}) | "
              f"{r['evidence_keep']:.4f} | {r['alone_keep']:.4f} | {r['remove']:.3f} "
              f"({r['remove_per_page']:.3f}) | {refs} |", flush=True)
        if name.startswith("(d)"):
            run = Run(ds, ss, standin, settings, units=units)
            gone = gone_per_page = total = 0
            for d in run.bench.docs:
                if d.id not in replaced:
                    continue
                codes = run.bench._labels[d.id][0]
                added = np.zeros(len(d.text), bool)
                for sg in d.segments[-2:]:
                    added[sg.start:sg.end] = True
                sel = added & (codes == 2)
                gone += int((sel & run.masks_s[d.id]).sum())
                gone_per_page += int((sel & run.masks_p[d.id]).sum())
                total += int(sel.sum())
            print(f"| (d) teasers: added teaser lines removed | {len(replaced)} | "
                  f"{gone / total:.3f} (per page {gone_per_page / total:.3f}) | | | | "
                  "reference 0.907 (0.616) |")


def speed(docs, sites, repeat):
    """CPU time per page (best of ``repeat``) of each step, and memory."""
    from stripper import Stripper
    from stripper.siteprints import block_spans
    texts = [d.text for d in docs]
    n = len(texts)

    def best(f):
        times = []
        for _ in range(repeat):
            t = time.process_time()
            out = f()
            times.append(time.process_time() - t)
        return min(times) * 1000 / n, out
    stripper = Stripper()
    stripper.clean_many(texts[:3])
    t_clean, _ = best(lambda: stripper.clean_many(texts))
    t_units, units = best(lambda: [stripper.classify(t) for t in texts])
    t_blocks, _ = best(lambda: [block_spans(t) for t in texts])
    t_prints, prints = best(lambda: [page_prints(t) for t in texts])
    pairs = [(sites[d.id], p) for d, p in zip(docs, prints)]
    t_gather, ev = best(lambda: Evidence.gather(pairs))
    scores = [np.array([u.score for u in us]) for us in units]
    going = [np.array([u.label == "boilerplate" for u in us]) for us in units]

    def applying():
        for d, us, s, g in zip(docs, units, scores, going):
            e = ev.site(sites[d.id])
            if e is not None:
                e.apply(d.text, us, s, g)
    t_apply, _ = best(applying)
    print(f"pages: {n}, {sum(map(len, texts)) / n:.0f} characters a page; CPU time, best of "
          f"{repeat}")
    print(f"| step | ms/page | share of per-page cleaning |\n|---|---|---|")
    print(f"| per-page cleaning, Stripper().clean_many | {t_clean:.3f} | 100% |")
    for name, t in (("page_prints (blocks, normal forms, prints, sketches)", t_prints),
                    ("  of which block_spans", t_blocks),
                    ("Evidence.gather (fold: copies, counts)", t_gather),
                    ("SiteEvidence.apply (line units)", t_apply)):
        print(f"| {name} | {t:.3f} | {100 * t / t_clean:.1f}% |")
    print(f"| evidence pass (page_prints + gather) | {t_prints + t_gather:.3f} | "
          f"{100 * (t_prints + t_gather) / t_clean:.1f}% |")
    record = [len(p.to_bytes()) for p in prints]
    memory = [p.nbytes() for p in prints]
    print(f"\nPagePrints: {np.mean(record):.0f} B a page serialised (max {max(record)}), "
          f"{np.mean(memory):.0f} B in memory (max {max(memory)}); blocks a page "
          f"{np.mean([sum(p.sizes[:1]) for p in prints]):.1f} distinct")
    profile = ev.to_bytes()
    print(f"Evidence: {ev.nbytes()} B in memory = {ev.nbytes() / n:.0f} B/page; "
          f"JSON profile {len(profile)} B = {len(profile) / n:.0f} B/page")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--units", nargs="+", default=["blocks", "lines"],
                        choices=["blocks", "lines"])
    parser.add_argument("--scores", default=str(REFERENCE_DIR / "scores_sb.json"),
                        help="the stand-in's block scores of the original pages")
    parser.add_argument("--stand-in", default="/work/exp/base",
                        help="directory with the stand-in model's stripper package")
    parser.add_argument("--quick", action="store_true",
                        help="only the per-page and recommended rows")
    parser.add_argument("--no-variants", action="store_true")
    parser.add_argument("--speed", action="store_true", help="only time each step")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    if not SHARED.is_dir():
        raise SystemExit(f"{SHARED} is absent")
    docs, sites = load()
    if args.speed:
        speed(docs, sites, args.repeat)
        return
    standin = StandIn(docs, args.scores, args.stand_in)
    print(f"site batches: {len(docs)} pages, {len(set(sites.values()))} sites; {standin.note}\n")
    for units in args.units:
        print(f"## Units: {units}\n")
        main_table(docs, sites, standin, units, args.quick)
        if not args.no_variants:
            variants_table(docs, sites, standin, units)
        print()


if __name__ == "__main__":
    main()
