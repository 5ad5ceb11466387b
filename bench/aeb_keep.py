"""Issue 2's real-page check: does stripper keep what trafilatura kept?

Runs trafilatura on every scrapinghub-aeb page, then stripper on its output,
and reports the share of ground-truth ``articleBody`` tokens present in
trafilatura's output that stripper's output still holds (target >= 0.99).
Tokens are counted as bags (a word kept twice by trafilatura must be kept
twice by stripper).

    python -m bench.aeb_keep [--limit N] [--worst K]
"""

import argparse
import sys
import time
from collections import Counter

from .pages import aeb_pages, extract_all, tokens

TARGET = 0.99


def kept_truth(truth, first, second):
    """(truth tokens ``first`` kept, of those the ones ``second`` also kept)."""
    in_first = Counter(tokens(first)) & Counter(tokens(truth))
    in_both = Counter(tokens(second)) & in_first
    return sum(in_first.values()), sum(in_both.values())


def keep_share(truths, firsts, seconds):
    """Pooled share, and per page (index, share, tokens lost), worst first."""
    pooled_base = pooled_kept = 0
    per_page = []
    for index, (truth, first, second) in enumerate(zip(truths, firsts, seconds)):
        base, kept = kept_truth(truth, first, second)
        pooled_base += base
        pooled_kept += kept
        if base:
            per_page.append((index, kept / base, base - kept))
    per_page.sort(key=lambda row: (-row[2], row[1]))
    share = pooled_kept / pooled_base if pooled_base else 1.0
    return share, per_page


def measure(limit=None, stripper=None):
    """Run the check; returns a dict of figures, or None without the shared data."""
    from stripper import Stripper
    pages = aeb_pages(limit)
    if pages is None:
        return None
    extracted, extract_cpu = extract_all(pages)
    stripper = stripper or Stripper()
    started = time.process_time()
    stripped = stripper.clean_many(extracted)
    strip_cpu = time.process_time() - started
    share, per_page = keep_share([p.truth for p in pages], extracted, stripped)
    return {"pages": len(pages), "share": share, "target": TARGET,
            "pages_below": sum(1 for _, s, _ in per_page if s < TARGET),
            "worst": [(pages[i].id, s, lost) for i, s, lost in per_page],
            "extract_cpu": extract_cpu, "strip_cpu": strip_cpu}


def main(argv=None):
    """Command line: print the keep share and the pages that lost most."""
    parser = argparse.ArgumentParser(prog="python -m bench.aeb_keep", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, help="only the first N pages")
    parser.add_argument("--worst", type=int, default=10, help="list the K pages that lost most")
    args = parser.parse_args(argv)
    result = measure(args.limit)
    if result is None:
        print("scrapinghub-aeb not found under ../shared/data; nothing to measure")
        return 0
    verdict = "met" if result["share"] >= TARGET else "NOT met"
    print(f"pages: {result['pages']}")
    print(f"truth tokens kept by trafilatura that stripper also keeps: {result['share']:.4f} "
          f"(target >= {TARGET}: {verdict})")
    print(f"pages below target: {result['pages_below']}")
    for page_id, share, lost in result["worst"][:args.worst]:
        print(f"  {page_id[:16]}  kept {share:.3f}  lost {lost} tokens")
    return 0 if result["share"] >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
