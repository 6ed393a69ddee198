/*
 * fuzz_record.c - libFuzzer target for the one record logic (src/record.c):
 * the header layout (cal_record_layout_init), the record read
 * (cal_record_read: ids, ages with units, sex, species, heights, labs with
 * units in the header, a companion column or the cell, qualitative words,
 * censored values, findings and sites through term maps), the derived
 * values (cal_record_derive: corrected calcium, Ca x P, eGFR, KDIGO stage)
 * and the flags (cal_record_flag), on CSV text read by src/csv.c. Built and
 * run by `make fuzz` (spec/c/fuzz.sh).
 *
 * TEST-SOURCES: src/record.c src/dates.c src/derived.c src/termmap.c src/analytes.c src/units.c src/csv.c
 *
 * The first byte chooses the calcium correction, KDIGO rounding and the
 * delimiter; the rest is a CSV file (header, then records). Checks, besides
 * the sanitizers: reading a record with the unit memo and without it gives
 * the same record and problems, and so does reading each record into the
 * record the one before was read into (cal_record_read_next), and so does the
 * column-by-column read of a grouped layout (record.h); every value is NaN or finite, ages in
 * [0, 150], heights in (20, 260), flags in -2..2 or NaN, the KDIGO stage in
 * 0..6; the problems stay inside their buffer.
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

typedef struct { const uint8_t *p; size_t n, pos; } feeder;

static long feed(void *ctx, char *buf, size_t n)
{
    feeder *f = ctx;
    size_t k = f->n - f->pos;
    if (k > n) k = n;
    memcpy(buf, f->p + f->pos, k);
    f->pos += k;
    return (long)k;
}

static void same_record(const cal_record *a, const cal_record *b, const cal_problems *pa, const cal_problems *pb)
{
    size_t i;
    for (i = 0; i < CAL_REC_MAX_ANALYTES; i++)
        if (memcmp(&a->v[i], &b->v[i], sizeof a->v[i]) != 0 || a->qual[i] != b->qual[i] || a->cmp[i] != b->cmp[i])
            abort();
    for (i = 0; i < CAL_REC_MAX_ANALYTES; i++)
        if (memcmp(&a->date[i], &b->date[i], sizeof a->date[i]) != 0 || memcmp(&a->rlow[i], &b->rlow[i], sizeof a->rlow[i]) != 0 ||
            memcmp(&a->rhigh[i], &b->rhigh[i], sizeof a->rhigh[i]) != 0 || memcmp(a->rflag[i], b->rflag[i], 3) != 0)
            abort();
    if (memcmp(&a->birth, &b->birth, sizeof a->birth) != 0) abort();
    if (memcmp(&a->age, &b->age, sizeof a->age) != 0 || memcmp(&a->height, &b->height, sizeof a->height) != 0) abort();
    if (a->sex != b->sex || a->species != b->species || a->unknown_terms != b->unknown_terms) abort();
    if (a->idlen != b->idlen || (a->id == NULL) != (b->id == NULL)) abort();
    if (pa->len != pb->len || pa->count != pb->count || memcmp(pa->text, pb->text, pa->len) != 0) abort();
}

static void check_record(const cal_record_ctx *ctx, const cal_record *r, const cal_problems *pb)
{
    size_t i, na = cal_analyte_count();
    if (pb->len >= CAL_PROBLEMS_MAX) abort();
    for (i = 0; i < CAL_REC_MAX_ANALYTES; i++) {
        double v = r->v[i];
        if (!isnan(v) && !isfinite(v)) abort();
    }
    if (!isnan(r->age) && !(r->age >= 0 && r->age <= 150)) abort();
    if (!isnan(r->height) && !(r->height > 20 && r->height < 260)) abort();
    if (r->ckd < 0 || r->ckd > 6) abort();
    if (r->sex < 0 || r->sex > 2 || r->species < 0 || r->species > 2) abort();
    for (i = 0; i < na; i++) {
        double f = cal_record_flag(ctx, (int)i, r);
        if (!isnan(f) && !(f == -2 || f == -1 || f == 0 || f == 1 || f == 2)) abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char delims[] = { ',', ';', '\t', '|' };
    static cal_termmap *findings, *sites;
    static cal_range ranges[3];
    static cal_record a, b;
    static cal_problems pa, pb;
    static cal_unit_memo memo, memo2;
    static cal_record c;
    static cal_problems pc;
    uint64_t tc[2];
    static char warnings[4096];
    cal_record_ctx ctx;
    cal_record_needs nd;
    cal_record_layout lay;
    const cal_field *f;
    size_t n, rows = 0;
    uint64_t ta[4], tb[4];
    feeder fd;
    cal_csv *r;
    int rc;
    if (size < 1) return 0;
    if (!findings) {
        static const int b0[] = { 0 }, b1[] = { 1 }, b65[] = { 65 };
        int ca = -1;
        size_t i;
        findings = cal_termmap_new();
        sites = cal_termmap_new();
        if (!findings || !sites) abort();
        cal_termmap_add(findings, "ckd", 3, b0, 1);
        cal_termmap_add(findings, "dialysis", 8, b1, 1);
        cal_termmap_add(findings, "n18", 3, b65, 1);
        cal_termmap_add_note(findings, "dm", 2, "dermatomyositis or diabetes mellitus");
        cal_termmap_add_name(findings, "dialysis", 8);
        cal_termmap_add(sites, "fingertips", 10, b0, 1);
        for (i = 0; i < cal_analyte_count(); i++)
            if (strcmp(cal_analyte_at(i)->name, "calcium") == 0) ca = (int)i;
        ranges[0].analyte = ranges[1].analyte = ranges[2].analyte = ca;
        ranges[0].age_min = NAN; ranges[0].age_max = 18; ranges[0].low = 8.8; ranges[0].high = 10.8;
        ranges[1].age_min = 18; ranges[1].age_max = NAN; ranges[1].low = 8.6; ranges[1].high = 10.3;
        ranges[1].sex = 1;
        ranges[2].age_min = NAN; ranges[2].age_max = NAN; ranges[2].low = 6; ranges[2].high = 14;
        ranges[2].inclusive = 1;
    }
    memset(&ctx, 0, sizeof ctx);
    ctx.findings = findings;
    ctx.sites = sites;
    ctx.ranges = ranges;
    ctx.nranges = 2;
    ctx.critical = ranges + 2;
    ctx.ncritical = 1;
    ctx.ca_variant = data[0] % 3;
    ctx.kdigo_round = (data[0] >> 2) & 1;
    cal_record_needs_init(&nd, NULL, 0);
    cal_record_needs_all(&nd);
    fd.p = data + 1;
    fd.n = size - 1;
    fd.pos = 0;
    r = cal_csv_open_read(feed, &fd, delims[(data[0] >> 3) & 3]);
    if (!r) return 0;
    if (cal_csv_next(r, &f, &n) != 1) { cal_csv_close(r); return 0; }
    warnings[0] = '\0';
    if (!cal_record_layout_init(&lay, f, n, warnings, sizeof warnings)) { cal_csv_close(r); return 0; }
    if (memchr(warnings, '\0', sizeof warnings) == NULL) abort();
    cal_unit_memo_init(&memo);
    cal_unit_memo_init(&memo2);
    memset(&c, 0xA5, sizeof c); /* what a record holds before it is read */
    while ((rc = cal_csv_next(r, &f, &n)) == 1 && rows++ < 64) {
        size_t tw = 1 + (size_t)(data[0] >> 5) % 2;
        memset(&a, 0, sizeof a);
        memset(&b, 0, sizeof b);
        cal_problems_clear(&pa);
        cal_problems_clear(&pb);
        cal_record_read(&ctx, &lay, f, n, &a, ta, tw, &pa, &memo);
        cal_record_read(&ctx, &lay, f, n, &b, tb, tw, &pb, NULL);
        same_record(&a, &b, &pa, &pb);
        if (memcmp(ta, tb, tw * sizeof *ta) != 0) abort();
        cal_problems_clear(&pc);
        (rows == 1 ? cal_record_read : cal_record_read_next)(&ctx, &lay, f, n, &c, tc, tw, &pc, &memo2);
        same_record(&c, &b, &pc, &pb);
        if (memcmp(tc, tb, tw * sizeof *tc) != 0) abort();
        if (lay.grouped) { /* the grouped read is the column-by-column one */
            cal_problems_clear(&pc);
            lay.grouped = 0;
            cal_record_read(&ctx, &lay, f, n, &c, tc, tw, &pc, NULL);
            lay.grouped = 1;
            same_record(&c, &b, &pc, &pb);
            if (memcmp(tc, tb, tw * sizeof *tc) != 0) abort();
        }
        cal_record_derive(&ctx, &nd, &a);
        check_record(&ctx, &a, &pa);
    }
    cal_record_layout_free(&lay);
    cal_csv_close(r);
    return 0;
}
