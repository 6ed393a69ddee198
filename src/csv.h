/*
 * csv.h - a streaming CSV reader and fast number helpers, in plain C99.
 *
 * No Lua here: the binding wraps this. No globals; every reader is independent.
 *
 * Format (RFC 4180, read leniently):
 *   - Records end with LF or CRLF (a CR before the LF is dropped; a lone CR
 *     elsewhere is data). The last record may lack its line end.
 *   - Fields are separated by the delimiter given to the open call
 *     (',' normally; ';' or '\t' on request; any byte but '"', CR, LF or NUL).
 *   - A field that starts with '"' is quoted: it may hold the delimiter, CR, LF
 *     and doubled quotes (""), which come back as one '"'. Quoted fields are
 *     unescaped in place in the reader's buffer; no per-field allocation.
 *   - A UTF-8 byte-order mark at the very start is skipped.
 *   - Blank lines (nothing, or just a CR, before the LF) are skipped, but they
 *     still count as lines, so cal_csv_line() stays the physical line number.
 *   - Nothing is ever lost silently: every input record yields exactly one
 *     record from cal_csv_next(), and whatever is wrong with it is described
 *     by cal_csv_problem() (see there). The reader never stops at bad data.
 *
 * Problems reported per record (all of them, "; "-separated, truncated with
 * "..." past about 250 bytes; columns are 1-based):
 *   "N fields, expected M"          field count differs from the first record's
 *   "column N: stray quote"         a '"' inside an unquoted field (kept as data)
 *   "column N: text after closing quote"  e.g. "ab"cd (kept: abcd)
 *   "column N: unterminated quote"  a quoted field still open at end of input;
 *                                   the field runs to end of input
 *   "column N: invalid UTF-8"       bytes are returned unchanged
 *   "column N: NUL byte"            bytes are returned unchanged
 *   "column N: field too long (record over B bytes); rest of record skipped"
 *                                   the record is cut: columns 1..N-1 are
 *                                   returned, column N is empty, the rest of the
 *                                   record (up to its real end) is dropped
 *   "more than F fields; extra fields dropped"
 *
 * Memory is flat: one buffer (256 KiB, growing only while a single record is
 * longer than that, up to the record limit, 16 MiB by default, plus one
 * block) and one field array (at most CAL_CSV_MAX_FIELDS entries).
 *
 * Typical use:
 *     cal_csv *r = cal_csv_open_fd(0, ',');
 *     const cal_field *f; size_t n; int rc;
 *     while ((rc = cal_csv_next(r, &f, &n)) == 1) {
 *         if (cal_csv_problem(r))
 *             fprintf(stderr, "line %lld: %s\n", cal_csv_line(r), cal_csv_problem(r));
 *         ... f[0].ptr, f[0].len ...   (views: valid until the next call)
 *     }
 *     if (rc < 0) ... I/O error ...
 *     cal_csv_close(r);
 */
#ifndef CALCINOSIS_CSV_H
#define CALCINOSIS_CSV_H

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cal.h"

CAL_HIDDEN_BEGIN

/* Defaults; see cal_csv_set_limits(). */
#define CAL_CSV_BLOCK       ((size_t)256 * 1024)        /* bytes read at a time */
#define CAL_CSV_MAX_RECORD  ((size_t)16 * 1024 * 1024)  /* longest record kept */
#define CAL_CSV_MAX_FIELDS  100000u                 /* most fields per record */

typedef struct cal_csv cal_csv; /* opaque */

/* A field: a view into the reader's buffer, NOT NUL-terminated (it may even
 * contain NUL bytes). Valid until the next cal_csv_next() or cal_csv_close(). */
typedef struct {
    const char *ptr;
    size_t len;
} cal_field;

/* Read function for cal_csv_open_read(): fill up to n bytes of buf; return the
 * count (> 0), 0 at end of input, or -1 on error. */
typedef long (*cal_csv_read_fn)(void *ctx, char *buf, size_t n);

/* Openers. All return NULL when out of memory or when delim is '"', '\r',
 * '\n' or '\0'. None of them closes what it was given. */
cal_csv *cal_csv_open_read(cal_csv_read_fn fn, void *ctx, char delim);
cal_csv *cal_csv_open_fd(int fd, char delim);        /* read(2), EINTR retried */
cal_csv *cal_csv_open_file(FILE *f, char delim);     /* fread(3) */
/* Reads from memory (the bytes are copied block by block, buf is not changed;
 * it must stay valid until close). */
cal_csv *cal_csv_open_mem(const char *buf, size_t len, char delim);

/* Tuning and tests: block = bytes asked of the read function at a time
 * (>= 1), max_record = longest record kept (>= 1). Only before the first
 * cal_csv_next(); returns 0, or -1 if too late or out of range. */
int cal_csv_set_limits(cal_csv *r, size_t block, size_t max_record);

/* Tests: the reader's baseline block scan (SSE2 on x86-64) even where the
 * processor has AVX2, which a reader uses when it can (the same records
 * and problems either way). Only before the first cal_csv_next(); returns
 * 0, or -1 if too late. */
int cal_csv_use_baseline(cal_csv *r);

/* Next record: 1 = a record (*fields, *nfields set; nfields >= 1 except when
 * out of memory), 0 = end of input (again on every later call), -1 = read
 * error or out of memory (sticky). The views from the previous call die. */
int cal_csv_next(cal_csv *r, const cal_field **fields, size_t *nfields);

/* 1-based physical line on which the current record started (a record with
 * quoted line breaks spans several lines; the next one starts after them);
 * 0 before the first record; after the end of input, the line after the
 * last one. */
long long cal_csv_line(const cal_csv *r);

/* NULL when the current record is clean, else a message (see the top). Valid
 * until the next cal_csv_next(). */
const char *cal_csv_problem(const cal_csv *r);

/* Field count of the first record (the header, usually), 0 before it. */
size_t cal_csv_expected_fields(const cal_csv *r);

void cal_csv_close(cal_csv *r); /* NULL is fine */

/* Record ends without reading records, for cutting CSV input where this
 * reader ends records (cal_cohort_run_jobs): the reader's own scan. A
 * record starts with a zeroed state (cal_csv_scan s = {0}); bytes are fed
 * in order, in pieces of any size. */
typedef struct {
    int st;            /* quote state at the end of the bytes so far (csv.c) */
    int any_quote;     /* a '"' occurred in the record */
    long long qnl;     /* LFs inside quoted fields of the record */
} cal_csv_scan;

/* Scans p[0..n) from the state in *s. Returns the offset of the LF that ends
 * the record (the first LF outside quotes, stray quotes and text after a
 * closing quote as the reader takes them; the next record starts after it,
 * with a zeroed state), or n when the bytes end inside the record (*s holds
 * the state to go on with the next bytes). */
size_t cal_csv_boundary(cal_csv_scan *s, const char *p, size_t n, char delim);

/* Readers and the cohort pipeline that report several problems for one
 * record separate them with this byte (the unit separator). */
#define CAL_PROBLEM_SEP '\x1f'

/* Appends a formatted message to msg (cap bytes, *len used), after a
 * CAL_PROBLEM_SEP when it is not the first; separator bytes the message
 * brings from the data become spaces; cut with "..." when full. */
void cal_problem_append(char *msg, size_t cap, size_t *len, const char *fmt, va_list ap);

/* p[0..n) starts with the UTF-8 byte-order mark (that readers skip at the
 * very start of a file). */
static inline int cal_utf8_bom(const char *p, size_t n)
{
    return n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0;
}

/* Narrows a field's text past leading spaces and tabs and before trailing
 * spaces, tabs and CRs. */
static inline void cal_trim(const char **p, size_t *n)
{
    if (*n == 0 || ((*p)[0] > ' ' && (*p)[*n - 1] > ' ')) return; /* the usual case */
    while (*n > 0 && ((*p)[0] == ' ' || (*p)[0] == '\t')) { (*p)++; (*n)--; }
    while (*n > 0 && ((*p)[*n - 1] == ' ' || (*p)[*n - 1] == '\t' || (*p)[*n - 1] == '\r')) (*n)--;
}

/* Offset of the first byte of s[0..n) that is not part of valid UTF-8
 * (overlong forms, surrogates and code points past U+10FFFF are invalid),
 * or n when all of it is valid. */
size_t cal_utf8_check(const unsigned char *s, size_t n);

/*
 * Numbers.
 *
 * cal_parse_double: parses exactly the whole of p[0..n) as a decimal number:
 *   [+-]? ( digits [ '.' digits? ] | '.' digits ) ( [eE] [+-]? digits )?
 * No spaces, hex, "inf", "nan", or trailing junk; finite results only (an
 * overflow to infinity is rejected; underflow gives 0 or a subnormal).
 * Correctly rounded (the common short inputs and the 16 to 19 digit texts
 * of %.17g without strtod, the rest via strtod, independent of the C
 * locale). Inputs over 400 bytes are rejected.
 * Returns 1 and sets *out, or returns 0 and leaves *out alone.
 */
static inline int cal_parse_double(const char *p, size_t n, double *out);
int cal_parse_double_general(const char *p, size_t n, double *out); /* the same, any input */

/* The shortest plain numbers, the usual lab values ("7", "51", "344",
 * "8.8", "0.89", "10.5", "1234"): 1 to 4 bytes of digits with at most one
 * point between two of them, as the loop of cal_parse_double below reads
 * them (an exact integer, one correctly rounded division), with a test or
 * two per length, for the callers that read many of them (record.c).
 * Returns 0 for anything else, leaving *out alone. (Inline even where a
 * reader calls it more than once.) */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline int cal_parse_short(const char *p, size_t n, double *out)
{
    unsigned d0, d1, d2, d3;
    if (n - 1 >= 4) return 0;
    d0 = (unsigned)((unsigned char)p[0] - '0');
    d1 = (unsigned)((unsigned char)p[n > 1] - '0');
    d2 = (unsigned)((unsigned char)p[n > 2 ? 2 : 0] - '0');
    d3 = (unsigned)((unsigned char)p[n - 1] - '0');
    if (d0 > 9 || d3 > 9) return 0;
    switch (n) {
    case 1: *out = (double)d0; return 1;
    case 2: if (d1 > 9) return 0; *out = (double)(d0 * 10 + d1); return 1;
    case 3:
        if (d1 <= 9) { *out = (double)(d0 * 100 + d1 * 10 + d3); return 1; }
        if (p[1] != '.') return 0;
        *out = (double)(d0 * 10 + d3) / 10.0;
        return 1;
    default:
        if (d1 <= 9 && d2 <= 9) { *out = (double)(d0 * 1000 + d1 * 100 + d2 * 10 + d3); return 1; }
        if (d1 <= 9 && p[2] == '.') { *out = (double)(d0 * 100 + d1 * 10 + d3) / 10.0; return 1; }
        if (d2 <= 9 && p[1] == '.') { *out = (double)(d0 * 100 + d2 * 10 + d3) / 100.0; return 1; }
        return 0;
    }
}

/* The common case is inline: [-]digits[.digits] with at most 15 digits and
 * 16 bytes is an exact integer and one correctly rounded division; anything
 * else goes to cal_parse_double_general. */
static inline int cal_parse_double(const char *p, size_t n, double *out)
{
    static const double tens[16] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7,
                                     1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15 };
    const char *q = p, *e = p + n, *dot = e;
    unsigned long long m = 0;
    unsigned d;
    size_t nd;
    if (n == 0 || n > 16) return cal_parse_double_general(p, n, out);
    if (*q == '-') q++;
    /* the digits before the point, then (at a point) those after it */
    while (q < e && (d = (unsigned)((unsigned char)*q - '0')) < 10) { m = m * 10 + d; q++; }
    if (q < e) {
        if (*q != '.') return cal_parse_double_general(p, n, out);
        dot = q++;
        while (q < e && (d = (unsigned)((unsigned char)*q - '0')) < 10) { m = m * 10 + d; q++; }
        if (q < e) return cal_parse_double_general(p, n, out);
    }
    nd = (size_t)(e - p) - (size_t)(*p == '-') - (size_t)(dot < e);
    if (nd == 0 || nd > 15) return cal_parse_double_general(p, n, out);
    {
        double v = (double)m;
        if (e - dot > 1) v /= tens[e - dot - 1];
        *out = *p == '-' ? -v : v;
        return 1;
    }
}

/*
 * cal_format_fixed: the text of printf("%.*f", decimals, v), same bytes
 * (exact decimal value of v, ties to even, "-0.00" for small negatives,
 * "nan"/"inf" as glibc prints them), written snprintf-style: at most size
 * bytes including a terminating NUL; returns the full length (without NUL).
 * Fast for |v| * 10^decimals < 2^52 and 0 <= decimals <= 17; else snprintf.
 */
size_t cal_format_fixed(char *buf, size_t size, double v, int decimals);

/*
 * cal_format_g: the text of printf("%.*g", prec, v) (1 <= prec <= 17), same
 * bytes, where it has no exponent (1e-4 <= |v| < 10^prec) and its last
 * digit is not an exact tie, made with exact 128-bit integer arithmetic
 * (where the compiler has it). Writes at most 25 bytes with the NUL and
 * returns the length, or returns 0 (then ask snprintf). *reads_back (may
 * be NULL) is set to 1 when the text reads back as v (cal_parse_double:
 * correctly rounded), decided exactly, without reading it.
 */
size_t cal_format_g(char *buf, double v, int prec, int *reads_back);

/* The usual case of cal_format_fixed, inline (cal_format_fixed takes this
 * path there too): 0 <= decimals <= 4 and |v| * 10^decimals below 10^9,
 * where the last digit is not a tie (the rounded product's fraction is not
 * one half: then the exact product decides, cal_format_fixed's fma). The
 * same text: N = |v| * 10^decimals rounded to nearest (the product rounded
 * as cal_format_fixed rounds it), its digits with the point before the
 * last `decimals` of them, a '-' for a negative sign bit. Writes it at buf
 * (no NUL; bytes past it, up to buf + 16, may be written too) and returns
 * its length, or returns 0 and writes nothing. Written from the front; an
 * integer part below 1000 (the usual) is written without a branch on how
 * many digits it has (little-endian hosts); with a constant `decimals` (the
 * writers of output.c) the tests of it fold away. (Inline even where a
 * writer calls it more than once.) */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline size_t cal_format_fixed_short(char *buf, double v, int decimals)
{
    static const double p10[5] = { 1e0, 1e1, 1e2, 1e3, 1e4 };
    static const char d2[201] =
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
        "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
        "8081828384858687888990919293949596979899";
    double hi, frac;
    uint32_t N, I, F;
    char *w;
    int neg = signbit(v) != 0;
    if ((unsigned)decimals > 4) return 0;
    hi = fabs(v) * p10[decimals];
    if (!(hi < 1e9)) return 0; /* (NaN and the infinities too) */
    N = (uint32_t)hi;           /* floor */
    frac = hi - (double)N;      /* exact */
    if (frac == 0.5) return 0;
    N += (uint32_t)(frac > 0.5); /* (without a branch: a fraction is above one half as often as not) */
    /* the integer part I and the decimals F (by constants: multiplications) */
    switch (decimals) {
    case 0: I = N; F = 0; break;
    case 1: I = N / 10; F = N - I * 10; break;
    case 2: I = N / 100; F = N - I * 100; break;
    case 3: I = N / 1000; F = N - I * 1000; break;
    default: I = N / 10000; F = N - I * 10000; break;
    }
    w = buf;
    *w = '-'; /* (overwritten by the first digit when v is not negative) */
    w += neg;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (I < 1000) { /* one to three digits without a branch on how many: the three, the leading zeros shifted out */
        uint32_t q = I / 100, r = I - q * 100;
        uint32_t nd = 1 + (uint32_t)(I >= 10) + (uint32_t)(I >= 100);
        uint32_t t = (uint32_t)('0' + q) | (uint32_t)(unsigned char)d2[2 * (size_t)r] << 8 |
                     (uint32_t)(unsigned char)d2[2 * (size_t)r + 1] << 16;
        t >>= 8 * (3 - nd);
        memcpy(w, &t, 4); /* (the fourth byte is overwritten or past the end) */
        w += nd;
    } else { /* 4 to 10 digits, from the back */
#else
    if (I < 10) *w++ = (char)('0' + I);
    else if (I < 100) { memcpy(w, d2 + 2 * (size_t)I, 2); w += 2; }
    else if (I < 1000) {
        uint32_t q = I / 100;
        *w = (char)('0' + q);
        memcpy(w + 1, d2 + 2 * (size_t)(I - q * 100), 2);
        w += 3;
    } else { /* 4 to 10 digits, from the back */
#endif
        char *e = w + (I < 10000 ? 4 : I < 100000 ? 5 : I < 1000000 ? 6 : I < 10000000 ? 7
                       : I < 100000000 ? 8 : I < 1000000000 ? 9 : 10);
        char *t = e;
        while (I >= 100) {
            uint32_t q = I / 100;
            t -= 2;
            memcpy(t, d2 + 2 * (size_t)(I - q * 100), 2);
            I = q;
        }
        if (I >= 10) memcpy(t - 2, d2 + 2 * (size_t)I, 2);
        else t[-1] = (char)('0' + I);
        w = e;
    }
    switch (decimals) {
    case 0: break;
    case 1: w[0] = '.'; w[1] = (char)('0' + F); w += 2; break;
    case 2: w[0] = '.'; memcpy(w + 1, d2 + 2 * (size_t)F, 2); w += 3; break;
    case 3: {
        uint32_t q = F / 100;
        w[0] = '.';
        w[1] = (char)('0' + q);
        memcpy(w + 2, d2 + 2 * (size_t)(F - q * 100), 2);
        w += 4;
        break;
    }
    default: {
        uint32_t q = F / 100;
        w[0] = '.';
        memcpy(w + 1, d2 + 2 * (size_t)q, 2);
        memcpy(w + 3, d2 + 2 * (size_t)(F - q * 100), 2);
        w += 5;
        break;
    }
    }
    return (size_t)(w - buf);
}

CAL_HIDDEN_END

#endif
