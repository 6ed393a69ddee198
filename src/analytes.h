/*
 * analytes.h - the laboratory analytes calcinosis knows: names, aliases,
 * LOINC codes, canonical and SI units, molar mass and valence for
 * mass/molar/equivalent conversion, and the plausibility limits used to catch
 * a value given in the wrong unit. Pure C99, no Lua.
 */
#ifndef CALCINOSIS_ANALYTES_H
#define CALCINOSIS_ANALYTES_H

#include <stddef.h>

#include "units.h"

/* Internal to the module: not exported from the shared library, so calls
 * between the C files are direct. */
#if defined(__GNUC__) && !defined(_WIN32)
#pragma GCC visibility push(hidden)
#endif

typedef struct cal_analyte {
  const char *name;            /* name used in records and rules */
  const char *label;           /* human-readable name */
  const char *unit;            /* canonical (conventional) unit */
  const char *si_unit;         /* SI unit, or NULL */
  double molar_mass;           /* g/mol, 0 when mass<->molar does not apply */
  double valence;              /* eq/mol, 0 when equivalents do not apply */
  double plausible_lo;         /* plausibility limits in the canonical unit */
  double plausible_hi;
  const char *const *loinc;    /* LOINC codes, NULL-terminated */
  const char *const *aliases;  /* other names, NULL-terminated */
  const char *const *units;    /* units labs report it in, NULL-terminated */
  const char *source;          /* source keys (calcinosis.sources) */
  int derived;                 /* 1 when usually computed, not measured */
} cal_analyte;

/* Number of analytes and the i-th one (0-based). */
size_t cal_analyte_count(void);
const cal_analyte *cal_analyte_at(size_t i);

/* The record field of the i-th analyte's date ("calcium_date"); NULL past
 * the end (or when the list of date fields lags the analytes, which
 * spec/dates_spec.lua checks). */
const char *cal_analyte_date_field(size_t i);
/* The same for its other fields: CAL_FIELD_DATE ("calcium_date"),
 * CAL_FIELD_RANGE ("calcium_range": a reference range as the lab reported
 * it, "8.5-10.5 mg/dL") and CAL_FIELD_FLAG ("calcium_flag": the lab's
 * interpretation code, L, H, N, LL, HH, A). */
enum { CAL_FIELD_DATE = 0, CAL_FIELD_RANGE = 1, CAL_FIELD_FLAG = 2 };
const char *cal_analyte_field(size_t i, int kind);

/* Finds an analyte by name, alias (case-, space-, '-', '_'-insensitive) or
 * LOINC code. NULL when none matches. */
const cal_analyte *cal_analyte_find(const char *s, size_t n);

/* Converts v from unit `from` into the analyte's canonical unit. */
int cal_analyte_to_canonical(const cal_analyte *a, double v, const cal_unit *from,
                             double *out, char *err, size_t errlen);

/* Plausibility: 1 when v (already in the canonical unit) lies inside the
 * analyte's plausibility limits. */
int cal_analyte_plausible(const cal_analyte *a, double canonical);

/* When `raw` given in unit `stated` is implausible, looks for another unit
 * the analyte is reported in that makes it plausible. Returns that unit's
 * spelling and stores the value it would have in the canonical unit, or
 * returns NULL. */
const char *cal_analyte_likely_unit(const cal_analyte *a, double raw,
                                    const cal_unit *stated, double *canonical);

#if defined(__GNUC__) && !defined(_WIN32)
#pragma GCC visibility pop
#endif
#endif
