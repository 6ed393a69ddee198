/*
 * dates.h - calendar dates, once for every reader: ISO 8601 dates and
 * date-times (2020-01-31, 2020-01-31T08:30:00Z, 2020-01, 2020) and HL7 v2
 * TS (YYYYMMDD[HHMM[SS[.S]]][+/-ZZZZ]) read into a day number, validated
 * (month 1-12, the day within its month, leap years; "9999-99-99" and
 * "not-a-date" are not dates), compared as days, and the age in whole years
 * between two of them.
 *
 * A date is a day number: days since 1970-01-01 (proleptic Gregorian), as
 * a double so that NaN is "no date". The time of day and the time zone of a
 * date-time are read (and validated) but not kept: dates compare by the
 * local calendar day written. A partial date (2020-01, 2020) is its first
 * day. Window lengths are days: "365d", "52w", "12mo" (30.4375 d), "2y"
 * (365.25 d) or a plain number of days.
 *
 * Pure C99, no Lua.
 */
#ifndef CALCINOSIS_DATES_H
#define CALCINOSIS_DATES_H

#include <stddef.h>

#include "cal.h"

CAL_HIDDEN_BEGIN

/* The day number of y-m-d (m 1-12, d 1-31, not checked here). */
long cal_days_from_civil(long y, int m, int d);
/* The date of a day number. */
void cal_civil_from_days(long z, long *y, int *m, int *d);

/* Reads a date (trimmed text p[0..n)): ISO 8601 or HL7 TS. Returns 1 with
 * the day number in *day, 0 when it is not a valid date. */
int cal_date_parse(const char *p, size_t n, double *day);

/* Writes day as YYYY-MM-DD (11 bytes with the NUL) to out; "" for NaN. */
void cal_date_format(double day, char out[11]);

/* Age in whole years on day `at` of someone born on day `birth` (NaN when
 * either is NaN or at is before birth). */
double cal_age_years(double birth, double at);

/* A window length ("365d", "52w", "12mo", "2y", "30") in days: 1, or 0
 * when it is not one (not a number, a unit other than d, w, mo, y, or not
 * above 0). */
int cal_window_parse(const char *p, size_t n, double *days);

/* Which of two dated values to keep for an index date: 1 when date b is
 * better than date a (closer to index, the later one on a tie; NaN index:
 * the later; a missing date loses to a present one). */
int cal_date_better(double a, double b, double index);

/* 1 when day lies within window days of index (NaN window or NaN index:
 * always; NaN day: only without a window). */
int cal_date_in_window(double day, double index, double window);

/* Which of n dated values (days, NaN: undated) to keep for an index date:
 * the best by cal_date_better, the later in the list on a tie (0 when n is 0). */
size_t cal_date_choose(const double *days, size_t n, double index);

/* The day a record's window is measured from: the index date, else the
 * latest of the n days of its kept values (NaN when none is dated). */
double cal_date_reference(const double *days, size_t n, double index);

/* The problem of a value dated day that lies outside the window from ref:
 * "calcium: the value of 2010-05-01 is outside the window (365 days from
 * 2019-02-01); not used" into out (cap bytes). */
void cal_date_window_problem(char *out, size_t cap, const char *what, double day, double ref, double window);

CAL_HIDDEN_END

#endif
