/*
 * longcsv.h - long-format CSV (one observation per row) read as patient
 * records, so that the cohort pipeline (cohort.h) runs them as it runs wide
 * rows.
 *
 * Pure C99, no Lua. Columns, found by header name (case and spaces
 * ignored, a unit in brackets dropped): the patient id (id, patient_id,
 * patient, subject, subject_id, record_id, mrn), the analyte (analyte,
 * test, code, loinc, observation, name: a name, alias or LOINC code),
 * value, and optionally unit (or units), date (or time, effective) and the
 * patient columns age (age_years), sex (gender), species, height_cm
 * (height), findings (finding) and sites (site).
 *
 * Consecutive rows with the same id make one record, with the fields of
 * record.h (cal_record_field_name): the first non-empty age, sex, species
 * and height of the patient's rows; their findings and sites joined with
 * ';'; each analyte's value, followed by its unit when the value is a
 * number ("2.4 mmol/L"), and the date of the value kept (the field
 * <analyte>_date). When an analyte repeats, the row whose date is nearest
 * the index date is kept (cal_long_set_dates; by default the latest date;
 * dates read by dates.h, compared as days), else the last row; a value
 * farther from the index date than the window (by default from the
 * patient's latest date) is not used. The first record returned is the header; a record's line is
 * that of its first row.
 *
 * Problems (cal_long_problem, separated by CAL_PROBLEM_SEP (csv.h); each
 * starts with the line of its row):
 *   "line N: <what the CSV reader reported>"
 *   "line N: analyte is empty"
 *   "line N: unknown analyte 'x'"
 *   "line N: date 'x' of calcium is not a date (YYYY-MM-DD, or YYYYMMDD)"
 *   "line N: calcium repeats; kept the later value (2024-01-01)" or "...; kept the later|last value"
 *     ("nearer the index date" with an index date)
 *   "line N: calcium of 2019-01-01 is outside the window (365 days from 2020-06-01); not used"
 *   "line N: id 'P1' appears again after other patients (rows of a patient must be consecutive)"
 *     (ids are remembered up to a million, so that memory stays bounded)
 *
 * Same record texts as calcinosis.stream.csv for long-format files.
 */
#ifndef CALCINOSIS_LONGCSV_H
#define CALCINOSIS_LONGCSV_H

#include <stddef.h>

#include "cal.h"
#include "csv.h"

CAL_HIDDEN_BEGIN

#define CAL_LONG_MAX_IDS 1000000u /* ids remembered to report non-consecutive rows */

typedef struct cal_long cal_long; /* opaque */

/* Wraps a CSV reader (not closed by cal_long_close). NULL when out of memory. */
cal_long *cal_long_open(cal_csv *r);

/* 1 = a record (the header first), 0 = end of input, -1 = read error or out
 * of memory. The fields are views, valid until the next call. */
int cal_long_next(cal_long *l, const cal_field **fields, size_t *n);

/* The index date and the window (days, dates.h; NaN: none) values are
 * chosen by. */
void cal_long_set_dates(cal_long *l, double index, double window);

long long cal_long_line(const cal_long *l);       /* line of the record's first row */
const char *cal_long_problem(const cal_long *l);  /* NULL when clean */
void cal_long_close(cal_long *l);                 /* NULL is fine */

/* Whether a CSV header is in long format: it has an id, an analyte and a
 * value column. */
int cal_long_is_long(const cal_field *header, size_t n);

/* Keeps, per record, each input column's first non-empty cell in the
 * patient's rows, for cal_long_column (call before the first
 * cal_long_next). */
void cal_long_keep(cal_long *l);

/* The kept cell of the input column named exactly `name` (its header text)
 * in the current record: 1 when there is one, else 0 with an empty field.
 * Valid until the next cal_long_next. */
int cal_long_column(const cal_long *l, const char *name, size_t n, cal_field *out);

CAL_HIDDEN_END

#endif
