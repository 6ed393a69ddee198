/*
 * source.h - where the cohort pipeline's records come from: a cal_source
 * (next record, its problems, its line) over a CSV, NDJSON or long-format
 * reader, and the factory that opens the reader a plan asks for.
 *
 * Pure C99, no Lua.
 */
#ifndef CALCINOSIS_SOURCE_H
#define CALCINOSIS_SOURCE_H

#include <stdio.h>

#include "arff.h"
#include "cal.h"
#include "csv.h"
#include "fhir.h"
#include "longcsv.h"
#include "ndjson.h"

CAL_HIDDEN_BEGIN

struct cal_cohort; /* cohort.h */

/* Records, the first of which is the header. */
typedef struct {
  int (*next)(void *src, const cal_field **fields, size_t *n); /* 1, 0 at the end, -1 on error */
  const char *(*problem)(const void *src);                     /* NULL when clean */
  long long (*line)(const void *src);                          /* physical line of the record */
  void *src;
  int lines_in_problems;       /* problems already name their lines */
  /* An input column of the current record by its header name, for the
   * input columns of the output (CAL_COL_INPUT): 1 when it has a value.
   * NULL when the records' fields are the input's columns (wide CSV: the
   * header names them). */
  int (*column)(void *src, const char *name, size_t n, cal_field *out);
} cal_source;

/* The reader of a plan's input (CSV, NDJSON, long format, FHIR or ARFF, as the
 * plan's delim, input_ndjson, input_long, input_fhir and input_arff say) and the source
 * over it. */
typedef struct {
  cal_csv *csv;
  cal_ndjson *ndjson;
  cal_long *lng;
  cal_fhir *fhir;
  cal_arff *arff;
  cal_source src;
} cal_reader;

/* Opens a reader on fn/ctx, or on f when fn is NULL. Returns 0 when out of
 * memory or when the delimiter cannot be one. */
int cal_reader_open(cal_reader *rd, const struct cal_cohort *plan, FILE *f, cal_csv_read_fn fn, void *ctx);
void cal_reader_close(cal_reader *rd);

/* Opens a FHIR reader (plan->input_fhir) on a file or a folder of Bulk
 * Data files. 0 with a message in err. */
int cal_reader_open_path(cal_reader *rd, const struct cal_cohort *plan, const char *path, char *err, size_t errlen);

/* Opens a file to read records from. A path that opens but cannot be read
 * (a directory) is refused here, so that every reader reports it the same
 * way. NULL with err set ("PATH: cannot open for reading", "PATH: cannot
 * read (Is a directory)") on failure. */
FILE *cal_input_open(const char *path, char *err, size_t errlen);

CAL_HIDDEN_END

#endif
