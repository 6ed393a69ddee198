/*
 * ndjson_test.c - tests for src/ndjson.c (NDJSON patient records read as the
 * records of a table). Standalone: see spec/c/README.md. Prints one line per
 * failed check and ends with "N passed, N failed"; exit status 1 on failure.
 *
 * TEST-SOURCES: src/ndjson.c src/csv.c src/analytes.c src/units.c
 */
#define _POSIX_C_SOURCE 200809L

#include "../../src/ndjson.h"
#include "../../src/analytes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long passed, failed;

static void check(int ok, const char *what, const char *got)
{
    if (ok) { passed++; return; }
    failed++;
    printf("FAIL %s", what);
    if (got) printf(": got [%s]", got);
    printf("\n");
}

typedef struct { const char *p; size_t n, pos, chunk; } feeder;

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

/* Every record of the input as text: "line|problem|field|field|...\n". */
static char *dump(const char *in, size_t n, size_t chunk)
{
    feeder fd = { in, n, 0, chunk };
    cal_ndjson *j = cal_ndjson_open_read(feed, &fd);
    const cal_field *f;
    size_t nf, i, len = 0, cap = 1024;
    char *out = malloc(cap);
    int rc;
    if (!j || !out) { printf("out of memory\n"); exit(2); }
    while ((rc = cal_ndjson_next(j, &f, &nf)) == 1) {
        const char *pb = cal_ndjson_problem(j);
        size_t need = 64 + (pb ? strlen(pb) : 0);
        for (i = 0; i < nf; i++) need += f[i].len + 1;
        while (len + need >= cap) { cap *= 2; out = realloc(out, cap); if (!out) exit(2); }
        len += (size_t)sprintf(out + len, "%lld|%s", cal_ndjson_line(j), pb ? pb : "");
        for (i = 0; i < nf; i++) {
            out[len++] = '|';
            memcpy(out + len, f[i].ptr, f[i].len);
            len += f[i].len;
        }
        out[len++] = '\n';
    }
    out[len] = '\0';
    if (rc < 0) { free(out); out = NULL; }
    cal_ndjson_close(j);
    return out;
}

static int starts(const char *s, const char *prefix) { return strncmp(s, prefix, strlen(prefix)) == 0; }

/* The fields of the record on physical line `line` (from a dump), NUL-separated into buf. */
static const char *record(const char *d, long long line, char *buf, size_t cap)
{
    char key[32];
    const char *p;
    size_t k;
    snprintf(key, sizeof key, "%lld|", line);
    for (p = d; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (strncmp(p, key, strlen(key)) == 0) {
            k = (size_t)(strchr(p, '\n') - p);
            if (k >= cap) k = cap - 1;
            memcpy(buf, p, k);
            buf[k] = '\0';
            return buf;
        }
    return NULL;
}

int main(void)
{
    static const char input[] =
        "\xEF\xBB\xBF{\"id\":\"caf\\u00e9\",\"age\":58,\"sex\":\"F\",\"labs\":{\"calcium\":\"10.2 mg/dL\","
        "\"phosphate\":{\"value\":2.49,\"unit\":\"mmol/L\"},\"pth\":[612,\"pg/mL\"]},"
        "\"findings\":[\"ckd\",\"dialysis\"],\"sites\":\"shoulders\",\"title\":{\"x\":[1,2]}}\r\n"
        "\n"
        "  \t \n"
        "{\"id\":7,\"age\":\"8 mo\",\"labs\":{\"nope\":1,\"ca\":null}}\n"
        "{\"id\":\"x\",\"age\":1e999\n"
        "[]\n"
        "{\"id\":\"last\"}";
    size_t n = sizeof input - 1, na = cal_analyte_count();
    char *whole = dump(input, n, 1u << 20), buf[2048], want[2048];
    size_t chunks[] = { 1, 2, 3, 7, 64 };
    size_t i;
    const char *r;

    check(whole != NULL, "reads the input", NULL);
    if (!whole) return 1;
    for (i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
        char *d = dump(input, n, chunks[i]);
        char what[64];
        snprintf(what, sizeof what, "reading %lu bytes at a time gives the same records", (unsigned long)chunks[i]);
        check(d && strcmp(d, whole) == 0, what, d);
        free(d);
    }
    /* the header: the named fields, then every analyte, then birth_date and
     * each analyte's date, reported range and interpretation flag */
    r = record(whole, 0, buf, sizeof buf);
    check(r && starts(r, "0||id|age|sex|species|height_cm|findings|sites|"), "header fields", r);
    {
        size_t bars = 0;
        const char *p;
        for (p = r ? r : ""; *p; p++) bars += *p == '|';
        check(bars == 1 + 7 + 4 * na + 1 + 2, "header: one field per analyte after the named ones, birth_date, "
              "then a date, a range and a flag per analyte, then the reader notes unmapped and skipped", r);
        check(r && strstr(r, "|ca_x_p_flag|unmapped|skipped"), "header: the reader notes last", r);
        check(r && strstr(r, "|ca_x_p|birth_date|calcium_date|") && strstr(r, "|ca_x_p_date|calcium_range|") &&
              strstr(r, "|ca_x_p_range|calcium_flag|"), "header: the fields in the schema's order", r);
    }
    /* line 1: BOM and CR dropped, escapes decoded, value with unit joined, terms joined, unknown keys skipped */
    r = record(whole, 1, buf, sizeof buf);
    check(r && starts(r, "1||caf\xC3\xA9|58|F|||ckd;dialysis|shoulders|10.2 mg/dL|"), "a full record", r);
    check(r && strstr(r, "|2.49 mmol/L|") && strstr(r, "|612 pg/mL|"), "value and unit, object and array", r);
    /* blank lines are skipped but counted */
    check(record(whole, 2, buf, sizeof buf) == NULL && record(whole, 3, buf, sizeof buf) == NULL, "blank lines", NULL);
    r = record(whole, 4, buf, sizeof buf);
    snprintf(want, sizeof want, "4|labs: unknown analyte 'nope'|7|8 mo|");
    check(r && starts(r, want), "number id, text age, unknown analyte, null lab", r);
    /* 1e999 is valid JSON: the number is kept as written (the cohort reports it) */
    r = record(whole, 5, buf, sizeof buf);
    check(r && starts(r, "5|not a JSON object (expected ',' or '}' at column 22)||||"),
          "an unterminated object: all fields empty, the column named", r);
    r = record(whole, 6, buf, sizeof buf);
    check(r && starts(r, "6|not a JSON object (expected an object at column 1)|"), "an array", r);
    r = record(whole, 7, buf, sizeof buf);
    check(r && starts(r, "7||last|"), "the last line without a line end", r);
    free(whole);
    {
        char *d = dump("", 0, 1);
        check(d && strcmp(d, "") != 0 && strchr(d, '\n') == strrchr(d, '\n'), "empty input: the header only", d);
        free(d);
    }
    printf("%ld passed, %ld failed\n", passed, failed);
    return failed ? 1 : 0;
}
