/*
 * ndjson.h - NDJSON patient records read as the records of a table, so that
 * the cohort pipeline (cohort.h) runs them as it runs CSV rows.
 *
 * Pure C99, no Lua. One JSON object per line, in the shape calcinosis.labs
 * takes a patient:
 *
 *   {"id": "P1", "age": 58, "sex": "F", "species": "human", "height_cm": 160,
 *    "labs": {"calcium": "10.2 mg/dL", "albumin": 4.1,
 *             "phosphate": {"value": 2.49, "unit": "mmol/L"}, "pth": [612, "pg/mL"]},
 *    "findings": ["ckd", "dialysis"], "sites": "shoulders;hips"}
 *
 * The first record cal_ndjson_next() returns is a header: id, age, sex,
 * species, height_cm, findings, sites, then the name of every analyte (in
 * cal_analyte_at order). Every line after it gives one record with those
 * fields: a number as written, a string unescaped, a lab given as value and
 * unit as "value unit", a list of terms joined with ';', null or absent as
 * empty. Lab keys are resolved like CSV headers (cal_analyte_find: name,
 * alias or LOINC code). Other top-level keys are ignored.
 *
 * Nothing is lost: a line that is not a JSON object still gives a record
 * (all fields empty) whose problem says why and where; a line longer than
 * the limit (16 MiB) gives an empty record with a problem. Blank lines are
 * skipped but counted, so cal_ndjson_line() is the physical line number.
 * A UTF-8 byte-order mark at the start is skipped.
 *
 * Problems (cal_ndjson_problem, separated by CAL_PROBLEM_SEP):
 *   "not a JSON object (<what> at column C)"
 *   "invalid UTF-8"                         (the record is still read)
 *   "labs: unknown analyte 'k'"             "labs: calcium given twice (as 'ca' and 'calcium'); kept the first"
 *   "<field>: expected ..."                 a value of the wrong JSON type (the field stays empty)
 *   "line longer than N bytes; skipped"
 */
#ifndef CALCINOSIS_NDJSON_H
#define CALCINOSIS_NDJSON_H

#include <stddef.h>
#include <stdio.h>

#include "csv.h"

/* Internal to the module: not exported from the shared library, so calls
 * between the C files are direct. */
#if defined(__GNUC__) && !defined(_WIN32)
#pragma GCC visibility push(hidden)
#endif


/* The fields of a patient record, which NDJSON and long-format CSV are read
 * into: id, age, sex, species, height_cm, findings, sites, then one per
 * analyte (in cal_analyte_at order). */
#define CAL_REC_NAMED 7
enum { CAL_REC_ID, CAL_REC_AGE, CAL_REC_SEX, CAL_REC_SPECIES, CAL_REC_HEIGHT, CAL_REC_FINDINGS, CAL_REC_SITES };
size_t cal_record_nfields(void);
const char *cal_record_field_name(size_t i); /* NULL past the end */

#define CAL_NDJSON_MAX_LINE (16u * 1024u * 1024u)
#define CAL_NDJSON_MAX_DEPTH 64

typedef struct cal_ndjson cal_ndjson; /* opaque */

/* Openers (NULL when out of memory); none closes what it was given. */
cal_ndjson *cal_ndjson_open_read(cal_csv_read_fn fn, void *ctx);
cal_ndjson *cal_ndjson_open_file(FILE *f);

/* 1 = a record (the header first), 0 = end of input (again on every later
 * call), -1 = read error or out of memory (sticky). The fields are views,
 * valid until the next call. */
int cal_ndjson_next(cal_ndjson *j, const cal_field **fields, size_t *n);

/* Physical line of the current record (0 for the header). */
long long cal_ndjson_line(const cal_ndjson *j);

/* NULL when the current record is clean, else a message (see the top);
 * valid until the next call. */
const char *cal_ndjson_problem(const cal_ndjson *j);

void cal_ndjson_close(cal_ndjson *j); /* NULL is fine */

#if defined(__GNUC__) && !defined(_WIN32)
#pragma GCC visibility pop
#endif

#endif
