"""Dask: a LocalCluster of two workers cleans exactly what local cleaning does."""

import json

import pytest

pytest.importorskip("dask.dataframe")
pytest.importorskip("distributed")
pytest.importorskip("pyarrow")
pd = pytest.importorskip("pandas")

import dask.bag as db  # noqa: E402
import dask.dataframe as dd  # noqa: E402
from click.testing import CliRunner  # noqa: E402
from distributed import Client, LocalCluster  # noqa: E402

from stripper.batch import clean_tree  # noqa: E402
from stripper.cli import main  # noqa: E402
from stripper.dask import (clean_bag, clean_column, clean_json,  # noqa: E402
                           clean_parquet, model_loads_per_worker)

ARTICLES = [
    "Ferry timetable changes from Monday\nThe morning ferry will leave at 6.40 instead of 7.05, "
    "the operator said, to meet the first train.\nShare on Facebook\nShare on X\n",
    "School roof repaired\nWorkers finished the roof of the primary school on Thursday after "
    "a storm tore off part of it in May.\nIf you value our reporting, please subscribe.\n",
    "Market hall reopens\nThe covered market reopened on Saturday with 40 stalls, eight more "
    "than before the fire.\n",
    "Tram line vote delayed\nThe council put off a vote on the eastern tram line until "
    "October, citing new cost estimates.\nRead more\nMost popular\n",
] * 3


@pytest.fixture(scope="module")
def client():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as dask_client:
        yield dask_client


@pytest.fixture(scope="module")
def local(default_stripper):
    """Each article and its clean text, cleaned here, without Dask."""
    return dict(zip(ARTICLES, default_stripper.clean_many(ARTICLES)))


def frame_of(texts):
    return pd.DataFrame({"id": range(len(texts)), "text": texts, "lang": "en"})


def test_parquet_dataset_cleans_like_local(client, tmp_path, local):
    frame_of(ARTICLES).to_parquet(tmp_path / "in.parquet")
    source = dd.read_parquet(tmp_path / "in.parquet").repartition(npartitions=4)
    source.to_parquet(tmp_path / "dataset")
    clean_parquet(tmp_path / "dataset", tmp_path / "out")
    cleaned = pd.read_parquet(tmp_path / "out").sort_values("id")
    assert [t.encode("utf-8") for t in cleaned["text"]] == \
        [local[t].encode("utf-8") for t in ARTICLES]
    assert list(cleaned.columns) == ["id", "text", "lang"]


def test_missing_values_stay_missing(client):
    frame = dd.from_pandas(frame_of(["Short text.", None]), npartitions=1)
    cleaned = clean_column(frame, "text").compute()
    assert cleaned["text"].isna().tolist() == [False, True]


def test_each_worker_loads_the_model_at_most_once(client):
    frame = dd.from_pandas(frame_of(ARTICLES), npartitions=6)
    clean_column(frame, "text").compute()
    clean_column(frame, "text").compute()
    loads = model_loads_per_worker(client)
    assert len(loads) == 2 and max(loads.values()) == 1


def test_bag_cleans_like_local(client, local):
    bag = db.from_sequence(ARTICLES, npartitions=3)
    assert clean_bag(bag).compute() == [local[t] for t in ARTICLES]


def test_jsonl_files_clean_like_local(client, tmp_path, local):
    (tmp_path / "in.jsonl").write_text("".join(json.dumps({"text": t, "n": i}) + "\n"
                                               for i, t in enumerate(ARTICLES)))
    clean_json(tmp_path / "in.jsonl", tmp_path / "out")
    records = [json.loads(line) for path in sorted((tmp_path / "out").glob("*"))
               for line in path.read_text(encoding="utf-8").splitlines()]
    assert [r["text"] for r in records] == [local[t] for t in ARTICLES]


def test_directory_batch_on_the_cluster_equals_local(client, tmp_path):
    corpus = tmp_path / "corpus"
    (corpus / "sub").mkdir(parents=True)
    for n, text in enumerate(ARTICLES):
        (corpus / ("sub" if n % 2 else ".") / f"{n:02}.txt").write_text(text, encoding="utf-8")
    (corpus / "feed.jsonl").write_text(json.dumps({"text": ARTICLES[0]}) + "\n")
    scheduler = client.scheduler.address
    remote = clean_tree([corpus], tmp_path / "remote", scheduler=scheduler,
                        report=tmp_path / "remote.jsonl")
    clean_tree([corpus], tmp_path / "here", jobs=1, report=tmp_path / "here.jsonl")
    assert remote.files == len(ARTICLES) + 1 and not remote.failures
    here = {p.relative_to(tmp_path / "here"): p.read_bytes()
            for p in (tmp_path / "here").rglob("*") if p.is_file()}
    there = {p.relative_to(tmp_path / "remote"): p.read_bytes()
             for p in (tmp_path / "remote").rglob("*") if p.is_file()}
    assert there == here
    assert (tmp_path / "remote.jsonl").read_bytes() == (tmp_path / "here.jsonl").read_bytes()


def test_cli_scheduler_option_runs_the_batch_on_the_cluster(client, tmp_path, local):
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "one.txt").write_text(ARTICLES[1], encoding="utf-8")
    result = CliRunner().invoke(main, ["clean", str(tmp_path / "corpus"), "-o",
                                       str(tmp_path / "out"), "--scheduler",
                                       client.scheduler.address])
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "out" / "one.txt").read_text(encoding="utf-8") == local[ARTICLES[1]]
