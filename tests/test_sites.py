"""Site evidence (stripper.sites, stripper.siteprints) on invented pages.

Each test builds small sites of our own pages (several languages and voices): a
site's chrome (menus, appeal boxes, newsletter pitches) repeats across its pages,
its stories do not. The real-data checks at the end read ../shared at run time and
skip without it.
"""

import json
import pickle
import random
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stripper import native
from stripper.blocks import Block, split_blocks
from stripper.errors import InputError
from stripper.siteprints import (EMPTY, KINDS, NEAR_TOKEN, PIECE_EDGE, SEED_EXACT, SEED_NEAR,
                                 SEED_PAGE, SEED_TEMPLATE, SEED_WORD, SKETCH_BINS,
                                 TEMPLATE_SPLIT, TEMPLATE_VARIABLE, PagePrints, analyse,
                                 block_spans, near_form, norm_exact, number_form, page_prints,
                                 pieces, title_candidates)
from stripper.sites import DEFAULT, Evidence, Gatherer, Settings, SiteDecisions

REPO_ROOT = Path(__file__).resolve().parents[1]
SITE_BATCHES = REPO_ROOT.parent / "shared" / "data" / "site-batches" / "docs"

# ------------------------------------------------------------------ invented sites

HARBOUR = {  # an English local paper
    "menu": ["Home", "Local", "Business", "Sport", "Sign in"],
    "appeal": ["Support independent local journalism",
               "Our reporters rely on readers like you. Give what you can today and keep "
               "the newsroom open for everyone who needs it, every single day of the year.",
               "Donate now", "Maybe later"],
    "stories": [
        ["Harbour bridge to close for repairs",
         "The harbour authority said on Monday that the old swing bridge will close for six "
         "weeks while engineers replace corroded cables along its northern span, the first "
         "such repair since it opened.",
         "Ferries will run every twenty minutes during the works, the authority said, and "
         "cyclists may use a temporary pontoon beside the fish market."],
        ["Council approves school budget",
         "Councillors voted by nine to four on Tuesday to approve next year's school budget, "
         "which adds two teaching posts and repairs the leaking gym roof at the secondary "
         "school on Mill Lane.",
         "Opposition members said the plan leaves the library service short of money and "
         "promised to raise the matter again at the spring session."],
        ["Storm cuts power to coastal villages",
         "About three thousand homes lost power overnight as gusts of more than ninety "
         "kilometres an hour brought down lines between the two coastal villages before dawn "
         "on Wednesday.",
         "The grid operator expected most customers to be reconnected by the evening and asked "
         "residents to report fallen cables rather than approach them."],
        ["Museum reopens after renovation",
         "The town museum reopened on Saturday after a two-year renovation that added a wing "
         "for the maritime collection and a lift to the upper galleries, paid for by a "
         "regional grant.",
         "Entry remains free on Sundays, the director said, and school groups can book the new "
         "education room at the front desk."],
    ],
}

LOKALBOTE = {  # a German regional paper
    "menu": ["Startseite", "Region", "Politik", "Kultur", "Anmelden"],
    "appeal": ["Unterstützen Sie unabhängigen Journalismus",
               "Unsere Redaktion lebt von Leserinnen und Lesern wie Ihnen. Mit einem kleinen "
               "Beitrag im Monat sichern Sie die Berichterstattung aus der Region für alle.",
               "Jetzt unterstützen", "Später erinnern"],
    "stories": [
        ["Neue Buslinie verbindet die Dörfer im Tal",
         "Ab dem ersten Juni fährt eine neue Buslinie stündlich zwischen den vier Dörfern im "
         "Tal und dem Bahnhof der Kreisstadt, teilte der Verkehrsverbund am Dienstag mit.",
         "Die Gemeinden tragen ein Drittel der Kosten, den Rest übernimmt das Land für die "
         "ersten drei Jahre des Probebetriebs."],
        ["Stadtrat beschließt Sanierung des Freibads",
         "Nach langer Debatte hat der Stadtrat am Donnerstagabend die Sanierung des Freibads "
         "beschlossen, dessen Becken seit zwei Sommern wegen Rissen gesperrt ist.",
         "Die Arbeiten sollen im Herbst beginnen, die Wiedereröffnung ist für die Saison in "
         "zwei Jahren geplant, sagte der Bürgermeister."],
        ["Hochwasser erreicht die Altstadt nicht",
         "Der Pegel des Flusses ist in der Nacht zum Sonntag knapp unter der Marke geblieben, "
         "ab der die Schutzwände in der Altstadt aufgebaut werden müssen.",
         "Die Feuerwehr blieb dennoch mit vierzig Kräften in Bereitschaft und kontrollierte die "
         "Deiche bis zum Morgen."],
    ],
}

CARNET = {  # a French blog, first person
    "menu": ["Accueil", "Le carnet", "Recettes", "Contact"],
    "appeal": ["Recevez chaque nouvelle note dans votre boîte aux lettres électronique : "
               "inscrivez-vous à la lettre du carnet, une fois par mois, sans publicité.",
               "S'inscrire"],
    "stories": [
        ["Les vendanges ont commencé chez nous",
         "Cette année, nous avons commencé les vendanges avec dix jours d'avance, parce que la "
         "chaleur de juillet a mûri le raisin plus vite que d'habitude sur les coteaux.",
         "Je vous raconte la première journée, les mains collantes et les caisses pleines, et "
         "le repas partagé sous le tilleul à midi."],
        ["Ma recette de tarte aux prunes",
         "Ma grand-mère faisait cette tarte chaque fin d'été avec les prunes du verger, et je "
         "la prépare encore exactement comme elle, sans rien changer à la pâte.",
         "Il faut une pâte brisée bien froide, des prunes coupées en deux et une poignée de "
         "sucre roux juste avant d'enfourner."],
        ["Une promenade au lac en automne",
         "Dimanche, nous sommes montés au lac par le vieux chemin des bergers, dans un "
         "brouillard épais qui s'est levé d'un coup au moment d'arriver au sommet.",
         "L'eau était si calme qu'on voyait les sommets se refléter en entier, et nous sommes "
         "restés assis une heure sans dire un mot."],
    ],
}


def page(site, story, date="12 March 2024", before=(), after=(), menu=None):
    lines = list(menu or site["menu"]) + [date, *before] + list(story) + list(after) + \
        site["appeal"]
    return "\n".join(lines) + "\n"


def site_pages(site, **kw):
    return [page(site, s, date=f"{10 + k} March 2024", **kw)
            for k, s in enumerate(site["stories"])]


def gather(pairs, **kw):
    return Evidence.gather(((key, page_prints(text)) for key, text in pairs), **kw)


def lines_of(text):
    return [Block(text[a:b], a, b) for a, b in native.split_lines(text).tolist()]


def decide(evidence, key, text, units=None, scores=None, going=None, **kw):
    """(units, vias, cuts) of a page cleaned with evidence alone (no model)."""
    units = lines_of(text) if units is None else units
    scores = np.zeros(len(units)) if scores is None else scores
    going = np.zeros(len(units), bool) if going is None else going
    ev = evidence.site(key)
    if ev is None:
        return units, [""] * len(units), []
    decisions = ev.apply(text, units, scores, going, **kw)
    assert isinstance(decisions, SiteDecisions) and len(decisions.vias) == len(units)
    return units, decisions.vias, decisions.cuts


def removed(units, vias):
    return {u.text: v for u, v in zip(units, vias) if v}


# ------------------------------------------------------------------ what goes, what stays

def test_repeated_furniture_goes_with_its_via():
    pages = [("harbour.example", t) for t in site_pages(HARBOUR)]
    evidence = gather(pages)
    for _, text in pages:
        units, vias, cuts = decide(evidence, "harbour.example", text)
        gone = removed(units, vias)
        for line in HARBOUR["menu"] + HARBOUR["appeal"]:
            assert gone[line] == "site(4/4 pages)"
        assert not cuts


def test_a_story_stays_in_every_language():
    for key, site in (("harbour.example", HARBOUR), ("lokalbote.example", LOKALBOTE),
                      ("carnet.example", CARNET)):
        pages = site_pages(site)
        evidence = gather([(key, t) for t in pages])
        for text, story in zip(pages, site["stories"]):
            units, vias, _ = decide(evidence, key, text)
            assert not set(story) & set(removed(units, vias)), key
            assert set(site["menu"]) <= set(removed(units, vias)), key


def test_numbers_and_templates_are_near_repeats():
    pages = [("harbour.example", page(HARBOUR, s, date=date,
                                      after=[f"{n} comments", f"Filed under: {tag}"]))
             for s, n, tag, date in zip(HARBOUR["stories"], (3, 41, 1287, 9),
                                        ("Harbour", "Council", "Weather", "Culture"),
                                        ("3 March 2024", "17 March 2024", "9 May 2023",
                                         "30 June 2024"))]
    evidence = gather(pages)
    units, vias, _ = decide(evidence, "harbour.example", pages[2][1])
    gone = removed(units, vias)
    assert gone["1287 comments"] == "near-repeat(4/4 pages)"
    assert gone["Filed under: Weather"] == "template(4/4 pages)"
    assert "9 May 2023" not in gone  # "# may #": its month word is seen on no other page


def test_another_pages_headline_is_a_teaser_and_the_own_headline_stays():
    stories = HARBOUR["stories"]
    pages = [("harbour.example", page(HARBOUR, s)) for s in stories[:3]]
    pages.append(("harbour.example", page(HARBOUR, stories[3],
                                          after=["Read more: " + stories[0][0], stories[1][0]])))
    evidence = gather(pages)
    units, vias, _ = decide(evidence, "harbour.example", pages[3][1])
    gone = removed(units, vias)
    assert gone["Read more: " + stories[0][0]] == "teaser(2/4 pages)"
    assert gone[stories[1][0]] == "site(2/4 pages)"  # a bare headline: an exact repeat
    for text, story in zip([p[1] for p in pages[:3]], stories[:3]):
        units, vias, _ = decide(evidence, "harbour.example", text)
        assert story[0] not in removed(units, vias)  # teased elsewhere, its own headline here


def test_a_heading_of_the_pages_own_text_stays():
    pages = [("harbour.example", t) for t in site_pages(HARBOUR, before=["Weekly notebook"])]
    evidence = gather(pages)
    for _, text in pages:
        units, vias, _ = decide(evidence, "harbour.example", text)
        assert "Weekly notebook" not in removed(units, vias)


def test_a_truncated_last_line_after_site_debris_goes():
    tails = ["Read our full coverage of the", "More on this from our", "Next: the budget vote and",
             "Earlier this week in"]
    pages = [("harbour.example", page(HARBOUR, s) + tail + "\n")
             for s, tail in zip(HARBOUR["stories"], tails)]
    evidence = gather(pages)
    units, vias, _ = decide(evidence, "harbour.example", pages[1][1])
    assert removed(units, vias)[tails[1]] == "run:tail"


def test_a_repeated_label_glued_to_a_kept_paragraph_is_cut():
    signoff = "Read the Morning Brief every weekday"
    pages = []
    for s in HARBOUR["stories"]:
        story = [s[0], s[1], s[2] + " " + signoff]
        pages.append(("harbour.example", page(HARBOUR, story)))
    evidence = gather(pages)
    text = pages[0][1]
    units, vias, cuts = decide(evidence, "harbour.example", text)
    assert len(cuts) == 1
    start, end, via = cuts[0]
    assert text[start:end] == signoff and via == "piece(4/4 pages)"
    assert HARBOUR["stories"][0][2] + " " + signoff not in removed(units, vias)


def test_a_standard_quote_inside_reporting_stays():
    quote = " “We do not comment on ongoing investigations,” a spokesperson said."
    for key, site in (("harbour.example", HARBOUR), ("lokalbote.example", LOKALBOTE)):
        pages = [(key, page(site, [s[0], s[1] + quote, s[2]])) for s in site["stories"]]
        evidence = gather(pages)
        for _, text in pages:
            units, vias, cuts = decide(evidence, key, text)
            assert not cuts
            assert not any(quote.strip() in line for line in removed(units, vias))


def test_a_standard_paragraph_among_reporting_with_a_low_score_stays():
    note = "This transcript was edited for length and clarity by our producers."
    pages = [("harbour.example", page(HARBOUR, [s[0], note, s[1], s[2]]))
             for s in HARBOUR["stories"]]
    evidence = gather(pages)
    text = pages[0][1]
    units = lines_of(text)
    scores = np.array([0.05 if u.text == note else 0.0 for u in units])
    units, vias, _ = decide(evidence, "harbour.example", text, units, scores)
    assert note not in removed(units, vias)  # a sentence in a short run, read as reporting
    scores = np.array([0.6 if u.text == note else 0.0 for u in units])
    units, vias, _ = decide(evidence, "harbour.example", text, units, scores)
    assert removed(units, vias)[note] == "site(4/4 pages)"


# ------------------------------------------------------------------ copies are not evidence

def test_duplicate_and_near_duplicate_pages_count_once():
    stories = HARBOUR["stories"]
    base = site_pages(HARBOUR)
    copies = [base[0],                                              # fetched twice
              page(HARBOUR, stories[0], date="19 April 2024"),     # another date
              page(HARBOUR, stories[0], menu=["Breaking"] + HARBOUR["menu"])]  # another menu
    pages = [("harbour.example", t) for t in base + copies]
    evidence = gather(pages)
    assert evidence.site("harbour.example").independent == len(stories)
    for _, text in pages:
        units, vias, _ = decide(evidence, "harbour.example", text)
        gone = removed(units, vias)
        assert not set(stories[0]) & set(gone)
        # (the menu's last line heads the page's own text when the date line below it
        # is unique to the page: the heading guard keeps it)
        assert set(HARBOUR["menu"][:-1]) <= set(gone)


def test_a_story_republished_in_other_chrome_stays():
    stories = HARBOUR["stories"]
    pages = [("harbour.example", t) for t in site_pages(HARBOUR)]
    # the same story again, under another page's extra lines and a new teaser list
    republished = page(HARBOUR, stories[2], date="2 May 2024", before=["Archive"],
                       after=["From the archive", "Most read this week"])
    pages.append(("harbour.example", republished))
    evidence = gather(pages)
    for text in (pages[2][1], republished):
        units, vias, _ = decide(evidence, "harbour.example", text)
        assert not set(stories[2]) & set(removed(units, vias))


def test_a_wire_story_on_two_sites_stays_on_both():
    wire = ["Central bank holds rates steady",
            "The central bank left its main rate unchanged on Thursday, saying inflation had "
            "eased for a third month but remained above its target, and signalled that cuts "
            "could come later in the year.",
            "Economists had expected the decision, which was taken by a vote of seven to two."]
    harbour = [("harbour.example", t) for t in site_pages(HARBOUR)] + \
        [("harbour.example", page(HARBOUR, wire, date="1 May 2024"))]
    lokal = [("lokalbote.example", t) for t in site_pages(LOKALBOTE)] + \
        [("lokalbote.example", page(LOKALBOTE, wire, date="1. Mai 2024"))]
    evidence = gather(harbour + lokal)
    for key, text in (harbour[-1], lokal[-1]):
        units, vias, _ = decide(evidence, key, text)
        assert not set(wire) & set(removed(units, vias))


# ------------------------------------------------------------------ small sites

def test_a_site_of_one_page_keeps_the_per_page_decision():
    evidence = gather([("tiny.example", site_pages(HARBOUR)[0])])
    assert evidence.site("tiny.example") is None
    assert "tiny.example" in evidence and evidence["tiny.example"].independent == 1
    assert evidence.site("never-seen.example") is None


def test_a_site_of_two_pages_already_has_evidence():
    evidence = gather([("pair.example", t) for t in site_pages(CARNET)[:2]])
    units, vias, _ = decide(evidence, "pair.example", site_pages(CARNET)[0])
    assert removed(units, vias)["Accueil"] == "site(2/2 pages)"


def test_two_copies_of_one_page_are_one_independent_page():
    text = site_pages(CARNET)[0]
    evidence = gather([("copy.example", text), ("copy.example", text)])
    assert evidence.site("copy.example") is None


# ------------------------------------------------------------------ units

def test_units_inside_a_removed_block_take_its_via():
    appeal = ["Support the Courier", "Local journalism costs money. If you value our reporting,\n"
              "support us from just three pounds a month, and cancel at any time.", "Donate"]
    wrapped = {"menu": ["Home", "News"], "appeal": appeal, "stories": HARBOUR["stories"]}
    pages = [("courier.example", t) for t in site_pages(wrapped)]
    evidence = gather(pages)
    text = pages[0][1]
    blocks = [(b.start, b.end) for b in split_blocks(text)]
    assert len(blocks) < len(native.split_lines(text))  # the appeal paragraph is wrapped
    units, vias, cuts = decide(evidence, "courier.example", text)
    for line in appeal[1].split("\n"):
        assert removed(units, vias)[line] == "site(4/4 pages)"
    assert not cuts


def test_a_unit_partly_inside_removed_text_gets_a_cut():
    stories = HARBOUR["stories"]
    label = "Read the Morning Brief every weekday"
    pages = [("harbour.example", page(HARBOUR, [s[0], s[1], s[2] + " " + label]))
             for s in stories]
    evidence = gather(pages)
    text = pages[1][1]
    # one unit holding the last paragraph and the appeal's first line: a paragraph unit
    # cut differently from the evidence's blocks
    start = text.index(stories[1][2])
    end = text.index(HARBOUR["appeal"][0]) + len(HARBOUR["appeal"][0])
    units = [Block(text[start:end], start, end)]
    _, vias, cuts = decide(evidence, "harbour.example", text, units)
    assert vias == [""]
    cut_texts = [text[a:b] for a, b, _ in cuts]
    assert label in cut_texts and HARBOUR["appeal"][0] in cut_texts


def test_units_must_be_in_order():
    pages = [("harbour.example", t) for t in site_pages(HARBOUR)]
    evidence = gather(pages)
    units = lines_of(pages[0][1])
    with pytest.raises(ValueError):
        evidence.site("harbour.example").apply(pages[0][1], units[::-1], np.zeros(len(units)),
                                               np.zeros(len(units), bool))


def test_a_block_score_is_its_units_mean_weighted_by_characters():
    from stripper.sites import _block_view
    spans = [(0, 10), (11, 20)]
    starts, ends = [0, 4, 11], [3, 10, 20]  # 3 and 6 characters, 9
    units, score, gone = _block_view(spans, starts, ends, [0.9, 0.0, 0.25], [True, False, True])
    assert np.allclose(score, [0.3, 0.25]) and score[1] == 0.25  # one unit: its own score
    assert gone == [False, True]  # removed per page only when all its units are
    assert units == [0, 0, 1]


# ------------------------------------------------------------------ determinism

ALL_PAGES = ([("harbour.example", t) for t in site_pages(HARBOUR)]
             + [("harbour.example", site_pages(HARBOUR)[1])]
             + [("lokalbote.example", t) for t in site_pages(LOKALBOTE)]
             + [("carnet.example", t) for t in site_pages(CARNET)[:2]]
             + [("tiny.example", site_pages(CARNET)[2])])
ALL_PRINTS = [(key, page_prints(text)) for key, text in ALL_PAGES]
REFERENCE_BYTES = Evidence.gather(ALL_PRINTS).to_bytes()


def decisions_of(evidence):
    out = []
    for key, text in ALL_PAGES:
        units, vias, cuts = decide(evidence, key, text)
        out.append((vias, cuts))
    return out


REFERENCE_DECISIONS = decisions_of(Evidence.from_bytes(REFERENCE_BYTES))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.permutations(range(len(ALL_PRINTS))))
def test_any_page_order_gives_the_same_evidence_and_decisions(order):
    evidence = Evidence.gather([ALL_PRINTS[i] for i in order])
    assert evidence.to_bytes() == REFERENCE_BYTES
    assert decisions_of(evidence) == REFERENCE_DECISIONS


@pytest.mark.parametrize("partitions", [1, 3, 256])
def test_spilling_to_disk_gives_the_same_evidence(tmp_path, partitions):
    gatherer = Gatherer(memory_budget_bytes=3000, tmpdir=tmp_path, partitions=partitions)
    for key, prints in reversed(ALL_PRINTS):
        gatherer.add(key, prints.to_bytes() if len(key) % 2 else prints)
    assert gatherer.spills > 0
    assert gatherer.finish().to_bytes() == REFERENCE_BYTES
    assert list(tmp_path.iterdir()) == []  # temporary files removed


def test_a_closed_gatherer_leaves_no_files(tmp_path):
    with Gatherer(memory_budget_bytes=0, tmpdir=tmp_path) as gatherer:
        gatherer.add("harbour.example", ALL_PRINTS[0][1])
        assert list(tmp_path.iterdir())
    assert list(tmp_path.iterdir()) == []


def test_a_large_site_finds_its_copies_by_lsh_in_any_order():
    # above ALL_PAIRS_LIMIT pages, candidate copies come from shared sketch minima
    from stripper.sites import ALL_PAIRS_LIMIT
    rng = random.Random(5)
    words = ("harbour council budget storm museum ferry cable village school roof library "
             "grant lift gallery power line dawn evening resident vote session").split()

    def paragraph():
        return " ".join(" ".join(rng.choice(words) for _ in range(rng.randint(8, 14)))
                        .capitalize() + "." for _ in range(3))
    pages = [page(HARBOUR, [f"Story {k}", paragraph(), paragraph()])
             for k in range(ALL_PAIRS_LIMIT + 20)]
    pages += ["Updated\n" + p for p in pages[:10]]  # re-fetched with a new first line
    prints = [("big.example", page_prints(p)) for p in pages]
    evidence = Evidence.gather(prints)
    assert evidence.site("big.example").independent == ALL_PAIRS_LIMIT + 20
    rng.shuffle(prints)
    assert Evidence.gather(prints).to_bytes() == evidence.to_bytes()


# ------------------------------------------------------------------ profiles

def test_a_profile_round_trip_gives_the_same_decisions():
    evidence = Evidence.gather(ALL_PRINTS)
    again = Evidence.from_bytes(evidence.to_bytes())
    assert again.to_bytes() == evidence.to_bytes()
    assert decisions_of(again) == decisions_of(evidence)
    profile = json.loads(evidence.to_bytes())
    assert profile["format"] == "stripper-site-profile" and sorted(profile["sites"]) == [
        "carnet.example", "harbour.example", "lokalbote.example", "tiny.example"]


def test_a_profile_cleans_a_page_it_never_saw():
    pages = site_pages(HARBOUR)
    profile = Evidence.from_bytes(gather([("harbour.example", t) for t in pages[:3]]).to_bytes())
    units, vias, _ = decide(profile, "harbour.example", pages[3], in_batch=False)
    gone = removed(units, vias)
    assert set(HARBOUR["menu"]) <= set(gone)
    assert not set(HARBOUR["stories"][3]) & set(gone)


def _profile():
    return json.loads(Evidence.gather(ALL_PRINTS).to_bytes())


def _broken(change):
    data = _profile()
    change(data)
    return json.dumps(data).encode()


def _set_table(value):
    def change(data):
        data["sites"]["harbour.example"]["exact"] = value
    return change


def _entries(pairs):
    packed = np.array(pairs, dtype=[("key", "<u8"), ("count", "<u4")])
    import base64
    return base64.b64encode(packed.tobytes()).decode()


MALFORMED = {
    "not json": b"{not json",
    "not utf-8": b"\xff\xfe{}",
    "a list": b"[]",
    "another format": json.dumps({"format": "something-else", "version": 2}).encode(),
    "another version": _broken(lambda d: d.update(version=99)),
    "no sites": _broken(lambda d: d.pop("sites")),
    "a site that is a list": _broken(lambda d: d["sites"].update({"x": []})),
    "pages not a count": _broken(lambda d: d["sites"]["harbour.example"].update(pages="4")),
    "more independent than pages": _broken(
        lambda d: d["sites"]["harbour.example"].update(independent=99)),
    "a missing table": _broken(lambda d: d["sites"]["harbour.example"].pop("near")),
    "a table not in base64": _broken(_set_table("***")),
    "a partial entry": _broken(_set_table("AAAA")),
    "unsorted prints": _broken(_set_table(_entries([(5, 2), (3, 2)]))),
    "a zero count": _broken(_set_table(_entries([(3, 0)]))),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_a_malformed_profile_is_one_clear_input_error(name):
    with pytest.raises(InputError) as error:
        Evidence.from_bytes(MALFORMED[name])
    message = str(error.value)
    assert message.startswith("site profile:") and "\n" not in message


# ------------------------------------------------------------------ page prints

TYPICAL_PAGE = site_pages(HARBOUR, after=["12 comments", "Share on social media",
                                          "Filed under: Harbour"])[0]


def test_page_prints_are_small_and_bounded():
    prints = page_prints(TYPICAL_PAGE)
    # in memory: two 64-bin sketches (1,024 B), 8 B per distinct print, and the
    # object's own overhead; serialised: a 40-byte header, the non-empty bins, the prints
    assert prints.nbytes() <= 2000
    assert len(prints.to_bytes()) <= 1400
    exact = sum(sys.getsizeof(x) for x in (prints, prints.shingles, prints.sizes,
                                          prints.digest)) + \
        prints.sketches.nbytes + prints.prints.nbytes + 2 * sys.getsizeof(np.zeros(0))
    assert exact <= prints.nbytes()
    assert len(page_prints("x" * 100_000 + "\n" + "y. " * 20_000).to_bytes()) < 3000


def test_page_prints_hold_no_text():
    data = page_prints(TYPICAL_PAGE).to_bytes()
    for word in ("Harbour", "harbour", "bridge", "Donate", "donate"):
        assert word.encode() not in data


def test_page_prints_round_trip_through_bytes_and_pickle():
    prints = page_prints(TYPICAL_PAGE)
    assert PagePrints.from_bytes(prints.to_bytes()) == prints
    assert pickle.loads(pickle.dumps(prints)) == prints
    assert len(pickle.dumps(prints)) < len(prints.to_bytes()) + 200
    for bad in (b"", b"XX" + prints.to_bytes()[2:], prints.to_bytes()[:-3],
                prints.to_bytes() + b"\x00" * 8):
        with pytest.raises(InputError):
            PagePrints.from_bytes(bad)


def test_an_empty_page_has_prints():
    prints = page_prints("")
    assert prints.sizes == (0, 0, 0, 0, 0) and prints.shingles == (0, 0)
    assert (prints.sketches == EMPTY).all()
    assert page_prints(" \n\t\n").to_bytes() == prints.to_bytes()


def _growth(function, make_input, short=1500, growth=8):
    """CPU time on a ``growth``-times longer input over ``growth`` runs on the short one
    (near 1 when linear, near ``growth`` when quadratic; best of 5)."""
    small, large = make_input(short), make_input(short * growth)
    best = float("inf")
    for _ in range(5):
        started = time.process_time()
        for _ in range(growth):
            function(small)
        base = time.process_time() - started
        started = time.process_time()
        function(large)
        best = min(best, (time.process_time() - started) / max(base, 1e-4))
        if best < 3:
            break
    return best


def _gather_and_apply(text):
    evidence = gather([("s.example", text), ("s.example", "Extra line\n" + text)])
    decide(evidence, "s.example", text)


@pytest.mark.parametrize("unit", ["word\n", "a" + " " * 50 + "\n", ". ", "1 ", " - ", "a: b\n",
                                  "Ab. Cd. ", "ß…\xa0"])
def test_page_prints_and_apply_run_in_linear_time(unit):
    assert _growth(page_prints, lambda n: unit * (n // 4)) < 3
    assert _growth(_gather_and_apply, lambda n: unit * (n // 4)) < 3


# ------------------------------------------------------------------ against the definitions

page_alphabet = st.sampled_from(
    list("aeZ ßé\u0301ſ1\u0663#-–—:|•.!?…»\"'”’)°,;\n\n\n\t\xa0\u200b\u00adﬁ½²Ⅻ")
    + ["Read more: ", "12:30 ", "Home | News", "Mr. Smith. The ", "Dear readers,\n",
       "and so on\n", "Über ", "The council voted on Tuesday to approve the budget, which adds "
       "two posts and repairs the roof of the school on Mill Lane near the old harbour. "])
pages_st = st.lists(page_alphabet, max_size=80).map("".join)


def _hash(seed, text):
    return native.hash64(seed, text)


def _sketch(word_lists):
    hashes = [[_hash(SEED_WORD, w) for w in ws] for ws in word_lists if ws]
    flat = np.array([h for hs in hashes for h in hs], dtype=np.uint64)
    ends = np.cumsum([len(hs) for hs in hashes], dtype=np.int64)
    return native.shingle_sketch(flat, ends, use_core=False)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pages_st)
def test_the_page_analysis_follows_the_block_by_block_definitions(text):
    spans = [(b.start, b.end) for b in split_blocks(text)]
    assert block_spans(text) == spans
    a = analyse(text)
    texts = [text[x:y] for x, y in spans]
    forms = [norm_exact(t) for t in texts]
    nears = [near_form(f) for f in forms]
    assert a.exact.tolist() == [_hash(SEED_EXACT, f) for f in forms]
    assert a.near.tolist() == [_hash(SEED_NEAR, n) if any(w != "#" for w in n.split()) else 0
                               for n in nears]
    assert a.digest == _hash(SEED_PAGE, " ".join(forms))
    assert a.titles == title_candidates(texts)
    for i, (t, f) in enumerate(zip(texts, forms)):
        numbered = number_form(f)
        parts = TEMPLATE_SPLIT.split(numbered, maxsplit=1) if TEMPLATE_SPLIT.search(numbered) \
            else []
        template = teased = 0
        if len(parts) == 2 and 1 <= len(parts[0].split()) <= 4 and parts[1].split():
            if len(parts[1].split()) <= TEMPLATE_VARIABLE:
                template = _hash(SEED_TEMPLATE, "head:" + parts[0])
            variable = " ".join(NEAR_TOKEN.findall(parts[1]))
            if len(variable.split()) >= 2:
                teased = _hash(SEED_NEAR, variable)
        assert (a.template[i], a.teased[i]) == (template, teased)
        found = pieces(t)
        assert a.pieces[i] == len(found)
        edge = [k for k in range(len(found)) if len(found) >= 2 and
                (k < PIECE_EDGE or k >= len(found) - PIECE_EDGE)]
        rows = [r for r in a.edges.tolist() if r[2] == i]
        assert [(r[0] - spans[i][0], r[1] - spans[i][0], r[3]) for r in rows] == \
            [(*found[k], k) for k in edge]
        prints = [p for r, p in zip(a.edges.tolist(), a.edge_prints.tolist()) if r[2] == i]
        near_pieces = [near_form(norm_exact(t[x:y])) for x, y in (found[k] for k in edge)]
        assert prints == [_hash(SEED_NEAR, n) if any(w != "#" for w in n.split()) else 0
                          for n in near_pieces]
    words = [n.split() for n in nears]
    page_sketch, page_count = _sketch(words)
    body_sketch, body_count = _sketch([w for w, t in zip(words, texts) if len(t) >= 150])
    assert a.sketches[0].tolist() == page_sketch.tolist() and a.shingles[0] == page_count
    assert a.sketches[1].tolist() == body_sketch.tolist() and a.shingles[1] == body_count


@pytest.mark.parametrize("path", sorted((REPO_ROOT / "fixtures").rglob("*.txt"))[:60],
                         ids=lambda p: p.name)
def test_block_spans_are_split_blocks_on_the_fixtures(path):
    text = path.read_text(encoding="utf-8")
    assert block_spans(text) == [(b.start, b.end) for b in split_blocks(text)]


def test_settings_default_is_the_recommendation():
    # 0.5 on the shipped model's scores (see Settings); the study's old-score choice was 0.3
    assert DEFAULT == Settings(min_pages=2, long_floor=0.5, short_run=2, tail=True,
                               sandwich_chars=0, grow_margin=0.0)
    assert KINDS == ("exact", "near", "template", "piece", "title")
    assert SKETCH_BINS == 64


# ------------------------------------------------------------------ real data

@pytest.fixture(scope="module")
def site_batches():
    if not SITE_BATCHES.is_dir():
        pytest.skip(f"{SITE_BATCHES} is absent")
    from stripper.corpus import load_json_corpus
    docs = load_json_corpus(SITE_BATCHES)
    return docs, {d.id: d.meta["site"] for d in docs}


def _figures(docs, masks, skip_site=None):
    """Character keep and removal of ``masks`` against the labels."""
    kept = content = gone = debris = 0
    for d in docs:
        if d.meta["site"] == skip_site:
            continue
        m = masks[d.id]
        for s in d.segments:
            scored = np.array([not c.isspace() for c in d.text[s.start:s.end]], bool)
            hit = m[s.start:s.end][scored]
            if s.label == "content":
                content += len(hit)
                kept += int((~hit).sum())
            elif s.label == "boilerplate":
                debris += len(hit)
                gone += int(hit.sum())
    return kept / content, gone / debris


def _alone_masks(docs, evidence, unit_of):
    masks = {}
    for d in docs:
        units = unit_of(d.text)
        m = np.zeros(len(d.text), bool)
        _, vias, cuts = decide(evidence, d.meta["site"], d.text, units)
        for u, via in zip(units, vias):
            if via:
                m[u.start:u.end] = True
        for a, b, _ in cuts:
            m[a:b] = True
        masks[d.id] = m
    return masks


def test_site_batches_evidence_alone_meets_its_floors(site_batches):
    # evidence alone (no model: every score 0, nothing removed per page) under the
    # recommended settings; measured with this port: keep 0.9995, removed 0.399,
    # without the podcast archive 0.331 (the issue-12 reference: 0.999 / 0.399 / 0.331)
    docs, sites = site_batches
    evidence = Evidence.gather((sites[d.id], page_prints(d.text)) for d in docs)
    masks = _alone_masks(docs, evidence, lines_of)
    keep, remove = _figures(docs, masks)
    _, remove_no_podcast = _figures(docs, masks, skip_site="whowhatwhy.libsyn.com")
    assert keep >= 0.999 and remove >= 0.395 and remove_no_podcast >= 0.328
    # line units and paragraph units remove the same characters
    assert all(np.array_equal(masks[d.id], m) for d, m in
               zip(docs, _alone_masks(docs, evidence, split_blocks).values()))


def test_site_batches_copies_stay(site_batches):
    # every page of the site batches fetched twice, the copy under another menu line:
    # evidence alone removes no reporting that the originals' evidence did not
    docs, sites = site_batches
    original = Evidence.gather((sites[d.id], page_prints(d.text)) for d in docs)
    pairs = [(sites[d.id], page_prints(d.text)) for d in docs] + \
        [(sites[d.id], page_prints("Home | World | Politics | Sport\n" + d.text)) for d in docs]
    doubled = Evidence.gather(pairs)
    for key in {sites[d.id] for d in docs}:
        if original.site(key) is not None:
            assert doubled.site(key).independent == original.site(key).independent
    before = _alone_masks(docs, original, lines_of)
    after = _alone_masks(docs, doubled, lines_of)
    content = {d.id: np.zeros(len(d.text), bool) for d in docs}
    for d in docs:
        for s in d.segments:
            if s.label == "content":
                content[d.id][s.start:s.end] = True
    lost = sum(int((after[d.id] & ~before[d.id] & content[d.id]).sum()) for d in docs)
    total = sum(int(content[d.id].sum()) for d in docs)
    assert lost / total <= 0.001


def test_site_batches_gather_is_order_free_and_spills_alike(site_batches, tmp_path):
    docs, sites = site_batches
    pairs = [(sites[d.id], page_prints(d.text)) for d in docs]
    reference = Evidence.gather(pairs).to_bytes()
    shuffled = pairs[:]
    random.Random(7).shuffle(shuffled)
    assert Evidence.gather(shuffled).to_bytes() == reference
    gatherer = Gatherer(memory_budget_bytes=20_000, tmpdir=tmp_path, partitions=8)
    for key, prints in shuffled:
        gatherer.add(key, prints)
    assert gatherer.spills > 1 and gatherer.finish().to_bytes() == reference


def test_site_batches_with_the_shipped_model_lose_no_reporting(site_batches, default_stripper):
    # whatever the per-page model, site evidence adds removals and costs (almost) no
    # reporting that the model kept: at most 0.1% of the reporting characters
    docs, sites = site_batches
    evidence = Evidence.gather((sites[d.id], page_prints(d.text)) for d in docs)
    per_page, with_sites, lost, content_chars = {}, {}, 0, 0
    for d, units in zip(docs, default_stripper.classify_many([d.text for d in docs])):
        scores = np.array([u.score for u in units])
        going = np.array([u.label == "boilerplate" for u in units])
        _, vias, cuts = decide(evidence, sites[d.id], d.text, list(units), scores, going)
        before, after = np.zeros(len(d.text), bool), np.zeros(len(d.text), bool)
        for u, g, via in zip(units, going, vias):
            before[u.start:u.end] |= bool(g)
            after[u.start:u.end] |= bool(g) or bool(via)
        for a, b, _ in cuts:
            after[a:b] = True
        per_page[d.id], with_sites[d.id] = before, after
        content = np.zeros(len(d.text), bool)
        for s in d.segments:
            if s.label == "content":
                content[s.start:s.end] = True
        content &= ~np.array([c.isspace() for c in d.text], bool)
        lost += int((content & after & ~before).sum())
        content_chars += int(content.sum())
    assert lost / content_chars <= 0.001
    assert _figures(docs, with_sites)[1] >= _figures(docs, per_page)[1]
