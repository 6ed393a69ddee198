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

/* ---- Filling a record from (key, value) pairs ----
 *
 * The JSON parser above and the binding's reader of Lua patient tables
 * (src/lcal_patient.c) fill a record's fields and problems through these
 * functions only, so that a patient table and the NDJSON line it would be
 * written as give the same fields and the same problems. A value is given
 * as its kind (its JSON type, or the type it would be written as) and, for
 * a string or a number, its text: a view that must stay valid until the
 * record has been read (a string of the caller's, or bytes from
 * cal_ndjson_take). A record: cal_ndjson_begin, then for each top-level
 * key in the order of the text cal_ndjson_key and what it names, then
 * cal_ndjson_invalid_utf8 when a string was not UTF-8; then
 * cal_ndjson_fields and cal_ndjson_problem. */
enum { CAL_NDJSON_STRING, CAL_NDJSON_NUMBER, CAL_NDJSON_NULL, CAL_NDJSON_BOOL, CAL_NDJSON_OBJECT, CAL_NDJSON_ARRAY };
#define CAL_NDJSON_KEY_LABS (-2)
#define CAL_NDJSON_KEY_PROBLEMS (-3)

/* A new record: every field empty, no problems. 0, or -1 when out of memory. */
int cal_ndjson_begin(cal_ndjson *j);
/* n bytes kept until the next record (never moved); NULL when out of memory. */
char *cal_ndjson_take(cal_ndjson *j, size_t n);
/* What a top-level key names: a field of the record schema (id ... sites,
 * birth_date, an analyte's _date, _range or _flag), CAL_NDJSON_KEY_LABS,
 * CAL_NDJSON_KEY_PROBLEMS, or -1 (a key the record does not read). */
int cal_ndjson_key(const char *k, size_t n);
/* A field other than findings and sites given a value (v: its text for a
 * string or a number); another kind than string, number or null is a
 * problem ("age: expected ...") and leaves it empty. */
void cal_ndjson_value(cal_ndjson *j, int field, int kind, const cal_field *v);
/* findings or sites given a list: begin, each element (kind, its text for
 * a string), end. Non-empty strings are joined with ';'; another kind is a
 * problem. terms_add returns 0, or -1 when out of memory. */
void cal_ndjson_terms_begin(cal_ndjson *j);
int cal_ndjson_terms_add(cal_ndjson *j, int kind, const cal_field *t);
void cal_ndjson_terms_end(cal_ndjson *j, int field);
/* findings or sites given something else than a list (empty: an empty object). */
void cal_ndjson_terms_other(cal_ndjson *j, int field, int kind, const cal_field *v, int empty);
/* "labs" given something else than an object (empty: an empty list). */
void cal_ndjson_labs_other(cal_ndjson *j, int kind, int empty);
/* One entry of "labs": its key, and its value (v), unit (u) and date, each
 * NULL when absent; ok is 0 when the entry had another shape than a
 * scalar, or an object or list of scalars. 0, or -1 when out of memory. */
int cal_ndjson_lab(cal_ndjson *j, const cal_field *key, const cal_field *v, const cal_field *u,
                   const cal_field *date, int ok);
/* "problems" given something else than a list (empty: an empty object),
 * and one element of the list (kind, its text for a string). */
void cal_ndjson_problems_other(cal_ndjson *j, int kind, int empty);
void cal_ndjson_given_problem(cal_ndjson *j, int kind, const cal_field *t);
/* The record's text was not UTF-8 (the last problem of a record). */
void cal_ndjson_invalid_utf8(cal_ndjson *j);
/* The index (cal_analyte_at order) of the analyte a lab key names, as
 * "labs" reads it (cal_analyte_find, remembered for short keys), or -1. */
int cal_ndjson_analyte(cal_ndjson *j, const char *k, size_t n);
/* The fields of the record (valid until the next record). */
const cal_field *cal_ndjson_fields(const cal_ndjson *j, size_t *n);

CAL_HIDDEN_END

#endif
