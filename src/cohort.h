/*
 * cohort.h - the cohort pipeline in C: records in, one classified output
 * row per record out, streaming, with no Lua per record.
 *
 * The phases, one file each:
 *   source.h    records from a CSV, NDJSON or long-format reader (csv.h,
 *               ndjson.h, longcsv.h)
 *   record.h    a record's fields -> values, flags, derived values, terms
 *               (termmap.h), problems
 *   cohort.c    the streaming loop: batches of records through the rule
 *               program (vm.h)
 *   output.h    the rows, in CSV or NDJSON
 *   jobs.h      the same run split over processes
 *
 * A plan (cal_cohort) says how to turn a record into the inputs of a
 * compiled rule program: which VM input slot takes which lab value, derived
 * value, age, sex, CKD stage or flag; how terms in the findings and sites
 * columns map to the program's term bits (synonyms and implications
 * resolved beforehand by the Lua side); which reference ranges give flags;
 * and which columns to write. The Lua binding builds the plan once from a
 * compiled ruleset; cal_cohort_run then streams.
 *
 * Pure C99, no Lua.
 */
#ifndef CALCINOSIS_COHORT_H
#define CALCINOSIS_COHORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cal.h"
#include "jobs.h"
#include "record.h"
#include "result.h"
#include "source.h"
#include "termmap.h"
#include "vm.h"

CAL_HIDDEN_BEGIN

/* Output columns: X(NAME, "lua name"), the one list (exported at luaopen
 * as core.COL). ORDER COL. */
#define CAL_COL_KINDS(X)                                                          \
  X(ID, "id") X(TYPE, "type") X(SCORE, "score") X(FIRED, "fired")                 \
  X(NOT_EVALUABLE, "not_evaluable") X(PROBLEMS, "problems")                      \
  X(VALUE, "value")                /* a lab or derived value (index: analyte) */  \
  X(LET, "let")                    /* a let of the ruleset (index: let) */         \
  X(AGE, "age") X(SEX, "sex") X(CKD, "ckd_stage") X(LINE, "line")                 \
  X(DATE, "date")                  /* a lab value's date (index: analyte) */       \
  X(CONFIDENCE, "confidence")      /* level: none, low, moderate, high */          \
  X(CONFIDENCE_VALUE, "confidence_value")                                         \
  X(ALTERNATIVES, "alternatives")  /* labels */                                    \
  X(ALERTS, "alerts")              /* alert ids */                                 \
  X(MISSING, "missing")            /* ask ids, most useful first */               \
  X(RULESET, "ruleset") X(VERSION, "version") /* the ruleset's name and version */  \
  X(HASH, "hash")                  /* the result hash (calcinosis.engine.hash) */  \
  X(INPUT, "input")                /* an input column, as read (name: its header) */

#define CAL_COL_ENUM_(name, str) CAL_COL_##name,
enum { CAL_COL_KINDS(CAL_COL_ENUM_) CAL_COL_KIND_COUNT_ };
#undef CAL_COL_ENUM_

/* Columns that need the result declarations (result.h). */
#define CAL_COL_NEEDS_RESULT(kind) ((kind) >= CAL_COL_CONFIDENCE && (kind) <= CAL_COL_MISSING)

typedef struct {
  int kind;       /* CAL_COL_* */
  int index;      /* analyte index or let index */
  int decimals;   /* digits after the point, or -1 for a short general form */
  double scale;   /* a value column: canonical unit -> the unit written (0: 1) */
  const char *name;
} cal_column;

typedef struct cal_cohort {
  const cal_program *prog;
  size_t nslots;
  const cal_slot_src *slots;
  /* what records are read with (cal_cohort_record_ctx gathers them) */
  cal_termmap *findings;       /* may be NULL: no term is known */
  cal_termmap *sites;
  size_t nranges, ncritical;
  const cal_range *ranges;     /* first match wins */
  const cal_range *critical;
  int ca_variant;              /* cal_ca_variant */
  int kdigo_round;
  size_t term_words_all;          /* words of every term id (>= prog->term_words: the
                                    vocabulary's terms the rules do not name come after
                                    theirs; a cohort run reads only the program's) */
  const uint64_t *species_clear; /* 3 x term_words_all words: the term bits a human,
                                    dog or cat record does not use (NULL: none) */
  /* the result declarations (result.post NULL: none) */
  cal_result_spec result;
  size_t npost_slots;
  const cal_slot_src *post_slots; /* the slots of result.post and result.conf */
  const char *const *alert_ids;   /* result.nalert */
  const char *const *ask_ids;     /* result.nask */
  /* output */
  size_t nrules;
  const char *const *rule_ids;     /* nrules */
  const char *const *type_names;   /* nsubtypes */
  const char *indeterminate;       /* label */
  const char *ruleset_name;        /* the ruleset, version and hash columns ("" when not given) */
  const char *ruleset_version;
  const char *hash;
  int rule_counts;                 /* count, per rule, the records it fired for and could not evaluate */
  size_t ncolumns;
  const cal_column *columns;
  int ndjson;                  /* output NDJSON instead of CSV */
  int header;                  /* write a CSV header line */
  int strict;                  /* stop at the first record with a problem */
  /* input */
  char delim;                  /* input delimiter */
  int input_ndjson;            /* the input is NDJSON (for cal_cohort_run_jobs) */
  int input_long;              /* the input is long-format CSV (one process only) */
  int input_fhir;              /* the input is FHIR R4 JSON (fhir.h; one process only) */
  double index_date;           /* day (dates.h) lab values are chosen nearest to and ages
                                  computed at; NaN: the latest */
  double window_days;          /* values farther than this from the index date are not
                                  used; NaN: no window */
  int input_arff;              /* the input is ARFF (arff.h; one process only) */
  const char *const *na;       /* missing-value codes (NULL: cal_record_na_default) */
  int decimal_comma;           /* numbers with a decimal comma */
  cal_record_map map;          /* the user's column mapping (map.n 0: none) */
  long long line_offset;       /* added to reported line numbers */
  long long first_line;        /* records reported before this line (0: none) are read only as the
                                  stream's context, the id that a repeat is checked against: the
                                  records before a piece of the file (jobs.h) */
} cal_cohort;

/* The record context of a plan: its term maps, ranges, calcium variant and
 * KDIGO rounding, as cal_record_read, cal_record_derive and cal_record_flag
 * take them. */
cal_record_ctx cal_cohort_record_ctx(const cal_cohort *plan);

/* The derived values a plan reads (its slots and its output columns). */
void cal_cohort_needs(const cal_cohort *plan, cal_record_needs *nd);

typedef struct cal_cohort_stats {
  long long records;           /* records written */
  long long with_problems;     /* records that had at least one problem */
  long long counts[CAL_VM_MAX_SUBTYPES + 1]; /* by type; last = indeterminate */
  int stopped;                 /* 1 when --strict stopped the run */
  long long stop_line;         /* line of the record that stopped it */
  char stop_message[512];
  char warnings[1024];         /* ignored columns etc. */
  /* per rule (with plan->rule_counts): records it fired for, records it
   * could not evaluate (its condition unknown for lack of an input) */
  long long fired[CAL_VM_MAX_RULES];
  long long unevaluable[CAL_VM_MAX_RULES];
} cal_cohort_stats;

/* Progress callback: called every `every` records (0 = never). Return
 * nonzero to stop. */
typedef int (*cal_cohort_progress)(void *ctx, long long records);

/* Streams the records of in (header first) to out. Returns 0 on success, -1 on
 * an I/O or setup error (message in err). Record-level problems never stop
 * the run unless plan->strict. */
int cal_cohort_run(const cal_cohort *plan, const cal_source *in, FILE *out, cal_cohort_stats *st,
                   cal_cohort_progress progress, void *ctx, long long every,
                   char *err, size_t errlen);

/* A run's state kept from one input to the next: its buffers and its memos
 * (terms, units, powers, fired-rule texts), so that the pieces of a file
 * (jobs.h) run one after the other as fast as one input. Each input it runs
 * has the header of the first (its layout is set up once) and a plan that
 * differs from the first's only in header, line_offset and first_line.
 * cal_cohort_run is new, run, free. new returns NULL (message in err) when
 * out of memory. */
typedef struct cal_cohort_runner cal_cohort_runner;
cal_cohort_runner *cal_cohort_runner_new(const cal_cohort *plan, char *err, size_t errlen);
int cal_cohort_runner_run(cal_cohort_runner *r, const cal_cohort *plan, const cal_source *in, FILE *out,
                          cal_cohort_stats *st, cal_cohort_progress progress, void *ctx, long long every,
                          char *err, size_t errlen);
void cal_cohort_runner_free(cal_cohort_runner *r);

CAL_HIDDEN_END

#endif
