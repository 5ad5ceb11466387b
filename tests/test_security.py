"""Models are data: loading a model can never run code.

A model is a folder of ``.npy`` arrays and a JSON card listing each
array's SHA-256, dtype and shape. Loading checks every digest, reads the
arrays with ``allow_pickle=False`` and refuses anything that is not plain
numbers, so a model from a stranger can at worst be wrong and refused. No
model is ever picked up from the current directory.
"""

import json
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from stripper import Stripper, modelfile
from stripper.cli import main
from stripper.errors import ModelError

TEXT = "The council approved the budget on Tuesday by nine votes to four.\n"


@pytest.fixture(autouse=True)
def fresh_model_cache():
    """Every test loads models itself, not from another test's cache."""
    modelfile._load.cache_clear()
    yield
    modelfile._load.cache_clear()


class RunsCode:
    """Unpickling this creates ``marker``: proof that loading ran code."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def rewrite_card(directory, change):
    """Apply ``change`` to the model card in ``directory`` and write it back."""
    path = directory / modelfile.CARD_FILE
    card = json.loads(path.read_text())
    change(card)
    path.write_text(json.dumps(card))


def booby_trap(directory, marker, name="unit_coef"):
    """Replace array ``name`` with a pickled object array that runs code when unpickled,
    and make the card vouch for it (digest, dtype and shape as the file says)."""
    path = directory / f"{name}.npy"
    with open(path, "wb") as handle:
        np.save(handle, np.array([RunsCode(marker)], dtype=object), allow_pickle=True)

    def vouch(card):
        card["arrays"][name].update(sha256=modelfile.sha256_of(path), dtype="|O", shape=[1])
    rewrite_card(directory, vouch)
    return directory


# --- what a model is --------------------------------------------------------

def test_the_bundled_model_is_a_folder_of_arrays_and_a_card():
    directory = modelfile.default_model_path()
    card = modelfile.read_card(directory)
    assert sorted(p.name for p in directory.glob("*.npy")) == \
        sorted(entry["file"] for entry in card["arrays"].values())
    assert not list(directory.glob("*.joblib")) and not list(directory.glob("*.pkl"))


def test_every_array_is_plain_numbers():
    model = modelfile.load_model()
    assert all(array.dtype.kind in "biuf" for array in model.arrays.values())


def test_cleaning_imports_neither_scikit_learn_nor_joblib():
    code = ("import sys, stripper; stripper.clean('A line of news.\\nSupport us today!\\n'); "
            "print(sorted(m for m in ('sklearn', 'joblib', 'scipy', 'pickle5') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, cwd="/")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


# --- a model file that would run code ---------------------------------------

def test_a_pickled_array_is_refused(model_copy, tmp_path):
    booby_trap(model_copy, tmp_path / "code-ran")
    with pytest.raises(ModelError, match="plain numbers|not the|dtype"):
        Stripper(model=model_copy).clean(TEXT)


def test_a_pickled_array_never_runs_its_code(model_copy, tmp_path):
    marker = tmp_path / "code-ran"
    booby_trap(model_copy, marker)
    with pytest.raises(ModelError):
        modelfile.load_model(model_copy)
    assert not marker.exists()


def test_a_joblib_or_pickle_file_given_as_model_is_refused_unread(tmp_path, runner):
    marker = tmp_path / "code-ran"
    path = tmp_path / "stripper.joblib"
    path.write_bytes(pickle.dumps(RunsCode(marker)))
    result = runner.invoke(main, ["clean", "--model", str(path)], input=TEXT)
    assert result.exit_code == 1 and "not a model folder" in result.stderr
    assert not marker.exists()


# --- the digest check -------------------------------------------------------

def test_tampered_array_is_refused_naming_it(tampered_model):
    with pytest.raises(ModelError, match="unit_coef.npy does not match the SHA-256"):
        modelfile.load_model(tampered_model)


def test_cli_refuses_a_tampered_model_in_one_line(runner, tampered_model):
    result = runner.invoke(main, ["clean", "--model", str(tampered_model)], input=TEXT)
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 1 and len(lines) == 1 and "SHA-256" in lines[0]


def test_missing_array_is_refused(model_copy):
    (model_copy / "kind_coef.npy").unlink()
    with pytest.raises(ModelError, match="missing"):
        modelfile.load_model(model_copy)


def test_an_array_of_another_shape_than_its_card_says_is_refused(model_copy):
    path = model_copy / "unit_intercept.npy"
    np.save(path, np.zeros(3), allow_pickle=False)
    rewrite_card(model_copy, lambda card: card["arrays"]["unit_intercept"].update(
        sha256=modelfile.sha256_of(path)))
    with pytest.raises(ModelError, match="shape"):
        modelfile.load_model(model_copy)


def test_an_array_file_outside_the_model_folder_is_never_read(model_copy, tmp_path):
    outside = tmp_path / "elsewhere.npy"
    np.save(outside, np.zeros(1), allow_pickle=False)
    rewrite_card(model_copy, lambda card: card["arrays"]["unit_intercept"].update(
        file="../elsewhere.npy"))
    with pytest.raises(ModelError, match="missing"):
        modelfile.load_model(model_copy)


def test_model_without_card_is_refused(model_copy):
    (model_copy / modelfile.CARD_FILE).unlink()
    with pytest.raises(ModelError, match="not a model folder"):
        modelfile.load_model(model_copy)


def test_card_that_is_not_json_is_refused(model_copy):
    (model_copy / modelfile.CARD_FILE).write_text("{not json")
    with pytest.raises(ModelError, match="unreadable"):
        modelfile.load_model(model_copy)


def test_card_of_another_format_is_refused(model_copy):
    rewrite_card(model_copy, lambda card: card.update(format=1))
    with pytest.raises(ModelError, match="format"):
        modelfile.load_model(model_copy)


def test_intact_copy_cleans_like_the_bundled_model(model_copy):
    assert Stripper(model=model_copy).clean(TEXT) == Stripper().clean(TEXT)


def test_the_card_file_itself_may_be_named(model_copy):
    assert Stripper(model=model_copy / modelfile.CARD_FILE).clean(TEXT) == \
        Stripper().clean(TEXT)


def test_security_policy_says_models_are_data(repo_root):
    policy = (repo_root / "SECURITY.md").read_text(encoding="utf-8")
    assert "allow_pickle=False" in policy and "never run" in policy


# --- nothing implicit from the current directory ----------------------------

def stripper_command():
    """The installed console script (not ``python -m``, which puts the cwd on sys.path)."""
    script = Path(sys.executable).with_name("stripper")
    return [str(script)] if script.exists() else [shutil.which("stripper")]


def test_model_in_current_directory_is_ignored(tmp_path, model_copy):
    marker = tmp_path / "code-ran"
    shutil.copytree(booby_trap(model_copy, marker), tmp_path / "cwd" / "models")
    done = subprocess.run([*stripper_command(), "clean"], input=TEXT, capture_output=True,
                          text=True, cwd=tmp_path / "cwd", timeout=300)
    assert done.returncode == 0, done.stderr
    assert not marker.exists() and done.stdout == Stripper().clean(TEXT)


def test_default_model_path_does_not_depend_on_current_directory(tmp_path, monkeypatch):
    before = modelfile.default_model_path()
    monkeypatch.chdir(tmp_path)
    (tmp_path / modelfile.CARD_FILE).write_text("{}")
    assert modelfile.default_model_path() == before and tmp_path not in before.parents
