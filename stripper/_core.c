/*
 * stripper._core: the compiled hot path of stripper's scoring.
 *
 * Every function here has a numpy twin in stripper/native.py, which is the
 * executable specification (and the fallback when this module is not
 * built); tests/test_native.py checks that both give identical results.
 * Call these through stripper.native, which checks and converts arguments;
 * the checks here exist so that no argument, however wrong, can make this
 * code read or write out of bounds or loop forever.
 *
 * Arrays come in through the buffer protocol and results go out as
 * bytearrays (or into buffers the caller allocated), so building needs
 * only a C compiler and the Python headers, not numpy's.  No function keeps
 * state between calls.  Work on plain C data runs with the GIL released.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ hash */

/* The n-gram hash (documented in native.py):
 *     h = seed;  for each code point c:  h = h * HASH_K + c   (mod 2**64)
 *     hash = fmix64(h)
 * A polynomial over code point values: the same on every platform, defined
 * for lone surrogates and NUL, and extendable by concatenation, so word
 * n-grams are combined from per-token values without building strings.
 * fmix64 (MurmurHash3's 64-bit finaliser) makes every output bit depend on
 * every input bit, so the low bits taken as the bucket are well mixed. */
#define HASH_K UINT64_C(0x9E3779B97F4A7C15)
#define WORD_SEED UINT64_C(0x243F6A8885A308D3)
#define CHAR_SEED UINT64_C(0x13198A2E03707344)
#define MAX_N 64 /* longest n-gram, in tokens or characters */

static inline uint64_t
fmix64(uint64_t h)
{
    h ^= h >> 33;
    h *= UINT64_C(0xff51afd7ed558ccd);
    h ^= h >> 33;
    h *= UINT64_C(0xc4ceb9fe1a85ec53);
    h ^= h >> 33;
    return h;
}

/* ------------------------------------------------------------ characters */

typedef struct {
    int kind;
    const void *data;
    Py_ssize_t len;
} text_t;

static inline Py_UCS4
cp_at(const text_t *t, Py_ssize_t i)
{
    return PyUnicode_READ(t->kind, t->data, i);
}

/* [0-9A-Za-z_]: Py_UNICODE_ISALNUM is four table look-ups through function
 * calls, too slow for the ASCII that most text is made of. */
static const unsigned char ascii_word[128] = {
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1,
    ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1, ['_'] = 1,
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
    ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1,
    ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
    ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
    ['Y'] = 1, ['Z'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
    ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
    ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
    ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
    ['y'] = 1, ['z'] = 1,
};

/* A word character: str.isalnum() or '_', which is also what re's \w is. */
static inline int
is_word(Py_UCS4 c)
{
    return c < 128 ? ascii_word[c] : Py_UNICODE_ISALNUM(c);
}

/* The line breaks of str.splitlines() except that these are the ones
 * stripper.blocks honours: \n \r \v \f \x1c \x1d \x1e \x85 \u2028 \u2029. */
static inline int
is_break(Py_UCS4 c)
{
    return (c >= 0x0a && c <= 0x0d) || (c >= 0x1c && c <= 0x1e) ||
           c == 0x85 || c == 0x2028 || c == 0x2029;
}

/* --------------------------------------------------------------- buffers */

/* Grow *p (holding *cap items of `item` bytes) to at least `need` items. */
static int
grow(void **p, size_t *cap, size_t need, size_t item)
{
    size_t n = *cap ? *cap : 64;
    void *q;
    if (need <= *cap)
        return 0;
    while (n < need) {
        if (n > SIZE_MAX / 2 / item)
            return -1;
        n *= 2;
    }
    q = realloc(*p, n * item);
    if (!q)
        return -1;
    *p = q;
    *cap = n;
    return 0;
}

/* Does a buffer's struct format describe one native item of `want`?
 * `want` is 'i' int32, 'q' int64, 'd' float64, 'f' float32, 'B' uint8; the
 * C letter for a fixed width varies by platform ('l' is 4 or 8 bytes), so
 * integers are checked by letter class and size. */
static int
format_is(const Py_buffer *v, char want)
{
    const char *f = v->format ? v->format : "B";
    char c;
    if (*f == '@' || *f == '=')
        f++;
    c = f[0];
    if (c == '\0' || f[1] != '\0')
        return 0;
    switch (want) {
    case 'i':
        return v->itemsize == 4 && strchr("ilq", c) != NULL;
    case 'q':
        return v->itemsize == 8 && strchr("ilq", c) != NULL;
    case 'B':
        return v->itemsize == 1 && strchr("B?", c) != NULL;
    default:
        return c == want;
    }
}

/* A C-contiguous buffer of `ndim` dimensions holding `want` items (or, for
 * want 'F', float32 or float64).  The caller releases it. */
static int
get_array(PyObject *obj, Py_buffer *v, char want, int ndim, int writable,
          const char *name)
{
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT;
    int ok;
    if (writable)
        flags |= PyBUF_WRITABLE;
    if (PyObject_GetBuffer(obj, v, flags) < 0)
        return -1;
    ok = want == 'F' ? (format_is(v, 'f') || format_is(v, 'd'))
                     : format_is(v, want);
    if (v->ndim != ndim || !ok) {
        PyErr_Format(PyExc_TypeError,
                     "%s: expected a C-contiguous %d-d array of type '%c', got "
                     "%d-d '%s'",
                     name, ndim, want, v->ndim, v->format ? v->format : "B");
        PyBuffer_Release(v);
        return -1;
    }
    return 0;
}

/* A float32 or float64 item: weights may be kept in float32 to halve the
 * model on disk, and converting them on every call would cost more than
 * the scoring. */
static inline double
real_at(const void *p, int is_float, Py_ssize_t i)
{
    return is_float ? (double)((const float *)p)[i] : ((const double *)p)[i];
}

static PyObject *
bytearray_from(const void *p, size_t nbytes)
{
    if (nbytes > (size_t)PY_SSIZE_T_MAX)
        return PyErr_NoMemory();
    return PyByteArray_FromStringAndSize((const char *)p, (Py_ssize_t)nbytes);
}

enum { OK = 0, ERR_NOMEM, ERR_OVERFLOW, ERR_VALUE };

static PyObject *
raise_status(int status, const char *value_message)
{
    if (status == ERR_NOMEM)
        return PyErr_NoMemory();
    if (status == ERR_OVERFLOW)
        PyErr_SetString(PyExc_OverflowError,
                        "an n-gram occurs over 2**31-1 times in one text");
    else
        PyErr_SetString(PyExc_ValueError, value_message);
    return NULL;
}

/* ------------------------------------------------------- n-gram counting */

/* Where a row's n-grams go: their columns are stored in `out`, to be
 * sorted and run-length counted, or, for a row that may have more n-grams
 * than there are columns (a megabyte of one word), counted in `dense`, one
 * counter per column, whose scan then costs less than the hashing did.
 * Either way memory stays bounded by the column count. */
typedef struct {
    uint32_t *out;
    uint64_t *dense;
} sink_t;

static inline void
put(sink_t *s, uint32_t column)
{
    if (s->dense)
        s->dense[column]++;
    else
        *s->out++ = column;
}

/* Word n-grams of lo..hi tokens.  Each token is read once, into its
 * polynomial p (from zero) and K**len; the n-grams ending at a token are
 * then grown leftward one token at a time, joining with a space:
 *     poly(A + " " + Y) = poly(A)*K**(1+|Y|) + 32*K**|Y| + poly(Y)
 * and hashed as fmix64(WORD_SEED*K**|ngram| + poly(ngram)), which is the
 * streaming definition applied to the joined string. */
static void
hash_words(sink_t *s, const text_t *t, int lo, int hi, uint64_t mask,
           uint32_t offset)
{
    uint64_t poly[MAX_N], power[MAX_N]; /* the last `hi` tokens, a ring */
    uint64_t ntok = 0;
    Py_ssize_t i = 0;
    while (i < t->len) {
        uint64_t p = 0, k = 1, sp, sk;
        int n, slot;
        if (!is_word(cp_at(t, i))) {
            i++;
            continue;
        }
        for (; i < t->len; i++) {
            Py_UCS4 c = cp_at(t, i);
            if (!is_word(c))
                break;
            p = p * HASH_K + c;
            k *= HASH_K;
        }
        slot = (int)(ntok % (uint64_t)hi);
        poly[slot] = p;
        power[slot] = k;
        ntok++;
        sp = p;
        sk = k;
        for (n = 1; n <= hi && (uint64_t)n <= ntok; n++) {
            if (n > 1) {
                int j = (int)((ntok - (uint64_t)n) % (uint64_t)hi);
                sp = poly[j] * (HASH_K * sk) + 32 * sk + sp;
                sk = power[j] * HASH_K * sk;
            }
            if (n >= lo)
                put(s, offset + (uint32_t)(fmix64(WORD_SEED * sk + sp) & mask));
        }
    }
}

/* Character n-grams of lo..hi code points inside each whitespace-separated
 * piece padded with one space each side.  Windows are hashed by streaming
 * from each start, emitting as the window passes each wanted length. */
static void
hash_chars(sink_t *s, const text_t *t, int lo, int hi, uint64_t mask,
           uint32_t offset)
{
    Py_ssize_t i = 0;
    while (i < t->len) {
        Py_ssize_t start, m, w;
        if (Py_UNICODE_ISSPACE(cp_at(t, i))) {
            i++;
            continue;
        }
        start = i;
        while (i < t->len && !Py_UNICODE_ISSPACE(cp_at(t, i)))
            i++;
        m = i - start + 2; /* padded length */
        for (w = 0; w < m; w++) {
            uint64_t h = CHAR_SEED;
            int n;
            for (n = 1; n <= hi && w + n <= m; n++) {
                Py_ssize_t pos = w + n - 1;
                Py_UCS4 c =
                    (pos == 0 || pos == m - 1) ? 32 : cp_at(t, start + pos - 1);
                h = h * HASH_K + c;
                if (n >= lo)
                    put(s, offset + (uint32_t)(fmix64(h) & mask));
            }
        }
    }
}

typedef struct {
    int wlo, whi, wbits, clo, chi, cbits;
} ngram_spec;

/* At most this many n-grams in a text of `len` code points: it has at
 * most (len + 1) / 2 tokens, and its padded pieces at most 2 * len + 1
 * code points in all, so as many windows of each length. */
static uint64_t
ngram_bound(Py_ssize_t len, const ngram_spec *sp)
{
    uint64_t n = (uint64_t)len, bound = 0;
    if (sp->wbits)
        bound += (uint64_t)(sp->whi - sp->wlo + 1) * ((n + 1) / 2);
    if (sp->cbits)
        bound += (uint64_t)(sp->chi - sp->clo + 1) * (2 * n + 1);
    return bound;
}

/* Stable LSD radix sort on bytes: linear, and rows are small enough that
 * its counters beat a comparison sort's log factor.  All digits are
 * counted in one read; a byte that is the same in every item needs no
 * pass.  Returns whichever of the two arrays holds the result. */
static uint32_t *
sort_columns(uint32_t *a, uint32_t *tmp, size_t n, int passes)
{
    uint32_t count[4][256];
    size_t i;
    int p, d;
    if (n <= 32) { /* insertion sort: no counters to clear */
        for (i = 1; i < n; i++) {
            uint32_t x = a[i];
            size_t j = i;
            for (; j > 0 && a[j - 1] > x; j--)
                a[j] = a[j - 1];
            a[j] = x;
        }
        return a;
    }
    memset(count, 0, sizeof(count));
    for (i = 0; i < n; i++) {
        uint32_t x = a[i];
        count[0][x & 0xff]++;
        count[1][(x >> 8) & 0xff]++;
        count[2][(x >> 16) & 0xff]++;
        count[3][x >> 24]++;
    }
    for (p = 0; p < passes; p++) {
        uint32_t *c = count[p], sum = 0, *swap;
        int shift = 8 * p;
        if (c[(a[0] >> shift) & 0xff] == n)
            continue;
        for (d = 0; d < 256; d++) {
            uint32_t k = c[d];
            c[d] = sum;
            sum += k;
        }
        for (i = 0; i < n; i++)
            tmp[c[(a[i] >> shift) & 0xff]++] = a[i];
        swap = a;
        a = tmp;
        tmp = swap;
    }
    return a;
}

/* One call's working memory and output. */
typedef struct {
    uint32_t wcols, ccols, ncols; /* ncols <= 2**31 */
    int passes;                   /* radix passes: bytes in a column number */
    uint64_t dense_at;            /* n-gram bound from which a row goes dense */
    uint32_t *buf, *tmp;          /* a row's columns, and sorting scratch */
    size_t cap;
    uint64_t *dense;              /* per-column counts, allocated if needed */
    PyObject *indices_obj, *counts_obj; /* bytearrays holding the output */
    int32_t *indices, *counts;    /* their buffers */
    size_t nnz, out_cap;
    PyThreadState *thread;        /* saved while the GIL is released */
} batch_t;

static inline void
push(batch_t *b, uint32_t column, uint64_t count)
{
    b->indices[b->nnz] = (int32_t)column;
    b->counts[b->nnz] = (int32_t)count;
    b->nnz++;
}

/* Make room for `need` output items.  The output is written straight into
 * the bytearrays returned, so it is never copied; resizing them needs the
 * GIL, taken back for that moment (a handful of times per call). */
static int
reserve_output(batch_t *b, size_t need)
{
    size_t cap = b->out_cap ? b->out_cap : 1024;
    Py_ssize_t bytes;
    int failed;
    if (need <= b->out_cap)
        return OK;
    while (cap < need) {
        if (cap > (size_t)PY_SSIZE_T_MAX / 2 / sizeof(int32_t))
            return ERR_NOMEM;
        cap *= 2;
    }
    PyEval_RestoreThread(b->thread);
    bytes = (Py_ssize_t)(cap * sizeof(int32_t));
    failed = PyByteArray_Resize(b->indices_obj, bytes) < 0 ||
             PyByteArray_Resize(b->counts_obj, bytes) < 0;
    if (failed)
        PyErr_Clear(); /* reported as ERR_NOMEM once the batch unwinds */
    b->indices = (int32_t *)PyByteArray_AS_STRING(b->indices_obj);
    b->counts = (int32_t *)PyByteArray_AS_STRING(b->counts_obj);
    b->thread = PyEval_SaveThread();
    if (failed)
        return ERR_NOMEM;
    b->out_cap = cap;
    return OK;
}

/* Hash one text and append its row, sorted and with equal columns
 * counted, to the output. */
static int
hash_row(batch_t *b, const text_t *t, const ngram_spec *sp)
{
    uint64_t bound = ngram_bound(t->len, sp);
    sink_t s = {NULL, NULL};
    size_t stored, i, cap;
    if (bound >= b->dense_at) {
        if (!b->dense && !(b->dense = calloc(b->ncols, sizeof(uint64_t))))
            return ERR_NOMEM;
        s.dense = b->dense;
    } else {
        cap = b->cap;
        if (grow((void **)&b->buf, &b->cap, (size_t)bound, sizeof(uint32_t)) ||
            grow((void **)&b->tmp, &cap, b->cap, sizeof(uint32_t)))
            return ERR_NOMEM;
        s.out = b->buf;
    }
    if (b->wcols)
        hash_words(&s, t, sp->wlo, sp->whi, b->wcols - 1, 0);
    if (b->ccols)
        hash_chars(&s, t, sp->clo, sp->chi, b->ccols - 1, b->wcols);
    stored = s.dense ? b->ncols : (size_t)(s.out - b->buf);
    if (reserve_output(b, b->nnz + stored))
        return ERR_NOMEM;
    if (s.dense) {
        int status = OK;
        for (i = 0; i < b->ncols; i++)
            if (b->dense[i]) {
                if (b->dense[i] > INT32_MAX)
                    status = ERR_OVERFLOW;
                push(b, (uint32_t)i, b->dense[i]);
                b->dense[i] = 0;
            }
        return status;
    }
    if (stored) {
        uint32_t *sorted = sort_columns(b->buf, b->tmp, stored, b->passes);
        size_t run = 0;
        for (i = 1; i <= stored; i++)
            if (i == stored || sorted[i] != sorted[run]) {
                push(b, sorted[run], i - run);
                run = i;
            }
    }
    return OK;
}

/* The whole batch, without the GIL: texts are kept alive by a tuple the
 * caller holds, and str objects never change. */
static int
hash_batch(const text_t *texts, Py_ssize_t n, const ngram_spec *sp,
           int64_t *indptr, batch_t *b)
{
    Py_ssize_t r;
    b->wcols = sp->wbits ? UINT32_C(1) << sp->wbits : 0;
    b->ccols = sp->cbits ? UINT32_C(1) << sp->cbits : 0;
    b->ncols = b->wcols + b->ccols;
    for (b->passes = 0;
         b->passes < 4 && b->ncols && ((b->ncols - 1) >> (8 * b->passes));
         b->passes++)
        ;
    b->dense_at = b->ncols ? b->ncols : 1; /* no columns: nothing stored */
    indptr[0] = 0;
    for (r = 0; r < n; r++) {
        int status = hash_row(b, &texts[r], sp);
        if (status)
            return status;
        indptr[r + 1] = (int64_t)b->nnz;
    }
    return OK;
}

static int
check_range(int lo, int hi, int bits, const char *name)
{
    if (bits == 0)
        return 0;
    if (bits < 0 || bits > 30 || lo < 1 || hi < lo || hi > MAX_N) {
        PyErr_Format(PyExc_ValueError,
                     "%s: need 1 <= low <= high <= %d and 0 <= bits <= 30",
                     name, MAX_N);
        return -1;
    }
    return 0;
}

PyDoc_STRVAR(hash_ngrams_doc,
"hash_ngrams(texts, word_lo, word_hi, word_bits, char_lo, char_hi, char_bits)\n"
"--\n\n"
"Hashed word and char_wb n-gram counts of each str, as CSR parts:\n"
"bytearrays of int64 indptr, int32 indices, int32 counts. bits=0 turns an\n"
"analyzer off. See stripper.native.hash_ngrams.");

static PyObject *
core_hash_ngrams(PyObject *self, PyObject *args)
{
    PyObject *seq, *tuple, *indptr_obj = NULL, *result = NULL;
    ngram_spec sp;
    Py_ssize_t n, i, nbytes;
    text_t *texts = NULL;
    batch_t b;
    int status;
    (void)self;
    if (!PyArg_ParseTuple(args, "Oiiiiii:hash_ngrams", &seq, &sp.wlo, &sp.whi,
                          &sp.wbits, &sp.clo, &sp.chi, &sp.cbits))
        return NULL;
    if (check_range(sp.wlo, sp.whi, sp.wbits, "word") ||
        check_range(sp.clo, sp.chi, sp.cbits, "char"))
        return NULL;
    tuple = PySequence_Tuple(seq);
    if (!tuple)
        return NULL;
    memset(&b, 0, sizeof(b));
    n = PyTuple_GET_SIZE(tuple);
    texts = PyMem_Malloc(sizeof(text_t) * (size_t)(n ? n : 1));
    if (!texts) {
        PyErr_NoMemory();
        goto done;
    }
    for (i = 0; i < n; i++) {
        PyObject *s = PyTuple_GET_ITEM(tuple, i);
        if (!PyUnicode_Check(s)) {
            PyErr_Format(PyExc_TypeError, "texts[%zd] is %.100s, not str", i,
                         Py_TYPE(s)->tp_name);
            goto done;
        }
#if PY_VERSION_HEX < 0x030C0000
        if (PyUnicode_READY(s) < 0)
            goto done;
#endif
        texts[i].kind = PyUnicode_KIND(s);
        texts[i].data = PyUnicode_DATA(s);
        texts[i].len = PyUnicode_GET_LENGTH(s);
    }
    indptr_obj = PyByteArray_FromStringAndSize(
        NULL, (n + 1) * (Py_ssize_t)sizeof(int64_t));
    b.indices_obj = PyByteArray_FromStringAndSize(NULL, 0);
    b.counts_obj = PyByteArray_FromStringAndSize(NULL, 0);
    if (!indptr_obj || !b.indices_obj || !b.counts_obj)
        goto done;
    b.thread = PyEval_SaveThread();
    status = hash_batch(texts, n, &sp,
                        (int64_t *)PyByteArray_AS_STRING(indptr_obj), &b);
    PyEval_RestoreThread(b.thread);
    if (status) {
        raise_status(status, "");
        goto done;
    }
    nbytes = (Py_ssize_t)(b.nnz * sizeof(int32_t));
    if (PyByteArray_Resize(b.indices_obj, nbytes) == 0 &&
        PyByteArray_Resize(b.counts_obj, nbytes) == 0)
        result = PyTuple_Pack(3, indptr_obj, b.indices_obj, b.counts_obj);
done:
    free(b.buf);
    free(b.tmp);
    free(b.dense);
    Py_XDECREF(indptr_obj);
    Py_XDECREF(b.indices_obj);
    Py_XDECREF(b.counts_obj);
    PyMem_Free(texts);
    Py_DECREF(tuple);
    return result;
}

/* ------------------------------------------------------------ split lines */

typedef struct {
    int64_t *spans;
    size_t len, cap;
} spans_t;

/* Lines are the runs between break characters.  "\r\n" need not be seen
 * as one break: the empty line between its two characters is blank and
 * yields no span either way. */
static int
split_text(const text_t *t, spans_t *out)
{
    Py_ssize_t i, line = 0;
    for (i = 0; i <= t->len; i++) {
        Py_ssize_t s, e;
        if (i < t->len && !is_break(cp_at(t, i)))
            continue;
        s = line;
        e = i;
        while (s < e && Py_UNICODE_ISSPACE(cp_at(t, s)))
            s++;
        while (e > s && Py_UNICODE_ISSPACE(cp_at(t, e - 1)))
            e--;
        if (s < e) {
            if (grow((void **)&out->spans, &out->cap, out->len + 2,
                     sizeof(int64_t)))
                return ERR_NOMEM;
            out->spans[out->len++] = s;
            out->spans[out->len++] = e;
        }
        line = i + 1;
    }
    return OK;
}

PyDoc_STRVAR(split_lines_doc,
"split_lines(text)\n--\n\n"
"(start, end) of each non-blank line of text, whitespace stripped, as a\n"
"bytearray of int64 pairs. See stripper.native.split_lines.");

static PyObject *
core_split_lines(PyObject *self, PyObject *arg)
{
    text_t t;
    spans_t out = {NULL, 0, 0};
    int status;
    PyObject *result;
    (void)self;
    if (!PyUnicode_Check(arg)) {
        PyErr_Format(PyExc_TypeError, "text is %.100s, not str",
                     Py_TYPE(arg)->tp_name);
        return NULL;
    }
#if PY_VERSION_HEX < 0x030C0000
    if (PyUnicode_READY(arg) < 0)
        return NULL;
#endif
    t.kind = PyUnicode_KIND(arg);
    t.data = PyUnicode_DATA(arg);
    t.len = PyUnicode_GET_LENGTH(arg);
    Py_BEGIN_ALLOW_THREADS
    status = split_text(&t, &out);
    Py_END_ALLOW_THREADS
    result = status ? raise_status(status, "")
                    : bytearray_from(out.spans, sizeof(int64_t) * out.len);
    free(out.spans);
    return result;
}

/* ----------------------------------------------------------------- trees */

/* One node, packed so that a walk touches one cache line per step; the
 * copy also means no other thread can change the tree once checked. A leaf
 * is its own child (reading feature 0), so every walk of a tree can take the
 * same number of steps, its depth: rows then walk side by side, without a
 * branch on where each one is. */
typedef struct {
    double threshold, value;
    int32_t feature, left, right;
    uint8_t missing_left;
} node_t;

/* Rows walked side by side through one tree: their features and the tree
 * stay in the first-level cache. */
#define TREE_ROWS 32

enum { T_X, T_FEATURE, T_THRESHOLD, T_MISSING, T_LEFT, T_RIGHT, T_LEAF,
       T_VALUE, T_ROOTS, T_OUT, T_COUNT };

PyDoc_STRVAR(tree_predict_doc,
"tree_predict(X, feature, threshold, missing_left, left, right, leaf, value,\n"
"             roots, baseline, out)\n--\n\n"
"Write into out[i] the baseline plus the leaf value each tree gives row\n"
"X[i]. See stripper.native.tree_predict.");

static PyObject *
core_tree_predict(PyObject *self, PyObject *args)
{
    static const char types[T_COUNT] = {'d', 'i', 'd', 'B', 'i', 'i', 'B',
                                        'd', 'i', 'd'};
    static const char *names[T_COUNT] = {"X", "feature", "threshold",
                                         "missing_left", "left", "right",
                                         "leaf", "value", "roots", "out"};
    PyObject *obj[T_COUNT];
    Py_buffer v[T_COUNT];
    double baseline;
    int got = 0, k;
    node_t *nodes = NULL;
    int32_t *depth = NULL;
    PyObject *result = NULL;
    Py_ssize_t n, m, count, ntrees, i;
    (void)self;
    if (!PyArg_ParseTuple(args, "OOOOOOOOOdO:tree_predict", &obj[T_X],
                          &obj[T_FEATURE], &obj[T_THRESHOLD], &obj[T_MISSING],
                          &obj[T_LEFT], &obj[T_RIGHT], &obj[T_LEAF],
                          &obj[T_VALUE], &obj[T_ROOTS], &baseline, &obj[T_OUT]))
        return NULL;
    for (; got < T_COUNT; got++)
        if (get_array(obj[got], &v[got], types[got], got == T_X ? 2 : 1,
                      got == T_OUT, names[got]) < 0)
            goto done;
    n = v[T_X].shape[0];
    m = v[T_X].shape[1];
    count = v[T_FEATURE].shape[0];
    ntrees = v[T_ROOTS].shape[0];
    for (k = T_FEATURE; k <= T_VALUE; k++)
        if (v[k].shape[0] != count) {
            PyErr_SetString(PyExc_ValueError, "tree arrays differ in length");
            goto done;
        }
    if (v[T_OUT].shape[0] != n) {
        PyErr_SetString(PyExc_ValueError, "out must have one item per row");
        goto done;
    }
    nodes = PyMem_Malloc(sizeof(node_t) * (size_t)(count ? count : 1));
    depth = PyMem_Malloc(sizeof(int32_t) * (size_t)(count ? count : 1));
    if (!nodes || !depth) {
        PyErr_NoMemory();
        goto done;
    }
    for (i = 0; i < count; i++) {
        node_t *d = &nodes[i];
        d->feature = ((const int32_t *)v[T_FEATURE].buf)[i];
        d->threshold = ((const double *)v[T_THRESHOLD].buf)[i];
        d->missing_left = ((const uint8_t *)v[T_MISSING].buf)[i] != 0;
        d->left = ((const int32_t *)v[T_LEFT].buf)[i];
        d->right = ((const int32_t *)v[T_RIGHT].buf)[i];
        d->value = ((const double *)v[T_VALUE].buf)[i];
        if (((const uint8_t *)v[T_LEAF].buf)[i]) {
            d->feature = 0;
            d->left = d->right = (int32_t)i;
            depth[i] = 0;
            continue;
        }
        /* Children after their parent: every walk ends, inside the array. */
        if (d->feature < 0 || d->feature >= m || d->left <= i || d->left >= count
                || d->right <= i || d->right >= count) {
            PyErr_Format(PyExc_ValueError,
                         "node %zd: feature or child out of range", i);
            goto done;
        }
    }
    /* Depths from the last node back: children come after their parent. */
    for (i = count - 1; i >= 0; i--)
        if (nodes[i].left != i)
            depth[i] = 1 + (depth[nodes[i].left] > depth[nodes[i].right]
                            ? depth[nodes[i].left] : depth[nodes[i].right]);
    for (i = 0; i < ntrees; i++) {
        int32_t root = ((const int32_t *)v[T_ROOTS].buf)[i];
        if (root < 0 || root >= count) {
            PyErr_Format(PyExc_ValueError, "tree %zd: root out of range", i);
            goto done;
        }
    }
    Py_BEGIN_ALLOW_THREADS
    {
        const double *X = v[T_X].buf;
        const int32_t *roots = v[T_ROOTS].buf;
        double *out = v[T_OUT].buf;
        double acc[TREE_ROWS];
        int32_t at[TREE_ROWS];
        Py_ssize_t first, r, rows, t, step;
        for (first = 0; first < n; first += TREE_ROWS) {
            const double *x = X + first * m;
            rows = n - first < TREE_ROWS ? n - first : TREE_ROWS;
            /* Summed in tree order from the baseline, as scikit-learn does. */
            for (r = 0; r < rows; r++)
                acc[r] = baseline;
            for (t = 0; t < ntrees; t++) {
                for (r = 0; r < rows; r++)
                    at[r] = roots[t];
                for (step = depth[roots[t]]; step > 0; step--)
                    for (r = 0; r < rows; r++) {
                        const node_t *d = &nodes[at[r]];
                        double value = x[r * m + d->feature];
                        int left = isnan(value) ? d->missing_left
                                                : value <= d->threshold;
                        at[r] = left ? d->left : d->right;
                    }
                for (r = 0; r < rows; r++)
                    acc[r] += nodes[at[r]].value;
            }
            for (r = 0; r < rows; r++)
                out[first + r] = acc[r];
        }
    }
    Py_END_ALLOW_THREADS
    result = Py_NewRef(Py_None);
done:
    PyMem_Free(nodes);
    PyMem_Free(depth);
    while (got-- > 0)
        PyBuffer_Release(&v[got]);
    return result;
}

/* ------------------------------------------------------- linear scoring */

/* The CSR structure shared by tfidf_weights and sparse_dot. */
typedef struct {
    Py_buffer indptr, indices;
    Py_ssize_t rows, nnz;
} csr_t;

static int
get_csr(PyObject *indptr, PyObject *indices, csr_t *c)
{
    const int64_t *p;
    Py_ssize_t r;
    if (get_array(indptr, &c->indptr, 'q', 1, 0, "indptr") < 0)
        return -1;
    if (get_array(indices, &c->indices, 'i', 1, 0, "indices") < 0) {
        PyBuffer_Release(&c->indptr);
        return -1;
    }
    c->rows = c->indptr.shape[0] - 1;
    c->nnz = c->indices.shape[0];
    p = c->indptr.buf;
    if (c->rows < 0 || p[0] != 0 || p[c->rows] != c->nnz)
        goto bad;
    for (r = 0; r < c->rows; r++)
        if (p[r + 1] < p[r])
            goto bad;
    return 0;
bad:
    PyErr_SetString(PyExc_ValueError,
                    "indptr must rise from 0 to len(indices)");
    PyBuffer_Release(&c->indptr);
    PyBuffer_Release(&c->indices);
    return -1;
}

/* Which of the blocks [b[k], b[k+1]) holds column `col`, or -1. */
static inline Py_ssize_t
block_of(const int64_t *b, Py_ssize_t nb, int64_t col)
{
    Py_ssize_t lo = 0, hi = nb;
    if (nb <= 0 || col < b[0] || col >= b[nb])
        return -1;
    while (hi - lo > 1) {
        Py_ssize_t mid = (lo + hi) / 2;
        if (col >= b[mid])
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

typedef struct {
    const int64_t *indptr;
    const int32_t *indices, *counts;
    const void *idf;
    int idf_is_float;
    Py_ssize_t rows, ncols; /* ncols < 0: no idf, any column */
    int sublinear;
    const int64_t *blocks;
    Py_ssize_t nblocks;
    double *sums, *out;
} tfidf_t;

/* Column bounds are checked here, while reading, rather than beforehand:
 * with the GIL released another thread could change the arrays between a
 * check and the use. */
static int
tfidf_rows(const tfidf_t *w)
{
    Py_ssize_t r, j, k;
    for (r = 0; r < w->rows; r++) {
        int64_t a = w->indptr[r], b = w->indptr[r + 1];
        for (k = 0; k < w->nblocks; k++)
            w->sums[k] = 0.0;
        for (j = a; j < b; j++) {
            int32_t col = w->indices[j], count = w->counts[j];
            double x;
            if (col < 0 || (w->ncols >= 0 && col >= w->ncols))
                return ERR_VALUE;
            if (w->sublinear) {
                if (count < 1)
                    return ERR_VALUE;
                x = 1.0 + log((double)count);
            } else {
                x = (double)count;
            }
            if (w->idf)
                x *= real_at(w->idf, w->idf_is_float, col);
            w->out[j] = x;
            if (w->nblocks) {
                k = block_of(w->blocks, w->nblocks, col);
                if (k < 0)
                    return ERR_VALUE;
                w->sums[k] += x * x;
            }
        }
        if (!w->nblocks)
            continue;
        for (k = 0; k < w->nblocks; k++)
            w->sums[k] = sqrt(w->sums[k]);
        for (j = a; j < b; j++) {
            double norm =
                w->sums[block_of(w->blocks, w->nblocks, w->indices[j])];
            if (norm > 0.0)
                w->out[j] /= norm;
        }
    }
    return OK;
}

PyDoc_STRVAR(tfidf_weights_doc,
"tfidf_weights(indptr, indices, counts, idf, sublinear, blocks, out)\n--\n\n"
"Write into out the weight of each stored item: tf (count, or 1+log(count)\n"
"when sublinear) times idf[column] (idf may be None), then l2-normalised per\n"
"row within each column block [blocks[k], blocks[k+1]) (blocks may be\n"
"None). See stripper.native.tfidf_weights.");

static PyObject *
core_tfidf_weights(PyObject *self, PyObject *args)
{
    PyObject *indptr, *indices, *counts, *idf, *blocks, *out, *result = NULL;
    int sublinear, status;
    csr_t c;
    Py_buffer vc, vi, vb, vo;
    int have_i = 0, have_b = 0, have_c = 0, have_o = 0;
    tfidf_t w;
    (void)self;
    if (!PyArg_ParseTuple(args, "OOOOpOO:tfidf_weights", &indptr, &indices,
                          &counts, &idf, &sublinear, &blocks, &out))
        return NULL;
    if (get_csr(indptr, indices, &c) < 0)
        return NULL;
    memset(&w, 0, sizeof(w));
    if (get_array(counts, &vc, 'i', 1, 0, "counts") < 0)
        goto done;
    have_c = 1;
    if (get_array(out, &vo, 'd', 1, 1, "out") < 0)
        goto done;
    have_o = 1;
    if (vc.shape[0] != c.nnz || vo.shape[0] != c.nnz) {
        PyErr_SetString(PyExc_ValueError, "counts and out must match indices");
        goto done;
    }
    w.ncols = -1;
    if (idf != Py_None) {
        if (get_array(idf, &vi, 'F', 1, 0, "idf") < 0)
            goto done;
        have_i = 1;
        w.idf = vi.buf;
        w.idf_is_float = vi.itemsize == 4;
        w.ncols = vi.shape[0];
    }
    if (blocks != Py_None) {
        Py_ssize_t k;
        if (get_array(blocks, &vb, 'q', 1, 0, "blocks") < 0)
            goto done;
        have_b = 1;
        w.blocks = vb.buf;
        w.nblocks = vb.shape[0] - 1;
        for (k = 0; k < w.nblocks; k++)
            if (w.blocks[k + 1] <= w.blocks[k])
                w.nblocks = -1;
        if (w.nblocks < 1) {
            PyErr_SetString(PyExc_ValueError,
                            "blocks must be at least two rising boundaries");
            goto done;
        }
        w.sums = PyMem_Malloc(sizeof(double) * (size_t)w.nblocks);
        if (!w.sums) {
            PyErr_NoMemory();
            goto done;
        }
    }
    w.indptr = c.indptr.buf;
    w.indices = c.indices.buf;
    w.counts = vc.buf;
    w.rows = c.rows;
    w.sublinear = sublinear;
    w.out = vo.buf;
    Py_BEGIN_ALLOW_THREADS
    status = tfidf_rows(&w);
    Py_END_ALLOW_THREADS
    if (status)
        raise_status(status, "a column is outside idf or blocks, or a count "
                             "is below 1 with sublinear tf");
    else
        result = Py_NewRef(Py_None);
done:
    PyMem_Free(w.sums);
    if (have_b)
        PyBuffer_Release(&vb);
    if (have_i)
        PyBuffer_Release(&vi);
    if (have_o)
        PyBuffer_Release(&vo);
    if (have_c)
        PyBuffer_Release(&vc);
    PyBuffer_Release(&c.indptr);
    PyBuffer_Release(&c.indices);
    return result;
}

PyDoc_STRVAR(sparse_dot_doc,
"sparse_dot(indptr, indices, data, W, intercept, out)\n--\n\n"
"Write into out[i, c] the sum over row i's items of data * W[c, column],\n"
"plus intercept[c]. See stripper.native.sparse_dot.");

static PyObject *
core_sparse_dot(PyObject *self, PyObject *args)
{
    PyObject *indptr, *indices, *data, *weights, *intercept, *out;
    PyObject *result = NULL;
    csr_t c;
    Py_buffer vd, vw, vi, vo;
    int got = 0, status = OK;
    (void)self;
    if (!PyArg_ParseTuple(args, "OOOOOO:sparse_dot", &indptr, &indices, &data,
                          &weights, &intercept, &out))
        return NULL;
    if (get_csr(indptr, indices, &c) < 0)
        return NULL;
    if (get_array(data, &vd, 'd', 1, 0, "data") < 0)
        goto done;
    got++;
    if (get_array(weights, &vw, 'F', 2, 0, "W") < 0)
        goto done;
    got++;
    if (get_array(intercept, &vi, 'd', 1, 0, "intercept") < 0)
        goto done;
    got++;
    if (get_array(out, &vo, 'd', 2, 1, "out") < 0)
        goto done;
    got++;
    if (vd.shape[0] != c.nnz || vi.shape[0] != vw.shape[0] ||
        vo.shape[0] != c.rows || vo.shape[1] != vw.shape[0]) {
        PyErr_SetString(PyExc_ValueError, "sparse_dot: shapes do not match");
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    {
        const int64_t *p = c.indptr.buf;
        const int32_t *idx = c.indices.buf;
        const double *x = vd.buf, *b = vi.buf;
        double *o = vo.buf;
        Py_ssize_t k = vw.shape[0], ncols = vw.shape[1], r, cls, j;
        int is_float = vw.itemsize == 4;
        for (r = 0; r < c.rows && !status; r++)
            for (cls = 0; cls < k; cls++) {
                /* In item order from zero, then the intercept: the order
                 * scipy's CSR product and the numpy twin use. */
                double acc = 0.0;
                for (j = p[r]; j < p[r + 1]; j++) {
                    if (idx[j] < 0 || idx[j] >= ncols) {
                        status = ERR_VALUE;
                        break;
                    }
                    acc += x[j] *
                           real_at(vw.buf, is_float, cls * ncols + idx[j]);
                }
                o[r * k + cls] = acc + b[cls];
            }
    }
    Py_END_ALLOW_THREADS
    if (status)
        raise_status(status, "a column is outside W");
    else
        result = Py_NewRef(Py_None);
done:
    if (got > 3)
        PyBuffer_Release(&vo);
    if (got > 2)
        PyBuffer_Release(&vi);
    if (got > 1)
        PyBuffer_Release(&vw);
    if (got > 0)
        PyBuffer_Release(&vd);
    PyBuffer_Release(&c.indptr);
    PyBuffer_Release(&c.indices);
    return result;
}

/* ------------------------------------------------------------ site prints */

/* Hashing for stripper.siteprints: many short strings laid end to end in
 * one str, cut at a separator code point, so a page costs one call rather
 * than one per block.  Same hash as above, with the seed the caller gives
 * (hash64 in native.py). */

static int
get_text(PyObject *arg, text_t *t, const char *name)
{
    if (!PyUnicode_Check(arg)) {
        PyErr_Format(PyExc_TypeError, "%s is %.100s, not str", name,
                     Py_TYPE(arg)->tp_name);
        return -1;
    }
#if PY_VERSION_HEX < 0x030C0000
    if (PyUnicode_READY(arg) < 0)
        return -1;
#endif
    t->kind = PyUnicode_KIND(arg);
    t->data = PyUnicode_DATA(arg);
    t->len = PyUnicode_GET_LENGTH(arg);
    return 0;
}

PyDoc_STRVAR(hash_strings_doc,
"hash_strings(strings, seed)\n--\n\n"
"hash64(seed, s) of each str s of a list or tuple, as a bytearray of\n"
"uint64.  See stripper.native.hash_strings.");

static PyObject *
core_hash_strings(PyObject *self, PyObject *args)
{
    PyObject *seq, *fast, *result = NULL;
    unsigned long long seed;
    uint64_t *out;
    Py_ssize_t n, k, i;
    (void)self;
    if (!PyArg_ParseTuple(args, "OK:hash_strings", &seq, &seed))
        return NULL;
    fast = PySequence_Fast(seq, "strings must be a list or tuple of str");
    if (!fast)
        return NULL;
    n = PySequence_Fast_GET_SIZE(fast);
    out = malloc((n ? n : 1) * sizeof(uint64_t));
    if (!out) {
        Py_DECREF(fast);
        return PyErr_NoMemory();
    }
    for (k = 0; k < n; k++) {
        PyObject *item = PySequence_Fast_GET_ITEM(fast, k);
        text_t t;
        uint64_t h = (uint64_t)seed;
        if (!PyUnicode_Check(item)) {
            PyErr_Format(PyExc_TypeError, "strings[%zd] is %.100s, not str", k,
                         Py_TYPE(item)->tp_name);
            goto done;
        }
        if (get_text(item, &t, "strings") < 0)
            goto done;
        for (i = 0; i < t.len; i++)
            h = h * HASH_K + cp_at(&t, i);
        out[k] = fmix64(h);
    }
    result = bytearray_from(out, (size_t)n * sizeof(uint64_t));
done:
    free(out);
    Py_DECREF(fast);
    return result;
}

/* re's \d: a decimal digit (str.isdecimal()), ASCII first. */
static inline int
is_decimal(Py_UCS4 c)
{
    return c < 128 ? (c >= '0' && c <= '9') : Py_UNICODE_ISDECIMAL(c);
}

/* A character of the separators re's NUMBER pattern allows inside a number
 * (see native.near_prints): whitespace and . , : / ° ' ’ - – */
static inline int
number_inner(Py_UCS4 c)
{
    return is_decimal(c) || Py_UNICODE_ISSPACE(c) || c == '.' ||
           c == ',' || c == ':' || c == '/' || c == 0xB0 || c == '\'' ||
           c == 0x2019 || c == '-' || c == 0x2013;
}

/* Where a piece of a block may end: after . ! ? … » | */
static inline int
piece_end(Py_UCS4 c)
{
    return c == '.' || c == '!' || c == '?' || c == 0x2026 || c == 0xBB ||
           c == '|';
}

/* Closing quotes after a piece's end: " ' ” ’ ) */
static inline int
closing(Py_UCS4 c)
{
    return c == '"' || c == '\'' || c == 0x201D || c == 0x2019 || c == ')';
}

/* May a piece start with c?  Not with whitespace, a closing quote, a lower
 * case letter a-z а-я ё і ї є ß, a digit 0-9 or , ; : . ! ? … */
static inline int
piece_start(Py_UCS4 c)
{
    if (Py_UNICODE_ISSPACE(c) || closing(c) || (c >= 'a' && c <= 'z') ||
        (c >= '0' && c <= '9') || (c >= 0x430 && c <= 0x44F))
        return 0;
    switch (c) {
    case 0x451: case 0x456: case 0x457: case 0x454: case 0xDF: case ',':
    case ';': case ':': case '.': case '!': case '?': case 0x2026:
        return 0;
    default:
        return 1;
    }
}

PyDoc_STRVAR(piece_spans_doc,
"piece_spans(text, spans, edge)\n--\n\n"
"The sentence pieces of each block text[a:b] for (a, b) in spans (int64\n"
"[k, 2]): rows (start, end, block, index in block) of the pieces kept, and\n"
"pieces per block, as int64 bytearrays.  edge 0 keeps every piece; edge\n"
"n > 0 the first and last n pieces of blocks of two or more.  See\n"
"stripper.native.piece_spans.");

typedef struct {
    int64_t *v;
    size_t len, cap;
} vec_t;

static int
vec_push(vec_t *x, int64_t value)
{
    if (grow((void **)&x->v, &x->cap, x->len + 1, sizeof(int64_t)))
        return -1;
    x->v[x->len++] = value;
    return 0;
}

static PyObject *
core_piece_spans(PyObject *self, PyObject *args)
{
    PyObject *text, *spans_obj, *result = NULL;
    PyObject *o[2] = {NULL, NULL};
    Py_buffer vs;
    text_t t;
    Py_ssize_t nblocks, k, edge;
    vec_t rows = {NULL, 0, 0};
    vec_t found[2] = {{NULL, 0, 0}, {NULL, 0, 0}};
    int64_t *counts = NULL;
    int status = OK;
    (void)self;
    if (!PyArg_ParseTuple(args, "OOn:piece_spans", &text, &spans_obj, &edge))
        return NULL;
    if (edge < 0) {
        PyErr_SetString(PyExc_ValueError, "edge must be at least 0");
        return NULL;
    }
    if (get_text(text, &t, "text") < 0)
        return NULL;
    if (get_array(spans_obj, &vs, 'q', 2, 0, "spans") < 0)
        return NULL;
    nblocks = vs.shape[0];
    if (vs.shape[1] != 2) {
        status = ERR_VALUE;
        goto done;
    }
    for (k = 0; k < nblocks; k++) {
        const int64_t *sp = (const int64_t *)vs.buf + 2 * k;
        if (sp[0] < 0 || sp[1] < sp[0] || sp[1] > t.len) {
            status = ERR_VALUE;
            goto done;
        }
    }
    counts = malloc((nblocks ? nblocks : 1) * sizeof(int64_t));
    if (!counts) {
        status = ERR_NOMEM;
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    {
        const int64_t *sp = vs.buf;
        for (k = 0; k < nblocks && !status; k++) {
            Py_ssize_t a = (Py_ssize_t)sp[2 * k], b = (Py_ssize_t)sp[2 * k + 1];
            Py_ssize_t p = a, from = a, cut;
            size_t m, count;
            found[0].len = found[1].len = 0;
            /* cuts: after a piece end, closing quotes and whitespace, where a
             * piece may start; the last piece runs to the block's end */
            while (!status) {
                Py_ssize_t q, x, y;
                cut = b;
                while (p < b) {
                    if (!piece_end(cp_at(&t, p))) {
                        p++;
                        continue;
                    }
                    for (q = p + 1; q < b && closing(cp_at(&t, q)); q++)
                        ;
                    for (; q < b && Py_UNICODE_ISSPACE(cp_at(&t, q)); q++)
                        ;
                    if (q < b && piece_start(cp_at(&t, q))) {
                        cut = q;
                        break;
                    }
                    p++;
                }
                /* the piece [from, cut), stripped, kept when not blank */
                for (x = from; x < cut && Py_UNICODE_ISSPACE(cp_at(&t, x)); x++)
                    ;
                for (y = cut; y > x && Py_UNICODE_ISSPACE(cp_at(&t, y - 1)); y--)
                    ;
                if (y > x && (vec_push(&found[0], x) || vec_push(&found[1], y)))
                    status = ERR_NOMEM;
                if (cut == b)
                    break;
                from = p = cut;
            }
            count = found[0].len;
            counts[k] = (int64_t)count;
            for (m = 0; m < count && !status; m++) {
                if (edge && (count < 2 || (m >= (size_t)edge &&
                                           m + (size_t)edge < count)))
                    continue;
                if (vec_push(&rows, found[0].v[m]) || vec_push(&rows, found[1].v[m]) ||
                    vec_push(&rows, k) || vec_push(&rows, (int64_t)m))
                    status = ERR_NOMEM;
            }
        }
    }
    Py_END_ALLOW_THREADS
    if (status)
        goto done;
    o[0] = bytearray_from(rows.v, rows.len * sizeof(int64_t));
    o[1] = bytearray_from(counts, (size_t)nblocks * sizeof(int64_t));
    if (o[0] && o[1])
        result = PyTuple_Pack(2, o[0], o[1]);
done:
    if (status)
        raise_status(status, "spans must be (start, end) with 0 <= start <= "
                             "end <= len(text)");
    Py_XDECREF(o[0]);
    Py_XDECREF(o[1]);
    free(rows.v);
    free(found[0].v);
    free(found[1].v);
    PyBuffer_Release(&vs);
    free(counts);
    return result;
}

PyDoc_STRVAR(span_prints_doc,
"span_prints(text, spans, count, exact_seed, word_seed, near_seed, page_seed)\n"
"--\n\n"
"Prints of each segment text[a:b] for (a, b) in spans (int64 [k, 2]):\n"
"(exact hash uint64 of the first count segments, 0 after, near hash uint64, has a word uint8, first template\n"
"mark int64) per segment, the hash of every near token uint64 and the\n"
"cumulative token count at each segment's end int64 (as bytearrays), and\n"
"the digest of the first count segments (an int).  See\n"
"stripper.native.span_prints.");

static inline int
is_dash(Py_UCS4 c)
{
    return c == '-' || c == 0x2013 || c == 0x2014;
}

/* Is the dash at i, in the segment [a, b), between whitespace that is not
 * the segment's leading or trailing whitespace (a spaced dash of its exact
 * form)? */
static int
spaced_dash(const text_t *t, Py_ssize_t a, Py_ssize_t i, Py_ssize_t b)
{
    Py_ssize_t x;
    if (i == a || i + 1 >= b || !Py_UNICODE_ISSPACE(cp_at(t, i - 1)) ||
        !Py_UNICODE_ISSPACE(cp_at(t, i + 1)))
        return 0;
    for (x = i - 1; x >= a && Py_UNICODE_ISSPACE(cp_at(t, x)); x--)
        ;
    if (x < a)
        return 0;
    for (x = i + 1; x < b && Py_UNICODE_ISSPACE(cp_at(t, x)); x++)
        ;
    return x < b;
}

static PyObject *
core_span_prints(PyObject *self, PyObject *args)
{
    PyObject *text, *spans_obj, *result = NULL;
    PyObject *o[6] = {NULL, NULL, NULL, NULL, NULL, NULL};
    unsigned long long eseed, wseed, nseed, pseed;
    Py_ssize_t count, nseg, k, m;
    Py_buffer vs;
    text_t t;
    uint64_t *tok = NULL, *near = NULL, *exact = NULL, digest = 0;
    int64_t *ends = NULL;
    uint8_t *word = NULL;
    int64_t *mark = NULL;
    size_t ntok = 0, tcap = 0;
    int status = OK;
    (void)self;
    if (!PyArg_ParseTuple(args, "OOnKKKK:span_prints", &text, &spans_obj, &count,
                          &eseed, &wseed, &nseed, &pseed))
        return NULL;
    if (get_text(text, &t, "text") < 0)
        return NULL;
    if (get_array(spans_obj, &vs, 'q', 2, 0, "spans") < 0)
        return NULL;
    nseg = vs.shape[0];
    if (vs.shape[1] != 2 || count < 0 || count > nseg) {
        PyErr_SetString(PyExc_ValueError,
                        "spans must be [k, 2] and count in [0, k]");
        PyBuffer_Release(&vs);
        return NULL;
    }
    for (k = 0; k < nseg; k++) {
        const int64_t *sp = (const int64_t *)vs.buf + 2 * k;
        if (sp[0] < 0 || sp[1] < sp[0] || sp[1] > t.len) {
            PyErr_SetString(PyExc_ValueError,
                            "spans must be (start, end) with 0 <= start <= "
                            "end <= len(text)");
            PyBuffer_Release(&vs);
            return NULL;
        }
    }
    exact = malloc((nseg ? nseg : 1) * sizeof(uint64_t));
    near = malloc((nseg ? nseg : 1) * sizeof(uint64_t));
    ends = malloc((nseg ? nseg : 1) * sizeof(int64_t));
    word = malloc(nseg ? nseg : 1);
    mark = malloc((nseg ? nseg : 1) * sizeof(int64_t));
    if (!exact || !near || !ends || !word || !mark) {
        status = ERR_NOMEM;
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    {
        const int64_t *sp = vs.buf;
        uint64_t hp = (uint64_t)pseed;
        for (k = 0; k < nseg && !status; k++) {
            Py_ssize_t a = (Py_ssize_t)sp[2 * k], b = (Py_ssize_t)sp[2 * k + 1];
            Py_ssize_t i = a;
            uint64_t he = (uint64_t)eseed, hn = (uint64_t)nseed, hw;
            int first = 1, has = 0, started = 0, space = 0;
            int64_t marked = -1;
            int in_digest = k < count;
            /* the exact form: whitespace runs as one space, stripped; the
             * digest joins the first `count` of them by a space (only they
             * have an exact print) */
            if (in_digest && k)
                hp = hp * HASH_K + 32;
            for (m = a; m < b && in_digest; m++) {
                Py_UCS4 d = cp_at(&t, m);
                if (Py_UNICODE_ISSPACE(d)) {
                    space = started;
                    continue;
                }
                if (space) {
                    he = he * HASH_K + 32;
                    if (in_digest)
                        hp = hp * HASH_K + 32;
                    space = 0;
                }
                he = he * HASH_K + d;
                if (in_digest)
                    hp = hp * HASH_K + d;
                started = 1;
            }
            /* the near tokens of the number form */
            while (i < b && !status) {
                Py_UCS4 c = cp_at(&t, i);
                if (is_decimal(c)) {
                    /* a number: the longest run of number_inner characters
                     * after this digit, cut back to its last digit or
                     * degree sign, is one "#" token */
                    Py_ssize_t last = i;
                    for (m = i + 1; m < b; m++) {
                        Py_UCS4 d = cp_at(&t, m);
                        if (!number_inner(d))
                            break;
                        if (is_decimal(d) || d == 0xB0)
                            last = m;
                    }
                    c = '#';
                    i = last + 1;
                    hw = (uint64_t)wseed * HASH_K + c;
                    if (!first)
                        hn = hn * HASH_K + 32;
                    hn = hn * HASH_K + c;
                } else if (c == '#') {
                    hw = (uint64_t)wseed * HASH_K + c;
                    if (!first)
                        hn = hn * HASH_K + 32;
                    hn = hn * HASH_K + c;
                    i++;
                } else if (is_word(c)) {
                    hw = (uint64_t)wseed;
                    if (!first)
                        hn = hn * HASH_K + 32;
                    has = 1;
                    for (; i < b; i++) {
                        c = cp_at(&t, i);
                        if (!is_word(c) || is_decimal(c))
                            break;
                        hw = hw * HASH_K + c;
                        hn = hn * HASH_K + c;
                    }
                } else {
                    /* outside numbers: ':' '|' '\u2022', or a dash between
                     * whitespace, may split a template */
                    if (marked < 0 && (c == ':' || c == '|' || c == 0x2022 ||
                                       (is_dash(c) && spaced_dash(&t, a, i, b))))
                        marked = i;
                    i++;
                    continue;
                }
                first = 0;
                if (grow((void **)&tok, &tcap, ntok + 1, sizeof(uint64_t)))
                    status = ERR_NOMEM;
                else
                    tok[ntok++] = fmix64(hw);
            }
            exact[k] = in_digest ? fmix64(he) : 0;
            near[k] = fmix64(hn);
            ends[k] = (int64_t)ntok;
            word[k] = (uint8_t)has;
            mark[k] = marked;
        }
        digest = fmix64(hp);
    }
    Py_END_ALLOW_THREADS
    if (status)
        goto done;
    o[0] = bytearray_from(exact, nseg * sizeof(uint64_t));
    o[1] = bytearray_from(near, nseg * sizeof(uint64_t));
    o[2] = bytearray_from(word, nseg);
    o[3] = bytearray_from(mark, nseg * sizeof(int64_t));
    o[4] = bytearray_from(tok, ntok * sizeof(uint64_t));
    o[5] = bytearray_from(ends, nseg * sizeof(int64_t));
    if (o[0] && o[1] && o[2] && o[3] && o[4] && o[5])
        result = Py_BuildValue("(OOOOOOK)", o[0], o[1], o[2], o[3], o[4], o[5],
                               (unsigned long long)digest);
done:
    if (status)
        raise_status(status, "");
    for (m = 0; m < 6; m++)
        Py_XDECREF(o[m]);
    PyBuffer_Release(&vs);
    free(tok);
    free(near);
    free(exact);
    free(ends);
    free(word);
    free(mark);
    return result;
}

/* Shingles combine 5 consecutive token hashes; see native.shingle_sketch. */
#define SHINGLE 5
static const uint64_t shingle_mult[SHINGLE] = {
    UINT64_C(0x9E3779B97F4A7C15), UINT64_C(0xC2B2AE3D27D4EB4F),
    UINT64_C(0x165667B19E3779F9), UINT64_C(0xD6E8FEB86659FD93),
    UINT64_C(0xFF51AFD7ED558CCD)};

/* Insert v into an open-addressing set of `mask + 1` slots (a power of two
 * at least twice the items); slot value UINT64_MAX is empty, so that value is
 * kept aside in *has_max.  Returns 1 when v was new. */
static inline int
set_add(uint64_t *slots, uint64_t mask, uint64_t v, int *has_max)
{
    uint64_t x;
    if (v == UINT64_MAX) {
        int fresh = !*has_max;
        *has_max = 1;
        return fresh;
    }
    for (x = v & mask;; x = (x + 1) & mask) {
        if (slots[x] == v)
            return 0;
        if (slots[x] == UINT64_MAX) {
            slots[x] = v;
            return 1;
        }
    }
}

PyDoc_STRVAR(shingle_sketch_doc,
"shingle_sketch(hashes, ends, select, bins)\n--\n\n"
"One-permutation MinHash (bins minima, as a bytearray of uint64) of the\n"
"5-shingles of the lists of token hashes hashes[ends[k-1]:ends[k]] (from 0\n"
"for k = 0) whose select[k] is nonzero (every list when select is None),\n"
"and the number of distinct shingles.  hashes: int64 (the uint64 bits),\n"
"ends: int64, select: uint8.  See stripper.native.shingle_sketch.");

static PyObject *
core_shingle_sketch(PyObject *self, PyObject *args)
{
    PyObject *hashes, *ends_obj, *select_obj, *result = NULL, *sketch = NULL;
    Py_buffer vh, ve, vs;
    Py_ssize_t bins, nlists, j;
    uint64_t *sh = NULL, *mins = NULL;
    size_t total = 0, distinct = 0, cap;
    int status = OK, have_s = 0;
    (void)self;
    if (!PyArg_ParseTuple(args, "OOOn:shingle_sketch", &hashes, &ends_obj,
                          &select_obj, &bins))
        return NULL;
    if (bins < 1 || bins > (1 << 20)) {
        PyErr_SetString(PyExc_ValueError, "bins must be in [1, 2**20]");
        return NULL;
    }
    if (get_array(hashes, &vh, 'q', 1, 0, "hashes") < 0)
        return NULL;
    if (get_array(ends_obj, &ve, 'q', 1, 0, "ends") < 0) {
        PyBuffer_Release(&vh);
        return NULL;
    }
    nlists = ve.shape[0];
    if (select_obj != Py_None) {
        if (get_array(select_obj, &vs, 'B', 1, 0, "select") < 0)
            goto done;
        have_s = 1;
        if (vs.shape[0] != nlists) {
            status = ERR_VALUE;
            goto done;
        }
    }
    {
        const int64_t *e = ve.buf;
        const uint8_t *sel = have_s ? vs.buf : NULL;
        int64_t a = 0;
        for (j = 0; j < nlists; a = e[j], j++) {
            int64_t b = e[j];
            if (b < a || b > vh.shape[0]) {
                status = ERR_VALUE;
                goto done;
            }
            if (b > a && (!sel || sel[j]))
                total += (size_t)(b - a >= SHINGLE ? b - a - SHINGLE + 1 : 1);
        }
    }
    for (cap = 16; cap < 2 * total; cap *= 2)
        ;
    sh = malloc(cap * sizeof(uint64_t));
    mins = malloc((size_t)bins * sizeof(uint64_t));
    if (!sh || !mins) {
        status = ERR_NOMEM;
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    {
        const uint64_t *h = vh.buf;
        const int64_t *e = ve.buf;
        const uint8_t *sel = have_s ? vs.buf : NULL;
        size_t x;
        int64_t a = 0;
        int has_max = 0;
        memset(sh, 0xff, cap * sizeof(uint64_t));
        for (x = 0; x < (size_t)bins; x++)
            mins[x] = UINT64_MAX;
        for (j = 0; j < nlists; a = e[j], j++) {
            int64_t b = e[j], s;
            if (b == a || (sel && !sel[j]))
                continue;
            /* a list shorter than a shingle is one shingle, padded with 0 */
            for (s = a; s == a || s + SHINGLE <= b; s++) {
                uint64_t v = 0, slot;
                int m;
                for (m = 0; m < SHINGLE; m++)
                    v ^= (s + m < b ? h[s + m] : 0) * shingle_mult[m];
                v = fmix64(v);
                if (!set_add(sh, cap - 1, v, &has_max))
                    continue;
                distinct++;
                slot = v % (uint64_t)bins;
                if (v < mins[slot])
                    mins[slot] = v;
            }
        }
    }
    Py_END_ALLOW_THREADS
    sketch = bytearray_from(mins, (size_t)bins * sizeof(uint64_t));
    if (sketch)
        result = Py_BuildValue("(On)", sketch, (Py_ssize_t)distinct);
done:
    if (status)
        raise_status(status, "ends must rise from 0 to at most len(hashes), "
                             "with one select per list");
    Py_XDECREF(sketch);
    free(sh);
    free(mins);
    if (have_s)
        PyBuffer_Release(&vs);
    PyBuffer_Release(&vh);
    PyBuffer_Release(&ve);
    return result;
}

/* ------------------------------------------------------- character classes */

PyDoc_STRVAR(char_classes_doc,
"char_classes(texts, head, tail)\n"
"--\n\n"
"For each str, how many of its code points are letters, capitals and digits\n"
"(str.isalpha, str.isupper, str.isdigit of each), counting only its first\n"
"head and last tail code points when it is longer than head + tail: a\n"
"bytearray of int64 [n, 3]. See stripper.native.char_classes.");

/* Counts one range of a str's code points into counts[0..2]. */
static void
count_classes(int kind, const void *data, Py_ssize_t from, Py_ssize_t to,
              int64_t *counts)
{
    Py_ssize_t i;
    for (i = from; i < to; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c < 128) { /* ASCII: the common case, without the Unicode tables */
            counts[0] += (c | 32) >= 'a' && (c | 32) <= 'z';
            counts[1] += c >= 'A' && c <= 'Z';
            counts[2] += c >= '0' && c <= '9';
            continue;
        }
        counts[0] += Py_UNICODE_ISALPHA(c) != 0;
        counts[1] += Py_UNICODE_ISUPPER(c) != 0;
        counts[2] += Py_UNICODE_ISDIGIT(c) != 0;
    }
}

/* Fills width int64 counts for one str; -1 with an exception set on an error. */
typedef int (*counter_t)(PyObject *text, const void *how, int64_t *counts);

/* Runs counter over each str of seq: a bytearray of int64 [n, width]. */
static PyObject *
count_each(PyObject *seq, Py_ssize_t width, counter_t counter, const void *how)
{
    PyObject *tuple, *out;
    Py_ssize_t n, r;
    int64_t *counts;
    tuple = PySequence_Tuple(seq);
    if (!tuple)
        return NULL;
    n = PyTuple_GET_SIZE(tuple);
    out = PyByteArray_FromStringAndSize(NULL, n * width * (Py_ssize_t)sizeof(int64_t));
    if (!out) {
        Py_DECREF(tuple);
        return NULL;
    }
    counts = (int64_t *)PyByteArray_AS_STRING(out);
    memset(counts, 0, (size_t)(n * width) * sizeof(int64_t));
    for (r = 0; r < n; r++) {
        PyObject *text = PyTuple_GET_ITEM(tuple, r);
        if (!PyUnicode_Check(text)) {
            PyErr_Format(PyExc_TypeError, "texts[%zd] is not str", r);
            goto error;
        }
#if PY_VERSION_HEX < 0x030C0000
        if (PyUnicode_READY(text) < 0)
            goto error;
#endif
        if (counter(text, how, counts + width * r) < 0)
            goto error;
    }
    Py_DECREF(tuple);
    return out;
error:
    Py_DECREF(tuple);
    Py_DECREF(out);
    return NULL;
}

/* count_each's counter for char_classes: how = {head, tail}. */
static int
classes_of(PyObject *text, const void *how, int64_t *counts)
{
    const Py_ssize_t head = ((const Py_ssize_t *)how)[0], tail = ((const Py_ssize_t *)how)[1];
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    if (length > head + tail) { /* the head and the tail, as the model reads them */
        count_classes(kind, data, 0, head, counts);
        count_classes(kind, data, length - tail, length, counts);
    } else {
        count_classes(kind, data, 0, length, counts);
    }
    return 0;
}

static PyObject *
core_char_classes(PyObject *self, PyObject *args)
{
    PyObject *seq;
    Py_ssize_t ends[2];
    (void)self;
    if (!PyArg_ParseTuple(args, "Onn:char_classes", &seq, &ends[0], &ends[1]))
        return NULL;
    if (ends[0] < 0 || ends[1] < 0) {
        PyErr_SetString(PyExc_ValueError, "head and tail must not be negative");
        return NULL;
    }
    return count_each(seq, 3, classes_of, ends);
}

/* ------------------------------------------------------------ word counts */

PyDoc_STRVAR(word_counts_doc,
"word_counts(texts, vocabulary, longest)\n"
"--\n\n"
"For each str, how many words it holds and how many of them are in the set\n"
"vocabulary (words no longer than longest are looked up), where a word is\n"
"what the regular expression \\w+(?:['\\u2019]\\w+)? finds: a bytearray of\n"
"int64 [n, 2]. See stripper.native.word_counts.");

/* How count_words reads its words. */
typedef struct {
    PyObject *vocabulary;
    Py_ssize_t longest;
} lookup_t;

/* count_each's counter for word_counts: words, and words in the vocabulary. */
static int
count_words(PyObject *text, const void *how, int64_t *counts)
{
    PyObject *vocabulary = ((const lookup_t *)how)->vocabulary;
    Py_ssize_t longest = ((const lookup_t *)how)->longest;
    Py_ssize_t length = PyUnicode_GET_LENGTH(text), i = 0, start, end;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    while (i < length) {
        if (!is_word(PyUnicode_READ(kind, data, i))) {
            i++;
            continue;
        }
        start = i;
        while (i < length && is_word(PyUnicode_READ(kind, data, i)))
            i++;
        /* The optional apostrophe part: taken whole or not at all, as the regex does. */
        if (i + 1 < length) {
            Py_UCS4 mark = PyUnicode_READ(kind, data, i);
            if ((mark == '\'' || mark == 0x2019)
                    && is_word(PyUnicode_READ(kind, data, i + 1))) {
                i += 2;
                while (i < length && is_word(PyUnicode_READ(kind, data, i)))
                    i++;
            }
        }
        end = i;
        counts[0]++;
        if (end - start <= longest) {
            PyObject *word = PyUnicode_Substring(text, start, end);
            int found;
            if (!word)
                return -1;
            found = PySet_Contains(vocabulary, word);
            Py_DECREF(word);
            if (found < 0)
                return -1;
            counts[1] += found;
        }
    }
    return 0;
}

static PyObject *
core_word_counts(PyObject *self, PyObject *args)
{
    PyObject *seq;
    lookup_t how;
    (void)self;
    if (!PyArg_ParseTuple(args, "OOn:word_counts", &seq, &how.vocabulary, &how.longest))
        return NULL;
    if (!PyAnySet_Check(how.vocabulary)) {
        PyErr_SetString(PyExc_TypeError, "vocabulary must be a set or frozenset");
        return NULL;
    }
    return count_each(seq, 2, count_words, &how);
}

/* ---------------------------------------------------------------- module */

static PyMethodDef core_methods[] = {
    {"hash_ngrams", core_hash_ngrams, METH_VARARGS, hash_ngrams_doc},
    {"split_lines", core_split_lines, METH_O, split_lines_doc},
    {"tree_predict", core_tree_predict, METH_VARARGS, tree_predict_doc},
    {"tfidf_weights", core_tfidf_weights, METH_VARARGS, tfidf_weights_doc},
    {"sparse_dot", core_sparse_dot, METH_VARARGS, sparse_dot_doc},
    {"hash_strings", core_hash_strings, METH_VARARGS, hash_strings_doc},
    {"span_prints", core_span_prints, METH_VARARGS, span_prints_doc},
    {"piece_spans", core_piece_spans, METH_VARARGS, piece_spans_doc},
    {"shingle_sketch", core_shingle_sketch, METH_VARARGS, shingle_sketch_doc},
    {"char_classes", core_char_classes, METH_VARARGS, char_classes_doc},
    {"word_counts", core_word_counts, METH_VARARGS, word_counts_doc},
    {NULL, NULL, 0, NULL},
};

static int
core_exec(PyObject *module)
{
    return PyModule_AddIntConstant(module, "MAX_N", MAX_N);
}

static PyModuleDef_Slot core_slots[] = {
    {Py_mod_exec, core_exec},
    {0, NULL},
};

static struct PyModuleDef core_module = {
    PyModuleDef_HEAD_INIT,
    "stripper._core",
    "The compiled hot path of stripper's scoring; use stripper.native.",
    0,
    core_methods,
    core_slots,
    NULL,
    NULL,
    NULL,
};

PyMODINIT_FUNC
PyInit__core(void)
{
    return PyModuleDef_Init(&core_module);
}
