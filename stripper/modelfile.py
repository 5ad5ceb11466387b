"""Saving and loading the model bundle and its JSON card.

A joblib file can run code when it is loaded, so a model is only unpickled
after its SHA-256 matches the digest recorded in the card beside it. The
default model ships inside the package; nothing is ever loaded implicitly
from the current directory.
"""

import hashlib
import json
import logging
import os
import platform
from functools import lru_cache
from pathlib import Path

from .atomic import open_atomic, write_atomic
from .errors import ModelError

log = logging.getLogger(__name__)

MODEL_FILE = "stripper.joblib"
CARD_FILE = "stripper.json"
FORMAT = 1
RETRAIN = "retrain with `stripper train`"


def default_model_path():
    """The bundled default model, shipped as the ``stripper.models`` package.

    Run from a source checkout without installing, the package is not
    there; the checkout's own ``models/`` (beside the package directory,
    never the working directory) is used instead.
    """
    try:
        from importlib.resources import files
        return Path(str(files("stripper.models").joinpath(MODEL_FILE)))
    except ModuleNotFoundError:
        return Path(__file__).resolve().parent.parent / "models" / MODEL_FILE


def card_path(model_path):
    """The JSON card that sits beside a model file."""
    return Path(model_path).with_name(CARD_FILE) if Path(model_path).name == MODEL_FILE \
        else Path(model_path).with_suffix(".json")


def sha256_of(path):
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def library_versions():
    """Versions of the libraries a model file depends on."""
    import joblib
    import numpy
    import scipy
    import sklearn
    from . import __version__
    return {"python": platform.python_version(), "stripper": __version__,
            "scikit-learn": sklearn.__version__, "numpy": numpy.__version__,
            "scipy": scipy.__version__, "joblib": joblib.__version__}


def save_model(bundle, card, directory):
    """Write ``stripper.joblib`` and its card into ``directory`` atomically.

    The card gains the model file's SHA-256. Returns the card as written.
    """
    import joblib
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    model_path = directory / MODEL_FILE
    with open_atomic(model_path, compress=False) as handle:
        joblib.dump(bundle, handle, compress=3)
    card = _json_safe({**card, "model_file": MODEL_FILE, "sha256": sha256_of(model_path)})
    write_atomic(card_path(model_path),
                 json.dumps(card, indent=2, sort_keys=True, allow_nan=False) + "\n")
    return card


def _json_safe(value):
    """The card with NaN (a figure with nothing to count) written as null."""
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(item) for item in value]
    if isinstance(value, float) and value != value:
        return None
    if hasattr(value, "item"):  # numpy scalars
        return _json_safe(value.item())
    return value


def read_card(model_path):
    """The card of a model file; :class:`ModelError` if it is missing or broken."""
    path = card_path(model_path)
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"model card {path} is missing; {RETRAIN}") from None
    except (OSError, ValueError) as error:
        raise ModelError(f"model card {path} is unreadable ({error}); {RETRAIN}") from None


def load_model(model_path=None, trust=False):
    """Load a model (a :class:`stripper.scoring.Model`), once per path; verify its digest first.

    With ``trust=True`` a digest mismatch or a missing card is logged and
    the file is loaded anyway: only for files whose origin you trust.
    """
    path = Path(model_path) if model_path else default_model_path()
    return _load_resolved(str(path.resolve()), bool(trust))


@lru_cache(maxsize=8)
def _load_resolved(path, trust):
    if not os.path.isfile(path):
        raise ModelError(f"model file {path} not found" + (
            f"; the installed package is incomplete, reinstall stripper"
            if path == str(default_model_path().resolve()) else ""))
    card = _verified_card(path, trust)
    import joblib
    try:
        bundle = joblib.load(path)
    except Exception as error:  # a corrupt pickle can raise almost anything
        raise ModelError(f"model file {path} cannot be loaded ({type(error).__name__}); "
                         f"{RETRAIN}") from None
    if not isinstance(bundle, dict) or bundle.get("format") != FORMAT:
        raise ModelError(f"model file {path} has an unknown format; {RETRAIN}")
    from .features import FEATURES_VERSION
    if bundle.get("features") != FEATURES_VERSION:
        raise ModelError(f"model file {path} was trained on other features; {RETRAIN}")
    bundle["card"] = card
    log.info("loaded model %s", path)
    from .scoring import Model
    return Model(bundle)


def _verified_card(path, trust):
    try:
        card = read_card(path)
        expected = card.get("sha256")
        actual = sha256_of(path)
        if expected != actual:
            raise ModelError(f"model file {path} does not match the SHA-256 in its card; "
                             f"{RETRAIN}")
        return card
    except ModelError:
        if not trust:
            raise
        log.warning("loading %s without a verified card (--trust-model)", path)
        return {}
