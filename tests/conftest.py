"""Shared fixtures: paths, the default model, our example article, model copies.

Tests that need the workspace's shared material (``../shared`` beside the
repository) take the ``shared`` fixture, which skips when it is absent.
"""

import os
import shutil
from pathlib import Path

# The model's gradient-boosted trees predict through OpenMP; on a busy
# machine its thread start-up costs far more than the work on a few blocks.
# Set before anything loads the OpenMP runtime.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import pytest
from click.testing import CliRunner

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = Path(__file__).resolve().parent / "data"
MODELS_DIR = REPO_ROOT / "models"
SHARED_DIR = REPO_ROOT.parent / "shared"

#: Our own article of the example's shape, and what a clean must give back.
EXAMPLE_INPUT = DATA_DIR / "example-appeal.txt"
EXAMPLE_EXPECTED = DATA_DIR / "example-appeal.expected.txt"


def one_line_error(result, code=1):
    """Did a CliRunner result fail with ``code`` and exactly one ``Error:`` line, no traceback?"""
    lines = result.stderr.strip().splitlines()
    return (result.exit_code == code and len(lines) == 1 and lines[0].startswith("Error:")
            and "Traceback" not in result.stderr)


def read_exact(path):
    """A file's text with its line endings untouched."""
    return Path(path).read_bytes().decode("utf-8")


@pytest.fixture(scope="session")
def repo_root():
    """The repository's top directory."""
    return REPO_ROOT


@pytest.fixture
def shared():
    """The workspace's ``../shared`` directory; skips the test when absent."""
    if not SHARED_DIR.is_dir():
        pytest.skip(f"{SHARED_DIR} is absent")
    return SHARED_DIR


@pytest.fixture(scope="session")
def default_stripper():
    """One Stripper over the bundled model, shared by the whole session."""
    from stripper import Stripper  # here, so that black-box test files never import it
    return Stripper()


@pytest.fixture(scope="session")
def appeal_text():
    """Our example article: hard-wrapped reporting, a legal note, an appeal."""
    return read_exact(EXAMPLE_INPUT)


@pytest.fixture(scope="session")
def appeal_expected():
    """What cleaning our example article must give: its reporting and legal note."""
    return read_exact(EXAMPLE_EXPECTED)


@pytest.fixture
def runner():
    """A click test runner (stdout and stderr kept apart)."""
    return CliRunner()


def copy_model(directory):
    """Copy the bundled model folder (card and arrays) into ``directory``; return it."""
    shutil.copytree(MODELS_DIR, directory, ignore=shutil.ignore_patterns("__init__.py",
                                                                          "__pycache__"))
    return directory


@pytest.fixture
def model_copy(tmp_path):
    """A private, intact copy of the bundled model folder."""
    return copy_model(tmp_path / "model")


@pytest.fixture
def tampered_model(tmp_path):
    """A copy of the model with one byte of an array flipped: its SHA-256 no longer matches."""
    directory = copy_model(tmp_path / "tampered")
    path = directory / "unit_coef.npy"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    return directory
