"""The tools under tools/ accept the command lines their docstrings and README give."""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def load_tool(name):
    """tools/NAME.py as a module (tools/ is not a package)."""
    spec = importlib.util.spec_from_file_location(f"tool_{name}", ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_ablation_without_variants_runs_every_variant():
    ablation = load_tool("ablation")
    assert ablation.parse_args([]).variants == list(ablation.VARIANTS)


def test_ablation_runs_the_variants_named_in_order():
    ablation = load_tool("ablation")
    assert ablation.parse_args(["no-tail", "shipped"]).variants == ["no-tail", "shipped"]


def test_ablation_refuses_an_unknown_variant(capsys):
    ablation = load_tool("ablation")
    with pytest.raises(SystemExit) as stop:
        ablation.parse_args(["no-such"])
    assert stop.value.code == 2
    assert "unknown variant 'no-such'" in capsys.readouterr().err


def test_ablation_runs_each_variant_under_the_shuffles_named():
    ablation = load_tool("ablation")
    assert ablation.parse_args(["--shuffles", "0", "3"]).shuffles == [0, 3]


def test_ablation_summary_gives_the_mean_and_spread_of_several_runs():
    ablation = load_tool("ablation")
    assert ablation.summary([(0.25, None)]) == "0.250"
    assert ablation.summary([(0.2, None), (0.4, None)]) == "0.300 ± 0.141"


def test_ablation_marks_a_figure_whose_keep_target_was_not_reached():
    ablation = load_tool("ablation")
    result = {"operating_points": [
        {"keep_target": 0.99, "keep": 0.985, "remove": 0.33, "appeals_remove": 0.29},
        {"keep_target": 0.98, "keep": 0.981, "remove": 0.39, "appeals_remove": 0.35}]}
    at_99, at_98, appeals = ablation.figures(result)
    assert ablation.shown(at_99) == "0.330 (keep 0.985)"
    assert ablation.shown(at_98) == "0.390"
    assert "missed: 0.985" in ablation.summary([at_99, (0.3, None)])


def test_site_thresholds_default_to_its_table():
    tool = load_tool("site_thresholds")
    assert tool.parse_args([]).thresholds == list(tool.THRESHOLDS)


def test_site_thresholds_refuse_a_threshold_out_of_range():
    tool = load_tool("site_thresholds")
    with pytest.raises(SystemExit):
        tool.parse_args(["1.5"])


def test_site_thresholds_row_reads_both_modes():
    tool = load_tool("site_thresholds")
    mode = {"all": {"keep": 0.99751, "remove": 0.5031}, "appeals": {"remove": 0.53}}
    alone = {"all": {"keep": 0.9975, "remove": 0.111}, "appeals": {"remove": 0.086}}
    assert tool.row(0.98, {"per_page": alone, "batch": mode}) == \
        "| 0.98 | 0.9975 / 0.111 / 0.086 | 0.9975 / 0.503 / 0.530 |"
