"""Builds stripper's one compiled module; the metadata lives in pyproject.toml.

``stripper._core`` is plain C on the CPython API and the buffer protocol,
so building needs a C compiler and the Python headers, nothing from PyPI
beyond setuptools. Where it cannot be built the install still succeeds and
``stripper.native`` falls back to its numpy twin, with a warning.
"""

import sys

from setuptools import Extension, setup

if sys.platform == "win32":
    COMPILE_ARGS = ["/O2"]
else:
    # No fused multiply-add: the C must round exactly as its numpy twin does.
    COMPILE_ARGS = ["-O2", "-ffp-contract=off"]

setup(
    ext_modules=[
        Extension(
            "stripper._core",
            sources=["stripper/_core.c"],
            extra_compile_args=COMPILE_ARGS,
            optional=True,
        )
    ]
)
