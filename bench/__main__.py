"""``python -m bench``: run the benchmark harness."""

from .run import main

if __name__ == "__main__":
    main()
