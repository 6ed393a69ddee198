/*
 * fuzz_longcsv.c - libFuzzer target for src/longcsv.c (run by `make fuzz`, spec/c/fuzz.sh).
 *
 * TEST-SOURCES: src/longcsv.c src/dates.c src/ndjson.c src/csv.c src/analytes.c src/units.c
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc spec/c/fuzz_longcsv.c \
 *     src/longcsv.c src/dates.c src/ndjson.c src/csv.c src/analytes.c src/units.c -lm -o /tmp/fuzz_longcsv
 *   /tmp/fuzz_longcsv -max_total_time=300 -max_len=4096 /tmp/fuzz_long_corpus
 *
 * The input is a CSV file (a long-format header is put in front when the
 * first byte is even). Checks, besides the sanitizers: every record has the
 * header's field count; record lines only go up; problems name lines.
 */
#include "../../src/longcsv.h"
#include "../../src/record.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char head[] = "id,analyte,value,unit,date,age,sex,findings\n";
    char *buf;
    size_t n = 0;
    cal_csv *r;
    cal_long *l;
    const cal_field *f;
    size_t nf, want = 0;
    long long last = 0;
    int rc;
    if (size < 1) return 0;
    buf = malloc(sizeof head + size);
    if (!buf) return 0;
    if (data[0] % 2 == 0) { memcpy(buf, head, sizeof head - 1); n = sizeof head - 1; }
    memcpy(buf + n, data + 1, size - 1);
    n += size - 1;
    r = cal_csv_open_mem(buf, n, ',');
    l = cal_long_open(r);
    if (!r || !l) abort();
    if (data[0] & 2) cal_long_keep(l); /* input columns passed through (cal_long_column) */
    while ((rc = cal_long_next(l, &f, &nf)) == 1) {
        const char *pb = cal_long_problem(l);
        cal_field v;
        if (cal_long_column(l, "sex", 3, &v) && v.len == 0) abort();
        if (cal_long_column(l, "nosuch", 6, &v) || v.len != 0) abort();
        if (!want) want = nf;
        if (nf != want || nf != cal_record_nfields()) abort();
        if (cal_long_line(l) < last) abort();
        last = cal_long_line(l);
        if (pb && strncmp(pb, "line ", 5) != 0) abort();
    }
    if (rc < 0) abort();
    cal_long_close(l);
    cal_csv_close(r);
    free(buf);
    return 0;
}
