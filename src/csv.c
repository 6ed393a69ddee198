/*
 * csv.c - streaming CSV reader and number helpers (see csv.h for the contract).
 *
 * How the reader works. Bytes are read in blocks into one buffer. For each
 * record there are two passes over bytes that are already in memory:
 *   1. scan(): find the LF that ends the record (the first LF outside quotes)
 *      with cal_csv_boundary(), which is resumable: its state (quote state,
 *      quoted LFs) is kept in the reader, so when the buffer runs dry we read
 *      more (moving or growing the buffer) and go on. Unquoted text is
 *      searched 8 bytes at a time for the next LF or quote, quoted text for
 *      the closing quote.
 *   2. parse(): split the complete record into field views; quoted fields are
 *      unescaped in place. Without any '"' in the record it is a plain byte loop.
 * Then one word-at-a-time pass tells whether the record is pure ASCII without
 * NUL; only if not are fields checked for NUL and valid UTF-8.
 *
 * The quote state machine shared by both passes and by cut() (d = delimiter):
 *   FS (field start): '"' -> Q, d -> FS, LF -> end, else -> U
 *   U  (unquoted):    d -> FS, LF -> end, else U ('"' here is a stray quote)
 *   Q  (quoted):      '"' -> QQ, else Q (LF, CR, d are data)
 *   QQ (quote in Q):  '"' -> Q (escaped quote), d -> FS, LF -> end,
 *                     else -> U (text after the closing quote)
 * cal_csv_boundary() is the one implementation of its record ends; --jobs
 * (jobs.c) cuts input with it, so that it cuts where this reader ends
 * records.
 */
#define _POSIX_C_SOURCE 200809L

#include "csv.h"

#include <errno.h>
#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if defined(__SSE2__) && defined(__GNUC__) && !defined(CAL_CSV_NO_SIMD)
#include <emmintrin.h>
/* On x86-64 with GCC or Clang, fast_record is built twice, for AVX2 (32
 * bytes per instruction) and for the baseline (SSE2); a reader takes the
 * one the processor has when it is opened (cal_csv_use_baseline: the
 * baseline anyway). The same masks, so the same fields. */
#if defined(__x86_64__) && !defined(CAL_CSV_NO_AVX2)
#define CAL_CSV_AVX2 1
#include <immintrin.h>
#endif
#endif

enum { S_FS, S_U, S_Q, S_QQ };

struct cal_csv {
    /* source */
    cal_csv_read_fn read;
    void *ctx;
    int fd;
    FILE *file;
    const char *mem;
    size_t mem_len, mem_pos;
    char delim;
    int avx2;         /* fast_record reads 32 bytes at a time (AVX2) */

    /* buffer: [rec, end) holds unconsumed input; the current record starts at rec */
    char *buf;
    size_t cap, rec, end, next_rec;
    size_t block, max_record;
    int started, eof, err;

    /* scan state for the record at rec (offsets relative to rec) */
    size_t spos;      /* scanned up to here */
    size_t term;      /* absolute offset of the terminating LF when found */
    cal_csv_scan sc;  /* quote state at spos, quotes and quoted LFs so far */
    int discard;      /* record too long: bytes past keep are dropped */
    size_t keep;      /* bytes of the record kept in discard mode */
    size_t ovf_col;   /* column that overflowed */

    long long line, next_line;

    cal_field *fields;
    size_t fcap;
    size_t expected;

    char msg[256];
    size_t mlen;
    int mtrunc;
};

/* ---------------------------------------------------------------- sources */

static long read_fd(void *ctx, char *buf, size_t n)
{
    cal_csv *r = ctx;
    for (;;) {
        ssize_t got = read(r->fd, buf, n);
        if (got >= 0) return (long)got;
        if (errno != EINTR) return -1;
    }
}

static long read_file(void *ctx, char *buf, size_t n)
{
    cal_csv *r = ctx;
    size_t got = fread(buf, 1, n, r->file);
    if (got == 0 && ferror(r->file)) return -1;
    return (long)got;
}

static long read_mem(void *ctx, char *buf, size_t n)
{
    cal_csv *r = ctx;
    size_t left = r->mem_len - r->mem_pos;
    if (n > left) n = left;
    if (n) memcpy(buf, r->mem + r->mem_pos, n);
    r->mem_pos += n;
    return (long)n;
}

cal_csv *cal_csv_open_read(cal_csv_read_fn fn, void *ctx, char delim)
{
    cal_csv *r;
    if (!fn || delim == '"' || delim == '\r' || delim == '\n' || delim == '\0') return NULL;
    r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->read = fn;
    r->ctx = ctx;
    r->fd = -1;
    r->delim = delim;
    r->block = CAL_CSV_BLOCK;
    r->max_record = CAL_CSV_MAX_RECORD;
    r->line = 0;
    r->next_line = 1;
#ifdef CAL_CSV_AVX2
    r->avx2 = __builtin_cpu_supports("avx2") != 0;
#endif
    return r;
}

int cal_csv_use_baseline(cal_csv *r)
{
    if (!r || r->started) return -1;
    r->avx2 = 0;
    return 0;
}

cal_csv *cal_csv_open_fd(int fd, char delim)
{
    cal_csv *r = cal_csv_open_read(read_fd, NULL, delim);
    if (r) { r->ctx = r; r->fd = fd; }
    return r;
}

cal_csv *cal_csv_open_file(FILE *f, char delim)
{
    cal_csv *r;
    if (!f) return NULL;
    r = cal_csv_open_read(read_file, NULL, delim);
    if (r) { r->ctx = r; r->file = f; }
    return r;
}

cal_csv *cal_csv_open_mem(const char *buf, size_t len, char delim)
{
    cal_csv *r;
    if (!buf && len) return NULL;
    r = cal_csv_open_read(read_mem, NULL, delim);
    if (r) { r->ctx = r; r->mem = buf; r->mem_len = len; }
    return r;
}

int cal_csv_set_limits(cal_csv *r, size_t block, size_t max_record)
{
    if (!r || r->started || block < 1 || max_record < 1) return -1;
    if (block > (size_t)-1 / 4 || max_record > (size_t)-1 / 4) return -1;
    r->block = block;
    r->max_record = max_record;
    return 0;
}

void cal_csv_close(cal_csv *r)
{
    if (!r) return;
    free(r->buf);
    free(r->fields);
    free(r);
}

long long cal_csv_line(const cal_csv *r) { return r->line; }

const char *cal_csv_problem(const cal_csv *r) { return r->mlen ? r->msg : NULL; }

size_t cal_csv_expected_fields(const cal_csv *r) { return r->expected; }

/* ---------------------------------------------------------------- problems */

static void problem(cal_csv *r, const char *fmt, ...)
{
    size_t room;
    int n;
    va_list ap;
    if (r->mtrunc) return;
    if (r->mlen) {
        if (sizeof r->msg - r->mlen < 3) goto trunc;
        memcpy(r->msg + r->mlen, "; ", 3);
        r->mlen += 2;
    }
    room = sizeof r->msg - r->mlen;
    va_start(ap, fmt);
    n = vsnprintf(r->msg + r->mlen, room, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < room) { r->mlen += (size_t)n; return; }
trunc:
    r->mlen = sizeof r->msg - 1;
    memcpy(r->msg + r->mlen - 3, "...", 4);
    r->mtrunc = 1;
}

/* ---------------------------------------------------------------- buffer */

/* Reads more input after end. Returns 1 (got bytes), 0 (end of input), -1. */
static int fill(cal_csv *r)
{
    long got;
    size_t want;
    if (r->discard) {               /* drop what was scanned past the kept part */
        r->end = r->rec + r->keep;
        r->spos = r->keep;
    }
    if (r->cap - r->end < r->block) {
        if (r->rec > 0) {           /* move the partial record to the front */
            memmove(r->buf, r->buf + r->rec, r->end - r->rec);
            r->end -= r->rec;
            r->rec = 0;
        }
        if (r->cap - r->end < r->block) {
            size_t ncap = r->cap * 2, lim = r->max_record + r->block;
            char *nb;
            if (ncap > lim) ncap = lim;
            if (ncap < r->end + r->block) ncap = r->end + r->block;
            nb = realloc(r->buf, ncap);
            if (!nb) return -1;
            r->buf = nb;
            r->cap = ncap;
        }
    }
    want = r->cap - r->end;
    if (want > r->block) want = r->block;
    got = r->read(r->ctx, r->buf + r->end, want);
    if (got < 0 || (size_t)got > want) return -1;
    if (got == 0) { r->eof = 1; return 0; }
    r->end += (size_t)got;
    return 1;
}

static int start(cal_csv *r)
{
    r->started = 1;
    r->end = 0;                     /* (empty: nothing read before the first fill) */
    r->cap = r->block < 64 ? 64 : r->block;
    r->buf = malloc(r->cap);
    if (!r->buf) return -1;
    while (!r->eof && r->end < 3) {
        int rc = fill(r);
        if (rc < 0) return -1;
    }
    if (cal_utf8_bom(r->buf, r->end)) r->rec = r->next_rec = 3;
    return 0;
}

/* ---------------------------------------------------------------- scanning */

static long long count_lf(const char *p, const char *e)
{
    long long n = 0;
    if (e - p < 16) {
        for (; p < e; p++) n += *p == '\n';
        return n;
    }
    while ((p = memchr(p, '\n', (size_t)(e - p))) != NULL) { n++; p++; }
    return n;
}

/* First c in [p, e) or NULL: short spans byte by byte (quoted fields are
 * mostly short, and a memchr call costs more than it saves there). */
static const char *find_byte(const char *p, const char *e, char c)
{
    const char *stop = e - p > 16 ? p + 16 : e;
    for (; p < stop; p++)
        if (*p == c) return p;
    return p == e ? NULL : memchr(p, c, (size_t)(e - p));
}

/* First LF or quote in [p, e), or NULL: 8 bytes at a time where the byte
 * order allows (the lowest set bit of the exact zero-byte mask is the first
 * match). */
static const char *find_lf_or_quote(const char *p, const char *e)
{
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint64_t ones = 0x0101010101010101u, low7 = 0x7F7F7F7F7F7F7F7Fu;
    const uint64_t lf = ones * '\n', qu = ones * '"';
    while (e - p >= 8) {
        uint64_t x, a, b, m;
        memcpy(&x, p, 8);
        a = x ^ lf;
        b = x ^ qu;
        m = ~(((a & low7) + low7) | a | low7) | ~(((b & low7) + low7) | b | low7);
        if (m) return p + (__builtin_ctzll(m) >> 3);
        p += 8;
    }
#endif
    for (; p < e; p++)
        if (*p == '\n' || *p == '"') return p;
    return NULL;
}

size_t cal_csv_boundary(cal_csv_scan *sc, const char *start, size_t n, char d)
{
    const char *p = start, *end = start + n;
    int st = sc->st;

    while (p < end) {
        if (st == S_Q) {
            const char *q = find_byte(p, end, '"');
            sc->qnl += count_lf(p, q ? q : end);
            if (!q) { p = end; break; }
            p = q + 1;
            st = S_QQ;
        } else if (st == S_QQ) {
            char c = *p;
            if (c == '\n') break;
            st = c == '"' ? S_Q : c == d ? S_FS : S_U;
            p++;
        } else {
            /* unquoted text: up to the next LF or quote */
            const char *q = find_lf_or_quote(p, end);
            if (!q) {
                st = end[-1] == d ? S_FS : S_U;
                p = end;
            } else if (*q == '\n') {
                p = q;
                break;
            } else {
                sc->any_quote = 1;
                if (q == p ? st == S_FS : q[-1] == d) st = S_Q; /* opens a quoted field */
                else st = S_U;                                  /* stray quote: data */
                p = q + 1;
            }
        }
    }
    sc->st = st;
    return (size_t)(p - start);
}

/* Advances the record scan over the bytes in the buffer. Returns 1 when the
 * terminating LF is found (r->term), 0 when the buffer is used up. */
static int scan(cal_csv *r)
{
    size_t n = r->end - r->rec - r->spos;
    size_t k = cal_csv_boundary(&r->sc, r->buf + r->rec + r->spos, n, r->delim);
    r->spos += k;
    if (k == n) return 0;
    r->term = r->rec + r->spos;
    return 1;
}

/* The record is longer than max_record: find the field in which the limit
 * falls (its start offset and column, from the first max_record bytes, which
 * are in the buffer) and switch to dropping bytes until the record ends. The
 * cut depends only on the record, never on how the input was read. */
static void cut(cal_csv *r)
{
    const char *b = r->buf + r->rec;
    const char d = r->delim;
    size_t i, f = 0, col = 1;
    int st = S_FS;
    for (i = 0; i < r->max_record; i++) {
        char c = b[i];
        switch (st) {
        case S_FS: if (c == '"') st = S_Q; else if (c == d) { col++; f = i + 1; } else st = S_U; break;
        case S_U:  if (c == d) { st = S_FS; col++; f = i + 1; } break;
        case S_Q:  if (c == '"') st = S_QQ; break;
        default:   if (c == '"') st = S_Q; else if (c == d) { st = S_FS; col++; f = i + 1; } else st = S_U; break;
        }
    }
    r->discard = 1;
    r->keep = f;
    r->ovf_col = col;
}

/* ---------------------------------------------------------------- parsing */

static int grow_fields(cal_csv *r)
{
    size_t n = r->fcap ? r->fcap * 2 : 32;
    cal_field *nf;
    if (n > CAL_CSV_MAX_FIELDS) n = CAL_CSV_MAX_FIELDS;
    if (n <= r->fcap) return 0;
    nf = realloc(r->fields, n * sizeof *nf);
    if (!nf) return 0;
    r->fields = nf;
    r->fcap = n;
    return 1;
}

#define PUSH(P, L)                                                        \
    do {                                                                  \
        if (n < r->fcap || grow_fields(r)) {                              \
            r->fields[n].ptr = (P);                                       \
            r->fields[n].len = (size_t)(L);                               \
        }                                                                 \
        n++;                                                              \
    } while (0)

/* Splits the complete record [s, e) into fields; returns the field count
 * (which may exceed what fits in r->fields). Sets *is_clean to 1 when it
 * found the record to be clean ASCII (else it stays as it was). */
static size_t parse(cal_csv *r, char *s, char *e, int *is_clean)
{
    const char d = r->delim;
    size_t n = 0;
    char *p = s;

    if (!r->sc.any_quote) {
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        /* 8 bytes at a time: a bit mask of the delimiters, walked with ctz;
         * the same words tell whether the record is clean ASCII. */
        const uint64_t ones = 0x0101010101010101u, low7 = 0x7F7F7F7F7F7F7F7Fu;
        const uint64_t dd = ones * (unsigned char)d;
        uint64_t acc = 0;
        char *f = s;
        for (; p < e; p += 8) {
            uint64_t x, t, m;
            if (e - p >= 8) memcpy(&x, p, 8);
            else if (e - s >= 8) {
                /* the last 8 bytes of the record, shifted down, LFs above */
                unsigned sh = 8u * (unsigned)(8 - (e - p));
                memcpy(&x, e - 8, 8);
                x = (x >> sh) | ((ones * '\n') << (64 - sh));
            } else { x = ones * '\n'; memcpy(&x, p, (size_t)(e - p)); }
            acc |= (x - ones) | x;
            t = x ^ dd;
            m = ~(((t & low7) + low7) | t | low7);
            while (m) {
                char *q = p + (__builtin_ctzll(m) >> 3);
                PUSH(f, q - f);
                f = q + 1;
                m &= m - 1;
            }
        }
        PUSH(f, e - f);
        *is_clean = !(acc & 0x8080808080808080u);
        return n;
#else
        for (;;) {
            char *f = p;
            while (p < e && *p != d) p++;
            PUSH(f, p - f);
            if (p == e) return n;
            p++;
        }
#endif
    }
    for (;;) {
        if (p < e && *p == '"') {
            char *ptr = ++p, *w = p;
            int closed = 0;
            for (;;) {
                char *q = (char *)find_byte(p, e, '"'); /* p is in the writable buffer */
                if (!q) {
                    if (w != p) memmove(w, p, (size_t)(e - p));
                    w += e - p;
                    p = e;
                    break;
                }
                if (w != p) memmove(w, p, (size_t)(q - p));
                w += q - p;
                p = q + 1;
                if (p < e && *p == '"') { *w++ = '"'; p++; continue; }
                closed = 1;
                break;
            }
            if (!closed) {
                problem(r, "column %lu: unterminated quote", (unsigned long)(n + 1));
            } else if (p < e && *p != d) {
                char *t = p;
                while (t < e && *t != d) t++;
                problem(r, "column %lu: text after closing quote", (unsigned long)(n + 1));
                memmove(w, p, (size_t)(t - p));
                w += t - p;
                p = t;
            }
            PUSH(ptr, w - ptr);
        } else {
            char *f = p;
            int stray = 0;
            while (p < e && *p != d) { stray |= *p == '"'; p++; }
            if (stray) problem(r, "column %lu: stray quote", (unsigned long)(n + 1));
            PUSH(f, p - f);
        }
        if (p >= e) return n;
        p++;
    }
}

/* The usual record in one pass instead of two (scan() then parse()), fast_record_base
 * (and fast_record_avx2, the same with AVX2): a
 * record whose LF is already in the buffer, within the record limit, with
 * no '"' in it and not blank. Blocks of bytes give masks of delimiters and
 * of LFs and quotes (SSE2, or else 8-byte words and the exact zero-byte
 * masks, lowest bit first); delimiters end fields, the LF ends the record,
 * a quote gives up. Returns 1 with the fields (as parse() splits them), their count
 * in *nout, the LF's offset in *term and the record's end (before a CR) in
 * *eout; 0 when the record is not such a one or its end is closer than 64
 * (8 without SSE2) bytes to the end of the buffer: nothing is changed then but the field
 * array, and the two passes read the record. *is_clean as parse() sets it. */
#if (defined(__SSE2__) && defined(__GNUC__) && !defined(CAL_CSV_NO_SIMD)) || \
    (defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)
#define FAST_ROOM 65 /* fields of one block of fast_record (64 bytes), and the last one */

/* At least need fields in the array; 0 when it cannot grow so far (the
 * two passes read the record then). */
static int fields_room(cal_csv *r, size_t need)
{
    while (r->fcap < need)
        if (!grow_fields(r)) return 0;
    return 1;
}

/* fast_record's fields ended by the delimiters of mask md over the bytes
 * from p (bit k << shift is byte k: shift 0 for the SSE2 masks, 3 for the
 * 8-byte words): from *f, counted in *n. 0 when out of memory. */
static inline int add_fields(cal_csv *r, char *p, uint64_t md, int shift, char **f, size_t *n)
{
    cal_field *o;
    char *s = *f;
    /* room for a block's fields (at most 64) and end_record's, once per block */
    if (r->fcap - *n < FAST_ROOM && !fields_room(r, *n + FAST_ROOM)) return 0;
    o = r->fields + *n;
    while (md) {
        char *q = p + (__builtin_ctzll(md) >> shift);
        o->ptr = s;
        o->len = (size_t)(q - s);
        o++;
        s = q + 1;
        md &= md - 1;
    }
    *n = (size_t)(o - r->fields);
    *f = s;
    return 1;
}

/* fast_record's end of a record at q, the first LF or quote found (s the
 * record's start, f its last field's, n the fields before): 0 for a quote
 * or a blank line (the two passes read those), else the last field and the
 * outputs as fast_record describes them. */
static int end_record(cal_csv *r, const char *s, char *f, char *q, size_t n, size_t *nout, size_t *term,
                      char **eout)
{
    char *e = q;
    if (*q != '\n') return 0; /* a quote */
    if (e > s && e[-1] == '\r') e--;
    if (e == s) return 0; /* a blank line: the two passes skip it */
    r->fields[n].ptr = f; /* (add_fields made room for it) */
    r->fields[n].len = (size_t)(e - f);
    *nout = n + 1;
    *term = (size_t)(q - r->buf);
    *eout = e;
    return 1;
}
#endif

#ifdef CAL_CSV_AVX2
/* fast_record with AVX2: the same masks from two 32-byte loads per 64 bytes. */
__attribute__((target("avx2"))) static int fast_record_avx2(cal_csv *r, size_t *nout, size_t *term, char **eout,
                                                            int *is_clean)
{
    const __m256i vd = _mm256_set1_epi8(r->delim), vl = _mm256_set1_epi8('\n'), vq = _mm256_set1_epi8('"');
    char *s = r->buf + r->rec, *p = s, *f = s;
    size_t avail = r->end - r->rec, n = 0;
    const char *lim;
    __m256i any = _mm256_setzero_si256(), least = _mm256_set1_epi8(-1); /* as in fast_record_base */
    if (avail > r->max_record) avail = r->max_record;
    lim = s + avail;
    while (lim - p >= 64) {
        __m256i a = _mm256_loadu_si256((const __m256i *)(const void *)p);
        __m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32));
        uint64_t md = (uint64_t)(unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(a, vd)) |
                      (uint64_t)(unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(b, vd)) << 32;
        uint64_t ms = (uint64_t)(unsigned)_mm256_movemask_epi8(
                          _mm256_or_si256(_mm256_cmpeq_epi8(a, vl), _mm256_cmpeq_epi8(a, vq))) |
                      (uint64_t)(unsigned)_mm256_movemask_epi8(
                          _mm256_or_si256(_mm256_cmpeq_epi8(b, vl), _mm256_cmpeq_epi8(b, vq))) << 32;
        any = _mm256_or_si256(any, _mm256_or_si256(a, b));
        least = _mm256_min_epu8(least, _mm256_min_epu8(a, b));
        if (ms) md &= (ms & (0 - ms)) - 1;
        if (!add_fields(r, p, md, 0, &f, &n)) return 0;
        if (ms) {
            if (!end_record(r, s, f, p + __builtin_ctzll(ms), n, nout, term, eout)) return 0;
            *is_clean = !_mm256_movemask_epi8(_mm256_or_si256(any, _mm256_cmpeq_epi8(least, _mm256_setzero_si256())));
            return 1;
        }
        p += 64;
    }
    return 0;
}
#endif

static int fast_record_base(cal_csv *r, size_t *nout, size_t *term, char **eout, int *is_clean)
{
#if defined(__SSE2__) && defined(__GNUC__) && !defined(CAL_CSV_NO_SIMD)
    /* 64 bytes at a time (4 x 16 with SSE2): one mask of delimiters and
     * one of LFs and quotes per 64 bytes, so that the loop over the fields
     * of a usual record ends once or twice, not once per word */
    const __m128i vd = _mm_set1_epi8(r->delim), vl = _mm_set1_epi8('\n'), vq = _mm_set1_epi8('"');
    char *s = r->buf + r->rec, *p = s, *f = s;
    size_t avail = r->end - r->rec, n = 0;
    const char *lim;
    /* the bytes looked at, or-ed (a high bit: a byte >= 0x80) and their
     * minimum (0: a NUL) */
    __m128i any = _mm_setzero_si128(), least = _mm_set1_epi8(-1);
    if (avail > r->max_record) avail = r->max_record;
    lim = s + avail;
    while (lim - p >= 64) {
        uint64_t md = 0, ms = 0;
        int k;
        for (k = 0; k < 4; k++) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + (ptrdiff_t)16 * k));
            md |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, vd)) << (16 * k);
            ms |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, vl), _mm_cmpeq_epi8(v, vq)))
                  << (16 * k);
            any = _mm_or_si128(any, v);
            least = _mm_min_epu8(least, v);
        }
        if (ms) md &= (ms & (0 - ms)) - 1; /* the delimiters before the first LF or quote */
        if (!add_fields(r, p, md, 0, &f, &n)) return 0;
        if (ms) {
            if (!end_record(r, s, f, p + __builtin_ctzll(ms), n, nout, term, eout)) return 0;
            /* (bytes past the LF too: at worst clean() looks again) */
            *is_clean = !_mm_movemask_epi8(_mm_or_si128(any, _mm_cmpeq_epi8(least, _mm_setzero_si128())));
            return 1;
        }
        p += 64;
    }
#elif defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint64_t ones = 0x0101010101010101u, low7 = 0x7F7F7F7F7F7F7F7Fu, highs = ~low7;
    const uint64_t dd = ones * (unsigned char)r->delim, lf = ones * '\n', qu = ones * '"';
    char *s = r->buf + r->rec, *p = s, *f = s;
    size_t avail = r->end - r->rec, n = 0;
    const char *lim;
    uint64_t acc = 0;
    if (avail > r->max_record) avail = r->max_record;
    lim = s + avail;
    while (lim - p >= 8) {
        uint64_t x, a, b, c, md, ms;
        memcpy(&x, p, 8);
        a = x ^ dd;
        b = x ^ lf;
        c = x ^ qu;
        /* delimiters: the exact mask (each bit is one); LF or quote: only
         * its lowest bit is used, and that one is exact */
        md = ~(((a & low7) + low7) | a | low7);
        ms = (((b - ones) & ~b) | ((c - ones) & ~c)) & highs;
        acc |= (x - ones) | x; /* (bytes past the LF too: at worst clean() looks again) */
        if (ms) md &= (ms & (0 - ms)) - 1; /* the delimiters before it */
        if (!add_fields(r, p, md, 3, &f, &n)) return 0;
        if (ms) {
            if (!end_record(r, s, f, p + (__builtin_ctzll(ms) >> 3), n, nout, term, eout)) return 0;
            *is_clean = !(acc & highs);
            return 1;
        }
        p += 8;
    }
#else
    (void)r; (void)nout; (void)term; (void)eout; (void)is_clean;
#endif
    return 0;
}

/* 1 when [p, p+n) is ASCII without NUL (the usual case), checked 8 bytes at a time. */
static int clean(const char *p, size_t n)
{
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    uint64_t acc = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x;
        memcpy(&x, p + i, 8);
        acc |= (x - ones) | x;
    }
    if (acc & highs) return 0;
    for (; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == 0 || c >= 0x80) return 0;
    }
    return 1;
}

void cal_problem_append(char *msg, size_t cap, size_t *len, const char *fmt, va_list ap)
{
    int w;
    size_t at, i;
    if (cap < 16 || *len + 8 >= cap) return;
    if (*len) msg[(*len)++] = CAL_PROBLEM_SEP;
    at = *len;
    w = vsnprintf(msg + *len, cap - *len, fmt, ap);
    if (w < 0) w = 0;
    *len += (size_t)w;
    for (i = at; i < *len && i < cap; i++)
        if (msg[i] == CAL_PROBLEM_SEP) msg[i] = ' ';
    if (*len >= cap) {
        *len = cap - 4;
        memcpy(msg + *len, "...", 4);
        *len += 3;
    }
}

size_t cal_utf8_check(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (n - i >= 8) {                      /* ASCII 8 bytes at a time */
            uint64_t x;
            memcpy(&x, s + i, 8);
            if (!(x & 0x8080808080808080u)) { i += 8; continue; }
        }
        unsigned c = s[i];
        size_t k;
        unsigned lo = 0x80, hi = 0xBF;
        if (c < 0x80) { i++; continue; }
        if (c >= 0xC2 && c <= 0xDF) k = 1;
        else if (c >= 0xE0 && c <= 0xEF) {
            k = 2;
            if (c == 0xE0) lo = 0xA0;          /* overlong */
            else if (c == 0xED) hi = 0x9F;     /* surrogates */
        } else if (c >= 0xF0 && c <= 0xF4) {
            k = 3;
            if (c == 0xF0) lo = 0x90;          /* overlong */
            else if (c == 0xF4) hi = 0x8F;     /* > U+10FFFF */
        } else return i;
        if (n - i <= k) return i;
        if (s[i + 1] < lo || s[i + 1] > hi) return i;
        if (k >= 2 && (s[i + 2] & 0xC0) != 0x80) return i;
        if (k >= 3 && (s[i + 3] & 0xC0) != 0x80) return i;
        i += k + 1;
    }
    return n;
}

/* ---------------------------------------------------------------- next */

int cal_csv_next(cal_csv *r, const cal_field **fields, size_t *nfields)
{
    if (r->err) return -1;
    if (!r->started && start(r) < 0) { r->err = 1; return -1; }
    r->mlen = 0;
    r->mtrunc = 0;
    r->msg[0] = '\0';

    for (;;) {
        char *s, *e = NULL;
        size_t n, kept;
        int found, is_clean;

        r->rec = r->next_rec;
        r->line = r->next_line;
        r->spos = 0;
        memset(&r->sc, 0, sizeof r->sc); /* S_FS */
        r->discard = 0;

        if (
#ifdef CAL_CSV_AVX2
            r->avx2 ? fast_record_avx2(r, &n, &r->term, &e, &is_clean) :
#endif
            fast_record_base(r, &n, &r->term, &e, &is_clean)) {
            s = r->buf + r->rec;
            found = 1;
            r->next_rec = r->term + 1;
            r->next_line = r->line + 1;
            goto fields;
        }
        for (;;) {
            int rc;
            found = scan(r);
            if (found || r->eof) break;
            /* (+1: a CR before the LF is not part of the record) */
            if (!r->discard && r->end - r->rec > r->max_record + 1) cut(r);
            rc = fill(r);
            if (rc < 0) { r->err = 1; return -1; }
        }
        if (found) {
            r->next_rec = r->term + 1;
        } else {
            if (r->end == r->rec && !r->discard) { r->next_rec = r->rec; return 0; }
            r->next_rec = r->end;
        }
        r->next_line = r->line + r->sc.qnl + (found ? 1 : 0);

        s = r->buf + r->rec;
        if (!r->discard) {
            e = found ? r->buf + r->term : r->buf + r->end;
            if (e > s && e[-1] == '\r' && (found || r->sc.st != S_Q)) e--;
            if (e == s) continue;                    /* blank line */
            if ((size_t)(e - s) > r->max_record) cut(r);
        }
        if (r->discard) e = s + r->keep;

        is_clean = 0;
        n = parse(r, s, e, &is_clean);
    fields:
        kept = n < r->fcap ? n : r->fcap;
        if (r->discard) {
            problem(r, "column %lu: field too long (record over %lu bytes); rest of record skipped",
                    (unsigned long)r->ovf_col, (unsigned long)r->max_record);
            if (!found && r->sc.st == S_Q)
                problem(r, "column %lu: unterminated quote", (unsigned long)r->ovf_col);
        } else if (!r->expected) {
            r->expected = n;
        } else if (n != r->expected) {
            problem(r, "%lu fields, expected %lu", (unsigned long)n, (unsigned long)r->expected);
        }
        if (kept < n)
            problem(r, "more than %lu fields; extra fields dropped", (unsigned long)kept);
        if (!is_clean && !clean(s, (size_t)(e - s))) {
            size_t i;
            for (i = 0; i < kept; i++) {
                const cal_field *f = &r->fields[i];
                if (memchr(f->ptr, '\0', f->len))
                    problem(r, "column %lu: NUL byte", (unsigned long)(i + 1));
                if (cal_utf8_check((const unsigned char *)f->ptr, f->len) != f->len)
                    problem(r, "column %lu: invalid UTF-8", (unsigned long)(i + 1));
            }
        }
        *fields = r->fields;
        *nfields = kept;
        return 1;
    }
}

/* ---------------------------------------------------------------- numbers */

static const double pow10_tab[23] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

#if defined(__SIZEOF_INT128__)
/* 128-bit products, exact (the digits of cal_format_g, the 16 to 19 digit
 * case of cal_parse_double_general); elsewhere those go to snprintf and
 * strtod. */
#define CAL_HAVE_U128 1
__extension__ typedef unsigned __int128 u128;

static const uint64_t pow5_tab[23] = {
    1u, 5u, 25u, 125u, 625u, 3125u, 15625u, 78125u, 390625u, 1953125u, 9765625u, 48828125u, 244140625u,
    1220703125u, 6103515625u, 30517578125u, 152587890625u, 762939453125u, 3814697265625u,
    19073486328125u, 95367431640625u, 476837158203125u, 2384185791015625u};

#define MANT_BITS 52
#define HIDDEN ((uint64_t)1 << MANT_BITS)

/* The bits of a positive finite double (mantissa m with its hidden bit,
 * exponent e: x = m * 2^e), or 0 for a subnormal. */
static int split_double(double x, uint64_t *m, int *e)
{
    uint64_t b;
    int E;
    memcpy(&b, &x, sizeof b);
    E = (int)(b >> MANT_BITS);
    if (E == 0 || E >= 2047) return 0;
    *m = (b & (HIDDEN - 1)) | HIDDEN;
    *e = E - 1075;
    return 1;
}

/* The double after (up = 1) or before a positive finite x. */
static double next_double(double x, int up)
{
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    b = up ? b + 1 : b - 1;
    memcpy(&x, &b, sizeof x);
    return x;
}

/* w / 10^d (1 <= d <= 22) correctly rounded (to nearest, ties to even):
 * the double division's result, one or two doubles off at most, moved to
 * the double whose rounding interval holds w / 10^d, decided exactly by
 * comparing 4w * 2^(-e-d) with (4m +- 2) * 5^d (4m - 1 below a power of
 * two, where the gap below is half). Returns 0 when it cannot say (then
 * strtod decides). */
static int div_pow10(uint64_t w, int d, double *out)
{
    double c = (double)w / pow10_tab[d];
    int i;
    for (i = 0; i < 4; i++) {
        uint64_t m;
        int e, sh;
        u128 A, lo, hi;
        if (!split_double(c, &m, &e)) return 0;
        lo = (u128)(4 * m - (m == HIDDEN ? 1 : 2)) * pow5_tab[d];
        hi = (u128)(4 * m + 2) * pow5_tab[d];
        sh = 2 - e - d;
        if (sh >= 0) {
            if (sh > 63) return 0;
            A = (u128)w << sh;
        } else {
            if (-sh > 20) return 0;
            A = w;
            lo <<= -sh;
            hi <<= -sh;
        }
        if (A < lo) { c = next_double(c, 0); continue; }
        if (A > hi) { c = next_double(c, 1); continue; }
        if (m & 1) { /* on a midpoint, the even neighbour */
            if (A == hi) c = next_double(c, 1);
            else if (A == lo) c = next_double(c, 0);
        }
        *out = c;
        return 1;
    }
    return 0;
}
#endif

int cal_parse_double_general(const char *p, size_t n, double *out)
{
    const char *s = p, *e = p + n;
    int neg = 0, sig = 0, inexact = 0, ndig = 0;
    uint64_t w = 0;
    long e10 = 0;

    if (n == 0 || n > 400) return 0;
    if (*s == '+' || *s == '-') { neg = *s == '-'; s++; }
    for (; s < e && *s >= '0' && *s <= '9'; s++) {
        ndig++;
        if (w == 0 && *s == '0') continue;
        if (sig < 19) { w = w * 10 + (uint64_t)(*s - '0'); sig++; }
        else { inexact = 1; e10++; }
    }
    if (s < e && *s == '.') {
        for (s++; s < e && *s >= '0' && *s <= '9'; s++) {
            ndig++;
            if (w == 0 && *s == '0') { e10--; continue; }
            if (sig < 19) { w = w * 10 + (uint64_t)(*s - '0'); sig++; e10--; }
            else inexact = 1;
        }
    }
    if (ndig == 0) return 0;
    if (s < e && (*s == 'e' || *s == 'E')) {
        int eneg = 0, edig = 0;
        long x = 0;
        s++;
        if (s < e && (*s == '+' || *s == '-')) { eneg = *s == '-'; s++; }
        for (; s < e && *s >= '0' && *s <= '9'; s++) {
            edig++;
            if (x < 100000) x = x * 10 + (*s - '0');
        }
        if (!edig) return 0;
        e10 += eneg ? -x : x;
    }
    if (s != e) return 0;

#if FLT_EVAL_METHOD == 0
    if (!inexact && w <= ((uint64_t)1 << 53) && e10 >= -22 && e10 <= 22) {
        double v = (double)w;
        if (e10 < 0) v /= pow10_tab[-e10];
        else v *= pow10_tab[e10];
        *out = neg ? -v : v;
        return 1;
    }
#if defined(CAL_HAVE_U128)
    /* 16 to 19 digits (the texts of %.17g): w / 10^d, exactly */
    if (!inexact && w > ((uint64_t)1 << 53) && e10 >= -22 && e10 <= 0) {
        double v;
        if (e10 == 0 ? w < ((uint64_t)1 << 63) && ((v = (double)(long long)w), 1) : div_pow10(w, (int)-e10, &v)) {
            *out = neg ? -v : v;
            return 1;
        }
    }
#endif
#endif
    {
        /* strtod on a NUL-terminated copy, with the locale's decimal point */
        char tmp[420], *end;
        const char *dp = localeconv()->decimal_point;
        size_t dpl = dp ? strlen(dp) : 0, j = 0, i;
        double v;
        if (dpl == 0 || dpl > 8) { dp = "."; dpl = 1; }
        for (i = 0; i < n; i++) {
            if (p[i] == '.') { memcpy(tmp + j, dp, dpl); j += dpl; }
            else tmp[j++] = p[i];
        }
        tmp[j] = '\0';
        v = strtod(tmp, &end);
        if (end != tmp + j || !isfinite(v)) return 0;
        *out = v;
        return 1;
    }
}

/* "00" to "99": two digits at a time */
static const char digits2[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/* The decimal digits of N (1 for 0), without a loop: from its bit length */
static int digit_count(uint64_t N)
{
    static const uint64_t p10[20] = { 1u, 10u, 100u, 1000u, 10000u, 100000u, 1000000u, 10000000u, 100000000u,
                                      1000000000u, 10000000000u, 100000000000u, 1000000000000u,
                                      10000000000000u, 100000000000000u, 1000000000000000u,
                                      10000000000000000u, 100000000000000000u, 1000000000000000000u,
                                      10000000000000000000u };
#if defined(__GNUC__)
    uint64_t M = N | 1; /* the same count (a power of ten is even), and 1 for 0 */
    int bits = 64 - __builtin_clzll(M), t = (bits * 1233) >> 12; /* 1233 / 4096 ~ log10(2) */
    return t + (M >= p10[t]);
#else
    int nd = 1;
    while (nd < 20 && N >= p10[nd]) nd++;
    return nd;
#endif
}

/* Writes N / 10^decimals, a point and the last `decimals` digits of N
 * (and a '-' before them when neg), ending just before end; returns where
 * the text starts. */
static inline char *put_fixed(char *end, uint64_t N, int decimals, int neg)
{
    char *t = end;
    int k = decimals;
    for (; k >= 2; k -= 2) {
        const char *d2 = digits2 + 2 * (N % 100);
        N /= 100;
        *--t = d2[1];
        *--t = d2[0];
    }
    if (k) { *--t = (char)('0' + N % 10); N /= 10; }
    if (decimals) *--t = '.';
    while (N >= 100) {
        const char *d2 = digits2 + 2 * (N % 100);
        N /= 100;
        *--t = d2[1];
        *--t = d2[0];
    }
    if (N >= 10) { *--t = digits2[2 * N + 1]; *--t = digits2[2 * N]; }
    else *--t = (char)('0' + N);
    if (neg) *--t = '-';
    return t;
}

/* cal_format_fixed by snprintf (the rare values; apart, so that the usual
 * path keeps its registers) */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static size_t format_fixed_printf(char *buf, size_t size, double v, int decimals)
{
    int n = snprintf(buf, size, "%.*f", decimals, v);
    const char *dp = localeconv()->decimal_point;
    if (n < 0) { if (size) buf[0] = '\0'; return 0; }
    if (dp && dp[0] && dp[0] != '.' && !dp[1] && size) {
        char *c = strchr(buf, dp[0]);
        if (c) *c = '.';
    }
    return (size_t)n;
}

size_t cal_format_fixed(char *buf, size_t size, double v, int decimals)
{
    if (size > 16) { /* the usual case (csv.h) */
        size_t n = cal_format_fixed_short(buf, v, decimals);
        if (n) { buf[n] = '\0'; return n; }
    }
    if (decimals >= 0 && decimals <= 17 && isfinite(v)) {
        double a = fabs(v), P = pow10_tab[decimals];
        double hi = a * P;
        if (hi < 4503599627370496.0) {                  /* 2^52 */
            uint64_t N = (uint64_t)hi;                  /* floor: 0 <= hi < 2^52 */
            double frac = hi - (double)N;               /* exact */
            size_t len;
            int nd, neg = signbit(v) != 0;
            /* a*P == hi + lo exactly (fma); hi's fraction is above or below
             * one half exactly when the sum's is, so lo matters only at a
             * tie: rounded half-to-even, as glibc does (without a branch
             * on the fraction, which is as good as random) */
            if (frac == 0.5) {
                double lo = fma(a, P, -hi);
                N += (uint64_t)(lo > 0 || (lo == 0 && (N & 1)));
            } else N += (uint64_t)(frac > 0.5);
            if (size >= 32) { /* the usual room: the digits from the back into tmp, then 32 bytes at once */
                char tmp[64], *e = tmp + 32, *t;
                memset(e, 0, 32); /* the NUL, and defined bytes after it */
                t = put_fixed(e, N, decimals, neg); /* at most 20 bytes: 16 digits, "-0." */
                memcpy(buf, t, 32);
                return (size_t)(e - t);
            }
            nd = digit_count(N);
            /* the length first, then the digits in place from the back */
            len = (size_t)neg + (size_t)(nd > decimals ? nd - decimals : 1) + (decimals ? (size_t)decimals + 1 : 0);
            if (len < size) {
                buf[len] = '\0';
                put_fixed(buf + len, N, decimals, neg);
            } else if (size) {
                char tmp[48];
                memcpy(buf, put_fixed(tmp + sizeof tmp, N, decimals, neg), size - 1);
                buf[size - 1] = '\0';
            }
            return len;
        }
    }
    return format_fixed_printf(buf, size, v, decimals);
}

size_t cal_format_g(char *buf, double v, int prec, int *reads_back)
{
#if defined(CAL_HAVE_U128)
    static const uint64_t p10u[18] = {1u, 10u, 100u, 1000u, 10000u, 100000u, 1000000u, 10000000u, 100000000u,
                                      1000000000u, 10000000000u, 100000000000u, 1000000000000u, 10000000000000u,
                                      100000000000000u, 1000000000000000u, 10000000000000000u,
                                      100000000000000000u};
    double a = fabs(v);
    uint64_t m, N = 0;
    int e, x, k = 0, attempt, back = 0, nd, i;
    size_t n = 0;
    char d[24];
    if (reads_back) *reads_back = 0;
    if (prec < 1 || prec > 17 || !(a >= 1e-4 && a < pow10_tab[prec]) || !split_double(a, &m, &e)) return 0;
    x = (int)floor(log10(a));
    /* N = a * 10^k rounded, k = prec - 1 - x: a * 10^k = m * 5^k * 2^(e + k),
     * exact in 128 bits (m < 2^53, 5^k < 2^52); x is the decimal exponent,
     * put right when log10 was off by one or the rounding carried to 10^prec */
    for (attempt = 0; attempt < 2; attempt++) {
        u128 M5;
        int s;
        k = prec - 1 - x;
        if (k < 0 || k > 22) return 0;
        M5 = (u128)m * pow5_tab[k];
        s = -(e + k);
        if (s <= 0) { /* an integer: exact */
            if (-s > 63 || (M5 << -s) >> 64) return 0;
            N = (uint64_t)(M5 << -s);
            back = 1;
        } else {
            u128 R, half, Dm, delta, f5 = pow5_tab[k];
            if (s > 120 || (M5 >> s) >> 64) return 0;
            N = (uint64_t)(M5 >> s);
            R = M5 & ((((u128)1) << s) - 1);
            half = ((u128)1) << (s - 1);
            if (R == half) return 0; /* a tie: printf's own rounding decides */
            N += R > half;
            /* reads back: N * 10^-k within half an ulp of a (ulp = 2^e, which is
             * 5^k in units of 10^-k * 2^-s; a quarter of it below a power of two,
             * where the gap below is half), ties to even */
            Dm = ((u128)N) << s;
            delta = Dm > M5 ? Dm - M5 : M5 - Dm;
            if (Dm < M5 && m == HIDDEN) back = 4 * delta <= f5;
            else back = 2 * delta < f5 || (2 * delta == f5 && !(m & 1));
        }
        if (N < p10u[prec - 1]) x--;
        else if (N >= p10u[prec]) x++;
        else break;
    }
    if (attempt == 2 || x < -4 || x >= prec) return 0;
    /* the digits of N (prec of them), then the point k digits from the right */
    for (i = prec - 1; i >= 0; i--) { d[i] = (char)('0' + N % 10); N /= 10; }
    nd = prec;
    while (nd > 0 && nd > prec - k && d[nd - 1] == '0') nd--; /* trailing zeros of the fraction */
    if (v < 0) buf[n++] = '-';
    if (k >= prec) { /* 0.000ddd */
        buf[n++] = '0';
        buf[n++] = '.';
        for (i = 0; i < k - prec; i++) buf[n++] = '0';
        memcpy(buf + n, d, (size_t)nd);
        n += (size_t)nd;
    } else {
        memcpy(buf + n, d, (size_t)(prec - k));
        n += (size_t)(prec - k);
        if (nd > prec - k) {
            buf[n++] = '.';
            memcpy(buf + n, d + prec - k, (size_t)(nd - (prec - k)));
            n += (size_t)(nd - (prec - k));
        }
    }
    buf[n] = '\0';
    if (reads_back) *reads_back = back;
    return n;
#else
    (void)buf;
    (void)v;
    (void)prec;
    if (reads_back) *reads_back = 0;
    return 0;
#endif
}
