"""Model files are code: nothing is unpickled before its digest is checked.

A joblib file runs code when it is loaded. The bundled model and any
``--model`` are loaded only after their SHA-256 matches their card;
``--trust-model`` is the one, explicit, way round that; and no model is ever
picked up from the current directory.
"""

import json
import logging
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from stripper import Stripper, modelfile
from stripper.cli import main
from stripper.errors import ModelError

TEXT = "The council approved the budget on Tuesday by nine votes to four.\n"


@pytest.fixture(autouse=True)
def fresh_model_cache():
    """Every test loads models itself, not from another test's cache."""
    modelfile._load_resolved.cache_clear()
    yield
    modelfile._load_resolved.cache_clear()


class RunsCode:
    """Unpickling this creates ``marker``: proof that loading ran code."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def booby_trapped_model(directory, marker, card=True):
    """A ``stripper.joblib`` that runs code when loaded; its card matches if ``card``."""
    directory.mkdir(exist_ok=True)
    path = directory / modelfile.MODEL_FILE
    path.write_bytes(pickle.dumps(RunsCode(marker)))
    if card:
        digest = modelfile.sha256_of(path)
        (directory / modelfile.CARD_FILE).write_text(json.dumps({"sha256": digest}))
    return path


def drop_card(model_path):
    modelfile.card_path(model_path).unlink()
    return model_path


@pytest.fixture
def unpickled(monkeypatch):
    """Paths joblib.load was asked to open, in order."""
    import joblib
    opened, real_load = [], joblib.load

    def recording_load(path, *args, **kwargs):
        opened.append(str(path))
        return real_load(path, *args, **kwargs)
    monkeypatch.setattr(joblib, "load", recording_load)
    return opened


# --- the digest check -----------------------------------------------------

def test_tampered_model_is_refused_naming_stripper_train(tampered_model):
    with pytest.raises(ModelError, match="stripper train"):
        modelfile.load_model(tampered_model)


def test_tampered_model_is_never_unpickled(tampered_model, unpickled):
    with pytest.raises(ModelError):
        modelfile.load_model(tampered_model)
    assert unpickled == []


def test_bundled_model_is_checked_before_loading(monkeypatch, tampered_model, unpickled):
    monkeypatch.setattr(modelfile, "default_model_path", lambda: tampered_model)
    with pytest.raises(ModelError, match="SHA-256"):
        Stripper().model
    assert unpickled == []


def test_intact_copy_loads_with_its_card(model_copy):
    assert modelfile.load_model(model_copy).card["sha256"] == modelfile.sha256_of(model_copy)


def test_code_in_a_mismatched_model_never_runs(tmp_path):
    marker = tmp_path / "code-ran"
    path = booby_trapped_model(tmp_path / "evil", marker, card=False)
    (path.parent / modelfile.CARD_FILE).write_text(json.dumps({"sha256": "0" * 64}))
    with pytest.raises(ModelError):
        modelfile.load_model(path)
    assert not marker.exists()


def test_cli_refuses_tampered_model_in_one_line(runner, tmp_path, tampered_model):
    source = tmp_path / "in.txt"
    source.write_text(TEXT)
    result = runner.invoke(main, ["clean", str(source), "--model", str(tampered_model)])
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 1 and len(lines) == 1 and "stripper train" in lines[0]


# --- --model needs its card -----------------------------------------------

def test_model_without_card_is_refused(model_copy, unpickled):
    with pytest.raises(ModelError, match="card .* is missing"):
        modelfile.load_model(drop_card(model_copy))
    assert unpickled == []


def test_cli_refuses_model_without_card(runner, model_copy):
    result = runner.invoke(main, ["clean", "--model", str(drop_card(model_copy))], input=TEXT)
    assert result.exit_code == 1 and "card" in result.stderr


def test_trust_model_loads_model_without_card_with_a_warning(model_copy, caplog):
    with caplog.at_level(logging.WARNING, logger="stripper.modelfile"):
        bundle = modelfile.load_model(drop_card(model_copy), trust=True).bundle
    assert bundle["card"] == {} and "--trust-model" in caplog.text


def wrong_digest(model_path):
    """Make the card's SHA-256 disagree with the (intact) model file."""
    card = modelfile.card_path(model_path)
    card.write_text(json.dumps({**json.loads(card.read_text()), "sha256": "0" * 64}))
    return model_path


def test_mismatched_digest_is_refused(model_copy):
    with pytest.raises(ModelError, match="does not match"):
        modelfile.load_model(wrong_digest(model_copy))


def test_trust_model_loads_mismatched_model_with_a_warning(model_copy, caplog):
    with caplog.at_level(logging.WARNING, logger="stripper.modelfile"):
        bundle = modelfile.load_model(wrong_digest(model_copy), trust=True).bundle
    assert "detector" in bundle and "without a verified card" in caplog.text


def test_trust_model_cleans_with_an_unverified_intact_model(runner, model_copy):
    result = runner.invoke(main, ["clean", "--model", str(drop_card(model_copy)),
                                  "--trust-model"], input=TEXT)
    assert result.exit_code == 0 and result.stdout == Stripper().clean(TEXT)
    assert "warning" in result.stderr and "--trust-model" in result.stderr


def test_trust_model_help_states_the_risk(runner):
    help_text = " ".join(runner.invoke(main, ["clean", "--help"]).stdout.split())
    assert "--trust-model" in help_text and "can run code" in help_text


def test_security_policy_documents_trust_model(repo_root):
    policy = (repo_root / "SECURITY.md").read_text(encoding="utf-8")
    assert "--trust-model" in policy and "report" in policy.lower()


# --- nothing implicit from the current directory --------------------------

def stripper_command():
    """The installed console script (not ``python -m``, which puts the cwd on sys.path)."""
    script = Path(sys.executable).with_name("stripper")
    return [str(script)] if script.exists() else [shutil.which("stripper")]


def test_model_in_current_directory_is_ignored(tmp_path):
    marker = tmp_path / "code-ran"
    booby_trapped_model(tmp_path, marker)
    booby_trapped_model(tmp_path / "models", marker)
    done = subprocess.run([*stripper_command(), "clean"], input=TEXT, capture_output=True,
                          text=True, cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr
    assert not marker.exists() and done.stdout == Stripper().clean(TEXT)


def test_default_model_path_does_not_depend_on_current_directory(tmp_path, monkeypatch):
    before = modelfile.default_model_path()
    monkeypatch.chdir(tmp_path)
    (tmp_path / modelfile.MODEL_FILE).write_bytes(b"not a model")
    assert modelfile.default_model_path() == before and tmp_path not in before.parents
