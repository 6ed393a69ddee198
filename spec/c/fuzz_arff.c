/*
 * fuzz_arff.c - libFuzzer target for src/arff.c (not part of `make check`;
 * built and run by `make fuzz`, spec/c/fuzz.sh).
 *
 * TEST-SOURCES: src/arff.c src/csv.c
 *
 * The input is an ARFF file (a small header is put in front when the first
 * byte is even), read through the CSV reader in reads of 1 to 16 bytes (the
 * second byte). Checks, besides the sanitizers: record lines only go up;
 * the header record comes first, at line 1.
 */
#include "../../src/arff.h"
#include "../../src/csv.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct { const char *p; size_t n, pos, chunk; } feeder;

static long feed(void *ctx, char *buf, size_t n)
{
    feeder *f = (feeder *)ctx;
    size_t k = f->n - f->pos;
    if (k > n) k = n;
    if (k > f->chunk) k = f->chunk;
    memcpy(buf, f->p + f->pos, k);
    f->pos += k;
    return (long)k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char head[] = "% c\n@relation r\n@attribute 'a' numeric\n@attribute b {x,y}\n@data\n";
    char *buf;
    size_t n = 0, nf;
    feeder fd;
    cal_arff *a;
    cal_csv *r;
    const cal_field *f;
    long long last = 0;
    int rc, first = 1;
    if (size < 2) return 0;
    buf = malloc(sizeof head + size);
    if (!buf) return 0;
    if (data[0] % 2 == 0) { memcpy(buf, head, sizeof head - 1); n = sizeof head - 1; }
    memcpy(buf + n, data + 2, size - 2);
    n += size - 2;
    fd.p = buf; fd.n = n; fd.pos = 0; fd.chunk = 1 + data[1] % 16;
    a = cal_arff_open(feed, &fd, NULL);
    r = a ? cal_csv_open_read(cal_arff_read, a, ',') : NULL;
    if (!a || !r) abort();
    while ((rc = cal_csv_next(r, &f, &nf)) == 1) {
        if (first && cal_csv_line(r) != 1) abort();
        first = 0;
        if (cal_csv_line(r) < last) abort();
        last = cal_csv_line(r);
    }
    if (rc < 0 && !cal_arff_error(a)) abort();
    cal_csv_close(r);
    cal_arff_close(a);
    free(buf);
    return 0;
}
