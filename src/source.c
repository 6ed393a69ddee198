/*
 * source.c - see source.h.
 */
#include "source.h"

#include <errno.h>
#include <string.h>

#include "cohort.h"

static int csv_next(void *src, const cal_field **f, size_t *n) { return cal_csv_next((cal_csv *)src, f, n); }
static const char *csv_problem(const void *src) { return cal_csv_problem((const cal_csv *)src); }
static long long csv_line(const void *src) { return cal_csv_line((const cal_csv *)src); }

static int nd_next(void *src, const cal_field **f, size_t *n) { return cal_ndjson_next((cal_ndjson *)src, f, n); }
static const char *nd_problem(const void *src) { return cal_ndjson_problem((const cal_ndjson *)src); }
static long long nd_line(const void *src) { return cal_ndjson_line((const cal_ndjson *)src); }

static int long_next(void *src, const cal_field **f, size_t *n) { return cal_long_next((cal_long *)src, f, n); }
static const char *long_problem(const void *src) { return cal_long_problem((const cal_long *)src); }
static long long long_line(const void *src) { return cal_long_line((const cal_long *)src); }

static int fhir_next(void *src, const cal_field **f, size_t *n) { return cal_fhir_next((cal_fhir *)src, f, n); }
static const char *fhir_problem(const void *src) { return cal_fhir_problem((const cal_fhir *)src); }
static long long fhir_line(const void *src) { return cal_fhir_line((const cal_fhir *)src); }
static int nd_column(void *src, const char *name, size_t n, cal_field *out) {
  return cal_ndjson_column((cal_ndjson *)src, name, n, out);
}
static int long_column(void *src, const char *name, size_t n, cal_field *out) {
  return cal_long_column((const cal_long *)src, name, n, out);
}

/* Whether a plan writes input columns. */
static int has_input_columns(const cal_cohort *plan) {
  size_t i;
  for (i = 0; i < plan->ncolumns; i++)
    if (plan->columns[i].kind == CAL_COL_INPUT) return 1;
  return 0;
}

static cal_source source(int (*next)(void *, const cal_field **, size_t *), const char *(*pb)(const void *),
                         long long (*line)(const void *), void *src, int lines_in_problems) {
  cal_source s;
  s.next = next;
  s.problem = pb;
  s.line = line;
  s.src = src;
  s.lines_in_problems = lines_in_problems;
  s.column = NULL;
  return s;
}

int cal_reader_open(cal_reader *rd, const cal_cohort *plan, FILE *f, cal_csv_read_fn fn, void *ctx) {
  memset(rd, 0, sizeof *rd);
  if (plan->input_fhir) {
    cal_record_ctx rc = cal_cohort_record_ctx(plan);
    rd->fhir = cal_fhir_open(rc.findings, plan->index_date, plan->window_days);
    if (!rd->fhir || cal_fhir_add(rd->fhir, f, fn, ctx) < 0) {
      cal_reader_close(rd);
      return 0;
    }
    rd->src = source(fhir_next, fhir_problem, fhir_line, rd->fhir, 1);
    return 1;
  }
  if (plan->input_ndjson) {
    rd->ndjson = fn ? cal_ndjson_open_read(fn, ctx) : cal_ndjson_open_file(f);
    if (!rd->ndjson) return 0;
    rd->src = source(nd_next, nd_problem, nd_line, rd->ndjson, 0);
    rd->src.column = nd_column;
    return 1;
  }
  if (plan->input_arff) {
    rd->arff = cal_arff_open(fn, ctx, f);
    if (!rd->arff) return 0;
    rd->csv = cal_csv_open_read(cal_arff_read, rd->arff, plan->delim);
  } else {
    rd->csv = fn ? cal_csv_open_read(fn, ctx, plan->delim) : cal_csv_open_file(f, plan->delim);
  }
  if (!rd->csv) { cal_arff_close(rd->arff); rd->arff = NULL; }
  if (!rd->csv) return 0;
  if (!plan->input_long) {
    rd->src = source(csv_next, csv_problem, csv_line, rd->csv, 0);
    return 1;
  }
  rd->lng = cal_long_open(rd->csv);
  if (!rd->lng) {
    cal_reader_close(rd);
    return 0;
  }
  cal_long_set_dates(rd->lng, plan->index_date, plan->window_days);
  rd->src = source(long_next, long_problem, long_line, rd->lng, 1);
  rd->src.column = long_column;
  if (has_input_columns(plan)) cal_long_keep(rd->lng);
  return 1;
}

int cal_reader_open_path(cal_reader *rd, const cal_cohort *plan, const char *path, char *err, size_t errlen) {
  cal_record_ctx rc = cal_cohort_record_ctx(plan);
  memset(rd, 0, sizeof *rd);
  rd->fhir = cal_fhir_open(rc.findings, plan->index_date, plan->window_days);
  if (!rd->fhir) {
    snprintf(err, errlen, "out of memory");
    return 0;
  }
  if (!cal_fhir_add_path(rd->fhir, path, err, errlen)) {
    cal_reader_close(rd);
    return 0;
  }
  rd->src = source(fhir_next, fhir_problem, fhir_line, rd->fhir, 1);
  return 1;
}

void cal_reader_close(cal_reader *rd) {
  cal_fhir_close(rd->fhir);
  cal_long_close(rd->lng);
  cal_csv_close(rd->csv);
  cal_ndjson_close(rd->ndjson);
  cal_arff_close(rd->arff);
  memset(rd, 0, sizeof *rd);
}

FILE *cal_input_open(const char *path, char *err, size_t errlen) {
  FILE *f = fopen(path, "rb");
  int c;
  if (!f) {
    snprintf(err, errlen, "%s: cannot open for reading", path);
    return NULL;
  }
  errno = 0;
  c = getc(f); /* a directory opens on POSIX systems; its first read fails */
  if (c == EOF && ferror(f)) {
    snprintf(err, errlen, "%s: cannot read (%s)", path, errno ? strerror(errno) : "read error");
    fclose(f);
    return NULL;
  }
  if (c != EOF) ungetc(c, f);
  return f;
}
