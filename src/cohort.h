/*
 * cohort.h - the cohort pipeline in C: CSV records in, one classified output
 * row per record out, streaming, with no Lua per record.
 *
 * Records come from a CSV reader (csv.h), or from NDJSON lines (ndjson.h)
 * or long-format CSV (longcsv.h) read as patient records, through a
 * cal_source.
 *
 * A plan (cal_cohort) says how to turn a record into the inputs of a
 * compiled rule program (src/vm.h): which VM input slot takes which lab
 * value, derived value, age, sex, CKD stage or flag; how terms in the
 * findings and sites columns map to the program's term bits (synonyms and
 * implications resolved beforehand by the Lua side); which reference ranges
 * give flags; and which columns to write. The Lua binding builds the plan
 * once from a compiled ruleset; cal_cohort_run then streams.
 *
 * Pure C99, no Lua.
 */
#ifndef CALCINOSIS_COHORT_H
#define CALCINOSIS_COHORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "csv.h"
#include "longcsv.h"
#include "ndjson.h"
#include "vm.h"

/* Internal to the module: not exported from the shared library, so calls
 * between the C files are direct. */
#if defined(__GNUC__) && !defined(_WIN32)
#pragma GCC visibility push(hidden)
#endif

/* What a VM input slot holds. */
enum {
  CAL_SLOT_NONE = 0, /* always missing */
  CAL_SLOT_VALUE,    /* a lab or derived value (analyte index), canonical unit */
  CAL_SLOT_AGE,      /* age in years */
  CAL_SLOT_CKD,      /* KDIGO G stage 1..6 */
  CAL_SLOT_FEMALE,   /* 1 / 0 / missing */
  CAL_SLOT_MALE,
  CAL_SLOT_FLAG,     /* -2 critical low, -1 low, 0 normal, 1 high, 2 critical high */
  CAL_SLOT_HUMAN,    /* 1 / 0 (a record without species is human) */
  CAL_SLOT_DOG,
  CAL_SLOT_CAT
};

/* Output columns. */
enum {
  CAL_COL_ID = 0, CAL_COL_TYPE, CAL_COL_SCORE, CAL_COL_FIRED, CAL_COL_NOT_EVALUABLE,
  CAL_COL_PROBLEMS, CAL_COL_VALUE, CAL_COL_LET, CAL_COL_AGE, CAL_COL_SEX,
  CAL_COL_CKD, CAL_COL_LINE
};

typedef struct {
  int kind;     /* CAL_SLOT_* */
  int analyte;  /* analyte index (cal_analyte_at) for VALUE and FLAG */
} cal_slot_src;

typedef struct {
  int kind;       /* CAL_COL_* */
  int index;      /* analyte index or let index */
  int decimals;   /* digits after the point, or -1 for a short general form */
  const char *name;
} cal_column;

/* A reference range or critical-value entry, in canonical units. */
typedef struct {
  int analyte;            /* analyte index */
  int species;            /* 0 human, 1 dog, 2 cat */
  int sex;                /* 0 any, 1 F, 2 M */
  double age_min, age_max; /* years; NaN = unbounded; [min, max) */
  double low, high;       /* NaN = none */
  int inclusive;          /* critical limits themselves are critical */
} cal_range;

/* Term map: normalized text -> list of program term bits (or none: known
 * to the vocabulary but unused by the program). Built with the functions
 * below; owned by the plan. */
typedef struct cal_termmap cal_termmap;
cal_termmap *cal_termmap_new(void);
/* Adds key -> bits[0..nbits) (nbits may be 0). Returns 0 when out of memory. */
int cal_termmap_add(cal_termmap *m, const char *key, size_t keylen, const int *bits, size_t nbits);
void cal_termmap_free(cal_termmap *m);

typedef struct {
  const cal_program *prog;
  size_t nslots;
  const cal_slot_src *slots;
  cal_termmap *findings;       /* may be NULL: no term is known */
  cal_termmap *sites;
  size_t nranges, ncritical;
  const cal_range *ranges;     /* first match wins */
  const cal_range *critical;
  int ca_variant;              /* cal_ca_variant */
  int kdigo_round;
  size_t nrules;
  const char *const *rule_ids;     /* nrules */
  const char *const *type_names;   /* nsubtypes */
  const char *indeterminate;       /* label */
  size_t ncolumns;
  const cal_column *columns;
  int ndjson;                  /* output NDJSON instead of CSV */
  int header;                  /* write a CSV header line */
  int strict;                  /* stop at the first record with a problem */
  char delim;                  /* input delimiter */
  int input_ndjson;            /* the input is NDJSON (for cal_cohort_run_jobs) */
  int input_long;              /* the input is long-format CSV (one process only) */
  long long line_offset;       /* added to reported line numbers */
} cal_cohort;

typedef struct {
  long long records;           /* records written */
  long long with_problems;     /* records that had at least one problem */
  long long counts[CAL_VM_MAX_SUBTYPES + 1]; /* by type; last = indeterminate */
  int stopped;                 /* 1 when --strict stopped the run */
  long long stop_line;         /* line of the record that stopped it */
  char stop_message[512];
  char warnings[1024];         /* ignored columns etc. */
} cal_cohort_stats;

/* Progress callback: called every `every` records (0 = never). Return
 * nonzero to stop. */
typedef int (*cal_cohort_progress)(void *ctx, long long records);

/* Where records come from; the first record is the header. */
typedef struct {
  int (*next)(void *src, const cal_field **fields, size_t *n); /* 1, 0 at the end, -1 on error */
  const char *(*problem)(const void *src);                     /* NULL when clean */
  long long (*line)(const void *src);                          /* physical line of the record */
  void *src;
  int lines_in_problems;       /* problems already name their lines */
} cal_source;

/* The reader of a plan's input (CSV, NDJSON or long format, as the plan's
 * delim, input_ndjson and input_long say) and the source over it. */
typedef struct {
  cal_csv *csv;
  cal_ndjson *ndjson;
  cal_long *lng;
  cal_source src;
} cal_reader;

/* Opens a reader on fn/ctx, or on f when fn is NULL. Returns 0 when out of
 * memory or when the delimiter cannot be one. */
int cal_reader_open(cal_reader *rd, const cal_cohort *plan, FILE *f, cal_csv_read_fn fn, void *ctx);
void cal_reader_close(cal_reader *rd);

/* Streams the records of in (header first) to out. Returns 0 on success, -1 on
 * an I/O or setup error (message in err). Record-level problems never stop
 * the run unless plan->strict. */
int cal_cohort_run(const cal_cohort *plan, const cal_source *in, FILE *out, cal_cohort_stats *st,
                   cal_cohort_progress progress, void *ctx, long long every,
                   char *err, size_t errlen);

/* The same run split over `jobs` processes: the file at `path` (a regular
 * file) is cut at record boundaries (in CSV where the reader ends records,
 * malformed quoting included; any line end
 * in NDJSON; long-format CSV runs in one process) into `jobs` byte
 * ranges; each process classifies one range into a temporary file, and the
 * outputs are concatenated in input order, so the result is the same as
 * cal_cohort_run's. Falls back to one process for small files or jobs < 2.
 * No progress callback. Returns as cal_cohort_run. POSIX only. */
int cal_cohort_run_jobs(const cal_cohort *plan, const char *path, int jobs, FILE *out,
                        cal_cohort_stats *st, char *err, size_t errlen);

#if defined(__GNUC__) && !defined(_WIN32)
#pragma GCC visibility pop
#endif
#endif
