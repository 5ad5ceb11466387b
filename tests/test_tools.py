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
