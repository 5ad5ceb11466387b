"""`stripper clean` from the command line: a table of cases, each run twice.

Every case runs once with the input on stdin and once with it in a file
named on the command line; both must behave the same. The library's own
``clean``/``classify`` are the oracle for what the output should be.
"""

import json
from dataclasses import dataclass, field
from functools import lru_cache

import pytest

from stripper import classify, clean
from stripper.cli import main

APPEAL = object()  # stands for our example article in the table
TAMPER_ADVICE = "SHA-256"


@dataclass
class Case:
    """One CLI case: options, input, and what the run must give."""

    name: str
    args: list
    input: object = APPEAL  # text, bytes, or APPEAL
    exit_code: int = 0
    stdout: object = None  # a function of the input text, or None to skip
    error: str = None  # a substring of the one-line error message
    output_file: object = None  # a function of the input text, for -o
    checks: list = field(default_factory=list)  # extra (result, text) -> bool


def stdout_of(result):
    """The exact bytes written to stdout, decoded (``result.stdout`` folds CRLF)."""
    return result.stdout_bytes.decode("utf-8")


def one_line_error(result):
    lines = result.stderr.strip().splitlines()
    return len(lines) == 1 and lines[0].startswith("Error:") and "Traceback" not in result.stderr


def explain_lines(result, text):
    header, *lines = result.stdout.splitlines()
    blocks = classify(text)
    assert header.startswith("# threshold 0.")
    return len(lines) == len(blocks) and all(
        b.label in line and f"{b.score:5.2f}" in line for b, line in zip(blocks, lines))


def json_document(result, text):
    document = json.loads(result.stdout)
    return document["text"] == clean(text) and len(document["blocks"]) == len(classify(text))


def first_kind_kept(result, text):
    return all(b.text in result.stdout for b in classify(text) if b.kind == first_kind(text))


@lru_cache(maxsize=4)
def first_kind(text):
    """The kind of the first block the model removes from ``text``."""
    return next(b.kind for b in classify(text) if b.label == "boilerplate")


CASES = [
    Case("text-out", [], stdout=clean),
    Case("output-file", ["-o", "{tmp}/out.txt"], stdout=lambda text: "", output_file=clean),
    Case("format-json", ["--format", "json"], checks=[json_document]),
    Case("format-text", ["--format", "text"], stdout=clean),
    Case("explain", ["--explain"], checks=[explain_lines]),
    Case("explain-to-file", ["--explain", "-o", "{tmp}/out.txt"], stdout=lambda text: ""),
    Case("keep-kind", ["--keep", "{kind}"], stdout=lambda text: clean(text, keep=[first_kind(text)]),
         checks=[first_kind_kept]),
    Case("threshold-one", ["--threshold", "1.0"], stdout=lambda text: text),
    Case("threshold-zero", ["--threshold", "0"], stdout=lambda text: ""),
    Case("reflow", ["--reflow"], stdout=lambda text: clean(text, reflow=True)),
    Case("run-margin-zero", ["--run-margin", "0"], stdout=lambda text: clean(text, run_margin=0)),
    Case("model-folder", ["--model", "{model_dir}"], stdout=clean),
    Case("model-card", ["--model", "{model_dir}/card.json"], stdout=clean),
    Case("model-missing", ["--model", "{tmp}/nowhere/stripper.joblib"], exit_code=1,
         error="not found"),
    Case("model-tampered", ["--model", "{tampered}"], exit_code=1, error=TAMPER_ADVICE),
    Case("unknown-option", ["--no-such-option"], exit_code=2),
    Case("threshold-out-of-range", ["--threshold", "1.5"], exit_code=2),
    Case("run-margin-out-of-range", ["--run-margin", "-0.1"], exit_code=2),
    Case("unknown-kind", ["--keep", "gossip"], exit_code=2),
    Case("unknown-format", ["--format", "xml"], exit_code=2),
    Case("whitespace-only", [], input=" \n\n\t\n", stdout=lambda text: ""),
    Case("empty", [], input="", stdout=lambda text: ""),
    Case("binary", [], input=b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", exit_code=1, error="binary"),
    Case("crlf", [], input="Headline\r\n\r\nThe council met on Monday.\r\n", stdout=clean),
]


@pytest.fixture
def prepared(tmp_path, appeal_text, tampered_model, model_copy):
    """Turn a case's placeholders into real paths and its input into bytes."""
    def prepare(case):
        text = appeal_text if case.input is APPEAL else case.input
        data = text if isinstance(text, bytes) else text.encode("utf-8")
        places = {"tmp": tmp_path, "tampered": tampered_model, "model_dir": model_copy,
                  "kind": first_kind(appeal_text) if "{kind}" in case.args else ""}
        args = [arg.format(**places) for arg in case.args]
        return args, data, text
    return prepare


def run_case(runner, tmp_path, args, data, via):
    """Run `stripper clean` with the input on stdin or in a file."""
    if via == "stdin":
        return runner.invoke(main, ["clean", *args], input=data), None
    input_file = tmp_path / "input.txt"
    input_file.write_bytes(data)
    return runner.invoke(main, ["clean", *args, str(input_file)]), input_file


@pytest.mark.parametrize("via", ["stdin", "file"])
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_cli_case(case, via, runner, tmp_path, prepared):
    args, data, text = prepared(case)
    result, input_file = run_case(runner, tmp_path, args, data, via)
    assert result.exit_code == case.exit_code, result.output
    if case.stdout is not None:
        assert stdout_of(result) == case.stdout(text)
    if case.exit_code == 1:
        assert one_line_error(result), result.stderr
    if case.error:
        assert case.error in result.stderr
    if case.output_file is not None:
        assert (tmp_path / "out.txt").read_bytes().decode("utf-8") == case.output_file(text)
    for check in case.checks:
        assert check(result, text), check.__name__
    if input_file is not None:
        assert input_file.read_bytes() == data, "the input file was modified"


# ------------------------------------------------- behaviours beyond the table

def test_output_file_is_replaced_by_rename(runner, tmp_path, appeal_text):
    target = tmp_path / "out.txt"
    target.write_text("old contents\n")
    old_inode = target.stat().st_ino
    runner.invoke(main, ["clean", "-o", str(target)], input=appeal_text.encode())
    assert target.stat().st_ino != old_inode


def test_output_file_leaves_no_temporary_files(runner, tmp_path, appeal_text):
    runner.invoke(main, ["clean", "-o", str(tmp_path / "out.txt")], input=appeal_text.encode())
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_failed_run_leaves_the_output_file_untouched(runner, tmp_path, tampered_model):
    target = tmp_path / "out.txt"
    target.write_text("old contents\n")
    runner.invoke(main, ["clean", "--model", str(tampered_model), "-o", str(target)],
                  input=b"Some reporting.\n")
    assert target.read_text() == "old contents\n"


def test_several_files_are_cleaned_in_order(runner, tmp_path, appeal_text):
    other = "Tram fares rise in March\n\nThe transit board approved the rise.\n"
    paths = [tmp_path / "a.txt", tmp_path / "b.txt"]
    for path, text in zip(paths, [appeal_text, other]):
        path.write_text(text, encoding="utf-8")
    result = runner.invoke(main, ["clean", *map(str, paths)])
    assert result.stdout == clean(appeal_text) + clean(other)


def test_json_for_several_files_gives_one_line_each(runner, tmp_path, appeal_text):
    paths = [tmp_path / "a.txt", tmp_path / "b.txt"]
    for path in paths:
        path.write_text(appeal_text, encoding="utf-8")
    result = runner.invoke(main, ["clean", "--format", "json", *map(str, paths)])
    assert [json.loads(line)["text"] for line in result.stdout.splitlines()] == \
        [clean(appeal_text)] * 2


def test_missing_input_file_exits_1_with_one_line(runner, tmp_path):
    result = runner.invoke(main, ["clean", str(tmp_path / "absent.txt")])
    assert (result.exit_code, one_line_error(result)) == (1, True)


def test_utf8_byte_order_mark_is_dropped(runner):
    result = runner.invoke(main, ["clean", "--threshold", "1"],
                           input="\ufeffThe council met.\n".encode("utf-8"))
    assert result.stdout == "The council met.\n"


def test_version_option(runner):
    result = runner.invoke(main, ["--version"])
    assert (result.exit_code, "stripper" in result.stdout) == (0, True)
