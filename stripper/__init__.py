"""stripper: keep the reporting, drop the page debris.

>>> from stripper import clean, classify
>>> clean(text)                # the article without appeals, buttons, menus
>>> classify(text)             # every block with label, kind, score and span
>>> Stripper().clean_many(texts)  # one loaded model, batched
"""

import logging

__version__ = "0.1.0"

from .api import Stripper, classify, clean  # noqa: E402
from .blocks import Block  # noqa: E402
from .core import Cleaned  # noqa: E402
from .errors import InputError, ModelError, OptionError, OutputError, StripperError  # noqa: E402
from .settings import Settings  # noqa: E402

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = ["Block", "Cleaned", "Stripper", "Settings", "classify", "clean", "StripperError",
           "ModelError", "InputError", "OptionError", "OutputError", "__version__"]
