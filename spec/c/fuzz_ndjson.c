/*
 * fuzz_ndjson.c - libFuzzer target for src/ndjson.c (run by `make fuzz`, spec/c/fuzz.sh).
 *
 * TEST-SOURCES: src/ndjson.c src/csv.c src/analytes.c src/units.c
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc spec/c/fuzz_ndjson.c \
 *     src/ndjson.c src/csv.c src/analytes.c src/units.c -lm -o /tmp/fuzz_ndjson
 *   /tmp/fuzz_ndjson -max_total_time=300 -max_len=4096 /tmp/fuzz_nd_corpus
 *
 * The first byte chooses the read size; the rest is the input. Checks, besides
 * the sanitizers: reading in chunks of 1..16 bytes gives exactly the records,
 * lines and problems of reading all at once; every record has the header's
 * field count; line numbers only go up; the top-level keys read by
 * cal_ndjson_column (input columns passed through) are the same either way.
 */
#define _POSIX_C_SOURCE 200809L

#include "../../src/ndjson.h"

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
    for (i = 0; i < n; i++) h = (h ^ c[i]) * 0x100000001b3ULL;
    return h;
}

/* A hash of everything the reader returned. */
static uint64_t run(const uint8_t *p, size_t n, size_t chunk)
{
    feeder fd = { p, n, 0, chunk };
    cal_ndjson *j = cal_ndjson_open_read(feed, &fd);
    const cal_field *f;
    size_t nf, i, want = 0;
    long long last = -1;
    uint64_t h = 0xcbf29ce484222325ULL;
    int rc;
    if (!j) abort();
    while ((rc = cal_ndjson_next(j, &f, &nf)) == 1) {
        const char *pb = cal_ndjson_problem(j);
        long long line = cal_ndjson_line(j);
        if (!want) want = nf;
        if (nf != want || line <= last) abort();
        last = line;
        h = mix(h, &line, sizeof line);
        if (pb) h = mix(h, pb, strlen(pb));
        for (i = 0; i < nf; i++) h = mix(mix(h, f[i].ptr, f[i].len), "|", 1);
        if (line > 0) { /* input columns passed through (cal_ndjson_column), after the fields */
            static const char *const keys[] = { "site", "id", "labs", "" };
            for (i = 0; i < 4; i++) {
                cal_field v;
                int have = cal_ndjson_column(j, keys[i], strlen(keys[i]), &v);
                if (!have && v.len != 0) abort();
                h = mix(mix(h, &have, sizeof have), v.ptr, v.len);
            }
        }
    }
    if (rc < 0) abort();
    cal_ndjson_close(j);
    return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t chunk;
    if (size < 1) return 0;
    chunk = 1 + data[0] % 16;
    if (run(data + 1, size - 1, 1u << 20) != run(data + 1, size - 1, chunk)) abort();
    return 0;
}
