/*
 * record.c - see record.h.
 */
#include "record.h"

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dates.h"
#include "derived.h"
#include "text.h"

/* ------------------------------------------------------------------ */
/* problems                                                             */

void cal_problems_clear(cal_problems *pb) {
  pb->len = 0;
  pb->count = 0;
  pb->text[0] = '\0';
}

void cal_problems_add(cal_problems *pb, const char *fmt, ...) {
  va_list ap;
  size_t before = pb->len;
  va_start(ap, fmt);
  cal_problem_append(pb->text, sizeof pb->text, &pb->len, fmt, ap);
  va_end(ap);
  if (pb->len != before) pb->count++;
}

/* ------------------------------------------------------------------ */
/* spellings: every list of words the reader accepts, in one place       */

/* Header names of the columns that are not labs, as keys (cal_key_normalize:
 * case, spaces and punctuation ignored). */
static const char *const ID_NAMES[] = {"id", "patient_id", "patient", "subject", "subject_id",
                                       "record_id", "mrn", "case", "case_id", NULL};
static const char *const AGE_NAMES[] = {"age", "age_years", "age_months", "age_days", NULL};
static const char *const SEX_NAMES[] = {"sex", "gender", NULL};
static const char *const SPECIES_NAMES[] = {"species", NULL};
static const char *const HEIGHT_NAMES[] = {"height_cm", "height", NULL};
static const char *const FINDING_NAMES[] = {"findings", "finding", "diagnoses", "conditions", NULL};
static const char *const SITE_NAMES[] = {"sites", "site", "locations", "location", NULL};
static const char *const BIRTH_NAMES[] = {"birth_date", "birthdate", "date_of_birth", "dob", NULL};

/* Words in cells, compared case-insensitively with surrounding spaces and
 * tabs ignored (the union of what the C and the Lua readers took; Lua:
 * lua/calcinosis/labs.lua QUALITATIVE, SEX). Written in lowercase here. */

/* The default missing-value codes of a lab, age, sex, species, height,
 * findings or sites cell: the value is missing, as in an empty cell, and it
 * is not a problem. The codes spreadsheets, R, SAS and SQL exports write
 * (NA, N/A, #N/A, NULL, '.', '-') and the words of the earlier readers.
 * A plan gives its own set (cal_record_ctx.na). */
static const char *const NA_DEFAULT[] = {"NA", "N/A", "#N/A", "NULL", ".", "-", "nan", "none", "missing", "--",
                                         "not done", "unknown", NULL};

const char *const *cal_record_na_default(void) { return NA_DEFAULT; }

/* A lab's qualitative result given instead of a number (its flag). */
static const struct { const char *word; int qual; } QUAL_WORDS[] = {
  {"high", CAL_QUAL_HIGH}, {"elevated", CAL_QUAL_HIGH}, {"raised", CAL_QUAL_HIGH}, {"increased", CAL_QUAL_HIGH},
  {"low", CAL_QUAL_LOW}, {"decreased", CAL_QUAL_LOW}, {"reduced", CAL_QUAL_LOW},
  {"normal", CAL_QUAL_NORMAL}, {"wnl", CAL_QUAL_NORMAL}, {"within normal limits", CAL_QUAL_NORMAL},
  {NULL, 0}};

/* Sex. */
static const struct { const char *word; int sex; } SEX_WORDS[] = {
  {"f", CAL_SEX_F}, {"female", CAL_SEX_F}, {"w", CAL_SEX_F}, {"woman", CAL_SEX_F},
  {"m", CAL_SEX_M}, {"male", CAL_SEX_M}, {"man", CAL_SEX_M},
  {NULL, 0}};

/* 1 when p[0..n) is the lowercase word w in any case. */
static int word_is(const char *p, size_t n, const char *w) {
  size_t i;
  if (n == 0 || cal_lower((unsigned char)p[0]) != (unsigned char)w[0]) return 0;
  for (i = 1; i < n; i++)
    if (w[i] == '\0' || cal_lower((unsigned char)p[i]) != (unsigned char)w[i]) return 0;
  return w[n] == '\0';
}

/* 1 when p[0..n) is w in any case (ASCII). */
static int word_ci(const char *p, size_t n, const char *w) {
  size_t i;
  for (i = 0; i < n; i++)
    if (w[i] == '\0' || cal_lower((unsigned char)p[i]) != cal_lower((unsigned char)w[i])) return 0;
  return w[n] == '\0';
}

/* 1 when p[0..n) is one of the words of list (in any case). */
static int word_in(const char *const *list, const char *p, size_t n) {
  size_t k;
  for (k = 0; list[k]; k++)
    if (word_ci(p, n, list[k])) return 1;
  return 0;
}

/* 1 when the cell, trimmed, is one of the plan's missing-value codes (an
 * empty cell is missing without being looked up). Inline: the usual cell
 * costs a test or two. */
static inline int missing_word(const cal_record_ctx *ctx, const cal_field *cell) {
  const char *p = cell->ptr;
  size_t n = cell->len;
  cal_trim(&p, &n);
  if (n == 0) return 0;
  if (!ctx->na) { /* the default set: the usual cases (a number, a term) cost a test or two */
    if (n > 8) return 0;
    switch (cal_lower((unsigned char)p[0])) { /* the first letters of NA_DEFAULT */
    case 'n': case '#': case '.': case '-': case 'm': case 'u': break;
    default: return 0;
    }
  }
  return word_in(ctx->na ? ctx->na : NA_DEFAULT, p, n);
}

int cal_record_is_missing(const cal_record_ctx *ctx, const cal_field *cell) {
  const char *p = cell->ptr;
  size_t n = cell->len;
  cal_trim(&p, &n);
  return n == 0 || missing_word(ctx, cell);
}

/* A cell written with a decimal comma ("2,45 mmol/L"), with a plan that
 * says so: its text with the comma as a point, in buf (tmp points to it).
 * A cell with both a comma and a point, or longer than the buffer, stays
 * as written (and is reported as not a number where a number must be). */
#define COMMA_BUF 64
static const cal_field *decimal_cell(const cal_record_ctx *ctx, const cal_field *cell, cal_field *tmp, char *buf) {
  size_t i;
  const char *c;
  if (!ctx->decimal_comma || cell->len >= COMMA_BUF || !(c = memchr(cell->ptr, ',', cell->len)) ||
      memchr(cell->ptr, '.', cell->len) || memchr(c + 1, ',', cell->len - (size_t)(c + 1 - cell->ptr)))
    return cell;
  for (i = 0; i < cell->len; i++) buf[i] = cell->ptr[i] == ',' ? '.' : cell->ptr[i];
  tmp->ptr = buf;
  tmp->len = cell->len;
  return tmp;
}

const char *cal_record_known_name(size_t i) {
  static const char *const *const lists[] = {ID_NAMES, AGE_NAMES, SEX_NAMES, SPECIES_NAMES, HEIGHT_NAMES,
                                             FINDING_NAMES, SITE_NAMES, NULL};
  size_t l, k;
  for (l = 0; lists[l]; l++)
    for (k = 0; lists[l][k]; k++)
      if (i-- == 0) return lists[l][k];
  for (l = 0; l < cal_analyte_count(); l++) {
    const cal_analyte *a = cal_analyte_at(l);
    if (i-- == 0) return a->name;
    for (k = 0; a->aliases[k]; k++)
      if (i-- == 0) return a->aliases[k];
  }
  return NULL;
}

/* ------------------------------------------------------------------ */
/* columns                                                              */

static int name_is(const char *s, const char *const *list) {
  size_t k;
  for (k = 0; list[k]; k++)
    if (strcmp(s, list[k]) == 0) return 1;
  return 0;
}

/* "calcium [mg/dL]" -> name "calcium" (a key), unit "mg/dL" */
static void split_header(const char *s, size_t n, char *name, const char **unit, size_t *unitlen) {
  size_t i, end;
  *unit = NULL;
  *unitlen = 0;
  cal_trim(&s, &n);
  end = n;
  for (i = 0; i < n; i++) {
    if (s[i] == '[' || s[i] == '(') {
      char close = s[i] == '[' ? ']' : ')';
      size_t j = n;
      while (j > i && s[j - 1] != close) j--;
      if (j > i + 1) {
        *unit = s + i + 1;
        *unitlen = j - 1 - (i + 1);
        end = i;
        break;
      }
    }
  }
  while (end > 0 && s[end - 1] == ' ') end--;
  cal_key_normalize(s, end, name);
}

/* Appends a warning to w (wcap bytes) when there is room bytes of room. */
static void warn(char *w, size_t wcap, size_t room, const char *fmt, ...) CAL_PRINTF(4, 5);
static void warn(char *w, size_t wcap, size_t room, const char *fmt, ...) {
  size_t wl;
  va_list ap;
  if (!w) return;
  wl = strlen(w);
  if (wl + room >= wcap) return;
  va_start(ap, fmt);
  vsnprintf(w + wl, wcap - wl, fmt, ap);
  va_end(ap);
}

static void setup_age(cal_record_col *c, const char *name, const char *unit, size_t unitlen, char *w, size_t wcap) {
  cal_unit u, a;
  const char *us = strcmp(name, "age_months") == 0 ? "mo" : strcmp(name, "age_days") == 0 ? "d" : "a";
  size_t ul = strlen(us);
  c->role = CAL_ROLE_AGE;
  if (unit) { us = unit; ul = unitlen; }
  if (!(cal_unit_parse(us, ul, &u, NULL, 0) && cal_unit_parse("a", 1, &a, NULL, 0) &&
        cal_unit_convert(1.0, &u, &a, 0, 0, &c->age_factor, NULL, 0))) {
    c->role = CAL_ROLE_IGNORE;
    warn(w, wcap, 100, "column '%s': unit is not a time; column ignored. ", c->name);
  }
}

/* A lab column ("calcium [mg/dL]"), a unit column ("calcium_unit") or an
 * unknown one. */
static void setup_lab(cal_record_col *c, const char *name, const char *unit, size_t unitlen, char *w, size_t wcap) {
  size_t nl = strlen(name), k;
  const cal_analyte *a = NULL;
  if (nl > 5 && strcmp(name + nl - 5, "_unit") == 0) a = cal_analyte_find(name, nl - 5);
  else if (nl > 5 && strcmp(name + nl - 5, "_date") == 0 && (a = cal_analyte_find(name, nl - 5)) != NULL)
    c->role = CAL_ROLE_DATE;
  else if (nl > 6 && strcmp(name + nl - 6, "_range") == 0 && (a = cal_analyte_find(name, nl - 6)) != NULL)
    c->role = CAL_ROLE_RANGE;
  else if (nl > 5 && strcmp(name + nl - 5, "_flag") == 0 && (a = cal_analyte_find(name, nl - 5)) != NULL)
    c->role = CAL_ROLE_FLAG;
  else if (nl > 6 && strcmp(name + nl - 6, "_units") == 0) a = cal_analyte_find(name, nl - 6);
  if (a && c->role == CAL_ROLE_IGNORE) c->role = CAL_ROLE_UNIT;
  else if (!a && (a = cal_analyte_find(name, nl)) != NULL) c->role = CAL_ROLE_LAB;
  if (!a && nl < 16 && name[0] >= '0' && name[0] <= '9') {
    /* a LOINC code ("17861-6"), whose '-' the key normaliser made '_' */
    char code[16];
    size_t j;
    for (j = 0; j < nl; j++) code[j] = name[j] == '_' ? '-' : name[j];
    if ((a = cal_analyte_find(code, nl)) != NULL) c->role = CAL_ROLE_LAB;
  }
  if (a) {
    for (k = 0; k < cal_analyte_count(); k++)
      if (cal_analyte_at(k) == a) c->analyte = (int)k;
    c->a = a;
  }
  if (a && c->role == CAL_ROLE_LAB && unit) { /* (a lab column has its analyte) */
    char e[200];
    if (cal_unit_parse(unit, unitlen, &c->unit, e, sizeof e) &&
        cal_analyte_to_canonical(a, 1.0, &c->unit, &c->factor, e, sizeof e)) {
      cal_unit canon;
      c->has_unit = 1;
      if (cal_unit_parse(a->unit, strlen(a->unit), &canon, NULL, 0) && canon.factor == c->unit.factor &&
          cal_unit_same_dim(&canon, &c->unit))
        c->factor = 1.0; /* exact */
    } else {
      c->role = CAL_ROLE_IGNORE;
      warn(w, wcap, 300, "column '%s': %s; column ignored. ", c->name, e);
    }
  }
  if (c->role == CAL_ROLE_IGNORE && strcmp(name, "unmapped") != 0 && strcmp(name, "skipped") != 0) /* reader notes (record.h) */
    warn(w, wcap, 100, "column '%s' is not known; ignored. ", c->name);
}

/* The grouped read's columns (record.h), when the header allows it. */
static void group(cal_record_layout *lay) {
  uint32_t labs_seen = 0; /* analytes of lab columns (CAL_REC_MAX_ANALYTES bits) */
  int ages = 0;
  size_t i;
  lay->grouped = 0;
  lay->nnum = 0;
  lay->sex_col = -1;
  lay->rest = 0;
  if (lay->ncols > CAL_REC_GROUP_COLS) return;
  for (i = 0; i < lay->ncols; i++) {
    const cal_record_col *c = &lay->cols[i];
    cal_record_num_col *g = &lay->num[lay->nnum];
    switch (c->role) {
    case CAL_ROLE_IGNORE: case CAL_ROLE_UNIT: break; /* nothing is read from them */
    case CAL_ROLE_LAB:
      if (c->analyte < 0 || c->analyte >= CAL_REC_MAX_ANALYTES || (labs_seen >> c->analyte & 1u)) return;
      labs_seen |= (uint32_t)1 << c->analyte;
      if (c->unit_col >= 0) { lay->rest |= (uint64_t)1 << i; break; }
      g->col = (unsigned)i;
      g->off = offsetof(cal_record, v) + (size_t)c->analyte * sizeof(double);
      g->factor = c->factor;
      g->lo = c->a->plausible_lo;
      g->hi = c->a->plausible_hi;
      lay->nnum++;
      break;
    case CAL_ROLE_AGE:
      if (ages++) return;
      g->col = (unsigned)i;
      g->off = offsetof(cal_record, age);
      g->factor = c->age_factor;
      g->lo = 0;
      g->hi = 150;
      lay->nnum++;
      break;
    case CAL_ROLE_SEX:
      if (lay->sex_col >= 0) return;
      lay->sex_col = (int)i;
      break;
    default: lay->rest |= (uint64_t)1 << i; break;
    }
  }
  lay->grouped = 1;
}

int cal_record_layout_init(cal_record_layout *lay, const cal_field *f, size_t n, char *w, size_t wcap) {
  return cal_record_layout_init_map(lay, f, n, NULL, w, wcap);
}

/* The target of header key name in map (its index), or -1. */
static int map_find(const cal_record_map *map, const char *name) {
  size_t k;
  char key[CAL_KEY_MAX + 8];
  if (!map) return -1;
  for (k = 0; k < map->n; k++) {
    size_t l = strlen(map->from[k]);
    if (l >= CAL_KEY_MAX) continue;
    cal_key_normalize(map->from[k], l, key);
    if (strcmp(key, name) == 0) return (int)k;
  }
  return -1;
}

int cal_record_layout_init_map(cal_record_layout *lay, const cal_field *f, size_t n, const cal_record_map *map,
                               char *w, size_t wcap) {
  size_t i, j;
  lay->ncols = 0;
  lay->dated = 1;
  lay->cols = calloc(n ? n : 1, sizeof *lay->cols);
  if (!lay->cols) return 0;
  lay->ncols = n;
  for (i = 0; i < n; i++) {
    cal_record_col *c = &lay->cols[i];
    char name[CAL_KEY_MAX + 8];
    const char *unit;
    size_t unitlen;
    c->unit_col = -1;
    c->analyte = -1;
    c->factor = 1.0;
    c->age_factor = 1.0;
    if (f[i].len >= CAL_KEY_MAX) continue; /* CAL_ROLE_IGNORE */
    split_header(f[i].ptr, f[i].len, name, &unit, &unitlen);
    snprintf(c->name, sizeof c->name, "%.*s", (int)(f[i].len > 70 ? 70 : f[i].len), f[i].ptr);
    {
      int m = map_find(map, name);
      size_t tl;
      if (m >= 0 && (tl = strlen(map->to[m])) < CAL_KEY_MAX) {
        const char *tu;
        size_t tul;
        split_header(map->to[m], tl, name, &tu, &tul);
        if (tu) { unit = tu; unitlen = tul; }
      }
    }
    if (name_is(name, ID_NAMES)) c->role = CAL_ROLE_ID;
    else if (name_is(name, AGE_NAMES)) setup_age(c, name, unit, unitlen, w, wcap);
    else if (name_is(name, SEX_NAMES)) c->role = CAL_ROLE_SEX;
    else if (name_is(name, SPECIES_NAMES)) c->role = CAL_ROLE_SPECIES;
    else if (name_is(name, HEIGHT_NAMES)) c->role = CAL_ROLE_HEIGHT;
    else if (name_is(name, FINDING_NAMES)) c->role = CAL_ROLE_FINDINGS;
    else if (name_is(name, SITE_NAMES)) c->role = CAL_ROLE_SITES;
    else if (name_is(name, BIRTH_NAMES)) c->role = CAL_ROLE_BIRTH;
    else setup_lab(c, name, unit, unitlen, w, wcap);
  }
  if (n == 1 && lay->cols[0].role == CAL_ROLE_IGNORE) { /* a header read with the wrong delimiter */
    static const struct { char c; const char *shown, *option; } seps[] = {
      { ';', ";", "';'" }, { '\t', "\\t", "tab" }, { '|', "|", "'|'" }, { ',', ",", "','" } };
    for (j = 0; j < sizeof seps / sizeof seps[0]; j++)
      if (memchr(f[0].ptr, seps[j].c, f[0].len)) {
        warn(w, wcap, 200, "the header is one column holding '%s': is the file delimited by it (--delimiter %s)? ",
             seps[j].shown, seps[j].option);
        break;
      }
  }
  lay->dated = 0;
  for (i = 0; i < n; i++) {
    int role = lay->cols[i].role;
    if (role == CAL_ROLE_BIRTH || role == CAL_ROLE_DATE || role == CAL_ROLE_RANGE || role == CAL_ROLE_FLAG)
      lay->dated = 1;
  }
  for (i = 0; i < n; i++) { /* companion unit columns */
    if (lay->cols[i].role != CAL_ROLE_UNIT) continue;
    for (j = 0; j < n; j++)
      if (lay->cols[j].role == CAL_ROLE_LAB && lay->cols[j].analyte == lay->cols[i].analyte)
        lay->cols[j].unit_col = (int)i;
  }
  group(lay);
  return 1;
}

void cal_record_layout_free(cal_record_layout *lay) {
  free(lay->cols);
  lay->cols = NULL;
  lay->ncols = 0;
}

/* ------------------------------------------------------------------ */
/* the unit memo                                                        */

#define UNIT_PROBES 4

void cal_unit_memo_init(cal_unit_memo *memo) {
  size_t i;
  for (i = 0; i < CAL_UNIT_MEMO; i++) memo->e[i].analyte = -1;
  cal_term_memo_init(&memo->terms);
  memo->terms_na = NULL;
  for (i = 0; i < CAL_SUGGEST_MEMO; i++) memo->sugg[i].map = NULL;
  memo->sugg_next = 0;
}

static size_t memo_home(int analyte, const char *u, size_t ul) {
  uint64_t h = cal_hash_bytes(u, ul) ^ ((uint64_t)(unsigned)analyte * 0x9e3779b97f4a7c15ULL);
  return (size_t)((h ^ (h >> 32)) & (CAL_UNIT_MEMO - 1));
}

/* The factor of unit text u for analyte index ai, if remembered. */
static int memo_get(const cal_unit_memo *memo, int ai, const char *u, size_t ul, double *factor) {
  size_t h, k;
  if (!memo || ul >= CAL_UNIT_TEXT) return 0;
  h = memo_home(ai, u, ul);
  for (k = 0; k < UNIT_PROBES; k++) {
    size_t i = (h + k) & (CAL_UNIT_MEMO - 1);
    if (memo->e[i].analyte == ai && memo->e[i].len == ul && memcmp(memo->e[i].text, u, ul) == 0) {
      *factor = memo->e[i].factor;
      return 1;
    }
  }
  return 0;
}

/* Remembers a factor in the first free slot near its home (else the home). */
static void memo_put(cal_unit_memo *memo, int ai, const char *u, size_t ul, double factor) {
  size_t h, k, i;
  if (!memo || ul >= CAL_UNIT_TEXT) return;
  h = memo_home(ai, u, ul);
  i = h & (CAL_UNIT_MEMO - 1);
  for (k = 0; k < UNIT_PROBES; k++)
    if (memo->e[(h + k) & (CAL_UNIT_MEMO - 1)].analyte < 0) {
      i = (h + k) & (CAL_UNIT_MEMO - 1);
      break;
    }
  memo->e[i].analyte = ai;
  memo->e[i].len = (unsigned char)ul;
  memcpy(memo->e[i].text, u, ul);
  memo->e[i].factor = factor;
}

/* ------------------------------------------------------------------ */
/* cells                                                                */

/* CAL_QUAL_* of a trimmed cell. */
static int qualitative(const char *p, size_t n) {
  size_t k;
  for (k = 0; QUAL_WORDS[k].word; k++)
    if (word_is(p, n, QUAL_WORDS[k].word)) return QUAL_WORDS[k].qual;
  return CAL_QUAL_NONE;
}

static int is_numchar(char c) {
  return (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E';
}

/* The end of the number that starts at p[k] ("<15 mL/min", "4.1e2 mg/dL",
 * "3.5 eq/L": an 'e' starts a unit unless digits follow). */
static size_t number_end(const char *p, size_t n, size_t k) {
  while (k < n && is_numchar(p[k])) {
    if ((p[k] == 'e' || p[k] == 'E') &&
        !(k + 1 < n && ((p[k + 1] >= '0' && p[k + 1] <= '9') ||
                        ((p[k + 1] == '-' || p[k + 1] == '+') && k + 2 < n && p[k + 2] >= '0' && p[k + 2] <= '9'))))
      break;
    k++;
  }
  return k;
}

/* The factor from unit text u[0..ul) to the analyte's canonical unit, or 0
 * with a message in e. */
static int unit_factor(const cal_record_col *c, const char *u, size_t ul, cal_unit_memo *memo, double *factor,
                       char *e, size_t elen) {
  cal_unit unit, canon;
  if (memo_get(memo, c->analyte, u, ul, factor)) return 1;
  if (!cal_unit_parse(u, ul, &unit, e, elen) || !cal_analyte_to_canonical(c->a, 1.0, &unit, factor, e, elen))
    return 0;
  if (cal_unit_parse(c->a->unit, strlen(c->a->unit), &canon, NULL, 0) && canon.factor == unit.factor &&
      cal_unit_same_dim(&canon, &unit))
    *factor = 1.0;
  memo_put(memo, c->analyte, u, ul, *factor);
  return 1;
}

/* The problem of a value implausible in its unit, naming the likely one. */
static void implausible(const cal_record_col *c, const char *p, size_t n, double v, const char *u, size_t ul,
                        cal_problems *pb) {
  const cal_analyte *a = c->a;
  const cal_unit *stated = c->has_unit ? &c->unit : NULL;
  cal_unit unit, canon_u;
  double lc;
  const char *likely = NULL;
  char sh[4 * 40 + 1];
  if (ul > 0) stated = cal_unit_parse(u, ul, &unit, NULL, 0) ? &unit : NULL; /* the cell's unit */
  if (!stated && cal_unit_parse(a->unit, strlen(a->unit), &canon_u, NULL, 0)) stated = &canon_u;
  if (stated) likely = cal_analyte_likely_unit(a, v, stated, &lc);
  if (likely)
    cal_problems_add(pb, "%s: %s is implausible for %s in %s; it looks like %.6g %s (= %.4g %s), please check the unit",
                     c->name, cal_show(sh, p, n, 40), a->name, ul > 0 ? "the stated unit" : a->unit, v, likely, lc,
                     a->unit);
  else
    cal_problems_add(pb, "%s: %s is outside the plausible range of %s", c->name, cal_show(sh, p, n, 40), a->name);
}

int cal_quantity_split(const char *p, size_t n, double *v, size_t *cmplen, size_t *numstart, size_t *numend) {
  size_t k = 0;
  *cmplen = 0;
  if (cal_parse_double(p, n, v)) { /* the common case: a plain number */
    *numstart = 0;
    *numend = n;
    return 1;
  }
  if (n > 0 && (p[0] == '<' || p[0] == '>')) { k = 1; if (n > 1 && p[1] == '=') k = 2; }
  *cmplen = k;
  while (k < n && p[k] == ' ') k++;
  *numstart = k;
  *numend = number_end(p, n, k);
  return *numend > k && cal_parse_double(p + k, *numend - k, v);
}

/* A cell that is a number as written, starting with a digit, with nothing
 * to trim: its value (cal_parse_double). */
static int plain_number(const cal_field *cell, double *v) {
  const char *p = cell->ptr;
  size_t n = cell->len;
  return n > 0 && (unsigned)(p[0] - '0') < 10 && p[n - 1] > ' ' && cal_parse_double(p, n, v);
}

static void read_lab(const cal_record_ctx *ctx, const cal_record_col *c, const cal_field *f, size_t nf,
                     const cal_field *cell, cal_record *rec, cal_problems *pb, cal_unit_memo *memo) {
  const char *p, *u;
  size_t n, k = 0, numend, ul, cmplen = 0;
  double v, canon, factor = c->factor;
  int q;
  char sh[4 * 40 + 1];
  cal_field tmp;
  char buf[COMMA_BUF];
  if (ctx->decimal_comma || ctx->na) { /* (off the usual path: one test) */
    cell = decimal_cell(ctx, cell, &tmp, buf);
    if (ctx->na && missing_word(ctx, cell)) return; /* a plan's own codes may be numbers ("-99") */
  }
  p = cell->ptr;
  n = cell->len;
  cal_trim(&p, &n);
  if (n == 0) return;
  q = ((p[0] | 0x20) >= 'a' && (p[0] | 0x20) <= 'z') ? qualitative(p, n) : 0;
  if (q) { rec->qual[c->analyte] = (signed char)q; return; }
  if (cal_parse_double(p, n, &v)) numend = n; /* the common case, inline: a plain number */
  else if (!cal_quantity_split(p, n, &v, &cmplen, &k, &numend)) {
    if (!missing_word(ctx, cell)) cal_problems_add(pb, "%s: '%s' is not a number", c->name, cal_show(sh, p, n, 40));
    return;
  }
  if (v < 0) {
    cal_problems_add(pb, "%s: value %.*s is negative", c->name, (int)(numend - k), p + k);
    return;
  }
  u = p + numend;
  ul = n - numend;
  while (ul > 0 && *u == ' ') { u++; ul--; }
  if (ul == 0 && c->unit_col >= 0 && (size_t)c->unit_col < nf) {
    u = f[c->unit_col].ptr;
    ul = f[c->unit_col].len;
    cal_trim(&u, &ul);
  }
  if (ul > 0) {
    char e[200];
    if (!unit_factor(c, u, ul, memo, &factor, e, sizeof e)) {
      cal_problems_add(pb, "%s: '%s': %s", c->name, cal_show(sh, p, n, 40), e);
      return;
    }
  }
  canon = factor == 1.0 ? v : v * factor;
  if (!(canon >= c->a->plausible_lo && canon <= c->a->plausible_hi)) {
    implausible(c, p, n, v, u, ul, pb);
    return;
  }
  if (!isnan(rec->v[c->analyte])) {
    cal_problems_add(pb, "%s: %s given twice; kept the first", c->name, c->a->name);
    return;
  }
  rec->v[c->analyte] = canon;
  /* strict censoring moves a value out of its band ("<15" is below 15) */
  if (cmplen == 1) rec->cmp[c->analyte] = (signed char)(p[0] == '<' ? -1 : 1);
}

/* A number or nothing (ok = 0: something else). */
static double field_number(const cal_field *f, int *ok) {
  const char *p = f->ptr;
  size_t n = f->len;
  double v = NAN;
  cal_trim(&p, &n);
  *ok = 1;
  if (n == 0) return NAN;
  if (!cal_parse_double(p, n, &v)) { *ok = 0; return NAN; }
  return v;
}

static void read_age(const cal_record_ctx *ctx, const cal_record_col *c, const cal_field *cell, cal_record *r,
                     cal_problems *pb) {
  int ok;
  double a, factor = c->age_factor;
  char sh[4 * 40 + 1];
  cal_field tmp;
  char buf[COMMA_BUF];
  cell = decimal_cell(ctx, cell, &tmp, buf);
  if (ctx->na && missing_word(ctx, cell)) return;
  a = field_number(cell, &ok);
  if (!ok) { /* a number with a time unit: "8 mo", "24 d" */
    const char *p = cell->ptr;
    size_t n = cell->len, k = 0;
    cal_unit u, years;
    cal_trim(&p, &n);
    while (k < n && ((p[k] >= '0' && p[k] <= '9') || p[k] == '.')) k++;
    if (k > 0 && cal_parse_double(p, k, &a)) {
      const char *us = p + k;
      size_t ul = n - k;
      cal_trim(&us, &ul);
      ok = ul > 0 && cal_unit_parse(us, ul, &u, NULL, 0) && cal_unit_parse("a", 1, &years, NULL, 0) &&
           cal_unit_convert(1.0, &u, &years, 0, 0, &factor, NULL, 0);
    }
  }
  if (!ok && missing_word(ctx, cell)) return;
  if (!ok)
    cal_problems_add(pb, "%s: '%s' is not an age (a number, or a number with a unit such as 8 mo)", c->name,
                     cal_show(sh, cell->ptr, cell->len, 40));
  else if (!isnan(a)) {
    a *= factor;
    if (a < 0 || a > 150) cal_problems_add(pb, "%s: %.4g years is not between 0 and 150", c->name, a);
    else r->age = a;
  }
}

static void read_sex(const cal_record_ctx *ctx, const cal_record_col *c, const cal_field *cell, cal_record *r,
                     cal_problems *pb) {
  const char *p = cell->ptr;
  size_t n = cell->len, k;
  char sh[4 * 20 + 1];
  cal_trim(&p, &n);
  if (n == 0) return;
  for (k = 0; SEX_WORDS[k].word; k++)
    if (word_is(p, n, SEX_WORDS[k].word)) {
      r->sex = SEX_WORDS[k].sex;
      return;
    }
  if (missing_word(ctx, cell)) return;
  cal_problems_add(pb, "%s: unknown sex '%s' (expected F or M)", c->name, cal_show(sh, p, n, 20));
}

static void read_species(const cal_record_ctx *ctx, const cal_record_col *c, const cal_field *cell, cal_record *r,
                         cal_problems *pb) {
  char k[CAL_KEY_MAX];
  size_t n = cal_key_normalize(cell->ptr, cell->len, k);
  if (n == 0 || !strcmp(k, "human")) r->species = CAL_SPECIES_HUMAN;
  else if (!strcmp(k, "dog") || !strcmp(k, "canine")) r->species = CAL_SPECIES_DOG;
  else if (!strcmp(k, "cat") || !strcmp(k, "feline")) r->species = CAL_SPECIES_CAT;
  else if (!missing_word(ctx, cell)) cal_problems_add(pb, "%s: unknown species '%s' (expected human, dog or cat)", c->name, k);
}

static void read_height(const cal_record_ctx *ctx, const cal_record_col *c, const cal_field *cell, cal_record *r,
                        cal_problems *pb) {
  int ok;
  double h;
  char sh[4 * 40 + 1];
  cal_field tmp;
  char buf[COMMA_BUF];
  cell = decimal_cell(ctx, cell, &tmp, buf);
  if (ctx->na && missing_word(ctx, cell)) return;
  h = field_number(cell, &ok);
  if (!ok && missing_word(ctx, cell)) return;
  if (!ok || (!isnan(h) && (h <= 20 || h >= 260)))
    cal_problems_add(pb, "%s: '%s' is not a height between 20 and 260 cm", c->name,
                     cal_show(sh, cell->ptr, cell->len, 40));
  else r->height = h;
}

/* A date cell (dates.h) into *day; a problem naming the column when it is
 * not a date. */
static void read_date(const cal_record_ctx *ctx, const cal_record_col *c, const cal_field *cell, double *day,
                      cal_problems *pb) {
  const char *p = cell->ptr;
  size_t n = cell->len;
  cal_trim(&p, &n);
  if (n == 0 || missing_word(ctx, cell)) return;
  if (!cal_date_parse(p, n, day)) {
    char sh[4 * 40 + 1];
    cal_problems_add(pb, "%s: '%s' is not a date (YYYY-MM-DD, or YYYYMMDD)", c->name, cal_show(sh, p, n, 40));
  }
}

/* A reference range as a lab reports it ("8.5-10.5 mg/dL", "2.2 - 2.6
 * mmol/L", ">=60 mL/min", "<5.0") into canonical units. */
static void read_range(const cal_record_col *c, const cal_field *cell, cal_record *r, cal_problems *pb,
                       cal_unit_memo *memo) {
  const char *p = cell->ptr, *u;
  size_t n = cell->len, k = 0, e1, ul;
  double lo = NAN, hi = NAN, v = NAN, factor = 1.0;
  int ok = 1;
  char e[200];
  cal_trim(&p, &n);
  if (n == 0) return;
  if (p[0] == '<' || p[0] == '>') { /* one limit */
    int below = p[0] == '<';
    k = (n > 1 && p[1] == '=') ? 2 : 1;
    while (k < n && p[k] == ' ') k++;
    e1 = number_end(p, n, k);
    ok = e1 > k && cal_parse_double(p + k, e1 - k, &v);
    if (below) hi = v; else lo = v;
  } else {
    size_t d;
    e1 = number_end(p, n, 0);
    /* the first number ends at a '-' that follows a digit */
    for (d = 1; d < e1; d++)
      if (p[d] == '-' && p[d - 1] >= '0' && p[d - 1] <= '9') { e1 = d; break; }
    ok = e1 > 0 && cal_parse_double(p, e1, &lo);
    k = e1;
    while (k < n && p[k] == ' ') k++;
    if (ok && k < n && p[k] == '-') {
      k++;
      while (k < n && p[k] == ' ') k++;
      e1 = number_end(p, n, k);
      ok = e1 > k && cal_parse_double(p + k, e1 - k, &hi);
    } else ok = 0;
  }
  if (!ok) {
    char sh[4 * 40 + 1];
    cal_problems_add(pb, "%s: '%s' is not a range (low-high unit, or <high, >low)", c->name, cal_show(sh, p, n, 40));
    return;
  }
  u = p + e1;
  ul = n - e1;
  while (ul > 0 && *u == ' ') { u++; ul--; }
  if (ul > 0 && !unit_factor(c, u, ul, memo, &factor, e, sizeof e)) {
    char sh[4 * 40 + 1];
    cal_problems_add(pb, "%s: '%s': %s", c->name, cal_show(sh, p, n, 40), e);
    return;
  }
  r->rlow[c->analyte] = lo * factor;
  r->rhigh[c->analyte] = hi * factor;
}

/* An interpretation code (HL7 v3 ObservationInterpretation, as FHIR and
 * HL7 v2 OBX-8 give it). */
static void read_flag(const cal_record_col *c, const cal_field *cell, cal_record *r, cal_problems *pb) {
  static const char *const CODES[] = {"L", "H", "N", "LL", "HH", "A", "AA", "<", ">", "LU", "HU", NULL};
  const char *p = cell->ptr;
  size_t n = cell->len, k;
  cal_trim(&p, &n);
  if (n == 0) return;
  for (k = 0; CODES[k]; k++)
    if (strlen(CODES[k]) == n && memcmp(CODES[k], p, n) == 0) {
      memcpy(r->rflag[c->analyte], p, n);
      r->rflag[c->analyte][n] = '\0';
      return;
    }
  {
    char sh[4 * 20 + 1];
    cal_problems_add(pb, "%s: '%s' is not an interpretation code (L, H, N, LL, HH, A)", c->name, cal_show(sh, p, n, 20));
  }
}

/* The age from the birth date, at the index date or else at the latest
 * date of a lab value, when the record gives no age. */
static void age_from_birth(const cal_record_ctx *ctx, cal_record *r, cal_problems *pb) {
  double at = ctx->index_date, a;
  size_t k;
  if (isnan(r->birth) || !isnan(r->age)) return;
  if (isnan(at))
    for (k = 0; k < CAL_REC_MAX_ANALYTES; k++)
      if (!isnan(r->date[k]) && (isnan(at) || r->date[k] > at)) at = r->date[k];
  if (isnan(at)) return; /* no date to compute the age at: the age is missing */
  a = cal_age_years(r->birth, at);
  if (isnan(a) || a > 150) {
    char b[11], d[11];
    cal_date_format(r->birth, b);
    cal_date_format(at, d);
    cal_problems_add(pb, "birth_date: %s gives no age on %s", b, d);
    return;
  }
  r->age = a;
}

typedef struct {
  const char *colname;
  cal_problems *pb;
  const cal_termmap *m;
  cal_unit_memo *memo; /* NULL: none */
} term_ctx;

/* The "did you mean" text of an unknown term key of map m into out
 * (CAL_SUGGEST_TEXT bytes); its length, 0 when there is none. From the
 * memo when it holds it (the same text: cal_termmap_suggest depends on
 * the map and the key alone). */
static size_t suggestion(const cal_termmap *m, cal_unit_memo *memo, const char *key, size_t keylen, char *out) {
  size_t i, n;
  if (!memo || keylen >= CAL_KEY_MAX) return cal_termmap_suggest(m, key, keylen, out, CAL_SUGGEST_TEXT);
  for (i = 0; i < CAL_SUGGEST_MEMO; i++)
    if (memo->sugg[i].map == m && memo->sugg[i].klen == keylen && memcmp(memo->sugg[i].key, key, keylen) == 0) {
      memcpy(out, memo->sugg[i].text, (size_t)memo->sugg[i].tlen + 1);
      return memo->sugg[i].tlen;
    }
  n = cal_termmap_suggest(m, key, keylen, out, CAL_SUGGEST_TEXT);
  if (n < CAL_SUGGEST_TEXT) {
    i = memo->sugg_next++ % CAL_SUGGEST_MEMO;
    memo->sugg[i].map = m;
    memo->sugg[i].klen = (unsigned char)keylen;
    memcpy(memo->sugg[i].key, key, keylen);
    memo->sugg[i].tlen = (unsigned char)n;
    memcpy(memo->sugg[i].text, out, n);
    memo->sugg[i].text[n] = '\0';
  }
  return n;
}

static void unknown_term(void *ctx, const char *key, size_t keylen, const char *note) {
  term_ctx *t = (term_ctx *)ctx;
  char sugg[CAL_SUGGEST_TEXT];
  if (!keylen) cal_problems_add(t->pb, "%s: term too long", t->colname);
  else if (note) cal_problems_add(t->pb, "%s: ambiguous term '%s' (%s)", t->colname, key, note);
  else if (suggestion(t->m, t->memo, key, keylen, sugg))
    cal_problems_add(t->pb, "%s: unknown term '%s' (did you mean %s?)", t->colname, key, sugg);
  else cal_problems_add(t->pb, "%s: unknown term '%s'", t->colname, key);
}

/* A term cell not in its memo set's kept entry. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void read_terms_memo(const cal_termmap *m, const cal_record_col *c, const cal_field *cell, cal_record *r,
                            uint64_t *terms, size_t tw, cal_problems *pb, cal_unit_memo *memo) {
  term_ctx t;
  t.colname = c->name;
  t.pb = pb;
  t.m = m;
  t.memo = memo;
  r->unknown_terms += (int)cal_termmap_read_cell_memo(m, memo ? &memo->terms : NULL, cell->ptr, cell->len, terms, tw,
                                                      unknown_term, &t);
}

#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline void read_terms(const cal_record_ctx *ctx, const cal_termmap *m, const cal_record_col *c,
                              const cal_field *cell, cal_record *r, uint64_t *terms, size_t tw, cal_problems *pb,
                              cal_unit_memo *memo) {
  if (cell->len == 0) return;
  /* a kept cell is not a missing-value code (it was read as terms, below,
   * with the same codes): the usual cell costs no look for one (inline) */
  if (memo && m && cal_termmap_memo_hit(m, &memo->terms, cell->ptr, cell->len, terms, tw)) return;
  if (missing_word(ctx, cell)) return; /* "NA": no terms, not an unknown one */
  read_terms_memo(m, c, cell, r, terms, tw, pb, memo);
}

static void clear(cal_record *r, uint64_t *terms, size_t tw, int dated) {
  static const double none[CAL_REC_MAX_ANALYTES] = {
    NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN,
    NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN};
  size_t k;
  memcpy(r->v, none, sizeof r->v);
  memset(r->qual, 0, sizeof r->qual);
  memset(r->cmp, 0, sizeof r->cmp);
  r->egfr_reported = NAN;
  r->age = NAN;
  r->sex = CAL_SEX_UNKNOWN;
  r->species = CAL_SPECIES_HUMAN;
  r->height = NAN;
  r->ckd = 0;
  r->id = NULL;
  r->idlen = 0;
  r->unknown_terms = 0;
  if (dated) { /* (only columns of these roles set them) */
    for (k = 0; k < CAL_REC_MAX_ANALYTES; k++) r->date[k] = r->rlow[k] = r->rhigh[k] = NAN;
    memset(r->rflag, 0, sizeof r->rflag);
    r->birth = NAN;
  }
  if (tw <= 2) { /* (the usual sizes without a call) */
    if (tw > 0) terms[0] = 0;
    if (tw > 1) terms[1] = 0;
  } else memset(terms, 0, tw * sizeof *terms);
}

static int read_record(const cal_record_ctx *ctx, const cal_record_layout *lay, const cal_field *f, size_t nf,
                       cal_record *r, uint64_t *terms, size_t tw, cal_problems *pb, cal_unit_memo *memo, int dated);

int cal_record_read(const cal_record_ctx *ctx, const cal_record_layout *lay, const cal_field *f, size_t nf,
                    cal_record *r, uint64_t *terms, size_t tw, cal_problems *pb, cal_unit_memo *memo) {
  return read_record(ctx, lay, f, nf, r, terms, tw, pb, memo, 1);
}

int cal_record_read_next(const cal_record_ctx *ctx, const cal_record_layout *lay, const cal_field *f, size_t nf,
                         cal_record *r, uint64_t *terms, size_t tw, cal_problems *pb, cal_unit_memo *memo) {
  return read_record(ctx, lay, f, nf, r, terms, tw, pb, memo, lay->dated);
}

/* A cell by its column's role (the usual cells are read inline before). */
static void read_cell(const cal_record_ctx *ctx, const cal_record_layout *lay, size_t i, const cal_field *f,
                      size_t nf, cal_record *r, uint64_t *terms, size_t tw, cal_problems *pb, cal_unit_memo *memo) {
  const cal_record_col *c = &lay->cols[i];
  const cal_field *cell = &f[i];
  switch (c->role) {
  case CAL_ROLE_ID: {
    const char *p = cell->ptr;
    size_t n = cell->len;
    cal_trim(&p, &n);
    r->id = p;
    r->idlen = n;
    break;
  }
  /* a missing-value word is looked for only where the cell is not what
   * the field holds (the usual case costs nothing) */
  case CAL_ROLE_AGE: read_age(ctx, c, cell, r, pb); break;
  case CAL_ROLE_SEX: read_sex(ctx, c, cell, r, pb); break;
  case CAL_ROLE_SPECIES: read_species(ctx, c, cell, r, pb); break;
  case CAL_ROLE_HEIGHT: read_height(ctx, c, cell, r, pb); break;
  case CAL_ROLE_LAB: read_lab(ctx, c, f, nf, cell, r, pb, memo); break;
  case CAL_ROLE_FINDINGS: read_terms(ctx, ctx->findings, c, cell, r, terms, tw, pb, memo); break;
  case CAL_ROLE_SITES: read_terms(ctx, ctx->sites, c, cell, r, terms, tw, pb, memo); break;
  case CAL_ROLE_BIRTH: read_date(ctx, c, cell, &r->birth, pb); break;
  case CAL_ROLE_DATE: read_date(ctx, c, cell, &r->date[c->analyte], pb); break;
  case CAL_ROLE_RANGE: read_range(c, cell, r, pb, memo); break;
  case CAL_ROLE_FLAG: read_flag(c, cell, r, pb); break;
  default: break;
  }
}

/* The grouped read's plain numbers (those of a row without columns past
 * nf, when check is 0); returns the columns to read cell by cell. */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline uint64_t read_nums(const cal_record_layout *lay, const cal_field *f, size_t nf, cal_record *r,
                                 int check) {
  const cal_record_num_col *g = lay->num, *end = lay->num + lay->nnum;
  uint64_t slow = 0;
  for (; g < end; g++) {
    const cal_field *cell;
    double v;
    if (check && g->col >= nf) continue;
    cell = &f[g->col];
    if (cell->len == 0) continue; /* (an empty cell: nothing, as read_lab and read_age) */
    if (cal_parse_short(cell->ptr, cell->len, &v) || plain_number(cell, &v)) {
      v *= g->factor;
      if (v >= g->lo && v <= g->hi) {
        memcpy((char *)r + g->off, &v, sizeof v);
        continue;
      }
    }
    slow |= (uint64_t)1 << g->col;
  }
  return slow;
}

/* The grouped read (record.h): plain numbers, F or M, then the rest in
 * column order. */
static void read_grouped(const cal_record_ctx *ctx, const cal_record_layout *lay, const cal_field *f, size_t nf,
                         cal_record *r, uint64_t *terms, size_t tw, cal_problems *pb, cal_unit_memo *memo) {
  uint64_t rest = lay->rest, slow;
  if (nf < 64) rest &= ((uint64_t)1 << nf) - 1;
  /* (the columns in order: a row that has the last one has them all) */
  slow = lay->nnum && lay->num[lay->nnum - 1].col < nf ? read_nums(lay, f, nf, r, 0) : read_nums(lay, f, nf, r, 1);
  if (lay->sex_col >= 0 && (size_t)lay->sex_col < nf) {
    const cal_field *cell = &f[lay->sex_col];
    if (cell->len == 1 && ((cell->ptr[0] | 0x20) == 'f' || (cell->ptr[0] | 0x20) == 'm'))
      r->sex = (cell->ptr[0] | 0x20) == 'f' ? CAL_SEX_F : CAL_SEX_M;
    else slow |= (uint64_t)1 << lay->sex_col;
  }
  rest |= slow;
  while (rest) {
    size_t i = (size_t)__builtin_ctzll(rest);
    const cal_record_col *c = &lay->cols[i];
    if (c->role == CAL_ROLE_ID) { /* (inline: the usual cells) */
      const char *p = f[i].ptr;
      size_t n = f[i].len;
      cal_trim(&p, &n);
      r->id = p;
      r->idlen = n;
    } else if (c->role == CAL_ROLE_FINDINGS || c->role == CAL_ROLE_SITES)
      read_terms(ctx, c->role == CAL_ROLE_FINDINGS ? ctx->findings : ctx->sites, c, &f[i], r, terms, tw, pb, memo);
    else read_cell(ctx, lay, i, f, nf, r, terms, tw, pb, memo);
    rest &= rest - 1;
  }
}

static int read_record(const cal_record_ctx *ctx, const cal_record_layout *lay, const cal_field *f, size_t nf,
                       cal_record *r, uint64_t *terms, size_t tw, cal_problems *pb, cal_unit_memo *memo, int dated) {
  size_t i;
  int before = pb->count;
  int plain = !ctx->decimal_comma && !ctx->na; /* numbers are read as written */
  if (memo && memo->terms_na != ctx->na) { /* (codes other than those the kept cells were read with: read_terms) */
    cal_term_memo_init(&memo->terms);
    memo->terms_na = ctx->na;
  }
  clear(r, terms, tw, dated);
  if (plain && lay->grouped) {
    read_grouped(ctx, lay, f, nf, r, terms, tw, pb, memo);
    age_from_birth(ctx, r, pb);
    return pb->count - before;
  }
  for (i = 0; i < nf && i < lay->ncols; i++) {
    const cal_record_col *c = &lay->cols[i];
    const cal_field *cell = &f[i];
    double v;
    /* the usual cells first, inline: a plain number (which read_lab and
     * read_age would take as it is: nothing to trim, no unit, no word, not
     * negative, plausible, not given twice; anything else is theirs), F or M */
    if (c->role == CAL_ROLE_LAB) {
      if (plain && c->unit_col < 0 && plain_number(cell, &v)) {
        v *= c->factor;
        if (v >= c->a->plausible_lo && v <= c->a->plausible_hi && isnan(r->v[c->analyte])) {
          r->v[c->analyte] = v;
          continue;
        }
      }
      read_lab(ctx, c, f, nf, cell, r, pb, memo);
      continue;
    }
    if (c->role == CAL_ROLE_AGE && plain && plain_number(cell, &v)) {
      v *= c->age_factor;
      if (v >= 0 && v <= 150) {
        r->age = v;
        continue;
      }
    }
    if (c->role == CAL_ROLE_SEX && cell->len == 1 && ((cell->ptr[0] | 0x20) == 'f' || (cell->ptr[0] | 0x20) == 'm')) {
      r->sex = (cell->ptr[0] | 0x20) == 'f' ? CAL_SEX_F : CAL_SEX_M;
      continue;
    }
    read_cell(ctx, lay, i, f, nf, r, terms, tw, pb, memo);
  }
  age_from_birth(ctx, r, pb);
  return pb->count - before;
}

/* ------------------------------------------------------------------ */
/* derived values                                                       */

static int analyte_index(const char *name) {
  size_t k;
  for (k = 0; k < cal_analyte_count(); k++)
    if (strcmp(cal_analyte_at(k)->name, name) == 0) return (int)k;
  return -1;
}

void cal_record_needs_value(cal_record_needs *nd, int a) {
  if (a < 0) return;
  if (a == nd->corr) nd->need_corr = 1;
  if (a == nd->caxp) nd->need_caxp = nd->need_corr = 1; /* with corrected calcium when there is one */
  if (a == nd->egfr) nd->need_egfr = 1;
}

void cal_record_needs_ckd(cal_record_needs *nd) { nd->need_ckd = nd->need_egfr = 1; }

void cal_record_needs_init(cal_record_needs *nd, const cal_slot_src *slots, size_t n) {
  size_t i;
  nd->ca = analyte_index("calcium");
  nd->alb = analyte_index("albumin");
  nd->phos = analyte_index("phosphate");
  nd->creat = analyte_index("creatinine");
  nd->corr = analyte_index("corrected_calcium");
  nd->caxp = analyte_index("ca_x_p");
  nd->egfr = analyte_index("egfr");
  nd->need_corr = nd->need_caxp = nd->need_egfr = nd->need_ckd = 0;
  for (i = 0; i < n; i++) {
    if (slots[i].kind == CAL_SLOT_CKD) cal_record_needs_ckd(nd);
    else if (slots[i].kind == CAL_SLOT_VALUE || slots[i].kind == CAL_SLOT_FLAG) cal_record_needs_value(nd, slots[i].analyte);
  }
}

void cal_record_needs_all(cal_record_needs *nd) {
  cal_record_needs_init(nd, NULL, 0);
  nd->need_corr = nd->need_caxp = nd->need_egfr = nd->need_ckd = 1;
}

void cal_record_derive(const cal_record_ctx *ctx, const cal_record_needs *nd, cal_record *r) {
  if (nd->need_corr && nd->corr >= 0 && isnan(r->v[nd->corr]) && r->species == CAL_SPECIES_HUMAN && nd->ca >= 0 &&
      nd->alb >= 0)
    r->v[nd->corr] = cal_corrected_calcium(r->v[nd->ca], r->v[nd->alb], (cal_ca_variant)ctx->ca_variant);
  if (nd->need_caxp && nd->caxp >= 0 && isnan(r->v[nd->caxp]) && nd->phos >= 0) {
    double ca = nd->corr >= 0 ? r->v[nd->corr] : NAN;
    if (isnan(ca) && nd->ca >= 0) ca = r->v[nd->ca];
    r->v[nd->caxp] = cal_ca_x_p(ca, r->v[nd->phos]);
  }
  r->egfr_method = (nd->egfr >= 0 && !isnan(r->v[nd->egfr])) ? CAL_EGFR_REPORTED : CAL_EGFR_NONE;
  r->egfr_reported = nd->egfr >= 0 ? r->v[nd->egfr] : NAN;
  if (nd->need_egfr && nd->egfr >= 0 && nd->creat >= 0 && r->species == CAL_SPECIES_HUMAN) {
    double e = NAN, scr = r->v[nd->creat];
    int method = CAL_EGFR_NONE;
    if (!isnan(scr) && !isnan(r->age)) {
      if (r->age >= 18 && r->sex) {
        e = cal_egfr_ckd_epi_2021(scr, r->age, r->sex == CAL_SEX_F);
        method = CAL_EGFR_CKD_EPI_2021;
      } else if (r->age >= 1 && r->age < 18 && !isnan(r->height)) {
        e = cal_egfr_schwartz(r->height, scr);
        method = CAL_EGFR_SCHWARTZ;
      }
    }
    if (!isnan(e)) {
      r->v[nd->egfr] = e;
      r->egfr_method = method;
    }
  }
  if (nd->need_ckd && nd->egfr >= 0) {
    /* a reported eGFR given as "<15" is below 15: G5, not G4 (">" likewise above) */
    double g = r->v[nd->egfr];
    if (r->egfr_method == CAL_EGFR_REPORTED && r->cmp[nd->egfr])
      g = nextafter(g, r->cmp[nd->egfr] < 0 ? -INFINITY : INFINITY);
    r->ckd = cal_kdigo_stage(g, ctx->kdigo_round && !(r->egfr_method == CAL_EGFR_REPORTED && r->cmp[nd->egfr]));
  } else r->ckd = 0;
}

/* ------------------------------------------------------------------ */
/* flags                                                                */

int cal_record_find_range(const cal_range *list, size_t n, int analyte, const cal_record *r) {
  size_t i;
  for (i = 0; i < n; i++) {
    const cal_range *e = &list[i];
    if (e->analyte != analyte || e->species != r->species) continue;
    if (e->sex && e->sex != r->sex) continue;
    if (!isnan(e->age_min) || !isnan(e->age_max)) {
      if (isnan(r->age)) {
        if (!isnan(e->age_max)) continue;
        if (!isnan(e->age_min) && e->age_min > 18) continue;
      } else {
        if (!isnan(e->age_min) && r->age < e->age_min) continue;
        if (!isnan(e->age_max) && r->age >= e->age_max) continue;
      }
    }
    return (int)i;
  }
  return -1;
}

static void windows(const cal_range *list, size_t n, cal_range_window *w) {
  size_t i;
  for (i = 0; i < CAL_REC_MAX_ANALYTES; i++) w[i].at = w[i].n = 0;
  if (!list) return;
  for (i = 0; i < n; i++) {
    int a = list[i].analyte;
    if (a < 0 || a >= CAL_REC_MAX_ANALYTES) continue;
    if (!w[a].n) w[a].at = (uint32_t)i;
    w[a].n = (uint32_t)(i + 1 - w[a].at);
  }
}

void cal_record_ctx_index(cal_record_ctx *ctx) {
  /* (a window's place and length are 32-bit: longer lists are walked whole) */
  ctx->indexed = ctx->nranges <= UINT32_MAX && ctx->ncritical <= UINT32_MAX;
  if (!ctx->indexed) return;
  windows(ctx->ranges, ctx->nranges, ctx->rwin);
  windows(ctx->critical, ctx->ncritical, ctx->cwin);
}

int cal_record_range(const cal_record_ctx *ctx, int critical, int analyte, const cal_record *r) {
  const cal_range *list = critical ? ctx->critical : ctx->ranges;
  const cal_range_window *w;
  int i;
  if (!ctx->indexed || analyte < 0 || analyte >= CAL_REC_MAX_ANALYTES) /* (no entry is of the latter) */
    return cal_record_find_range(list, critical ? ctx->ncritical : ctx->nranges, analyte, r);
  w = critical ? &ctx->cwin[analyte] : &ctx->rwin[analyte];
  if (!w->n) return -1;
  i = cal_record_find_range(list + w->at, w->n, analyte, r);
  return i < 0 ? -1 : (int)w->at + i;
}

double cal_record_flag(const cal_record_ctx *ctx, int analyte, const cal_record *r) {
  double v = r->v[analyte];
  const cal_range *e;
  int i;
  if (isnan(v)) {
    int q = (int)r->qual[analyte];
    if (q == CAL_QUAL_HIGH) return 1;
    if (q == CAL_QUAL_LOW) return -1;
    if (q == CAL_QUAL_NORMAL) return 0;
    return NAN;
  }
  i = cal_record_range(ctx, 1, analyte, r);
  if (i >= 0) {
    e = &ctx->critical[i];
    if (!isnan(e->low) && (v < e->low || (e->inclusive && v == e->low))) return -2;
    if (!isnan(e->high) && (v > e->high || (e->inclusive && v == e->high))) return 2;
  }
  i = cal_record_range(ctx, 0, analyte, r);
  if (i < 0) return NAN;
  e = &ctx->ranges[i];
  if (!isnan(e->low) && v < e->low) return -1;
  if (!isnan(e->high) && v > e->high) return 1;
  return 0;
}
