"""HTML pages: trafilatura extracts, stripper cleans; trafilatura loads only when needed."""

import json
import subprocess
import sys

from click.testing import CliRunner

from stripper.batch import clean_tree
from stripper.cli import main
from stripper.html import extract_text

LEAD = ("The water board approved a plan on Wednesday to replace every lead service pipe "
        "in the old town by 2029, at a cost it put at 41 million euros.")
PAGE = f"""<!doctype html>
<html><head><title>Lead pipes to go by 2029</title></head>
<body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/city">City</a></li>
<li><a href="/sport">Sport</a></li></ul></nav>
<main><article>
<h1>Lead pipes to go by 2029</h1>
<p>{LEAD}</p>
<p>Households will not be charged for the work, the board said, though streets will be
dug up one block at a time and some residents will be without water for a day.</p>
<p>Engineers found lead in about 1,900 connections during a survey last year.</p>
<p>Enjoyed this article? Support our newsroom with a monthly gift. Donate today.</p>
</article></main>
<footer><p>Copyright The Valley Courier. All rights reserved.</p></footer>
</body></html>
"""


def test_extraction_keeps_the_article_paragraphs():
    text = extract_text(PAGE)
    assert LEAD in text
    assert "1,900 connections" in text


def test_a_page_without_main_text_extracts_to_nothing():
    assert extract_text("<html><body></body></html>") == ""


def test_cli_html_on_stdin_is_extracted_then_cleaned(default_stripper):
    result = CliRunner().invoke(main, ["clean", "--html"], input=PAGE.encode("utf-8"))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == default_stripper.clean(extract_text(PAGE))
    assert LEAD in result.stdout
    assert "<p>" not in result.stdout


def test_cli_html_file_is_extracted_by_its_suffix(tmp_path, default_stripper):
    page = tmp_path / "story.html"
    page.write_text(PAGE, encoding="utf-8")
    result = CliRunner().invoke(main, ["clean", str(page)])
    assert result.stdout == default_stripper.clean(extract_text(PAGE))


def test_directory_html_pages_become_text_files(tmp_path, default_stripper):
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "story.htm").write_text(PAGE, encoding="utf-8")
    clean_tree([tmp_path / "site"], tmp_path / "out", jobs=1)
    written = (tmp_path / "out" / "story.txt").read_text(encoding="utf-8")
    assert written == default_stripper.clean(extract_text(PAGE))


def test_jsonl_html_field_is_extracted_then_cleaned(default_stripper):
    result = CliRunner().invoke(main, ["clean", "--jsonl", "--html", "--field", "html"],
                                input=json.dumps({"html": PAGE, "id": 3}) + "\n")
    expected = {"html": default_stripper.clean(extract_text(PAGE)), "id": 3}
    assert json.loads(result.stdout) == expected


def test_trafilatura_is_not_imported_without_html():
    code = ("import sys, stripper, stripper.cli, stripper.batch, stripper.jsonl, "
            "stripper.html; print('trafilatura' in sys.modules)")
    imported = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True,
                              check=True).stdout.strip()
    assert imported == "False"
