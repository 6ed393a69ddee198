/*
 * arff_test.c - tests for src/arff.c (ARFF read as CSV). Standalone: see
 * spec/c/README.md. Prints one line per failed check and ends with
 * "N passed, N failed"; exit status 1 on failure.
 *
 * TEST-SOURCES: src/arff.c src/csv.c
 */
#define _POSIX_C_SOURCE 200809L

#include "../../src/arff.h"
#include "../../src/csv.h"

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

/* the input, given chunk bytes at a time */
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

/* the records of text read through the ARFF filter, as "line:f1|f2|...;" */
static char *records(const char *text, size_t chunk, int *rc_out)
{
    static char out[4096];
    feeder fd;
    cal_arff *a;
    cal_csv *r;
    const cal_field *f;
    size_t nf, i, len = 0;
    int rc;
    fd.p = text; fd.n = strlen(text); fd.pos = 0; fd.chunk = chunk;
    a = cal_arff_open(feed, &fd, NULL);
    r = cal_csv_open_read(cal_arff_read, a, ',');
    out[0] = '\0';
    while ((rc = cal_csv_next(r, &f, &nf)) == 1) {
        len += (size_t)snprintf(out + len, sizeof out - len, "%lld:", cal_csv_line(r));
        for (i = 0; i < nf; i++)
            len += (size_t)snprintf(out + len, sizeof out - len, "%s%.*s", i ? "|" : "", (int)f[i].len, f[i].ptr);
        if (cal_csv_problem(r)) len += (size_t)snprintf(out + len, sizeof out - len, "!%s", cal_csv_problem(r));
        len += (size_t)snprintf(out + len, sizeof out - len, ";");
    }
    *rc_out = rc;
    cal_csv_close(r);
    cal_arff_close(a);
    return out;
}

int main(void)
{
    static const char uci[] =
        "% 1. Title: CKD\r\n%\r\n@relation Chronic_Kidney_Disease\r\n\r\n"
        "@attribute 'age' numeric\r\n@attribute 'sc'  numeric\r\n@attribute 'al' {0,1,2,3,4,5}  \r\n"
        "@attribute \"a, b\" string\r\n\r\n@data\r\n48,1.2,1,x\r\n7,?,4,y\r\n% a comment in the data\r\n"
        "62,1.8,2,z,\r\n\r\n";
    const char *want = "1:age|sc|al|a, b;11:48|1.2|1|x;12:7|?|4|y;14:62|1.8|2|z|!5 fields, expected 4;";
    size_t chunk;
    int rc;
    for (chunk = 1; chunk <= 9; chunk++) {
        char what[64];
        const char *got = records(uci, chunk, &rc);
        snprintf(what, sizeof what, "UCI-like file, %u-byte reads", (unsigned)chunk);
        check(strcmp(got, want) == 0 && rc == 0, what, got);
    }
    {
        const char *got = records(uci, 1 << 16, &rc);
        check(strcmp(got, want) == 0, "UCI-like file, one read", got);
    }
    {
        const char *got = records("\xEF\xBB\xBF@RELATION r\n@ATTRIBUTE x NUMERIC\n@DATA\n1\n2", 3, &rc);
        check(strcmp(got, "1:x;4:1;5:2;") == 0 && rc == 0, "BOM, upper case keywords, no final line end", got);
    }
    {
        const char *got = records("@relation r\n@attribute x numeric\n1,2\n", 4, &rc);
        check(rc < 0 && got[0] == '\0', "no @data: a read error, no record", got);
    }
    {
        const char *got = records("@relation r\n@data\n1\n", 4, &rc);
        check(rc < 0, "@data before any @attribute: a read error", got);
    }
    {
        feeder fd;
        cal_arff *a;
        char buf[64];
        fd.p = "@relation r\n"; fd.n = strlen(fd.p); fd.pos = 0; fd.chunk = 100;
        a = cal_arff_open(feed, &fd, NULL);
        check(cal_arff_read(a, buf, sizeof buf) < 0 && cal_arff_error(a) &&
              strstr(cal_arff_error(a), "no @data") != NULL, "the error says why", a ? cal_arff_error(a) : NULL);
        cal_arff_close(a);
    }
    {
        /* found by fuzz_arff: the only attribute without a name made the
         * header a blank line, and the first data line was read as the header */
        const char *texts[] = { "@relation r\n@attribute\n@data\n48,1.2\n",
                                "@relation r\n@attribute ''\n@data\n48\n",
                                "@relation r\n@attribute x numeric\n@attribute   \n@data\n1,2\n" };
        size_t i;
        for (i = 0; i < sizeof texts / sizeof texts[0]; i++) {
            feeder fd;
            cal_arff *a;
            char buf[256];
            fd.p = texts[i]; fd.n = strlen(fd.p); fd.pos = 0; fd.chunk = 5;
            a = cal_arff_open(feed, &fd, NULL);
            check(a && cal_arff_read(a, buf, sizeof buf) < 0 && cal_arff_error(a) &&
                  strstr(cal_arff_error(a), "@attribute without a name") != NULL,
                  "an @attribute without a name: a read error that says so", a ? cal_arff_error(a) : NULL);
            cal_arff_close(a);
        }
    }
    {
        /* found by fuzz_arff: a first name that is only a byte order mark
         * made the header line one the CSV reader takes as blank */
        const char *got = records("@relation r\n@attribute '\xEF\xBB\xBF' numeric\n@data\n48\n", 4, &rc);
        check(strcmp(got, "1:\xEF\xBB\xBF;4:48;") == 0 && rc == 0, "a first name of a byte order mark is the header", got);
    }
    printf("checks: arff header, comments, line numbers, block boundaries\n");
    printf("%ld passed, %ld failed\n", passed, failed);
    return failed ? 1 : 0;
}
