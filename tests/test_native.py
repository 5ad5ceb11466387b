"""The compiled core (stripper._core) against its numpy twin (stripper.native).

The twin is the specification: every test that compares them requires
identical results. The core must be built wherever the package is
installed, so a missing core fails here rather than skipping; the twin's
own tests force it with ``use_core=False``.
"""

import collections
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stripper import native
from stripper.corpus import load_fixtures

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURES = REPO_ROOT / "fixtures"
REAL_PAGES = REPO_ROOT.parent / "shared" / "data" / "real-pages" / "docs"

#: Every code point, surrogates included (Hypothesis leaves them out unless
#: no category is excluded).
any_char = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=[])
#: Text heavy in what the definitions turn on: word characters, whitespace
#: of every kind (line breaks included), punctuation and surrogates.
tricky = st.text(alphabet=st.sampled_from(
    "ab_Z9é\u0663\u00b2ß.,-'\x00\ud800\udfff\U0001f600"
    " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u2028\u2029\u3000"), max_size=60)
texts = st.one_of(st.text(alphabet=any_char, max_size=80), tricky)
ranges = st.one_of(st.none(), st.tuples(st.integers(1, 5), st.integers(0, 3)).map(
    lambda pair: (pair[0], pair[0] + pair[1])))
bits = st.integers(1, 20)


def assert_same(got, expected):
    """Identical arrays: values, dtypes and shapes."""
    for g, e in zip(got, expected, strict=True):
        assert g.dtype == e.dtype and g.shape == e.shape
        assert np.array_equal(g, e)


def both_hashes(batch, *args):
    core = native.hash_ngrams(batch, *args, use_core=True)
    twin = native.hash_ngrams(batch, *args, use_core=False)
    assert_same(core, twin)
    return core


def reference_counts(text, word, char, word_bits, char_bits):
    """Bucket counts straight from the definitions: n-gram strings, hash64."""
    counts, offset = collections.Counter(), 0
    if word is not None:
        for gram in native.word_ngrams(text, *word):
            counts[native.hash64(native.WORD_SEED, gram) & ((1 << word_bits) - 1)] += 1
        offset = 1 << word_bits
    if char is not None:
        for gram in native.char_ngrams(text, *char):
            counts[offset + (native.hash64(native.CHAR_SEED, gram) & ((1 << char_bits) - 1))] += 1
    return sorted(counts.items())


def rows_of(csr):
    indptr, indices, counts = csr
    return [list(zip(indices[a:b].tolist(), counts[a:b].tolist()))
            for a, b in zip(indptr[:-1], indptr[1:])]


def fixture_texts():
    return [doc.text for doc in load_fixtures([FIXTURES])]


def real_page_texts():
    """The workspace's real pages (read in place, never copied), or a skip."""
    if not REAL_PAGES.is_dir():
        pytest.skip(f"{REAL_PAGES} is absent")
    return [json.loads(p.read_text(encoding="utf-8"))["text"]
            for p in sorted(REAL_PAGES.glob("*.json"))]


CORPORA = {"fixtures": fixture_texts, "real pages": real_page_texts}


def units(text):
    """What the scorer hashes: each non-blank line, lower-cased."""
    return [text[a:b].lower() for a, b in native.split_lines(text)]


# ------------------------------------------------------------------ the core

def test_core_is_built():
    import stripper._core  # noqa: F401  an installed package must have it

    assert native.HAVE_CORE


def test_hash_is_as_documented():
    # Values pinned so that a change of hash, which would silently void
    # every trained model, cannot pass unnoticed.
    assert native.hash64(native.WORD_SEED, "ab") == native.fmix64(
        ((native.WORD_SEED * native.K + 97) * native.K + 98) % 2 ** 64)
    pinned = {(native.CHAR_SEED, " a "): 0x377B606447AB36A6,
              (native.WORD_SEED, "the cat"): 0xFD1986ACD6B9B25B,
              (native.CHAR_SEED, " \ud800\x00 "): 0x086D0A0E2145F35A}
    for (seed, gram), value in pinned.items():
        assert native.hash64(seed, gram) == value
    low = 2 ** 30 - 1
    for use_core in (True, False):
        _, indices, _ = native.hash_ngrams(["the cat"], (2, 2), None, 30, None,
                                           use_core=use_core)
        assert indices.tolist() == [0xFD1986ACD6B9B25B & low]
        _, indices, _ = native.hash_ngrams(["a"], None, (3, 3), None, 30, use_core=use_core)
        assert indices.tolist() == [0x377B606447AB36A6 & low]
        _, indices, _ = native.hash_ngrams(["\ud800\x00"], None, (4, 4), None, 30,
                                           use_core=use_core)
        assert indices.tolist() == [0x086D0A0E2145F35A & low]


# --------------------------------------------------------------- n-grams

@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(texts, max_size=5), ranges, ranges, bits, bits)
def test_hash_ngrams_core_equals_twin(batch, word, char, word_bits, char_bits):
    both_hashes(batch, word, char, word_bits, char_bits)


@settings(max_examples=150, deadline=None)
@given(st.lists(texts, max_size=3), ranges, ranges, bits, bits)
def test_hash_ngrams_follows_the_definitions(batch, word, char, word_bits, char_bits):
    got = rows_of(native.hash_ngrams(batch, word, char, word_bits, char_bits))
    assert got == [reference_counts(t, word, char, word_bits, char_bits) for t in batch]


@settings(max_examples=100, deadline=None)
@given(st.lists(texts, min_size=1, max_size=4))
def test_rows_are_sorted_unique_and_count_every_ngram(batch):
    indptr, indices, counts = both_hashes(batch, (1, 2), (2, 4), 4, 4)
    for row, text in zip(rows_of((indptr, indices, counts)), batch):
        columns = [c for c, _ in row]
        assert columns == sorted(set(columns))
        assert all(0 <= c < 32 for c in columns)
        total = len(native.word_ngrams(text, 1, 2)) + len(native.char_ngrams(text, 2, 4))
        assert sum(n for _, n in row) == total


def test_dense_rows_equal_sorted_rows():
    # A row that may have more n-grams than there are columns is counted
    # densely; the same text in a wide column space is sorted instead.
    text = "the cat sat on the mat " * 400
    wide = rows_of(both_hashes([text], (1, 3), (2, 5), 20, 20))[0]
    narrow = rows_of(both_hashes([text], (1, 3), (2, 5), 6, 6))[0]
    assert narrow == reference_counts(text, (1, 3), (2, 5), 6, 6)
    assert sum(n for _, n in wide) == sum(n for _, n in narrow)


def test_word_characters_are_isalnum_or_underscore():
    # One text per code point, each hashed alone: a row has a word unigram
    # exactly where the character is a word character, and character
    # n-grams exactly where it is not whitespace.
    chars = [chr(c) for c in range(0x110000)]
    word = np.diff(native.hash_ngrams(chars, (1, 1), None, 8, None)[0]) > 0
    assert word.tolist() == [c.isalnum() or c == "_" for c in chars]
    assert word.tolist() == [re.fullmatch(r"\w", c) is not None for c in chars]
    pieces = np.diff(native.hash_ngrams(chars, None, (1, 1), None, 8)[0]) > 0
    assert pieces.tolist() == [not c.isspace() for c in chars]


def test_ngrams_are_todays_ngrams():
    # The same n-grams as the mmh3 scorer being replaced, hash aside.
    inference = pytest.importorskip("stripper.inference")
    if not hasattr(inference, "_char_wb_ngrams"):
        pytest.skip("stripper.inference no longer has its n-gram helpers")
    for text in fixture_texts()[:40]:
        for unit in units(text):
            tokens = re.findall(r"(?u)\b\w+\b", unit)
            assert collections.Counter(native.word_ngrams(unit, 1, 2)) == \
                collections.Counter(inference._word_ngrams(tokens, 1, 2))
            assert collections.Counter(native.char_ngrams(unit, 2, 4)) == \
                collections.Counter(inference._char_wb_ngrams(unit, 2, 4))


@pytest.mark.parametrize("corpus", CORPORA)
def test_corpus_core_equals_twin(corpus):
    for text in CORPORA[corpus]():
        both_hashes(units(text), (1, 2), (2, 4), 18, 18)
        both_hashes([text.lower(), text], (1, 3), (3, 5), 12, 14)


def test_all_string_kinds_and_empties():
    batch = ["", " ", "\x00", "a\x00b", "abc \ud800 def", "\udfff", "ascii words",
             "latin é ü", "ελληνικά", "emoji \U0001f600 x", "\u3000\u3000",
             "tab\tsep\nline", "a" * 1000, " " * 1000]
    both_hashes(batch, (1, 2), (2, 4), 18, 18)
    both_hashes(batch, None, (1, 1), None, 3)
    both_hashes(batch, (1, 4), None, 2, None)
    both_hashes(batch, None, None, 18, 18)


def test_arguments_are_checked():
    for use_core in (True, False):
        with pytest.raises(TypeError):
            native.hash_ngrams(["a", b"b"], use_core=use_core)
        with pytest.raises(ValueError):
            native.hash_ngrams(["a"], (2, 1), use_core=use_core)
        with pytest.raises(ValueError):
            native.hash_ngrams(["a"], (1, 2), word_bits=31, use_core=use_core)
        with pytest.raises(ValueError):
            native.hash_ngrams(["a"], (1, native.MAX_N + 1), use_core=use_core)


def test_columns_and_blocks():
    assert native.column_count() == 2 ** 19
    assert native.column_count(None, (2, 4), 18, 10) == 2 ** 10
    assert native.analyzer_blocks().tolist() == [0, 2 ** 18, 2 ** 19]
    assert native.analyzer_blocks((1, 1), None, 5).tolist() == [0, 32]


def run_python(code, directory):
    """Run ``code`` in a child Python that imports the same stripper as this
    one (not, say, a source tree without the built core in the current
    directory)."""
    environment = {**os.environ, "PYTHONPATH": str(Path(native.__file__).resolve().parents[1])}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, cwd=directory, env=environment)


def test_hostile_strings_do_not_crash(tmp_path):
    # In a child process, so that a segfault fails the test instead of the run.
    code = r"""
from stripper import native
bad = ['abc \ud800 def', '\ud800', '\udfff\ud800', 'a\x00b', '\x00' * 100,
       '\U0010ffff\ud800 \x00', 'x' * 100000 + '\ud800']
for use_core in (True, False):
    for text in bad:
        native.hash_ngrams([text], use_core=use_core)
        native.hash_ngrams([text], (1, 64), (1, 64), 1, 1, use_core=use_core)
        native.split_lines(text, use_core=use_core)
print('survived')
"""
    done = run_python(code, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "survived"


def growth(work, small, large, repeats=3):
    """Cost of ``work(large)`` over ``work(small)``: best CPU times of
    interleaved runs, so that a busy machine skews both alike."""
    best = {}
    for _ in range(repeats):
        for text in (small, large):
            start = time.process_time()
            work(text)
            best[len(text)] = min(best.get(len(text), float("inf")),
                                  time.process_time() - start)
    return best[len(large)] / max(best[len(small)], 1e-6)


@pytest.mark.parametrize("unit", ["a", " ", ".", "a\n"])
def test_linear_time(unit):
    # One word, all space, all punctuation, and two million lines: 4 MB costs
    # about 8 times what 0.5 MB does; quadratic work would cost 64 times. The
    # bound is halfway, in ratio, for what is linear but not flat: 32 MB of
    # spans fault in fresh pages where 4 MB reuse the allocator's (about 18x).
    small, large = unit * (500_000 // len(unit)), unit * (4_000_000 // len(unit))
    assert growth(lambda t: native.split_lines(t), small, large) < 32
    if unit != "a\n":
        assert growth(lambda t: native.hash_ngrams([t]), small, large) < 32


# ------------------------------------------------------------ split lines

def test_split_lines_examples():
    text = "  one \r\n\r\ntwo\rthree\x0b\x0cfour\x1c\x85five\u2028 six \u2029\t"
    expected = [(2, 5), (10, 13), (14, 19), (21, 25), (27, 31), (33, 36)]
    for use_core in (True, False):
        got = native.split_lines(text, use_core=use_core)
        assert got.dtype == np.int64 and got.shape == (6, 2)
        assert [tuple(s) for s in got.tolist()] == expected
        assert native.split_lines("", use_core=use_core).shape == (0, 2)


def assert_lines_agree(text):
    core = native.split_lines(text, use_core=True)
    assert_same([core], [native.split_lines(text, use_core=False)])
    from stripper.blocks import split_lines

    assert [tuple(s) for s in core.tolist()] == split_lines(text)


@settings(max_examples=300, deadline=None)
@given(texts)
def test_split_lines_equals_blocks(text):
    assert_lines_agree(text)


@pytest.mark.parametrize("corpus", CORPORA)
def test_split_lines_on_the_corpus(corpus):
    for text in CORPORA[corpus]():
        assert_lines_agree(text)


def test_split_lines_classifies_every_character():
    chars = [chr(c) for c in range(0x110000)]
    # Each code point as a line of its own: kept exactly where it is not
    # whitespace (str.isspace, what str.strip removes).
    kept = np.flatnonzero([not c.isspace() for c in chars]) * 2
    expected = np.column_stack([kept, kept + 1])
    for use_core in (True, False):
        assert np.array_equal(native.split_lines("\n".join(chars), use_core=use_core), expected)
    # Each code point between two letters: two lines exactly where it is a
    # line break, as stripper.blocks defines them.
    breaks = set("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
    split = np.array([c in breaks for c in chars])
    starts = np.arange(len(chars)) * 4
    expected = np.concatenate([
        np.column_stack([starts[~split], starts[~split] + 3]),
        np.column_stack([starts[split], starts[split] + 1]),
        np.column_stack([starts[split] + 2, starts[split] + 3])])
    expected = expected[np.lexsort((expected[:, 1], expected[:, 0]))]
    for use_core in (True, False):
        got = native.split_lines("\n".join(f"a{c}b" for c in chars), use_core=use_core)
        assert np.array_equal(got, expected)
    from stripper.blocks import LINE_BREAK

    assert {c for c in breaks | {"\t", " ", "\x1f"} if LINE_BREAK.fullmatch(c)} == breaks


# ----------------------------------------------------------------- trees

@pytest.fixture(scope="module")
def fitted_trees():
    from sklearn.ensemble import HistGradientBoostingClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, 8))
    X[rng.random(X.shape) < 0.1] = np.nan
    y = (np.nan_to_num(X[:, 0], nan=1.0) + X[:, 1] ** 2 > 0.5).astype(int)
    model = HistGradientBoostingClassifier(max_iter=40, max_leaf_nodes=15, random_state=0)
    model.fit(X, y)
    return model, native.export_hist_gradient_boosting(model)


def test_tree_predict_equals_scikit_learn(fitted_trees):
    model, trees = fitted_trees
    rng = np.random.default_rng(1)
    X = rng.normal(size=(3000, 8)) * 2
    X[rng.random(X.shape) < 0.2] = np.nan
    X[:5] = np.inf
    X[5:10] = -np.inf
    expected = model._raw_predict(X).ravel()
    core = native.tree_predict(X, trees, use_core=True)
    assert np.allclose(core, expected, rtol=0, atol=1e-12)
    assert np.allclose(core, model.decision_function(X), rtol=0, atol=1e-12)
    assert_same([core], [native.tree_predict(X, trees, use_core=False)])


def test_tree_export_types(fitted_trees):
    _, trees = fitted_trees
    for name, dtype in native.TREE_ARRAYS.items():
        assert trees[name].dtype == dtype
    assert trees["baseline"].dtype == np.float64 and trees["baseline"].shape == ()


def test_tree_predict_takes_todays_export(fitted_trees):
    context = pytest.importorskip("stripper.context")
    if not hasattr(context, "export_trees"):
        pytest.skip("stripper.context no longer exports trees")
    model, trees = fitted_trees
    X = np.random.default_rng(2).normal(size=(50, 8))
    assert_same([native.tree_predict(X, context.export_trees(model))],
                [native.tree_predict(X, trees)])


def test_empty_inputs_to_trees(fitted_trees):
    _, trees = fitted_trees
    for use_core in (True, False):
        assert native.tree_predict(np.zeros((0, 8)), trees, use_core=use_core).shape == (0,)


@pytest.mark.parametrize("damage", ["cycle", "self", "child", "feature", "root"])
def test_malformed_trees_are_refused(fitted_trees, damage):
    _, trees = fitted_trees
    broken = {name: np.array(a, copy=True) for name, a in trees.items()}
    inner = int(np.flatnonzero(broken["leaf"] == 0)[3])
    if damage == "cycle":
        broken["left"][inner] = broken["roots"][0]
    elif damage == "self":
        broken["right"][inner] = inner
    elif damage == "child":
        broken["left"][inner] = len(broken["left"])
    elif damage == "feature":
        broken["feature"][inner] = 8
    else:
        broken["roots"][-1] = -1
    for use_core in (True, False):
        with pytest.raises(ValueError):
            native.tree_predict(np.zeros((3, 8)), broken, use_core=use_core)


def test_core_checks_arrays_it_is_handed(fitted_trees):
    # stripper.native converts arrays; the core itself must still refuse
    # wrong ones rather than read them wrongly.
    from stripper import _core

    _, trees = fitted_trees
    arrays = [trees[name] for name in native.TREE_ARRAYS]
    X, out = np.zeros((3, 8)), np.empty(3)
    _core.tree_predict(X, *arrays, 0.0, out)
    with pytest.raises(TypeError):  # int64 features
        _core.tree_predict(X, arrays[0].astype(np.int64), *arrays[1:], 0.0, out)
    with pytest.raises((TypeError, ValueError, BufferError)):  # not contiguous
        _core.tree_predict(np.zeros((3, 16))[:, ::2], *arrays, 0.0, out)
    with pytest.raises((TypeError, ValueError, BufferError)):  # read-only output
        _core.tree_predict(X, *arrays, 0.0, np.frombuffer(bytes(24)))
    with pytest.raises(ValueError):  # output of the wrong length
        _core.tree_predict(X, *arrays, 0.0, np.empty(4))


# -------------------------------------------------------- linear scoring

def random_counts(rng, rows, columns):
    lengths = rng.integers(0, 12, size=rows)
    lengths[::7] = 0  # empty rows
    indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    indices = np.concatenate([np.sort(rng.choice(columns, n, replace=False)) for n in lengths]
                             + [np.zeros(0)]).astype(np.int32)
    counts = rng.integers(1, 20, size=len(indices)).astype(np.int32)
    return indptr, indices, counts


@pytest.mark.parametrize("sublinear", [False, True])
@pytest.mark.parametrize("idf_type", [None, np.float32, np.float64])
@pytest.mark.parametrize("blocks", [None, [0, 64], [0, 20, 64], [0, 5, 40, 64]])
def test_tfidf_core_equals_twin(sublinear, idf_type, blocks):
    rng = np.random.default_rng(3)
    csr = random_counts(rng, 200, 64)
    idf = None if idf_type is None else rng.uniform(0.5, 3, size=64).astype(idf_type)
    core = native.tfidf_weights(*csr, idf, sublinear, blocks, use_core=True)
    twin = native.tfidf_weights(*csr, idf, sublinear, blocks, use_core=False)
    assert_same([core], [twin])
    if blocks is not None:  # each non-empty block of a row now has norm 1
        indptr, indices, _ = csr
        for row in range(len(indptr) - 1):
            part = slice(indptr[row], indptr[row + 1])
            block = np.searchsorted(blocks, indices[part], side="right")
            for b in np.unique(block):
                assert np.isclose(np.linalg.norm(core[part][block == b]), 1.0)


def test_tfidf_and_dot_refuse_bad_input():
    csr = (np.array([0, 2], np.int64), np.array([1, 9], np.int32), np.array([1, 0], np.int32))
    for use_core in (True, False):
        with pytest.raises(ValueError):  # column outside idf
            native.tfidf_weights(*csr, np.ones(5), use_core=use_core)
        with pytest.raises(ValueError):  # zero count under sublinear tf
            native.tfidf_weights(*csr, None, True, use_core=use_core)
        with pytest.raises(ValueError):  # column outside the blocks
            native.tfidf_weights(*csr, None, False, [0, 5], use_core=use_core)
        with pytest.raises(ValueError):  # indptr not ending at nnz
            native.tfidf_weights(csr[0][:1], *csr[1:], use_core=use_core)
        with pytest.raises(ValueError):  # column outside W
            native.sparse_dot(*csr[:2], np.ones(2), np.ones((1, 5)), use_core=use_core)


@pytest.mark.parametrize("classes", [2, 4])
def test_logistic_regression_on_tfidf_matches_the_scorer(classes):
    # Training weighs a CSR with tfidf_weights and fits; scoring then gives
    # the fitted model's own decision values.
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(4)
    words = ["news", "report", "donate", "subscribe", "city", "share", "said", "click",
             "council", "menu", "the", "a", "today", "support"]
    docs = [" ".join(rng.choice(words, size=rng.integers(0, 15))) for _ in range(400)]
    y = np.array([sum(map(len, d.split())) % classes for d in docs])
    spec = ((1, 2), (2, 4), 10, 10)
    indptr, indices, counts = native.hash_ngrams(docs, *spec)
    ncols = native.column_count(*spec)
    idf = rng.uniform(1, 4, size=ncols)
    blocks = native.analyzer_blocks(*spec)
    data = native.tfidf_weights(indptr, indices, counts, idf, True, blocks)
    X = csr_matrix((data, indices, indptr), shape=(len(docs), ncols))
    model = LogisticRegression(C=10, max_iter=2000).fit(X, y)
    expected = model.decision_function(X).reshape(len(docs), -1)
    for use_core in (True, False):
        got = native.linear_decision(indptr, indices, counts, model.coef_, model.intercept_,
                                     idf=idf, sublinear=True, norm_blocks=blocks,
                                     use_core=use_core)
        assert np.allclose(got, expected, rtol=0, atol=1e-9)
    W32 = model.coef_.astype(np.float32)
    assert_same([native.sparse_dot(indptr, indices, data, W32, use_core=True)],
                [native.sparse_dot(indptr, indices, data, W32, use_core=False)])


# ------------------------------------------------------------- fallback

def test_fallback_warns_once_and_works(tmp_path):
    # A child process where the core cannot be imported.
    code = r"""
import logging, sys
sys.modules['stripper._core'] = None  # makes 'from . import _core' fail
logging.basicConfig(level=logging.WARNING)
import importlib
from stripper import native
importlib.import_module('stripper.native')
assert not native.HAVE_CORE
print(native.hash_ngrams(['abc \ud800 def'])[1].tolist())
print(native.split_lines(' a \n b').tolist())
try:
    native.split_lines('x', use_core=True)
except ImportError:
    print('refused')
"""
    done = run_python(code, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("stripper._core is not built") == 1
    lines = done.stdout.splitlines()
    assert lines[0] == str(native.hash_ngrams(["abc \ud800 def"])[1].tolist())
    assert lines[1] == "[[1, 2], [5, 6]]"
    assert lines[2] == "refused"


def test_use_core_false_never_touches_the_core(monkeypatch):
    monkeypatch.setattr(native, "_core", None)
    monkeypatch.setattr(native, "HAVE_CORE", False)
    assert native.hash_ngrams(["a b"])[0].tolist() == [0, 9]
    assert native.split_lines("x").tolist() == [[0, 1]]
    with pytest.raises(ImportError):
        native.hash_ngrams(["a"], use_core=True)


# ------------------------------------------------------------ site prints

#: Text heavy in what site prints turn on: numbers and their separators,
#: template marks, sentence ends and closing quotes, case, whitespace.
site_text = st.text(alphabet=st.sampled_from(
    "aZé ß1\u0663#-–—:|•.!?…»\"'”’)(°,;\n\t\xa0\u2028\U0001f600\ud800"), max_size=60)
site_texts = st.one_of(site_text, st.text(alphabet=any_char, max_size=40))
SEEDS = (3, 5, 7, (1 << 64) - 1)


@st.composite
def text_and_spans(draw):
    text = draw(site_texts)
    n = len(text)
    pairs = draw(st.lists(st.tuples(st.integers(0, n), st.integers(0, n)), max_size=6))
    return text, [(min(a, b), max(a, b)) for a, b in pairs]


@settings(max_examples=300, deadline=None)
@given(st.lists(site_texts, max_size=6), st.sampled_from(SEEDS))
def test_hash_strings_is_hash64(strings, seed):
    expected = np.array([native.hash64(seed, s) for s in strings], dtype=np.uint64)
    for use_core in (True, False):
        got = native.hash_strings(strings, seed, use_core=use_core)
        assert_same([got], [expected])


@settings(max_examples=400, deadline=None)
@given(text_and_spans(), st.integers(0, 6))
def test_span_prints_core_equals_twin(case, count):
    text, spans = case
    count = min(count, len(spans))
    core = native.span_prints(text, spans, count, *SEEDS, use_core=True)
    twin = native.span_prints(text, spans, count, *SEEDS, use_core=False)
    assert_same(core[:6], twin[:6])
    assert core[6] == twin[6]


@settings(max_examples=200, deadline=None)
@given(text_and_spans())
def test_span_prints_follow_their_definitions(case):
    text, spans = case
    exact, near, has_word, _, tokens, ends, digest = native.span_prints(
        text, spans, len(spans), *SEEDS)
    forms = [" ".join(text[a:b].split()) for a, b in spans]
    assert exact.tolist() == [native.hash64(SEEDS[0], f) for f in forms]
    assert digest == native.hash64(SEEDS[3], " ".join(forms))
    words = [re.findall(r"\w+|#", native.NUMBER.sub("#", f)) for f in forms]
    assert near.tolist() == [native.hash64(SEEDS[2], " ".join(w)) for w in words]
    assert has_word.tolist() == [any(x != "#" for x in w) for w in words]
    assert tokens.tolist() == [native.hash64(SEEDS[1], x) for w in words for x in w]
    assert ends.tolist() == np.cumsum([len(w) for w in words], dtype=np.int64).tolist()


@settings(max_examples=400, deadline=None)
@given(text_and_spans(), st.sampled_from([0, 1, 2, 4]))
def test_piece_spans_core_equals_twin(case, edge):
    text, spans = case
    assert_same(native.piece_spans(text, spans, edge, use_core=True),
                native.piece_spans(text, spans, edge, use_core=False))


@st.composite
def token_lists(draw):
    hashes = draw(st.lists(st.integers(0, (1 << 64) - 1), max_size=30))
    cuts = sorted(draw(st.lists(st.integers(0, len(hashes)), max_size=6)))
    select = draw(st.one_of(st.none(), st.lists(st.booleans(), min_size=len(cuts),
                                                max_size=len(cuts))))
    return np.array(hashes, dtype=np.uint64), np.array(cuts, dtype=np.int64), select


def sketch_by_definition(hashes, ends, select, bins):
    values, start = set(), 0
    for k, end in enumerate(ends.tolist()):
        chunk = hashes[start:end].tolist()
        start = end
        if not chunk or (select is not None and not select[k]):
            continue
        chunk += [0] * max(0, native.SHINGLE - len(chunk))
        for i in range(len(chunk) - native.SHINGLE + 1):
            x = 0
            for h, mult in zip(chunk[i:i + native.SHINGLE], native.SHINGLE_MULTIPLIERS):
                x ^= (h * mult) & ((1 << 64) - 1)
            values.add(native.fmix64(x))
    sketch = [native.EMPTY] * bins
    for v in values:
        sketch[v % bins] = min(sketch[v % bins], v)
    return np.array(sketch, dtype=np.uint64), len(values)


@settings(max_examples=300, deadline=None)
@given(token_lists(), st.sampled_from([1, 7, 64]))
def test_shingle_sketch_follows_its_definition(case, bins):
    hashes, ends, select = case
    expected, count = sketch_by_definition(hashes, ends, select, bins)
    for use_core in (True, False):
        sketch, got = native.shingle_sketch(hashes, ends, select, bins, use_core=use_core)
        assert_same([sketch], [expected])
        assert got == count


@pytest.mark.parametrize("use_core", [True, False])
def test_site_print_functions_refuse_bad_arguments(use_core):
    with pytest.raises(TypeError):
        native.hash_strings(["a", 1], 0, use_core=use_core)
    with pytest.raises(ValueError):
        native.span_prints("abc", [(0, 4)], 0, *SEEDS, use_core=use_core)
    with pytest.raises(ValueError):
        native.span_prints("abc", [(2, 1)], 0, *SEEDS, use_core=use_core)
    with pytest.raises(ValueError):
        native.span_prints("abc", [(0, 1)], 2, *SEEDS, use_core=use_core)
    with pytest.raises(ValueError):
        native.piece_spans("abc", [(-1, 2)], 0, use_core=use_core)
    with pytest.raises(ValueError):
        native.piece_spans("abc", [(0, 2)], -1, use_core=use_core)
    with pytest.raises(ValueError):
        native.shingle_sketch(np.zeros(3, np.uint64), [2, 1], use_core=use_core)
    with pytest.raises(ValueError):
        native.shingle_sketch(np.zeros(3, np.uint64), [4], use_core=use_core)
    with pytest.raises(ValueError):
        native.shingle_sketch(np.zeros(3, np.uint64), [3], [True, False], use_core=use_core)
    with pytest.raises(ValueError):
        native.shingle_sketch(np.zeros(3, np.uint64), [3], None, 0, use_core=use_core)


def test_site_prints_on_the_corpus():
    for text in fixture_texts()[:40]:
        spans = native.split_lines(text)
        assert_same(native.piece_spans(text, spans, 4, use_core=True),
                    native.piece_spans(text, spans, 4, use_core=False))
        core = native.span_prints(text.casefold(), spans, len(spans), *SEEDS, use_core=True)
        twin = native.span_prints(text.casefold(), spans, len(spans), *SEEDS, use_core=False)
        assert_same(core[:6], twin[:6])


# --------------------------------------------------------- character classes

def test_char_classes_count_as_str_does_for_every_code_point():
    texts = [chr(c) for c in range(0x110000)]
    counts = native.char_classes(texts, 1200, 300, use_core=True)
    expected = np.array([(t.isalpha(), t.isupper(), t.isdigit()) for t in texts], np.int64)
    assert (counts == expected).all()


@given(st.lists(st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF)),
                max_size=6), st.integers(0, 9), st.integers(0, 9))
def test_char_classes_core_equals_twin(texts, head, tail):
    assert (native.char_classes(texts, head, tail, use_core=True)
            == native.char_classes(texts, head, tail, use_core=False)).all()


def test_char_classes_read_only_the_head_and_tail_of_a_long_text():
    text = "AB" + "x" * 100 + "9C"
    assert native.char_classes([text], 2, 2).tolist() == [[3, 3, 1]]  # "AB" and "9C"


# ------------------------------------------------------------- word counts

#: Words as features.SECOND_PERSON holds them: short, some with apostrophes.
VOCABULARY = frozenset({"you", "you're", "ваш", "du", "a_b", "9"})
#: Text heavy in what the word definition turns on: apostrophes of both kinds
#: between and after word characters, digits of other scripts, underscores.
wordy = st.text(alphabet=st.sampled_from(
    "youYOU're'\u2019 ваш du_9\u0663\u00b2ß.\u0301\u0307\ud800\n"), max_size=60)


def test_word_counts_find_words_as_the_regex_does_for_every_code_point():
    texts = [chr(c) + "'" + chr(c) for c in range(0x110000)]
    counts = native.word_counts(texts, frozenset(), use_core=True)[:, 0]
    expected = [len(native.WORD.findall(text)) for text in texts]
    assert counts.tolist() == expected


@given(st.lists(st.one_of(wordy, st.text(alphabet=any_char, max_size=40)), max_size=6))
def test_word_counts_core_equals_twin(texts):
    assert (native.word_counts(texts, VOCABULARY, use_core=True)
            == native.word_counts(texts, VOCABULARY, use_core=False)).all()


def test_word_counts_look_up_whole_words_only():
    counts = native.word_counts(["you're youth you, du'", "d_u"], VOCABULARY)
    # "you're", "you" and "du" (the apostrophe ends it) are found; "youth" and "d_u" are not.
    assert counts.tolist() == [[4, 3], [1, 0]]


@pytest.mark.parametrize("use_core", [True, False])
def test_word_counts_refuse_what_is_not_str(use_core):
    with pytest.raises(TypeError, match=r"texts\[1\]"):
        native.word_counts(["a", b"b"], VOCABULARY, use_core=use_core)
