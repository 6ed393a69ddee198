/*
 * record_test.c - tests for src/record.c's grouped read (record.h,
 * cal_record_layout.grouped): over 1,500 random headers (roles, units,
 * duplicated columns, more than 64 columns) and random cells (plain
 * numbers, signs, units, censored values, words, missing-value codes,
 * spaces, terms, dates), each record read grouped gives the same record,
 * terms and problems as read column by column (grouped = 0); and findings
 * and sites cells read with a term memo give what they give without one,
 * with the missing-value codes changing between records. Standalone:
 * see spec/c/README.md. Prints one line per failed check, a line counting
 * the checks, and ends with "N passed, N failed" counting the cases (a
 * header and its records is one); exit status 1 on failure.
 *
 * TEST-SOURCES: src/record.c src/dates.c src/derived.c src/termmap.c src/analytes.c src/units.c src/csv.c
 */
#define _POSIX_C_SOURCE 200809L

#include "../../src/analytes.h"
#include "../../src/csv.h"
#include "../../src/record.h"
#include "../../src/termmap.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long passed, failed;

static void check(int ok, const char *what, long header, long row)
{
    if (ok) { passed++; return; }
    failed++;
    if (failed <= 20) printf("FAIL %s (header %ld, row %ld)\n", what, header, row);
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static unsigned rnd(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

static int same_record(const cal_record *a, const cal_record *b)
{
    size_t i;
    for (i = 0; i < CAL_REC_MAX_ANALYTES; i++)
        if (memcmp(&a->v[i], &b->v[i], sizeof a->v[i]) != 0 || a->qual[i] != b->qual[i] || a->cmp[i] != b->cmp[i] ||
            memcmp(&a->date[i], &b->date[i], sizeof a->date[i]) != 0 ||
            memcmp(&a->rlow[i], &b->rlow[i], sizeof a->rlow[i]) != 0 ||
            memcmp(&a->rhigh[i], &b->rhigh[i], sizeof a->rhigh[i]) != 0 || memcmp(a->rflag[i], b->rflag[i], 3) != 0)
            return 0;
    return memcmp(&a->birth, &b->birth, sizeof a->birth) == 0 && memcmp(&a->age, &b->age, sizeof a->age) == 0 &&
           memcmp(&a->height, &b->height, sizeof a->height) == 0 && a->sex == b->sex && a->species == b->species &&
           a->unknown_terms == b->unknown_terms && a->idlen == b->idlen && a->id == b->id;
}

/* header names: every role, units in the header, companion unit columns */
static const char *const NAMES[] = {
    "id", "patient_id", "age", "age_months", "age [mo]", "sex", "gender", "species", "height_cm", "findings",
    "sites", "calcium", "calcium [mg/dL]", "calcium [mmol/L]", "albumin [g/dL]", "albumin", "phosphate [mg/dL]",
    "phosphate", "creatinine [mg/dL]", "creatinine [umol/L]", "pth [pg/mL]", "vitd25 [ng/mL]", "egfr",
    "calcium_unit", "phosphate_units", "birth_date", "calcium_date", "calcium_range", "calcium_flag", "notes",
    "unknown thing", "magnesium", "17861-6"};
#define NNAMES (sizeof NAMES / sizeof NAMES[0])

/* cells: what each kind of column may hold, and what it should not */
static const char *const CELLS[] = {
    "", "8.8", "9.6", "0.89", "1.86", "344", "25", "51", "37", "7", "0", "150", "151", "200", "3.9", "4.1", "10",
    "12345678901234567", "1.5e2", "-2", "+3", " 9.1", "9.1 ", "9.1\r", "<5", ">=60", "<= 3", "4.1 mg/dL",
    "2.2 mmol/L", "88 umol/L", "3 eq/L", "high", "Low", "normal", "NA", "n/a", "-", ".", "unknown", "nan",
    "F", "M", "f", "m", "female", "Male", "x", "W", "human", "dog", "cat", "ckd", "ckd;dialysis", "dialysis; n18",
    "dm", "tumor", "fingertips", "2024-01-05", "20240105", "2024-13-01", "8.5-10.5 mg/dL", ">=60 mL/min", "L",
    "HH", "Q", "mg/dL", "mmol/L", "g/L", "P0000001", " P2 ", "9,6", "1.000000000000001", "0.0000001", "99999",
    "12 mo", "24 d"};
#define NCELLS (sizeof CELLS / sizeof CELLS[0])

int main(void)
{
    static const int b0[] = { 0 }, b1[] = { 1 }, b65[] = { 65 };
    static cal_record a, b;
    static cal_problems pa, pb;
    static cal_unit_memo ma, mb;
    cal_termmap *findings = cal_termmap_new(), *sites = cal_termmap_new();
    cal_record_ctx ctx;
    long h, grouped = 0, rows = 0, fast_cells = 0, cases_ok = 0, cases_bad = 0;
    if (!findings || !sites) return 1;
    cal_termmap_add(findings, "ckd", 3, b0, 1);
    cal_termmap_add(findings, "dialysis", 8, b1, 1);
    cal_termmap_add(findings, "n18", 3, b65, 1);
    cal_termmap_add_note(findings, "dm", 2, "dermatomyositis or diabetes mellitus");
    cal_termmap_add(sites, "fingertips", 10, b0, 1);
    memset(&ctx, 0, sizeof ctx);
    ctx.findings = findings;
    ctx.sites = sites;
    ctx.index_date = NAN;
    for (h = 0; h < 1500; h++) {
        long before = failed;
        cal_field hdr[80], cells[90];
        cal_record_layout lay;
        size_t n = 1 + rnd(h % 10 == 0 ? 75 : 16), i, row;
        int dup = rnd(4) == 0; /* else each name once (the layouts that are grouped) */
        unsigned used[NNAMES];
        memset(used, 0, sizeof used);
        for (i = 0; i < n; i++) {
            unsigned k = rnd(NNAMES);
            if (!dup && n <= NNAMES) while (used[k]) k = rnd(NNAMES);
            used[k]++;
            hdr[i].ptr = NAMES[k];
            hdr[i].len = strlen(NAMES[k]);
        }
        if (!cal_record_layout_init(&lay, hdr, n, NULL, 0)) return 1;
        grouped += lay.grouped;
        { /* grouped exactly when at most 64 columns and no analyte (of a lab column), age or sex twice */
            unsigned labs[CAL_REC_MAX_ANALYTES] = { 0 }, ages = 0, sexes = 0;
            int twice = 0;
            for (i = 0; i < n; i++) {
                const cal_record_col *c = &lay.cols[i];
                if (c->role == CAL_ROLE_LAB) twice |= labs[c->analyte]++ > 0;
                if (c->role == CAL_ROLE_AGE) twice |= ages++ > 0;
                if (c->role == CAL_ROLE_SEX) twice |= sexes++ > 0;
            }
            check(lay.grouped == (n <= CAL_REC_GROUP_COLS && !twice), "grouped when allowed", h, -1);
        }
        cal_unit_memo_init(&ma);
        cal_unit_memo_init(&mb);
        for (row = 0; row < 20; row++) {
            size_t nf = rnd(8) == 0 ? rnd((unsigned)n + 6) : n, j;
            uint64_t ta[2], tb[2];
            int g = lay.grouped, ra, rb;
            for (j = 0; j < nf; j++) {
                const char *c = CELLS[rnd(NCELLS)];
                if (j < n && rnd(3) == 0) { /* a number of the usual kind, more often */
                    static const char *const NUMS[] = { "8.8", "0.89", "344", "25", "3.0", "", "51", "7.5" };
                    c = NUMS[rnd(8)];
                    fast_cells++;
                }
                cells[j].ptr = c;
                cells[j].len = strlen(c);
            }
            memset(&a, 0x5a, sizeof a);
            memset(&b, 0x5a, sizeof b);
            cal_problems_clear(&pa);
            cal_problems_clear(&pb);
            ra = cal_record_read(&ctx, &lay, cells, nf, &a, ta, 2, &pa, &ma);
            lay.grouped = 0;
            rb = cal_record_read(&ctx, &lay, cells, nf, &b, tb, 2, &pb, &mb);
            lay.grouped = g;
            rows++;
            check(same_record(&a, &b), "same record", h, (long)row);
            check(ta[0] == tb[0] && ta[1] == tb[1], "same terms", h, (long)row);
            check(ra == rb && pa.count == pb.count && pa.len == pb.len && memcmp(pa.text, pb.text, pa.len) == 0,
                  "same problems", h, (long)row);
            if (failed && failed <= 3 && pa.len != pb.len) printf("  grouped [%s]\n  by column [%s]\n", pa.text, pb.text);
            /* the next record into the same one (cal_record_read_next) */
            cal_problems_clear(&pa);
            ra = cal_record_read_next(&ctx, &lay, cells, nf, &a, ta, 2, &pa, &ma);
            check(same_record(&a, &b) && ra == rb && pa.len == pb.len && memcmp(pa.text, pb.text, pa.len) == 0,
                  "read_next the same", h, (long)row);
        }
        cal_record_layout_free(&lay);
        if (failed == before) cases_ok++; else cases_bad++;
    }
    { /* the term memo (cal_unit_memo terms): findings and sites cells read
       * with one give the same record, terms and problems as read without
       * one (memo NULL), while the missing-value codes change now and then
       * (the memo is kept across the change) */
        static const char *const na1[] = { "ckd", "tumor", "NA", "dm", NULL };
        static const char *const na2[] = { "dialysis", "-", "ckd;dialysis", NULL };
        static const char *const *const NAS[] = { NULL, na1, na2 };
        static const char *const TERMS[] = {
            "ckd", "dialysis", "n18", "dm", "tumor", "NA", "na", "n/a", "-", ".", "nan", "none", "missing", "NULL",
            "unknown", "CKD", "Dialysis", "fingertips", " ckd", "ckd ", "ckd\r", "", "xyz", "dial", "tum", "m"};
        /* misspellings, more of them than the memo of suggestions keeps (CAL_SUGGEST_MEMO) */
        static const char *const MISSPELT[] = {
            "dialysys", "dialisis", "dialyses", "dailysis", "ckdd", "ckds", "cdk", "n81", "n1", "fingertip",
            "fingertps", "fingretips", "fingers", "tips", "dialysis ckd", "ckd dial", "dilaysis", "dialysi",
            "fngertips", "diabetes", "dm2", "tumour", "ialysis", "dialysiss"};
        const size_t nterms = sizeof TERMS / sizeof TERMS[0], nmiss = sizeof MISSPELT / sizeof MISSPELT[0];
        const char *names[3] = { "id", "findings", "sites" };
        cal_field hdr[3], cells[3];
        cal_record_layout lay;
        char text[2][128];
        long before = failed, row, hits = 0;
        size_t i;
        long suggested = 0;
        /* canonical names, for "did you mean" (a memo of them per map and key) */
        cal_termmap_add_name(findings, "ckd", 3);
        cal_termmap_add_name(findings, "dialysis", 8);
        cal_termmap_add_name(findings, "tumor", 5);
        cal_termmap_add_name(sites, "fingertips", 10);
        cal_termmap_add_name(sites, "fingers", 7);
        for (i = 0; i < 3; i++) { hdr[i].ptr = names[i]; hdr[i].len = strlen(names[i]); }
        if (!cal_record_layout_init(&lay, hdr, 3, NULL, 0)) return 1;
        cal_unit_memo_init(&ma);
        ctx.na = NULL;
        cells[0].ptr = "P1";
        cells[0].len = 2;
        for (row = 0; row < 200000; row++) {
            uint64_t ta[2], tb[2];
            int ra, rb, k;
            if (rnd(2000) == 0) ctx.na = NAS[rnd(3)];
            for (k = 0; k < 2; k++) { /* 1 to 3 terms joined by ';' (a few hundred cells in all) */
                size_t len = 0, j, nt = 1 + rnd(rnd(4) == 0 ? 3 : 1);
                for (j = 0; j < nt; j++) {
                    const char *t = TERMS[rnd(j == 0 ? (unsigned)nterms : 8)];
                    size_t tl = strlen(t);
                    if (j > 0) text[k][len++] = ';';
                    memcpy(text[k] + len, t, tl);
                    len += tl;
                }
                if (rnd(3) == 0) { /* and a misspelt term */
                    const char *t = MISSPELT[rnd((unsigned)nmiss)];
                    size_t tl = strlen(t);
                    text[k][len++] = ';';
                    memcpy(text[k] + len, t, tl);
                    len += tl;
                }
                cells[1 + k].ptr = text[k];
                cells[1 + k].len = len;
            }
            cal_problems_clear(&pa);
            cal_problems_clear(&pb);
            ra = cal_record_read(&ctx, &lay, cells, 3, &a, ta, 2, &pa, &ma);
            rb = cal_record_read(&ctx, &lay, cells, 3, &b, tb, 2, &pb, NULL);
            hits += ta[0] || ta[1];
            suggested += strstr(pa.text, "did you mean") != NULL;
            check(same_record(&a, &b), "memo: same record", -2, row);
            check(ta[0] == tb[0] && ta[1] == tb[1], "memo: same terms", -2, row);
            check(ra == rb && pa.count == pb.count && pa.len == pb.len && memcmp(pa.text, pb.text, pa.len) == 0,
                  "memo: same problems", -2, row);
        }
        check(hits > 50000, "memo: many records with terms", hits, -1);
        check(suggested > 20000, "memo: many records with suggestions", suggested, -1);
        ctx.na = NULL;
        cal_record_layout_free(&lay);
        if (failed == before) cases_ok++; else cases_bad++;
    }
    {
        long before = failed;
        check(grouped > 400, "many layouts are grouped", grouped, -1);
        if (failed == before) cases_ok++; else cases_bad++;
    }
    cal_termmap_free(findings);
    cal_termmap_free(sites);
    printf("checks: %ld passed, %ld failed (%ld headers, %ld read grouped; %ld records, %ld usual number cells)\n",
           passed, failed, h, grouped, rows, fast_cells);
    printf("%ld passed, %ld failed\n", cases_ok, cases_bad);
    return failed ? 1 : 0;
}
