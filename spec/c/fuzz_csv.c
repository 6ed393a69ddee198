/*
 * fuzz_csv.c - libFuzzer target for src/csv.c (run by `make fuzz`, spec/c/fuzz.sh).
 *
 * TEST-SOURCES: src/csv.c
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined spec/c/fuzz_csv.c src/csv.c -lm -o /tmp/fuzz_csv
 *   /tmp/fuzz_csv -max_total_time=300 -max_len=4096 /tmp/fuzz_corpus
 *
 * The first 4 bytes choose the delimiter, the read size and the record limit;
 * the rest is the CSV input. Checks, besides the sanitizers:
 *   - reading in chunks of 1..17 bytes gives exactly the same records, lines
 *     and problems as reading all at once (same limit);
 *   - every record has >= 1 field, line numbers only go up and stay within
 *     the number of LFs + 1, and every field lies inside the reader's buffer
 *     (ASan checks the reads);
 *   - cal_parse_double agrees with strtod, cal_format_fixed and cal_format_g
 *     with snprintf (and cal_format_g's reads_back with strtod).
 */
#define _POSIX_C_SOURCE 200809L

#include "../../src/csv.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct { const uint8_t *p; size_t n, pos, chunk; } feeder;

static long feed(void *ctx, char *buf, size_t n)
{
    feeder *f = ctx;
    size_t k = f->n - f->pos;
    if (k > n) k = n;
    if (k > f->chunk) k = f->chunk;
    memcpy(buf, f->p + f->pos, k);
    f->pos += k;
    return (long)k;
}

static uint64_t mix(uint64_t h, const void *p, size_t n)
{
    const unsigned char *c = p;
    size_t i;
    for (i = 0; i < n; i++) h = (h ^ c[i]) * 0x100000001B3u;
    return h;
}

static uint64_t digest(const uint8_t *in, size_t len, char delim, size_t chunk, size_t limit)
{
    feeder fd = { in, len, 0, chunk };
    cal_csv *r = cal_csv_open_read(feed, &fd, delim);
    const cal_field *f;
    size_t n, i;
    long long last = 0, lf = 1;
    uint64_t h = 0xCBF29CE484222325u;
    int rc;
    for (i = 0; i < len; i++) lf += in[i] == '\n';
    cal_csv_set_limits(r, chunk < 4096 ? chunk : 4096, limit ? limit : CAL_CSV_MAX_RECORD);
    while ((rc = cal_csv_next(r, &f, &n)) == 1) {
        long long line = cal_csv_line(r);
        if (n < 1 || line <= last || line > lf) abort();
        last = line;
        h = mix(h, &line, sizeof line);
        h = mix(h, &n, sizeof n);
        for (i = 0; i < n; i++) {
            h = mix(h, &f[i].len, sizeof f[i].len);
            h = mix(h, f[i].ptr, f[i].len);
        }
        if (cal_csv_problem(r)) h = mix(h, cal_csv_problem(r), strlen(cal_csv_problem(r)));
    }
    if (rc != 0) abort();
    cal_csv_close(r);
    return h;
}

static void numbers(const uint8_t *in, size_t len)
{
    char s[80], a[400], b[400];
    double v, w;
    size_t n = len < 64 ? len : 64;
    memcpy(s, in, n);
    s[n] = '\0';
    if (cal_parse_double(s, n, &v)) {
        char *end;
        w = strtod(s, &end);
        if (end != s + n || memcmp(&v, &w, sizeof v) != 0) abort();
    }
    if (len >= 9) {
        int d = in[8] % 20;
        size_t k;
        int m;
        memcpy(&v, in, sizeof v);
        k = cal_format_fixed(a, sizeof a, v, d);
        m = snprintf(b, sizeof b, "%.*f", d, v);
        if ((size_t)m != k || strcmp(a, b) != 0) abort();
        {
            /* cal_format_g: printf's %.*g when it gives a text, and reads_back as
             * strtod says; of v, and of v's mantissa with an exponent in its range */
            int prec = 1 + in[8] % 17, back = -1, i;
            uint64_t bits;
            for (i = 0; i < 2; i++) {
                if (i == 1) {
                    memcpy(&bits, &v, sizeof bits);
                    bits = (bits & 0x800fffffffffffffULL) | ((uint64_t)(1023 - 14 + in[8] % 72) << 52);
                    memcpy(&v, &bits, sizeof v);
                }
                k = cal_format_g(a, v, prec, &back);
                if (k) {
                    snprintf(b, sizeof b, "%.*g", prec, v);
                    if (strlen(a) != k || strcmp(a, b) != 0) abort();
                    w = strtod(b, NULL);
                    if (back != (w == v)) abort();
                }
            }
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char delims[] = { ',', ';', '\t', '|' };
    char delim;
    size_t chunk, limit;
    if (size < 4) return 0;
    delim = delims[data[0] & 3];
    chunk = 1 + data[1] % 17;
    limit = (data[2] & 3) == 0 ? 1 + data[3] % 64 : 0;
    if (digest(data + 4, size - 4, delim, 1 << 20, limit) != digest(data + 4, size - 4, delim, chunk, limit))
        abort();
    numbers(data + 4, size - 4);
    return 0;
}
