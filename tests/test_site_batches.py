"""Site-aware cleaning on every batch path: directories, JSONL, Dask, profiles.

Pages of one site lend each other evidence: what repeats across a site's
pages (its masthead, menu, appeal box) goes, what does not (its reporting)
stays. These tests build small invented sites and check that the batch
paths agree with the library's batch call, that the result never depends
on order, ``-j``, ``--resume`` or partitioning, and that copies of a page
(syndication) and small sites lose nothing.
"""

import json
import random

import pytest

from stripper import Stripper
from stripper.batch import clean_tree
from stripper.cli import main
from stripper.sitekeys import host_of, site_of_path, site_of_record

#: Furniture of our invented site: lines a single page cannot tell from
#: reporting, but every page of the site repeats.
FURNITURE = [
    "The Valley Courier · Independent news for the Ashby valley since 1887",
    "Local · Farming · Schools · Council · Letters · Obituaries",
    "Weather in Ashby: {temp}° and {sky}",
]
FOOTER = ["The Valley Courier is owned by the Ashby Press Trust, a registered charity.",
          "Printed at Mill Lane, Ashby."]
STORIES = [
    ("Council delays vote on the new bus depot",
     "Councillors postponed the vote on the bus depot until March after residents of Mill "
     "Lane presented a petition with 412 signatures.",
     "The transport committee will now ask the county for a second noise study."),
    ("Ashby school wins regional robotics prize",
     "A team of six pupils from Ashby High beat 31 schools with a robot that sorts "
     "recycling by colour and weight.",
     "Their teacher said the prize money would pay for a new workshop."),
    ("Flood barrier to close for repairs",
     "The river authority will close the north flood barrier for six weeks from Monday "
     "while divers replace two worn gates.",
     "Boats will use the old lock by the mill in the meantime."),
    ("Farmers market moves indoors for winter",
     "From November the Saturday market will be held in the corn exchange, which the "
     "town bought back from a developer last year.",
     "Stallholders said the move would save them the cost of tents."),
    ("Library opens on Sundays",
     "The central library will open from noon to five on Sundays after a trial drew "
     "more than 900 visitors in four weeks.",
     "Volunteers will staff the desk on alternate weekends."),
]
SKIES = ["cloudy", "sunny", "light rain", "fog", "showers"]


def page(number, story=None):
    """One page of the Valley Courier: furniture, a story, the footer."""
    headline, first, second = STORIES[number if story is None else story]
    head = [line.format(temp=8 + number, sky=SKIES[number]) for line in FURNITURE]
    return "\n".join(head + [headline, first, second] + FOOTER) + "\n"


def site_pages(count=5):
    return [page(n) for n in range(count)]


def kept_lines(text):
    return [line for line in text.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def stripper():
    return Stripper()


# ------------------------------------------------------------ which site

@pytest.mark.parametrize("relative, site", [("example.org/2024/a.txt", "example.org"),
                                            ("example.org/a.txt", "example.org")])
def test_the_first_folder_level_is_the_site(relative, site):
    assert site_of_path("crawl", relative) == site


def test_files_directly_in_an_input_directory_are_one_group():
    assert site_of_path("crawl", "a.txt") == site_of_path("crawl", "b.txt")
    assert site_of_path("crawl", "a.txt") != site_of_path("other", "a.txt")


@pytest.mark.parametrize("url, host", [("https://www.Example.org/a?b=1", "example.org"),
                                       ("http://news.example.org", "news.example.org"),
                                       ("example.org/path", "example.org"),
                                       ("", None), (None, None), (42, None)])
def test_a_records_site_is_its_urls_host(url, host):
    assert host_of(url) == host


def test_a_site_field_names_the_site():
    assert site_of_record({"url": "https://a.org/x", "outlet": "B"}, "outlet") == "B"
    assert site_of_record({"url": "https://a.org/x"}, "outlet") is None


# ------------------------------------------------------- the batch call

def test_site_furniture_goes_in_a_batch(stripper):
    pages = site_pages()
    cleaned = stripper.clean_documents(pages, sites=["courier"] * len(pages))
    for done in cleaned:
        assert not any(line.startswith("The Valley Courier ·") for line in kept_lines(done.text))
        assert not any(line.startswith("Weather in Ashby") for line in kept_lines(done.text))


def test_reporting_stays_in_a_batch(stripper):
    pages = site_pages()
    cleaned = stripper.clean_documents(pages, sites=["courier"] * len(pages))
    for (headline, first, second), done in zip(STORIES, cleaned):
        assert first in done.text and second in done.text


def test_blocks_removed_by_site_evidence_say_so(stripper):
    pages = site_pages()
    cleaned = stripper.clean_documents(pages, sites=["courier"] * len(pages))
    vias = {b.via for done in cleaned for b in done.blocks if b.via}
    assert any(via.startswith(("site(", "near-repeat(")) for via in vias), vias


def test_without_site_evidence_each_page_is_cleaned_alone(stripper):
    pages = site_pages()
    cleaned = stripper.clean_documents(pages, sites=["courier"] * 5, site_evidence=False)
    assert [d.text for d in cleaned] == stripper.clean_many(pages)


def test_a_page_alone_in_its_site_is_cleaned_as_a_single_page(stripper):
    text = page(0)
    assert stripper.clean_documents([text], sites=["courier"])[0].text == stripper.clean(text)


def test_pages_without_a_site_are_cleaned_alone(stripper):
    pages = site_pages()
    cleaned = stripper.clean_documents(pages, sites=[None] * len(pages))
    assert [d.text for d in cleaned] == stripper.clean_many(pages)


def test_the_batch_call_does_not_depend_on_page_order(stripper):
    pages = site_pages()
    once = [d.text for d in stripper.clean_documents(pages, sites=["courier"] * 5)]
    order = list(range(5))
    random.Random(3).shuffle(order)
    again = stripper.clean_documents([pages[i] for i in order], sites=["courier"] * 5)
    assert [again[order.index(i)].text for i in range(5)] == once


# ---------------------------------------------------------- syndication

def test_a_page_republished_on_its_own_site_keeps_its_reporting(stripper):
    pages = site_pages() + [page(4, story=0), page(3, story=0)]  # story 0 three times
    cleaned = stripper.clean_documents(pages, sites=["courier"] * len(pages))
    headline, first, second = STORIES[0]
    for index in (0, 5, 6):
        assert first in cleaned[index].text and second in cleaned[index].text


def test_a_wire_story_on_two_sites_keeps_its_reporting(stripper):
    pages = site_pages()
    other = [text.replace("Valley Courier", "Ridge Herald").replace("Ashby", "Ridgeton")
             for text in site_pages()]
    sites = ["courier"] * 5 + ["herald"] * 5
    cleaned = stripper.clean_documents(pages + other, sites=sites)
    headline, first, second = STORIES[2]
    assert first in cleaned[2].text and first.replace("Ashby", "Ridgeton") in cleaned[7].text


def test_a_standard_quote_inside_reporting_stays(stripper):
    quote = "“We will keep the libraries open,” the mayor said, as she has said before."
    pages = [text.replace(STORIES[n][1], STORIES[n][1] + " " + quote)
             for n, text in enumerate(site_pages())]
    cleaned = stripper.clean_documents(pages, sites=["courier"] * 5)
    assert all(quote in done.text for done in cleaned)


# ---------------------------------------------------------- directories

@pytest.fixture
def crawl(tmp_path):
    """A mirror-style crawl: two sites' folders and a page at the top level."""
    root = tmp_path / "crawl"
    for n, text in enumerate(site_pages()):
        path = root / "courier.example" / "2026" / f"{n}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (root / "alone.txt").write_text(page(1), encoding="utf-8")
    return root


def outputs(root):
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def test_a_directory_batch_gives_what_the_batch_call_gives(crawl, tmp_path, stripper):
    clean_tree([crawl], tmp_path / "out", jobs=1)
    expected = stripper.clean_documents(site_pages(), sites=["courier.example"] * 5)
    for n, done in enumerate(expected):
        written = (tmp_path / "out" / "courier.example" / "2026" / f"{n}.txt").read_text()
        assert written == done.text


def test_a_directory_batch_is_the_same_for_any_jobs(crawl, tmp_path):
    clean_tree([crawl], tmp_path / "one", jobs=1)
    clean_tree([crawl], tmp_path / "two", jobs=2)
    assert outputs(tmp_path / "one") == outputs(tmp_path / "two")


def test_resume_gathers_the_same_evidence(crawl, tmp_path):
    clean_tree([crawl], tmp_path / "full", jobs=1)
    clean_tree([crawl], tmp_path / "part", jobs=1)
    (tmp_path / "part" / "courier.example" / "2026" / "3.txt").unlink()
    clean_tree([crawl], tmp_path / "part", jobs=1, resume=True)
    assert outputs(tmp_path / "part") == outputs(tmp_path / "full")


def test_no_sites_cleans_each_file_alone(crawl, tmp_path, stripper):
    clean_tree([crawl], tmp_path / "out", jobs=1, site_evidence=False)
    written = (tmp_path / "out" / "courier.example" / "2026" / "0.txt").read_text()
    assert written == stripper.clean(page(0))


def test_the_report_names_site_evidence(crawl, tmp_path):
    clean_tree([crawl], tmp_path / "out", jobs=1, report=tmp_path / "removed.jsonl")
    vias = [json.loads(line)["via"] for line in open(tmp_path / "removed.jsonl")]
    assert any(via.startswith(("site(", "near-repeat(")) for via in vias)


def test_no_working_files_are_left_in_outdir(crawl, tmp_path):
    clean_tree([crawl], tmp_path / "out", jobs=2)
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]


# --------------------------------------------------------------- JSONL

def records(pages, host="courier.example"):
    return "".join(json.dumps({"url": f"https://www.{host}/{n}", "text": text}) + "\n"
                   for n, text in enumerate(pages))


def test_jsonl_records_of_one_host_are_a_site(runner, stripper):
    result = runner.invoke(main, ["clean", "--jsonl"], input=records(site_pages()))
    texts = [json.loads(line)["text"] for line in result.stdout.splitlines()]
    assert texts == [d.text for d in stripper.clean_documents(
        site_pages(), sites=["courier.example"] * 5)]


def test_jsonl_file_and_stdin_agree(runner, tmp_path):
    path = tmp_path / "pages.jsonl"
    path.write_text(records(site_pages()), encoding="utf-8")
    assert runner.invoke(main, ["clean", str(path)]).stdout == \
        runner.invoke(main, ["clean", "--jsonl"], input=records(site_pages())).stdout


def test_jsonl_site_field_names_the_site(runner, stripper):
    lines = "".join(json.dumps({"outlet": "C", "text": text}) + "\n" for text in site_pages())
    result = runner.invoke(main, ["clean", "--jsonl", "--site-field", "outlet"], input=lines)
    texts = [json.loads(line)["text"] for line in result.stdout.splitlines()]
    assert texts == [d.text for d in stripper.clean_documents(site_pages(), sites=["C"] * 5)]


def test_jsonl_no_sites_cleans_records_alone(runner, stripper):
    result = runner.invoke(main, ["clean", "--jsonl", "--no-sites"], input=records(site_pages()))
    assert [json.loads(line)["text"] for line in result.stdout.splitlines()] == \
        stripper.clean_many(site_pages())


# ------------------------------------------------------------- profiles

def test_a_profile_cleans_single_pages_of_its_site(runner, tmp_path, crawl, stripper):
    profile = tmp_path / "courier.profile"
    made = runner.invoke(main, ["sites", str(crawl), "-o", str(profile)])
    assert made.exit_code == 0, made.stderr
    fresh = page(2, story=4)  # a page the profile never saw
    (tmp_path / "new.txt").write_text(fresh, encoding="utf-8")
    result = runner.invoke(main, ["clean", "--profile", str(profile), "--site",
                                  "courier.example", str(tmp_path / "new.txt")])
    assert result.exit_code == 0, result.stderr
    assert "Weather in Ashby" not in result.stdout and STORIES[4][1] in result.stdout


def test_a_profile_of_several_sites_needs_site(runner, tmp_path, crawl):
    profile = tmp_path / "all.profile"
    runner.invoke(main, ["sites", str(crawl), "-o", str(profile)])
    result = runner.invoke(main, ["clean", "--profile", str(profile)], input=page(0))
    assert result.exit_code == 1 and "--site" in result.stderr


def test_a_malformed_profile_is_one_line(runner, tmp_path):
    profile = tmp_path / "bad.profile"
    profile.write_text("{not a profile")
    result = runner.invoke(main, ["clean", "--profile", str(profile), "--site", "x"],
                           input=page(0))
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 1 and len(lines) == 1 and "profile" in lines[0]


def test_site_among_the_files_given(runner, tmp_path, stripper):
    paths = []
    for n, text in enumerate(site_pages()):
        paths.append(tmp_path / f"{n}.txt")
        paths[-1].write_text(text, encoding="utf-8")
    result = runner.invoke(main, ["clean", "--format", "json", "--site", "c", *map(str, paths)])
    texts = [json.loads(line)["text"] for line in result.stdout.splitlines()]
    assert texts == [d.text for d in stripper.clean_documents(site_pages(), sites=["c"] * 5)]


# ---------------------------------------------------------------- Dask

def test_dask_column_gives_the_batch_call_for_any_partitioning(stripper):
    pd = pytest.importorskip("pandas")
    dd = pytest.importorskip("dask.dataframe")
    pytest.importorskip("distributed")
    from distributed import Client, LocalCluster
    from stripper.dask import clean_column
    frame = pd.DataFrame({"url": [f"https://courier.example/{n}" for n in range(5)],
                          "text": site_pages()})
    expected = [d.text for d in stripper.clean_documents(site_pages(),
                                                          sites=["courier.example"] * 5)]
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster):
        for parts in (1, 2, 5):
            got = clean_column(dd.from_pandas(frame, npartitions=parts), "text").compute()
            assert got.sort_index()["text"].tolist() == expected
