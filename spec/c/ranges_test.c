/*
 * ranges_test.c - tests for the range lookups of src/record.c by analyte
 * window (cal_record_ctx_index, cal_record_range): over 3,000 random lists of reference and
 * critical ranges (analytes grouped, interleaved or in any order, species,
 * sex, age bounds or none, low/high/inclusive or none, empty lists) and
 * 200 random records each (species, sex, age or none, values or missing,
 * words), cal_record_range and cal_record_flag of an indexed context give
 * what cal_record_find_range gives on the whole lists and cal_record_flag
 * of the same context unindexed (walking the whole lists), for every
 * analyte (the flag bit for bit). Standalone: see spec/c/README.md. Prints one line per failed
 * check, a line counting the checks, and ends with "N passed, N failed"
 * counting the cases (a list and its records is one); exit status 1 on
 * failure.
 *
 * TEST-SOURCES: src/record.c src/dates.c src/derived.c src/termmap.c src/analytes.c src/units.c src/csv.c
 */
#include "../../src/record.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "xorshift.h"

#define MAXR 96

static double pick(const double *v, size_t n) { return v[next() % n]; }

static void random_list(cal_range *list, size_t n, int na) {
  static const double ages[] = {NAN, NAN, 0, 1, 2, 12, 18, 18, 40, 65, 120};
  static const double lims[] = {NAN, 0, 0.5, 2.1, 8.5, 10.2, 60, 90, 150};
  size_t i;
  int mode = (int)(next() % 3), a = (int)(next() % (uint64_t)na);
  for (i = 0; i < n; i++) {
    cal_range *e = &list[i];
    /* grouped (runs of one analyte), or any analyte, or analytes past the known ones */
    if (mode == 0) { if (next() % 4 == 0) a = (int)(next() % (uint64_t)na); }
    else if (mode == 1) a = (int)(next() % (uint64_t)na);
    else a = (int)(next() % (uint64_t)(na + 3)) - 1;
    e->analyte = a;
    e->species = (int)(next() % 3);
    e->sex = (int)(next() % 3);
    e->age_min = pick(ages, sizeof ages / sizeof ages[0]);
    e->age_max = pick(ages, sizeof ages / sizeof ages[0]);
    e->low = pick(lims, sizeof lims / sizeof lims[0]);
    e->high = pick(lims, sizeof lims / sizeof lims[0]);
    e->inclusive = (int)(next() % 2);
  }
}

static void random_record(cal_record *r, int na) {
  static const double ages[] = {NAN, 0, 0.5, 1, 11.9, 12, 17.99, 18, 30, 64.5, 65, 100};
  static const double vals[] = {NAN, NAN, 0, 0.5, 2.1, 3, 8.5, 9.7, 10.2, 11, 60, 89.9, 90, 150, 200, -1};
  int a;
  memset(r, 0, sizeof *r);
  r->species = (int)(next() % 3);
  r->sex = (int)(next() % 3);
  r->age = pick(ages, sizeof ages / sizeof ages[0]);
  for (a = 0; a < CAL_REC_MAX_ANALYTES; a++) {
    r->v[a] = a < na ? pick(vals, sizeof vals / sizeof vals[0]) : NAN;
    r->qual[a] = (signed char)(next() % 4 == 0 ? (int)(next() % 4) : 0);
  }
}

static int same(double x, double y) { return memcmp(&x, &y, sizeof x) == 0; }

int main(void) {
  static cal_range ranges[MAXR], critical[MAXR];
  long passed = 0, failed = 0, cases_ok = 0, cases_bad = 0;
  int na = (int)cal_analyte_count(), c;
  if (na > CAL_REC_MAX_ANALYTES) na = CAL_REC_MAX_ANALYTES;
  for (c = 0; c < 3000; c++) {
    cal_record_ctx ctx, whole;
    cal_record rec;
    size_t nr = (size_t)(next() % MAXR), nc = (size_t)(next() % 8);
    long bad = 0;
    int k, a;
    if (c % 10 == 0) nr = 0;
    random_list(ranges, nr, na);
    random_list(critical, nc, na);
    memset(&ctx, 0, sizeof ctx);
    ctx.ranges = ranges;
    ctx.nranges = nr;
    ctx.critical = critical;
    ctx.ncritical = nc;
    whole = ctx; /* (indexed 0) */
    cal_record_ctx_index(&ctx);
    if (!ctx.indexed) { failed++; bad++; printf("case %d: the context is not indexed\n", c); }
    for (k = 0; k < 200; k++) {
      random_record(&rec, na);
      for (a = -1; a <= na; a++) {
        int ri = cal_record_find_range(ranges, nr, a, &rec), ri2 = cal_record_range(&ctx, 0, a, &rec);
        int ci = cal_record_find_range(critical, nc, a, &rec), ci2 = cal_record_range(&ctx, 1, a, &rec);
        /* (a flag is of a known analyte: cal_record_flag reads its value) */
        double f = 0, f2 = 0;
        if (a >= 0 && a < na) {
          f = cal_record_flag(&whole, a, &rec);
          f2 = cal_record_flag(&ctx, a, &rec);
        }
        if (ri == ri2 && ci == ci2 && same(f, f2)) passed++;
        else {
          failed++;
          if (++bad <= 3)
            printf("case %d record %d analyte %d: range %d/%d critical %d/%d flag %g/%g\n", c, k, a, ri, ri2, ci,
                   ci2, f, f2);
        }
      }
    }
    if (bad) cases_bad++;
    else cases_ok++;
  }
  printf("checks: %ld passed, %ld failed (3,000 range lists, 200 records each, every analyte)\n", passed, failed);
  printf("%ld passed, %ld failed\n", cases_ok, cases_bad);
  return cases_bad ? 1 : 0;
}
