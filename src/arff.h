/*
 * arff.h - ARFF files (Weka's Attribute-Relation File Format, as the UCI
 * machine-learning repository distributes data sets) read as CSV: a read
 * function (cal_csv_read_fn) that gives the CSV reader a header line made
 * of the attribute names, then the data section as it is.
 *
 *   % comment lines                 -> blank lines (line numbers are kept)
 *   @relation NAME                  -> ignored
 *   @attribute NAME TYPE            -> NAME, in order ('quoted names' too)
 *   @data                           -> the rows that follow, unchanged
 *
 * The header line is line 1 and the header's other lines become blank
 * lines, so the CSV reader's line numbers are the file's. Missing values
 * ('?') are the plan's missing-value codes (the ARFF path adds '?'); a row
 * with more or fewer fields is reported by the CSV reader, with its line.
 * Sparse rows ({...}) are not read (each gives a record with a problem).
 *
 * Pure C99, no Lua.
 */
#ifndef CALCINOSIS_ARFF_H
#define CALCINOSIS_ARFF_H

#include <stddef.h>
#include <stdio.h>

#include "cal.h"
#include "csv.h"

CAL_HIDDEN_BEGIN

#define CAL_ARFF_MAX_HEADER ((size_t)4 * 1024 * 1024) /* the header section, before @data */

typedef struct cal_arff cal_arff; /* opaque */

/* Reads from fn/ctx, or from f when fn is NULL. NULL when out of memory. */
cal_arff *cal_arff_open(cal_csv_read_fn fn, void *ctx, FILE *f);

/* The read function to give cal_csv_open_read (ctx: the cal_arff). -1 on a
 * read error, or when the header is not ARFF (cal_arff_error says why). */
long cal_arff_read(void *arff, char *buf, size_t n);

/* NULL, or why the header could not be read ("no @data line", ...). */
const char *cal_arff_error(const cal_arff *a);

void cal_arff_close(cal_arff *a); /* NULL is fine */

CAL_HIDDEN_END

#endif
