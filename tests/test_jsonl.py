"""JSONL streams: one field cleaned, everything else kept, errors by line number."""

import gzip
import io
import json

import pytest
from click.testing import CliRunner

from stripper.cli import main
from stripper.errors import InputError
from stripper.jsonl import StreamOptions, clean_jsonl
from stripper.settings import CHUNK

REPORT = """Harbour dredging finishes early
Dredgers cleared the last of the silt from the inner harbour on Friday, two weeks ahead of schedule, the port authority said.
Fishing boats had been mooring outside the breakwater since August.
Support independent journalism. Become a member today.
Join now
"""

SHORT = """Council approves new bus shelter
The shelter on Mill Road will be built before winter.
Follow us on Instagram
"""


def lines_of(*records):
    """JSONL bytes for ``records`` (dicts, or raw strings taken as they are)."""
    return b"".join((r if isinstance(r, str) else json.dumps(r)).encode("utf-8") + b"\n"
                    for r in records)


def run(data, stripper, **options):
    sink = io.BytesIO()
    stats = clean_jsonl(io.BytesIO(data), sink, stripper, StreamOptions(**options))
    return [json.loads(line) for line in sink.getvalue().splitlines()], stats


def test_field_is_cleaned_like_the_library_does(default_stripper):
    records, _ = run(lines_of({"text": REPORT}), default_stripper)
    assert records[0]["text"] == default_stripper.clean(REPORT)


def test_other_fields_keep_their_values_and_order(default_stripper):
    record = {"url": "https://example.org/a", "text": REPORT, "n": 12345678901234567890,
              "score": 0.1, "tags": ["x", {"y": None}], "ok": True}
    records, _ = run(lines_of(record), default_stripper)
    assert list(records[0]) == list(record)
    assert {k: v for k, v in records[0].items() if k != "text"} == \
        {k: v for k, v in record.items() if k != "text"}


def test_another_field_can_be_cleaned(default_stripper):
    records, _ = run(lines_of({"text": "keep me as is", "body": REPORT}), default_stripper,
                     field="body")
    assert records[0] == {"text": "keep me as is", "body": default_stripper.clean(REPORT)}


def test_meta_reports_removed_characters_kinds_and_model(default_stripper):
    records, _ = run(lines_of({"text": REPORT}), default_stripper, meta=True)
    meta = records[0]["stripper"]
    assert meta["removed_chars"] == len(REPORT) - len(records[0]["text"])
    assert meta["model"] == default_stripper.version
    assert sum(meta["kinds"].values()) == len(
        [b for b in default_stripper.classify(REPORT) if b.label == "boilerplate"])


def test_a_null_field_passes_through(default_stripper):
    records, stats = run(lines_of({"text": None, "id": 7}), default_stripper)
    assert records == [{"text": None, "id": 7}]


def test_a_malformed_line_fails_naming_its_number(default_stripper):
    data = lines_of({"text": SHORT}, {"text": SHORT}, '{"text": "cut off')
    with pytest.raises(InputError, match=r"<stdin>:3: malformed JSON"):
        run(data, default_stripper)


@pytest.mark.parametrize("line, reason", [
    ('["a list"]', "not a JSON object"),
    ('{"title": "no text"}', "no 'text' field"),
    ('{"text": 5}', "field 'text' is not a string"),
])
def test_records_without_a_text_field_are_malformed(default_stripper, line, reason):
    with pytest.raises(InputError, match=f"<stdin>:2: {reason}"):
        run(lines_of({"text": SHORT}, line), default_stripper)


def test_invalid_utf8_is_a_malformed_line(default_stripper):
    with pytest.raises(InputError, match="<stdin>:1: not valid UTF-8"):
        run(b'{"text": "\xff"}\n', default_stripper)


def test_skip_drops_malformed_lines_and_goes_on(default_stripper):
    data = lines_of({"id": 1, "text": SHORT}, "{oops", {"id": 3, "text": SHORT})
    records, stats = run(data, default_stripper, on_error="skip")
    assert [r["id"] for r in records] == [1, 3]
    assert len(stats.skipped) == 1 and stats.skipped[0].startswith("<stdin>:2:")


def test_every_complete_record_goes_out_before_a_malformed_line_stops_the_run(
        default_stripper):
    sink = io.BytesIO()
    data = lines_of(*[{"text": "Short line."}] * (CHUNK + 1), "{broken")
    with pytest.raises(InputError, match=f":{CHUNK + 2}:"):
        clean_jsonl(io.BytesIO(data), sink, default_stripper)
    assert len(sink.getvalue().splitlines()) == CHUNK + 1


def test_a_line_over_the_limit_is_read_past_and_the_next_line_is_cleaned(default_stripper):
    data = lines_of({"id": 1, "text": SHORT}, {"id": 2, "text": "x" * 300_000},
                    {"id": 3, "text": SHORT})
    records, stats = run(data, default_stripper, on_error="skip", max_record_bytes=1000)
    assert [r["id"] for r in records] == [1, 3]
    assert len(stats.skipped) == 1 and stats.skipped[0].startswith("<stdin>:2: record: larger")


def test_a_byte_order_mark_on_the_first_line_is_ignored(default_stripper):
    records, _ = run(b"\xef\xbb\xbf" + lines_of({"text": SHORT}), default_stripper)
    assert records[0]["text"] == default_stripper.clean(SHORT)


def test_cli_cleans_stdin_to_stdout(default_stripper):
    result = CliRunner().invoke(main, ["clean", "--jsonl"], input=lines_of({"text": REPORT}))
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {"text": default_stripper.clean(REPORT)}


def test_cli_malformed_line_exits_1_with_its_number():
    result = CliRunner().invoke(main, ["clean", "--jsonl"], input=b"{}\n")
    assert result.exit_code == 1
    assert "<stdin>:1: no 'text' field" in result.stderr
    assert "Traceback" not in result.output


def test_cli_skip_warns_and_exits_0():
    result = CliRunner().invoke(main, ["clean", "--jsonl", "--on-error", "skip"],
                                input=lines_of("nope", {"text": SHORT}))
    assert result.exit_code == 0
    assert "skipped <stdin>:1:" in result.stderr
    assert len(result.stdout.splitlines()) == 1


def test_cli_gzip_file_in_and_out(tmp_path, default_stripper):
    source = tmp_path / "in.jsonl.gz"
    with gzip.open(source, "wb") as handle:
        handle.write(lines_of({"text": REPORT}, {"text": SHORT}))
    target = tmp_path / "out.jsonl.gz"
    result = CliRunner().invoke(main, ["clean", "--jsonl", str(source), "-o", str(target)])
    assert result.exit_code == 0, result.stderr
    records = [json.loads(line) for line in gzip.decompress(target.read_bytes()).splitlines()]
    assert [r["text"] for r in records] == default_stripper.clean_many([REPORT, SHORT])


def test_cli_failed_file_run_leaves_no_output(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_bytes(lines_of({"text": SHORT}, "not json"))
    target = tmp_path / "out.jsonl"
    result = CliRunner().invoke(main, ["clean", "--jsonl", str(source), "-o", str(target)])
    assert result.exit_code == 1
    assert f"{source}:2:" in result.stderr
    assert list(tmp_path.iterdir()) == [source]
