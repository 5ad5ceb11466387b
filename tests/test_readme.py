"""README's promises: every command in it runs, and every test file is listed.

Each shell command in README.md is in :data:`COMMANDS` with how it is
checked: run here, in a sandbox holding the files it names (our own
texts), through the installed ``stripper``; or, for the few that install
packages, need a cluster or take minutes, the test or CI step that runs it.
A command added to README without an entry here fails the first test.
"""

import gzip
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")

RUN = "run here"
#: README command -> RUN, or what else runs it (and why not here).
COMMANDS = {
    "python3 -m venv .venv && . .venv/bin/activate && pip install . && stripper clean "
    "tests/data/example-appeal.txt": ".ci/run (its first step, in a fresh venv)",
    "python3 -m venv .venv && . .venv/bin/activate && pip install '.[test,dask]' && pytest":
        ".ci/run (the whole of it)",
    "pip install '.[test,dask]'": ".ci/run",
    "pytest": ".ci/run",
    "pip install '.[dask]'": ".ci/run installs the dask extra with the test one",
    "pip install -e '.[bench]'": "bench only; not a runtime or test dependency",
    "stripper clean < article.txt > clean.txt": RUN,
    "stripper clean a.txt b.txt -o clean.txt": RUN,
    "stripper clean --explain article.txt": RUN,
    "stripper clean --format json article.txt": RUN,
    "stripper clean --keep related --keep nav a.txt": RUN,
    "stripper clean --keep-target 0.98 a.txt": RUN,
    "stripper clean --threshold 0.97 a.txt": RUN,
    "stripper clean --reflow a.txt": RUN,
    "stripper clean --run-margin 0 a.txt": RUN,
    "stripper clean --model path/to/model/ a.txt": RUN,
    "stripper clean in/ -o out/ --follow-symlinks": RUN,
    "stripper clean corpus/ more/ -o clean/ -j 4 --report removed.jsonl": RUN,
    "stripper sites crawl/ -o site.profile": RUN,
    "stripper clean --profile site.profile --site example.org page.html": RUN,
    "zcat dump.jsonl.gz | stripper clean --jsonl --field body --meta > clean.jsonl": RUN,
    "stripper clean a.jsonl b.jsonl.gz -o clean.jsonl.gz --on-error skip": RUN,
    "curl -s https://example.org/story | stripper clean --html":
        RUN + " (with a local page piped in place of curl: no network here)",
    "stripper clean corpus/ -o clean/ --scheduler tcp://scheduler.example:8786":
        "test_dask.py::test_cli_scheduler_option_runs_the_batch_on_the_cluster "
        "(against a LocalCluster's address)",
    "stripper fixtures check": RUN,
    "stripper train fixtures --extra ../shared/data/real-pages/docs --extra "
    "../shared/data/site-batches/docs -o models/":
        "minutes long; test_hostile.py::test_training_twice_writes_identical_model_files "
        "trains on fixtures, test_floors.py checks the shipped card it wrote",
    "stripper eval fixtures --extra ../shared/data/real-pages/docs --extra "
    "../shared/data/site-batches/docs": "minutes long; the same cross-validation as train",
    "stripper eval fixtures --extra ../shared/data/real-pages/docs --extra "
    "../shared/data/site-batches/docs --floors tests/floors.json":
        "minutes long; test_floors.py checks the same floors against the card",
    "python tools/ablation.py shipped no-context two-rounds": "minutes long (three "
                                                              "cross-validations)",
    "python -m bench": "minutes long; bench/RESULTS.md is its last run",
    "python -m bench --quick": "a minute or more, needs the bench extra",
    "python -m bench.aeb_keep": "needs ../shared's HTML pages and trafilatura; a minute",
    "python tools/site_eval.py": "needs ../shared; about a minute",
    "python tools/fuzz.py --examples 5000": "minutes long; test_fuzz.py runs its "
                                            "properties with fewer examples",
}


def readme_commands():
    """Every command in README's ``sh`` blocks (and indented ones), without comments."""
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", README, re.S):
        commands += [line.strip() for line in block.splitlines()]
    commands += re.findall(r"^    (python .+?)\s+#", README, re.M)
    return [re.sub(r"\s+#.*$", "", command) for command in commands
            if command and not command.startswith("#")]


def test_every_readme_command_is_known_here():
    assert sorted(set(readme_commands()) - set(COMMANDS)) == []


def test_every_command_known_here_is_still_in_the_readme():
    assert sorted(set(COMMANDS) - set(readme_commands())) == []


def test_every_test_file_is_listed_in_the_readme():
    files = sorted(p.name for p in (REPO_ROOT / "tests").glob("test_*.py"))
    table = README.split("## Tests", 1)[1].split("## Benchmarks", 1)[0]
    assert [name for name in files if f"`{name}`" not in table] == []


def test_ci_runs_the_readme_install_commands():
    ci = (REPO_ROOT / ".ci" / "run").read_text()
    assert "pip install --quiet '.[test,dask]'" in ci and "stripper clean" in ci


# ------------------------------------------------------------ the sandbox

ARTICLE = (REPO_ROOT / "tests" / "data" / "example-appeal.txt").read_text(encoding="utf-8")
PAGE = ("<!doctype html><html><body><article><h1>Ferry fares frozen</h1><p>The ferry "
        "company will keep this year's fares next year, its board said on Thursday, after "
        "passenger numbers rose by a tenth.</p><p>Season tickets will cost the same.</p>"
        "<p>Support our newsroom: give monthly.</p></article></body></html>\n")


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    """A folder holding every file README's commands name."""
    home = tmp_path_factory.mktemp("readme")
    for name in ("article.txt", "a.txt", "b.txt"):
        (home / name).write_text(ARTICLE, encoding="utf-8")
    for folder in ("in", "corpus", "more", "crawl/example.org/2026"):
        (home / folder).mkdir(parents=True)
    for n in range(3):
        (home / "crawl" / "example.org" / "2026" / f"{n}.txt").write_text(ARTICLE)
    (home / "in" / "a.txt").write_text(ARTICLE)
    (home / "corpus" / "a.txt").write_text(ARTICLE)
    (home / "more" / "b.txt").write_text(ARTICLE)
    (home / "page.html").write_text(PAGE)
    (home / "story.html").write_text(PAGE)
    record = json.dumps({"id": 1, "body": ARTICLE, "text": ARTICLE}) + "\n"
    (home / "dump.jsonl.gz").write_bytes(gzip.compress(record.encode()))
    (home / "a.jsonl").write_text(record)
    (home / "b.jsonl.gz").write_bytes(gzip.compress(record.encode()))
    shutil.copytree(REPO_ROOT / "models", home / "path" / "to" / "model",
                    ignore=shutil.ignore_patterns("__init__.py", "__pycache__"))
    shutil.copytree(REPO_ROOT / "fixtures", home / "fixtures")
    return home


def shell(command, home):
    """Run ``command`` in ``home`` with the installed ``stripper`` first on PATH."""
    command = command.replace("curl -s https://example.org/story", "cat story.html")
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
    return subprocess.run(command, shell=True, cwd=home, env=env, capture_output=True,
                          text=True, timeout=300)


@pytest.mark.parametrize("command", [c for c, how in COMMANDS.items() if how.startswith(RUN)])
def test_readme_command_runs(command, sandbox):
    for output in ("clean", "clean.txt", "clean.jsonl", "clean.jsonl.gz", "out",
                   "removed.jsonl", "site.profile"):
        target = sandbox / output
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    if "--profile" in command:
        assert shell("stripper sites crawl/ -o site.profile", sandbox).returncode == 0
    done = shell(command, sandbox)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
