/*
 * record.h - the patient record: what a record's fields mean, one record at
 * a time.
 *
 * Every reader gives records as fields named by a header (a CSV header, or
 * the record schema below for NDJSON, long-format CSV and a Lua table):
 *
 *   cal_record_layout_init   the header's columns: their roles (id, age,
 *                            sex, species, height, a lab and its unit, its
 *                            unit column, findings, sites) and units
 *   cal_record_read          one record's fields -> a cal_record (values in
 *                            canonical units, qualitative words, term bits)
 *                            and its problems
 *   cal_record_derive        the derived values that are needed
 *   cal_record_flag          a value's flag from the reference ranges
 *   cal_record_slot          a VM input slot's value
 *
 * Pure C99, no Lua.
 */
#ifndef CALCINOSIS_RECORD_H
#define CALCINOSIS_RECORD_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "analytes.h"
#include "cal.h"
#include "csv.h"
#include "termmap.h"
#include "slots.h"
#include "units.h"

CAL_HIDDEN_BEGIN

/* The fields of a patient record, which NDJSON, long-format CSV and FHIR
 * are read into (and the binding turns a Lua table into): id, age, sex,
 * species, height_cm, findings, sites, then one per analyte (in
 * cal_analyte_at order), then birth_date, then per analyte (same order)
 * the date of its value ("calcium_date"), then the reference range the lab
 * reported with it ("calcium_range": "8.5-10.5 mg/dL", ">=60 mL/min"),
 * then the lab's interpretation code ("calcium_flag": L, H, N, LL, HH, A),
 * then two reader notes that are not problems: "unmapped" (codes the
 * reader found no mapping for) and "skipped" (resources it did not use, and
 * why). cal_record_field_name gives the header of that schema. */
#define CAL_REC_NAMED 7
enum { CAL_REC_ID, CAL_REC_AGE, CAL_REC_SEX, CAL_REC_SPECIES, CAL_REC_HEIGHT, CAL_REC_FINDINGS, CAL_REC_SITES };
/* (inline, so that the readers need only analytes.c) */
static inline size_t cal_record_birth_field(void) { return CAL_REC_NAMED + cal_analyte_count(); }
static inline size_t cal_record_date_field(size_t analyte) { return CAL_REC_NAMED + cal_analyte_count() + 1 + analyte; }
static inline size_t cal_record_range_field(size_t analyte) { return CAL_REC_NAMED + 2 * cal_analyte_count() + 1 + analyte; }
static inline size_t cal_record_flag_field(size_t analyte) { return CAL_REC_NAMED + 3 * cal_analyte_count() + 1 + analyte; }
static inline size_t cal_record_unmapped_field(void) { return CAL_REC_NAMED + 4 * cal_analyte_count() + 1; }
static inline size_t cal_record_skipped_field(void) { return CAL_REC_NAMED + 4 * cal_analyte_count() + 2; }
static inline size_t cal_record_nfields(void) { return CAL_REC_NAMED + 4 * cal_analyte_count() + 3; }
static inline const char *cal_record_field_name(size_t i) { /* NULL past the end */
  static const char *const named[CAL_REC_NAMED] = {"id", "age", "sex", "species", "height_cm", "findings", "sites"};
  size_t na = cal_analyte_count();
  if (i < CAL_REC_NAMED) return named[i];
  if (i < CAL_REC_NAMED + na) return cal_analyte_at(i - CAL_REC_NAMED)->name;
  if (i == CAL_REC_NAMED + na) return "birth_date";
  if (i >= cal_record_nfields()) return NULL;
  if (i == cal_record_unmapped_field()) return "unmapped";
  if (i == cal_record_skipped_field()) return "skipped";
  i -= CAL_REC_NAMED + na + 1;
  return cal_analyte_field(i % na, (int)(i / na));
}

#define CAL_REC_MAX_ANALYTES 32 /* cal_analyte_count() must not exceed it */

enum { CAL_SEX_UNKNOWN = 0, CAL_SEX_F = 1, CAL_SEX_M = 2 };
enum { CAL_SPECIES_HUMAN = 0, CAL_SPECIES_DOG = 1, CAL_SPECIES_CAT = 2 };
enum { CAL_EGFR_NONE = 0, CAL_EGFR_REPORTED = 1, CAL_EGFR_CKD_EPI_2021 = 2, CAL_EGFR_SCHWARTZ = 3 };
enum { CAL_QUAL_NONE = 0, CAL_QUAL_LOW = -1, CAL_QUAL_HIGH = 1, CAL_QUAL_NORMAL = 2 };

/* One record, read. The id points into the fields it was read from. */
typedef struct {
  double v[CAL_REC_MAX_ANALYTES];           /* by analyte index, canonical unit; NaN = missing */
  signed char qual[CAL_REC_MAX_ANALYTES];   /* CAL_QUAL_*: a word ("high") given instead of a number */
  signed char cmp[CAL_REC_MAX_ANALYTES];    /* a censored value: -1 given as "<v", 1 as ">v", else 0 */
  double egfr_reported;                     /* an eGFR given in the record (NaN: none), kept beside
                                               a computed one (cal_record_derive) */
  double age;        /* years; NaN = missing */
  int sex;           /* CAL_SEX_* */
  int species;       /* CAL_SPECIES_* (a record without species is human) */
  double height;     /* cm; NaN = missing */
  int ckd;           /* KDIGO G stage 1..6, 0 none (cal_record_derive) */
  int egfr_method;   /* the eGFR's source (cal_record_derive): CAL_EGFR_* */
  const char *id;    /* NULL: no id column */
  size_t idlen;
  int unknown_terms; /* findings and sites terms that were not recognised */
  double date[CAL_REC_MAX_ANALYTES]; /* the day (dates.h) of each value; NaN = none given */
  double birth;      /* day of birth; NaN = none */
  double rlow[CAL_REC_MAX_ANALYTES], rhigh[CAL_REC_MAX_ANALYTES]; /* the reference range the lab
                                                 reported, canonical unit; NaN = none */
  char rflag[CAL_REC_MAX_ANALYTES][3];        /* the lab's interpretation code ("L", "HH"); "" = none */
} cal_record;

/* A reference range or critical-value entry, in canonical units. */
typedef struct {
  int analyte;             /* analyte index */
  int species;             /* CAL_SPECIES_* */
  int sex;                 /* 0 any, 1 F, 2 M */
  double age_min, age_max; /* years; NaN = unbounded; [min, max) */
  double low, high;        /* NaN = none */
  int inclusive;           /* critical limits themselves are critical */
} cal_range;

/* Where one analyte's entries are in a range list: the first, and the
 * length of the stretch up to its last one (n 0: none). */
typedef struct {
  uint32_t at, n;
} cal_range_window;

/* What reading, deriving and flagging take from a plan (cal_cohort). */
typedef struct {
  const cal_termmap *findings; /* may be NULL: no term is known */
  const cal_termmap *sites;
  size_t nranges, ncritical;
  const cal_range *ranges;     /* first match wins */
  const cal_range *critical;
  int ca_variant;              /* cal_ca_variant (derived.h) */
  int kdigo_round;             /* band the rounded eGFR */
  double index_date;           /* the day ages are computed at from birth_date (NaN:
                                  the latest lab date of the record) */
  const char *const *na;       /* the missing-value codes of a cell, NULL-terminated, as
                                  written (compared in any case, trimmed); NULL: the
                                  default set (cal_record_na_default) */
  int decimal_comma;           /* numbers are written with a decimal comma ("2,45") */
  /* by analyte, the stretch of ranges (rwin) and of critical (cwin) that
   * holds its entries (cal_record_ctx_index): a lookup walks that, not the
   * whole list (an entry outside it is of another analyte, never a match).
   * indexed 0 (a context set field by field, zeroed): the whole lists. */
  int indexed;
  cal_range_window rwin[CAL_REC_MAX_ANALYTES], cwin[CAL_REC_MAX_ANALYTES];
} cal_record_ctx;

/* Works out ctx's windows of its ranges and critical lists (sets indexed);
 * again after either list changes. */
void cal_record_ctx_index(cal_record_ctx *ctx);

/* The default missing-value codes (NULL-terminated): a cell that holds one
 * of them is a missing value, as an empty cell is, and not a problem. */
const char *const *cal_record_na_default(void);

/* 1 when a cell, trimmed, is one of the context's missing-value codes (an
 * empty cell is missing too). */
int cal_record_is_missing(const cal_record_ctx *ctx, const cal_field *cell);

/* A header name as the reader knows it, for "did you mean": the names of
 * the non-lab columns, then each analyte's name and aliases; NULL past the
 * end. */
const char *cal_record_known_name(size_t i);

/* Problems of a record: messages separated by CAL_PROBLEM_SEP (csv.h),
 * written as "; " in CSV and as a list in NDJSON; cut with "..." when
 * full. */
#define CAL_PROBLEMS_MAX 1024
typedef struct {
  char text[CAL_PROBLEMS_MAX];
  size_t len;
  int count;
} cal_problems;
void cal_problems_clear(cal_problems *pb);
void cal_problems_add(cal_problems *pb, const char *fmt, ...) CAL_PRINTF(2, 3);

/* Column roles. */
enum {
  CAL_ROLE_IGNORE = 0, CAL_ROLE_ID, CAL_ROLE_AGE, CAL_ROLE_SEX, CAL_ROLE_SPECIES, CAL_ROLE_HEIGHT,
  CAL_ROLE_LAB, CAL_ROLE_UNIT, CAL_ROLE_FINDINGS, CAL_ROLE_SITES, CAL_ROLE_BIRTH, CAL_ROLE_DATE,
  CAL_ROLE_RANGE, CAL_ROLE_FLAG
};

typedef struct {
  int role;            /* CAL_ROLE_* */
  int analyte;         /* analyte index of a lab or unit column, else -1 */
  const cal_analyte *a;
  int unit_col;        /* a lab's companion unit column ("calcium_unit"), or -1 */
  int has_unit;        /* unit given in the header ("calcium [mg/dL]") */
  cal_unit unit;       /* the header's unit */
  double factor;       /* header unit -> canonical */
  double age_factor;   /* age column unit -> years */
  char name[80];       /* the header as written (cut), for messages */
} cal_record_col;

/* The grouped read of a record (cal_record_layout_init sets it up when
 * the header has at most CAL_REC_GROUP_COLS columns and no analyte, age or
 * sex column twice): the cells that are plain numbers (labs without a unit
 * column, the age) in one loop, then F or M, then the other cells in column
 * order (and those of the first two groups that are not that simple). A
 * plain number read there has no problem and sets a field no other column
 * sets, so the record and its problems are those of the column-by-column
 * read. */
#define CAL_REC_GROUP_COLS 64
typedef struct {
  unsigned col;         /* the column */
  size_t off;           /* the byte offset in cal_record of the value it sets */
  double factor;        /* the header unit -> canonical (age: -> years) */
  double lo, hi;        /* the values kept there (others are read cell by cell) */
} cal_record_num_col;

typedef struct {
  size_t ncols;
  cal_record_col *cols; /* owned */
  int dated;            /* a column gives a birth date, a date, a range or a flag */
  int grouped;          /* read grouped (0: column by column, the same record) */
  unsigned nnum;        /* plain-number columns */
  cal_record_num_col num[CAL_REC_GROUP_COLS];
  int sex_col;          /* the sex column, or -1 */
  uint64_t rest;        /* the other columns that are read, a bit per column */
} cal_record_layout;

/* The columns of a header (names as in CSV: case, spaces and punctuation
 * ignored, a unit in brackets or parentheses kept). Ignored columns and
 * unusable units are described in warnings (appended to the NUL-terminated
 * text there, wcap bytes; may be NULL). Returns 0 when out of memory. */
int cal_record_layout_init(cal_record_layout *lay, const cal_field *header, size_t n, char *warnings, size_t wcap);

/* A mapping of a data set's column names to the reader's (given by the
 * user, never guessed): header from[i] (compared as a key: case, spaces and
 * punctuation ignored) is read as if it were to[i] ("creatinine [mg/dL]";
 * the header's own unit is kept when to[i] has none). */
typedef struct {
  size_t n;
  const char *const *from;
  const char *const *to;
} cal_record_map;

/* cal_record_layout_init with a mapping (map may be NULL). */
int cal_record_layout_init_map(cal_record_layout *lay, const cal_field *header, size_t n, const cal_record_map *map,
                               char *warnings, size_t wcap);
void cal_record_layout_free(cal_record_layout *lay);

/* Units written in cells ("4.1 mg/dL"): the factor to the analyte's
 * canonical unit, remembered per analyte and unit text (a cohort repeats a
 * few of them; parsing one takes far longer than a lookup). One per
 * stream; optional (NULL: parse every time). */
#define CAL_UNIT_MEMO 64
#define CAL_UNIT_TEXT 24
#define CAL_SUGGEST_MEMO 16
#define CAL_SUGGEST_TEXT 256 /* (at most 255 bytes: cal_termmap_suggest's into 256) */
typedef struct {
  struct {
    int analyte;       /* -1: empty */
    unsigned char len;
    char text[CAL_UNIT_TEXT];
    double factor;
  } e[CAL_UNIT_MEMO];
  cal_term_memo terms; /* and the terms of the findings and sites cells (termmap.h) */
  /* the missing-value codes (cal_record_ctx na) under which every cell in
   * terms was kept: a kept cell is not one of them, so that a cell found
   * there is read without looking for a code first. A read with other
   * codes empties terms first. */
  const char *const *terms_na;
  /* and the "did you mean" text of the last unknown terms (a cohort repeats
   * a few misspellings; finding the nearest names compares the term with
   * every name of its map): per map and term key, the suggestion text
   * (empty: none); replaced in turn */
  struct {
    const cal_termmap *map; /* NULL: empty */
    unsigned char klen, tlen;
    char key[CAL_KEY_MAX];
    char text[CAL_SUGGEST_TEXT];
  } sugg[CAL_SUGGEST_MEMO];
  unsigned sugg_next;
} cal_unit_memo;
void cal_unit_memo_init(cal_unit_memo *memo);

/* A quantity as a lab cell holds it (trimmed): an optional censoring
 * comparator (<, <=, >, >=; its length in *cmplen), spaces, a number
 * (p[*numstart, *numend)), then the unit text (spaces before it are the
 * caller's to skip). Returns 1 with the number in *v, 0 when there is no
 * number where one must be. */
int cal_quantity_split(const char *p, size_t n, double *v, size_t *cmplen, size_t *numstart, size_t *numend);

/* Reads one record: clears r and terms (tw words), then reads each field
 * f[i] (nf of them) by the role of column i of lay. Problems are appended
 * to pb (which is not cleared: a reader's problems may come first).
 * Returns the number of problems added. */
int cal_record_read(const cal_record_ctx *ctx, const cal_record_layout *lay, const cal_field *f, size_t nf,
                    cal_record *r, uint64_t *terms, size_t tw, cal_problems *pb, cal_unit_memo *memo);

/* cal_record_read for the next record of a stream into the same r, which
 * the previous cal_record_read or cal_record_read_next call with this
 * layout filled: when no column of the layout gives a birth date, date,
 * reference range or flag, those fields of r are still clear and are not
 * cleared again (the same record as cal_record_read gives, for less). */
int cal_record_read_next(const cal_record_ctx *ctx, const cal_record_layout *lay, const cal_field *f, size_t nf,
                         cal_record *r, uint64_t *terms, size_t tw, cal_problems *pb, cal_unit_memo *memo);

/* What a VM input slot holds: CAL_SLOT_* (slots.h). */
typedef struct {
  int kind;     /* CAL_SLOT_* */
  int analyte;  /* analyte index (cal_analyte_at) for VALUE and FLAG; the
                   let, subtype or -1 for the decision kinds (result.h) */
} cal_slot_src;

/* Which derived values cal_record_derive computes (only those that are
 * read: each costs time per record), and the analyte indices it uses. */
typedef struct {
  int ca, alb, phos, creat, corr, caxp, egfr;
  int need_corr, need_caxp, need_egfr, need_ckd;
} cal_record_needs;

/* None needed, then those that slots read (VALUE and FLAG of a derived
 * analyte, CKD); slots may be NULL when n is 0. */
void cal_record_needs_init(cal_record_needs *nd, const cal_slot_src *slots, size_t n);
void cal_record_needs_value(cal_record_needs *nd, int analyte); /* that value is read (e.g. written) */
void cal_record_needs_ckd(cal_record_needs *nd);                /* the KDIGO stage is read */
void cal_record_needs_all(cal_record_needs *nd);                /* every derived value */

/* Computes the needed derived values that the record does not give:
 * corrected calcium (humans), Ca x P (with corrected calcium when there is
 * one), eGFR (CKD-EPI 2021 from 18 years with a sex, bedside Schwartz from
 * 1 to 18 with a height; humans), then the KDIGO stage. */
void cal_record_derive(const cal_record_ctx *ctx, const cal_record_needs *nd, cal_record *r);

/* The first entry of list[0..n) for the analyte that matches the record's
 * species, sex and age (a record without age matches entries for adults
 * only), or -1. */
int cal_record_find_range(const cal_range *list, size_t n, int analyte, const cal_record *r);

/* cal_record_find_range over ctx's ranges (critical 1: its critical list),
 * by the analyte's window when ctx is indexed: an index in the whole list,
 * or -1. */
int cal_record_range(const cal_record_ctx *ctx, int critical, int analyte, const cal_record *r);

/* The flag of an analyte's value: -2 critical low, -1 low, 0 normal, 1 high,
 * 2 critical high (critical limits first, then the range); a qualitative
 * word gives -1, 0 or 1; NaN when there is no value or no range. */
double cal_record_flag(const cal_record_ctx *ctx, int analyte, const cal_record *r);

/* The value of a VM input slot (NaN = missing). */
static inline double cal_record_slot(const cal_record_ctx *ctx, const cal_slot_src *s, const cal_record *r) {
  int a = s->analyte;
  int ok = a >= 0 && a < CAL_REC_MAX_ANALYTES; /* cal_record_read clears them all */
  switch (s->kind) {
  case CAL_SLOT_VALUE: return ok ? r->v[a] : NAN;
  case CAL_SLOT_AGE: return r->age;
  case CAL_SLOT_CKD: return r->ckd ? (double)r->ckd : NAN;
  case CAL_SLOT_FEMALE: return r->sex ? (r->sex == CAL_SEX_F ? 1.0 : 0.0) : NAN;
  case CAL_SLOT_MALE: return r->sex ? (r->sex == CAL_SEX_M ? 1.0 : 0.0) : NAN;
  case CAL_SLOT_HUMAN: return r->species == CAL_SPECIES_HUMAN ? 1.0 : 0.0;
  case CAL_SLOT_DOG: return r->species == CAL_SPECIES_DOG ? 1.0 : 0.0;
  case CAL_SLOT_CAT: return r->species == CAL_SPECIES_CAT ? 1.0 : 0.0;
  case CAL_SLOT_FLAG: return ok ? cal_record_flag(ctx, a, r) : NAN;
  default: return NAN;
  }
}

CAL_HIDDEN_END

#endif
