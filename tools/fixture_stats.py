"""Summarise fixture batches: counts, languages, hard negatives, wrap, debris share.

Usage: python3 tools/fixture_stats.py fixtures/BATCH [...]
"""
import collections
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from stripper.corpus import check_fixtures, load_fixtures  # noqa: E402


def main(paths):
    problems = check_fixtures(paths)
    for problem in problems:
        print(problem)
    if problems:
        return 1
    docs = load_fixtures(paths)
    langs = collections.Counter(d.lang for d in docs)
    pubs = {d.meta["publication"] for d in docs}
    topics = collections.Counter(d.meta["topic"] for d in docs)
    negative = sum(d.meta.get("negative") == "yes" for d in docs)
    wrapped = sum(d.meta.get("wrapped") == "yes" for d in docs)
    kinds = collections.Counter(s.kind for d in docs for s in d.segments if s.label != "content")
    debris = sum(len(d.text[s.start:s.end].split()) for d in docs for s in d.segments if s.label == "boilerplate")
    total = sum(len(d.text[s.start:s.end].split()) for d in docs for s in d.segments)
    lines = [len([l for l in d.text.split("\n") if l.strip()]) for d in docs]
    print(f"documents {len(docs)}  publications {len(pubs)}  negative {negative}  wrapped {wrapped}")
    print(f"languages {dict(langs)}")
    print(f"topics {dict(topics)}")
    print(f"non-empty lines per doc: min {min(lines)} max {max(lines)}")
    print(f"debris share of tokens {debris / max(total, 1):.2f}")
    print(f"marked kinds {dict(kinds)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["fixtures"]))
