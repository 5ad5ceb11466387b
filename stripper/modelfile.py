"""Model files: a folder of plain arrays and a JSON card that names them.

A model is data, never code. Its folder holds ``card.json`` and one
``.npy`` file per array. The card lists every array with its dtype, shape
and SHA-256; loading reads the card, checks each file's digest, and maps
the arrays read-only with ``allow_pickle=False``, so a file from a
stranger can at worst be wrong (and then it is refused), never run code.
No model is ever picked up from the current directory: the default is the
one shipped inside the package.
"""

import hashlib
import json
import logging
import os
import platform
from functools import lru_cache
from pathlib import Path

import numpy as np

from .atomic import open_atomic, write_atomic
from .errors import ModelError

log = logging.getLogger(__name__)

CARD_FILE = "card.json"
#: The layout of a model folder this code reads and writes.
FORMAT = 2
#: A card larger than this is not a card.
LARGEST_CARD = 4 << 20
#: The array dtypes a model may hold: numbers only, never objects.
NUMERIC_KINDS = "biuf"


def default_model_path():
    """The bundled default model's folder, shipped as the ``stripper.models`` package.

    Run from a source checkout without installing, the package is not
    there; the checkout's own ``models/`` (beside the package directory,
    never the working directory) is used instead.
    """
    try:
        from importlib.resources import files
        return Path(str(files("stripper.models")))
    except ModuleNotFoundError:
        return Path(__file__).resolve().parent.parent / "models"


def sha256_of(path):
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def library_versions():
    """Versions of the libraries that trained a model."""
    import numpy
    import scipy
    import sklearn
    from . import __version__
    return {"python": platform.python_version(), "stripper": __version__,
            "scikit-learn": sklearn.__version__, "numpy": numpy.__version__,
            "scipy": scipy.__version__}


def save_model(directory, arrays, card):
    """Write ``arrays`` (name -> numpy array) and ``card`` into ``directory``.

    Each array is written atomically as ``NAME.npy``; the card gains the
    format, and every array's file, dtype, shape and SHA-256, and is
    written last, so a folder whose card is complete holds every array it
    names. Returns the card as written.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    listed = {}
    for name, array in sorted(arrays.items()):
        array = np.ascontiguousarray(array)
        if array.dtype.kind not in NUMERIC_KINDS:
            raise ModelError(f"array {name} has dtype {array.dtype}: models hold numbers only")
        path = directory / f"{name}.npy"
        with open_atomic(path, compress=False) as handle:
            np.save(handle, array, allow_pickle=False)
        listed[name] = {"file": path.name, "dtype": array.dtype.str, "shape": list(array.shape),
                        "sha256": sha256_of(path)}
    card = _json_safe({**card, "format": FORMAT, "arrays": listed})
    write_atomic(directory / CARD_FILE,
                 json.dumps(card, indent=2, sort_keys=True, allow_nan=False) + "\n")
    return card


def _json_safe(value):
    """``value`` with NaN (a figure with nothing to count) written as null."""
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(item) for item in value]
    if isinstance(value, float) and value != value:
        return None
    if hasattr(value, "item"):  # numpy scalars
        return _json_safe(value.item())
    return value


def model_directory(path=None):
    """The model folder ``path`` names (a folder, or its ``card.json``), or the default."""
    if path is None:
        return default_model_path()
    path = Path(path)
    return path.parent if path.name == CARD_FILE else path


def read_card(path=None):
    """The card of the model at ``path``; :class:`ModelError` if missing or broken."""
    card_file = model_directory(path) / CARD_FILE
    try:
        if card_file.stat().st_size > LARGEST_CARD:
            raise ModelError(f"model card {card_file} is too large to be a card")
        card = json.loads(card_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        if path is not None and not Path(path).exists():
            raise ModelError(f"model {path} not found") from None
        raise ModelError(f"{_where(path)}: not a model folder (no {CARD_FILE})") from None
    except NotADirectoryError:
        raise ModelError(f"{path}: not a model folder; a model is a folder with a "
                         f"{CARD_FILE} and its .npy arrays") from None
    except (OSError, ValueError) as error:
        raise ModelError(f"model card {card_file} is unreadable ({error})") from None
    if not isinstance(card, dict) or card.get("format") != FORMAT \
            or not isinstance(card.get("arrays"), dict):
        raise ModelError(f"model card {card_file} is not a format-{FORMAT} stripper card")
    return card


def _where(path):
    return model_directory(path) if path is not None else "the bundled model"


def load_model(path=None):
    """The model at ``path`` (default: the bundled one) as a :class:`stripper.scoring.Model`.

    Loaded once per folder. Every array's digest is checked against the
    card first; a mismatch, a missing file, a non-numeric array or one
    that would need unpickling is a :class:`ModelError`.
    """
    return _load(str(model_directory(path).resolve()))


@lru_cache(maxsize=8)
def _load(directory):
    from .scoring import Model
    card = read_card(directory)
    arrays = {name: _load_array(Path(directory), name, entry)
              for name, entry in card["arrays"].items()}
    log.info("loaded model %s", directory)
    return Model(arrays, card)


def _load_array(directory, name, entry):
    try:
        path = directory / Path(entry["file"]).name  # never outside the model folder
        expected = (entry["sha256"], np.dtype(entry["dtype"]), tuple(entry["shape"]))
    except (KeyError, TypeError, ValueError):
        raise ModelError(f"model card in {directory} lists array {name!r} badly") from None
    if not path.is_file():
        raise ModelError(f"model array {path} is missing")
    if sha256_of(path) != expected[0]:
        raise ModelError(f"model array {path} does not match the SHA-256 in its card "
                         f"(changed or damaged since it was written)")
    try:
        array = np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError) as error:
        raise ModelError(f"model array {path} cannot be read as plain numbers "
                         f"({error})") from None
    if array.dtype != expected[1] or array.shape != expected[2] \
            or array.dtype.kind not in NUMERIC_KINDS:
        raise ModelError(f"model array {path} is not the {expected[1]} array of shape "
                         f"{expected[2]} its card lists")
    return array
