/*
 * termmap_test.c - tests for the term map's memo of whole cells
 * (src/termmap.c cal_termmap_read_cell_memo, sets of two entries: a cell
 * seen again in the newest is kept): over 300,000 cells drawn from some
 * 20,000 (repeated ones, once-only ones, long ones, unknown terms, other
 * spellings), with 2 maps sharing one memo, the bits, the count of unknown
 * terms and the unknown calls are those of the read without a memo.
 * Standalone: see spec/c/README.md. Prints one line per failed check, a
 * line counting the checks, and ends with "N passed, N failed" counting the
 * cases (the group below); exit status 1 on failure.
 *
 * TEST-SOURCES: src/termmap.c src/spelling.c src/vocabkey.c
 */
#include "../../src/termmap.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long passed, failed;

#include "xorshift.h"

static void count_unknown(void *ctx, const char *key, size_t keylen, const char *note)
{
    (void)key;
    (void)note;
    *(size_t *)ctx += 1 + keylen;
}

#define NTERMS 60
#define NCELLS 20000
#define TW 4

int main(void)
{
    static const char *const words[] = {"ckd", "dialysis", "tumor", "ehlers_danlos", "dermatomyositis", "lupus",
                                        "scleroderma", "trauma", "warfarin", "pth_high", "vit_d", "sarcoid"};
    cal_termmap *maps[2];
    cal_term_memo *memo = malloc(sizeof *memo);
    char (*cells)[96] = malloc(NCELLS * sizeof *cells);
    size_t *lens = malloc(NCELLS * sizeof *lens);
    long cases_ok = 0, cases_bad = 0;
    int i, k, mi;
    if (!memo || !cells || !lens) { printf("out of memory\n"); return 2; }
    for (mi = 0; mi < 2; mi++) {
        maps[mi] = cal_termmap_new();
        if (!maps[mi]) { printf("out of memory\n"); return 2; }
        for (i = 0; i < NTERMS; i++) {
            char key[40];
            int bits[3];
            size_t nb = 1 + (size_t)(i % 3), b;
            int n = snprintf(key, sizeof key, "%s%d", words[i % 12], i / 12);
            for (b = 0; b < nb; b++) bits[b] = (int)((i * 7 + (int)b * 61 + mi * 13) % (64 * TW));
            cal_termmap_add(maps[mi], key, (size_t)n, bits, nb);
        }
    }
    cal_term_memo_init(memo);
    for (i = 0; i < NCELLS; i++) { /* a cell of 1 to 4 terms: known ones, now and then an unknown one or another spelling */
        size_t n = 0;
        int nt = 1 + (int)(next() % 4);
        for (k = 0; k < nt; k++) {
            uint64_t r = next();
            int t = (int)(r % (NTERMS + 3));
            if (k) cells[i][n++] = ';';
            if (t >= NTERMS) n += (size_t)sprintf(cells[i] + n, "nosuch%d", (int)(r >> 20) % 50);
            else n += (size_t)sprintf(cells[i] + n, (r >> 40) % 8 ? "%s%d" : " %s%d ", words[t % 12], t / 12);
        }
        if ((next() % 10) == 0) { /* upper case: a key normalized */
            size_t j;
            for (j = 0; j < n; j++) if (cells[i][j] >= 'a' && cells[i][j] <= 'z') cells[i][j] = (char)(cells[i][j] - 32);
        }
        lens[i] = n;
    }
    for (k = 0; k < 300000; k++) {
        uint64_t r = next();
        /* a few cells most of the time, any of them otherwise */
        int c = (int)(r % 4 ? (r >> 8) % 300 : (r >> 8) % NCELLS);
        const cal_termmap *m = maps[(r >> 40) & 1];
        uint64_t got[TW] = {0}, want[TW] = {0};
        size_t gu = 0, wu = 0, gn, wn;
        gn = cal_termmap_read_cell_memo(m, memo, cells[c], lens[c], got, TW, count_unknown, &gu);
        wn = cal_termmap_read_cell_memo(m, NULL, cells[c], lens[c], want, TW, count_unknown, &wu);
        if (gn == wn && gu == wu && memcmp(got, want, sizeof got) == 0) passed++;
        else {
            failed++;
            if (failed <= 20) printf("FAIL cell '%.*s': %zu unknown (%zu), want %zu (%zu)\n", (int)lens[c], cells[c], gn, gu,
                                     wn, wu);
        }
    }
    if (failed == 0) cases_ok++; else cases_bad++;
    printf("checks: %ld passed, %ld failed (300,000 reads of 20,000 cells, 2 maps, one memo)\n", passed, failed);
    {
        /* cells of 25 to 48 bytes that differ in one digit, which the
         * cell hash may not look at (it reads 24 of them): the same set,
         * told apart by their bytes; read in turn, with the memo and
         * without */
        long before = failed, same_hash = 0;
        int it;
        for (it = 0; it < 20000; it++) {
            char c1[96], c2[96];
            size_t n = 0, j;
            int nt = 3 + (int)(next() % 3), r;
            uint64_t a, b;
            for (k = 0; k < nt; k++) {
                int t = (int)(next() % 48); /* digits 0 to 3: known terms either way */
                if (k) c1[n++] = ';';
                n += (size_t)sprintf(c1 + n, "%s%d", words[t % 12], t / 12);
            }
            if (n < 25 || n > 48) continue;
            memcpy(c2, c1, n);
            do j = (size_t)(next() % n); while (c1[j] < '0' || c1[j] > '3');
            c2[j] = (char)('0' + (c1[j] - '0' + 1 + (int)(next() % 3)) % 4);
            if (cal_cell_hash(c1, n, &a, &b) == cal_cell_hash(c2, n, &a, &b)) same_hash++;
            for (r = 0; r < 6; r++) {
                const char *c = r % 2 ? c2 : c1;
                const cal_termmap *m = maps[r / 3];
                uint64_t got[TW] = {0}, want[TW] = {0};
                size_t gu = 0, wu = 0, gn, wn;
                gn = cal_termmap_read_cell_memo(m, memo, c, n, got, TW, count_unknown, &gu);
                wn = cal_termmap_read_cell_memo(m, NULL, c, n, want, TW, count_unknown, &wu);
                if (gn == wn && gu == wu && memcmp(got, want, sizeof got) == 0) passed++;
                else if (++failed - before <= 20) printf("FAIL long cell '%.*s': not its bits\n", (int)n, c);
            }
        }
        if (same_hash > 100) passed++;
        else { failed++; printf("FAIL only %ld pairs of long cells with the same hash\n", same_hash); }
        if (failed == before) cases_ok++; else cases_bad++;
        printf("checks: %ld passed, %ld failed (and pairs of long cells, %ld of the same hash)\n", passed, failed,
               same_hash);
    }
    printf("%ld passed, %ld failed\n", cases_ok, cases_bad);
    cal_termmap_free(maps[0]);
    cal_termmap_free(maps[1]);
    free(memo);
    free(cells);
    free(lens);
    return failed ? 1 : 0;
}
