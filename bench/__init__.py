"""Benchmarks: stripper against its peers, quality and speed in one run.

Run ``python -m bench`` (``--quick`` for a smaller sample) from the
repository root after ``pip install -e .[bench]``; it writes
``bench/RESULTS.md`` and the PNG charts beside it. See :mod:`bench.run`.

Figures are per core, so importing this package pins BLAS and OpenMP to one
thread before numpy or scikit-learn load (a value already set wins).
"""

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
