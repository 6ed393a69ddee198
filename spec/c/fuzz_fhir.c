/*
 * fuzz_fhir.c - libFuzzer target for src/fhir.c, src/json.c and src/dates.c
 * (not part of `make check`).
 *
 * TEST-SOURCES: src/fhir.c src/json.c src/dates.c src/termmap.c src/csv.c src/analytes.c src/units.c
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc spec/c/fuzz_fhir.c \
 *     src/fhir.c src/json.c src/dates.c src/termmap.c src/csv.c src/analytes.c src/units.c -lm -o /tmp/fuzz_fhir
 *   /tmp/fuzz_fhir -max_total_time=300 -max_len=8192 spec/c/corpus/fuzz_fhir
 *
 * The first byte chooses the read size; the rest is the input. Checks, besides
 * the sanitizers: reading in chunks of 1..16 bytes gives exactly the records
 * and problems of reading all at once; every record has the header's field
 * count; a date that parses formats back to the same day.
 */
#define _POSIX_C_SOURCE 200809L

#include "../../src/dates.h"
#include "../../src/fhir.h"
#include "../../src/record.h"

#include <math.h>
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

static uint64_t run(const uint8_t *p, size_t n, size_t chunk, double index)
{
    feeder fd = { p, n, 0, chunk };
    cal_fhir *h = cal_fhir_open(NULL, index, 400);
    const cal_field *f;
    size_t nf, i, want = cal_record_nfields();
    uint64_t hash = 0xcbf29ce484222325ULL;
    int rc;
    if (!h) abort();
    if (cal_fhir_add(h, NULL, feed, &fd) < 0) abort();
    rc = cal_fhir_next(h, &f, &nf);
    if (rc != 1 || nf != want) abort();
    while ((rc = cal_fhir_next(h, &f, &nf)) == 1) {
        const char *pb = cal_fhir_problem(h);
        if (nf != want) abort();
        for (i = 0; i < nf; i++) hash = mix(mix(hash, f[i].ptr, f[i].len), "|", 1);
        if (pb) hash = mix(hash, pb, strlen(pb));
    }
    if (rc != 0) abort();
    cal_fhir_close(h);
    return hash;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t chunk;
    double day, again;
    char out[11];
    if (size < 1) return 0;
    chunk = (size_t)(data[0] % 16) + 1;
    if (run(data + 1, size - 1, chunk, NAN) != run(data + 1, size - 1, size, NAN)) abort();
    (void)run(data + 1, size - 1, size, 18262); /* an index date: 2020-01-01 */
    if (cal_date_parse((const char *)data + 1, size - 1 < 40 ? size - 1 : 40, &day)) {
        cal_date_format(day, out);
        if (!cal_date_parse(out, 10, &again) || again != day) abort();
    }
    return 0;
}
