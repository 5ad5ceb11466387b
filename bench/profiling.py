"""Where ``clean_many`` spends its time, grouped by what the work is for.

Two views of the same batch:

- **cProfile** names the functions: the top ones by own and by cumulative
  time, and own time summed per group. A function outside stripper (a
  builtin, numpy, ``dataclasses.replace``) hands its own time to the groups
  of its callers, in proportion to the time each call site spent in it.
  cProfile adds a fixed cost to every Python call, so code made of millions
  of tiny calls (generator expressions) looks dearer under it than it is.
- **Sampling** gives the shares to trust: every millisecond of CPU the
  kernel interrupts the process (SIGPROF), and the CPU used since the last
  look is charged to the innermost stripper function on the stack that
  belongs to a group. It adds no cost per call.

Groups are named by patterns on ``stripper/FILE.py:FUNCTION`` (and on the
compiled core's builtins), so a renamed function falls to its caller's
group, or to "other", rather than breaking the harness.
"""

import cProfile
import pstats
import re
import signal
import time
from collections import Counter
from pathlib import Path

#: What each part of stripper is for; the first pattern that matches a
#: function wins. Scoring glue (memo look-ups, stacking arrays) and the
#: API around the batch are "other".
GROUPS = (
    ("splitting", r"stripper/blocks\.py:|stripper/native\.py:split_lines$"
                  r"|stripper/scoring\.py:split$|_core\.split_lines"),
    ("n-gram hashing", r"stripper/native\.py:hash_ngrams$|stripper/features\.py:(prepared|counts)$"
                       r"|_core\.hash_ngrams"),
    ("tf-idf/dot", r"stripper/native\.py:(linear_decision|tfidf_weights|sparse_dot)$"
                   r"|stripper/features\.py:(decision|weights)$"
                   r"|stripper/scoring\.py:(scores_alone|scores_alone_of|kinds)$"
                   r"|_core\.(linear_decision|tfidf_weights|sparse_dot)"),
    ("shape numbers", r"stripper/features\.py:(shape_numbers|unit_numbers)$"),
    ("context trees", r"stripper/context\.py:|stripper/native\.py:tree_predict$"
                      r"|_core\.tree_predict"),
    ("rendering", r"stripper/render\.py:"
                  r"|stripper/core\.py:(advance|result|_in_source|_stretches|_strip_span)$"),
    ("decision rules", r"stripper/core\.py:"),
)
OTHER = "other"
GROUP_NAMES = tuple(name for name, _ in GROUPS) + (OTHER,)
_COMPILED = tuple((name, re.compile(pattern)) for name, pattern in GROUPS)
#: CPU seconds between two looks at the stack (as asked of the kernel).
SAMPLE_INTERVAL = 0.001
#: Times the sampled view cleans the batch.
PASSES = 3


def group_of(key):
    """The group a function key (``stripper/FILE.py:NAME`` or a builtin's name) is in, or None."""
    for name, pattern in _COMPILED:
        if pattern.search(key):
            return name
    return None


def _package_dir():
    import stripper
    return str(Path(stripper.__file__).resolve().parent) + "/"


def function_key(filename, name, package_dir):
    """``stripper/FILE.py:NAME`` for stripper's code, the builtin's name for builtins."""
    if filename.startswith(package_dir):
        return f"stripper/{filename[len(package_dir):]}:{name}"
    if filename == "~":
        return name
    for marker in ("site-packages/", "lib/python"):
        if marker in filename:
            return f"{filename.split(marker, 1)[1]}:{name}"
    return f"{Path(filename).name}:{name}"


def profile(stripper, texts, top=12):
    """Both views of ``stripper.clean_many(texts)``: top functions and per-group shares."""
    stripper.clean(texts[0])  # the model loaded outside both views
    return {"documents": len(texts), **cprofile_view(stripper, texts, top),
            "sampled": sampled_view(stripper, texts)}


# ------------------------------------------------------------------ cProfile

def cprofile_view(stripper, texts, top):
    """cProfile's top functions, and its own time summed per group."""
    profiler = cProfile.Profile()
    profiler.enable()
    stripper.clean_many(texts)
    profiler.disable()
    stats = pstats.Stats(profiler).stats
    package = _package_dir()
    keys = {func: function_key(func[0], func[2], package) for func in stats}
    rows = [{"where": f"{keys[func]} (line {func[1]})" if func[1] else keys[func],
             "calls": calls, "own_s": own, "cumulative_s": cumulative}
            for func, (_, calls, own, cumulative, _) in stats.items()]
    groups = Counter()
    memo = {}
    for func, (_, _, own, _, _) in stats.items():
        for name, share in _shares(func, stats, keys, memo, set()).items():
            groups[name] += own * share
    return {"total_s": sum(groups.values()),
            "groups": {name: groups.get(name, 0.0) for name in GROUP_NAMES},
            "rows": sorted(rows, key=lambda row: -row["cumulative_s"])[:top],
            "own_rows": sorted(rows, key=lambda row: -row["own_s"])[:top]}


def _shares(func, stats, keys, memo, visiting):
    """{group: share} of ``func``'s own time: its own group, else its callers' groups."""
    if func in memo:
        return memo[func]
    group = group_of(keys[func])
    callers = stats[func][4] if func in stats else {}
    if group:
        shares = {group: 1.0}
    elif not callers or func in visiting:
        shares = {OTHER: 1.0}
    else:
        visiting.add(func)
        total = sum(edge[2] for edge in callers.values())
        shares = Counter()
        for caller, edge in callers.items():
            weight = edge[2] / total if total else 1 / len(callers)
            for name, share in _shares(caller, stats, keys, memo, visiting).items():
                shares[name] += weight * share
        visiting.discard(func)
    if not visiting:  # a share found inside a cycle is partial; only whole ones are kept
        memo[func] = shares
    return shares


# ------------------------------------------------------------------ sampling

class _Looks:
    """A SIGPROF handler: charges the CPU used since the last look to the stack's group.

    The kernel sends SIGPROF each time this process has used
    :data:`SAMPLE_INTERVAL` of CPU; Python runs the handler in the main
    thread at its next bytecode, with the frame it was in. During a call
    into C (the compiled core) that is just after the call returns, still
    inside the wrapper that made it, so the call is charged to the right
    group. (A sampling thread would not do: it can only look when the
    cleaning thread lets go of the GIL, and the core lets go of it in
    ``split_lines``, which then drew the looks of all the work around it.)
    """

    def __init__(self, package_dir):
        self.package_dir = package_dir
        self.seconds = Counter()
        self.count = 0
        self.last = time.process_time()

    def __call__(self, signum, frame):
        now = time.process_time()
        self.seconds[self.group_of_stack(frame)] += now - self.last
        self.last, self.count = now, self.count + 1

    def group_of_stack(self, frame):
        """The group of the innermost stripper function on the stack that has one."""
        while frame is not None:
            code = frame.f_code
            if code.co_filename.startswith(self.package_dir):
                group = group_of(function_key(code.co_filename, code.co_name, self.package_dir))
                if group:
                    return group
            frame = frame.f_back
        return OTHER


def sampled_view(stripper, texts, passes=PASSES):
    """CPU seconds of ``clean_many`` per group, by sampling the stack on SIGPROF.

    The kernel's tick makes the looks coarser than asked (about one per
    4 ms here), so the batch is cleaned ``passes`` times for enough looks.
    """
    looks = _Looks(_package_dir())
    previous = signal.signal(signal.SIGPROF, looks)
    try:
        started = looks.last = time.process_time()
        signal.setitimer(signal.ITIMER_PROF, SAMPLE_INTERVAL, SAMPLE_INTERVAL)
        for _ in range(passes):
            stripper.clean_many(texts)
        signal.setitimer(signal.ITIMER_PROF, 0)
        cpu = time.process_time() - started
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)
    return {"cpu_s": cpu, "looks": looks.count, "passes": passes,
            "groups": {name: looks.seconds.get(name, 0.0) for name in GROUP_NAMES}}
