/*
 * output_test.c - tests for the output's CSV quoting (src/output.c,
 * cal_csv_quote, whose short texts of 4 to 16 bytes are told plain inline
 * by two overlapping words): against a byte-by-byte quoting written here,
 * over random texts of 0 to 40 bytes drawn from the bytes that matter
 * (',', '"', CR, LF, the bytes beside them, a letter, a digit, a space, any
 * byte), and over every text of 4 to 16 bytes with one special byte at
 * each place among plain ones. Standalone: see spec/c/README.md. Prints one
 * line per failed check, a line counting the checks, and ends with "N
 * passed, N failed" counting the cases (the two groups below); exit status
 * 1 on failure.
 *
 * TEST-SOURCES: src/output.c src/dates.c src/csv.c src/derived.c src/result.c src/vm.c src/analytes.c src/units.c
 */
#include "../../src/output.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long passed, failed;

#include "xorshift.h"

/* RFC 4180, a byte at a time */
static size_t ref_quote(char *w, const char *s, size_t n)
{
    size_t i, k = 0;
    int need = 0;
    for (i = 0; i < n; i++)
        if (s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n') need = 1;
    if (!need) { memcpy(w, s, n); return n; }
    w[k++] = '"';
    for (i = 0; i < n; i++) {
        if (s[i] == '"') w[k++] = '"';
        w[k++] = s[i];
    }
    w[k++] = '"';
    return k;
}

static void check_one(const char *s, size_t n)
{
    char got[2 * 64 + 2 + 16], want[2 * 64 + 2 + 16];
    size_t gn, wn;
    memset(got, 'x', sizeof got); /* (the bytes past the text are read as words: make them plain) */
    gn = cal_csv_quote(got, s, n);
    wn = ref_quote(want, s, n);
    if (gn == wn && memcmp(got, want, wn) == 0) { passed++; return; }
    failed++;
    if (failed <= 20) printf("FAIL quote of %zu bytes '%.*s': gave '%.*s', want '%.*s'\n", n, (int)n, s, (int)gn, got,
                             (int)wn, want);
}

int main(void)
{
    static const char pool[] = ",\"\r\n+-!#*/.=aZ0 \x80\xff\t\x01";
    long cases_ok = 0, cases_bad = 0, before;
    char s[64];
    size_t n, i, at;
    int k, sp;
    before = failed;
    for (k = 0; k < 400000; k++) {
        n = (size_t)(next() % 41);
        for (i = 0; i < n; i++) {
            uint64_t r = next();
            /* mostly plain bytes, sometimes one of the pool, sometimes any */
            s[i] = (char)(r % 8 < 5 ? 'A' + (int)((r >> 8) % 26)
                        : r % 8 < 7 ? pool[(r >> 8) % (sizeof pool - 1)] : (int)((r >> 8) & 0xff));
        }
        check_one(s, n);
    }
    if (failed == before) cases_ok++; else cases_bad++;
    before = failed;
    for (n = 0; n <= 20; n++)
        for (at = 0; at < n; at++)
            for (sp = 0; sp < 256; sp++) {
                for (i = 0; i < n; i++) s[i] = (char)('0' + i % 10);
                s[at] = (char)sp;
                check_one(s, n);
            }
    if (failed == before) cases_ok++; else cases_bad++;
    printf("checks: %ld passed, %ld failed (400,000 random texts; every byte at every place of 1 to 20 bytes)\n",
           passed, failed);
    printf("%ld passed, %ld failed\n", cases_ok, cases_bad);
    return failed ? 1 : 0;
}
