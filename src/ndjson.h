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
 * The first record cal_ndjson_next() returns is a header: the record schema
 * of record.h (cal_record_field_name: id, age, sex, species, height_cm,
 * findings, sites, then the name of every analyte in cal_analyte_at
 * order). Every line after it gives one record with those
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

#include "cal.h"
#include "csv.h"

CAL_HIDDEN_BEGIN


#define CAL_NDJSON_MAX_LINE ((size_t)16 * 1024 * 1024)
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

/* A reader of no stream, for cal_ndjson_parse (NULL when out of memory). */
cal_ndjson *cal_ndjson_open_memory(void);

/* Reads one JSON object from text[0, n) (no line end needed) as
 * cal_ndjson_next reads a line: the fields of the record schema (valid
 * until the next call) and cal_ndjson_problem. 1, or -1 when out of
 * memory. The binding reads a Lua patient table this way. */
int cal_ndjson_parse(cal_ndjson *j, const char *text, size_t n, const cal_field **fields, size_t *nf);

/* The value of a top-level key of the current record (a key the record
 * schema does not read, as `--keep` passes it through): a string
 * unescaped, a number as written, true/false, an object or an array as its
 * JSON text. 1 when the key is there (and not null), else 0 with an empty
 * field. The field is valid until the next call of cal_ndjson_next. */
int cal_ndjson_column(cal_ndjson *j, const char *name, size_t n, cal_field *out);

CAL_HIDDEN_END

#endif
