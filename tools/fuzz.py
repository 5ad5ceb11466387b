"""Run the fuzzing properties of tests/test_fuzz.py for many more examples.

    python tools/fuzz.py                  # 2000 examples per property
    python tools/fuzz.py --examples 20000 --seed 7

Prints, per property, how many cases were tried and the total; exits 1 with
Hypothesis's minimal failing example if a property breaks.
"""

import argparse
import importlib.util
import os
import sys
import time
from pathlib import Path

# The model's trees predict through OpenMP; thread start-up dominates on
# the one-text batches a fuzzer makes. Set before anything loads OpenMP.
os.environ.setdefault("OMP_NUM_THREADS", "1")

from hypothesis import HealthCheck, given, settings  # noqa: E402

TESTS = Path(__file__).resolve().parents[1] / "tests" / "test_fuzz.py"


def load_properties():
    """The ``PROPERTIES`` mapping (check function -> strategy) of test_fuzz.py."""
    spec = importlib.util.spec_from_file_location("test_fuzz", TESTS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.PROPERTIES


def run(check, strategy, examples, seed):
    """Run one property for ``examples`` cases; return how many were tried."""
    tried = 0

    def counted(value):
        nonlocal tried
        tried += 1
        check(value)
    runner = settings(max_examples=examples, deadline=None, database=None, derandomize=False,
                      suppress_health_check=list(HealthCheck))(given(strategy)(counted))
    if seed is not None:
        from hypothesis import seed as fixed_seed
        runner = fixed_seed(seed)(runner)
    runner()
    return tried


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=2000, help="cases per property")
    parser.add_argument("--seed", type=int, help="fix the random seed")
    args = parser.parse_args(argv)
    total, started = 0, time.monotonic()
    for check, strategy in load_properties().items():
        tried = run(check, strategy, args.examples, args.seed)
        total += tried
        print(f"{check.__name__:<55} {tried:>8} cases", flush=True)
    print(f"{'total':<55} {total:>8} cases in {time.monotonic() - started:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
