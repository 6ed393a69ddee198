/*
 * longcsv.c - see longcsv.h.
 */
#include "longcsv.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytes.h"
#include "dates.h"
#include "record.h"

#define MSG_MAX 1024
#define NAME_MAX_ 64

enum { C_NONE, C_ID, C_ANALYTE, C_VALUE, C_UNIT, C_DATE, C_AGE, C_SEX, C_SPECIES, C_HEIGHT, C_FINDINGS, C_SITES };

/* One patient record being built (or returned): its texts in data. */
typedef struct {
  char *data;
  size_t len, cap;
  size_t *off, *flen;   /* per record field */
  size_t *doff, *dlen;  /* per analyte: the date of its value */
  unsigned char *set;   /* per analyte: has a value */
  double *day;          /* per analyte: the day of its date (NaN: none or not a date) */
  long long line;
  char msg[MSG_MAX];
  size_t mlen;
  int active;
  size_t *coff, *clen;  /* per input column (with keep): its first non-empty cell in the patient's rows */
} rec_t;

struct cal_long {
  cal_csv *r;
  int started, done, err;
  size_t ncols;
  int *role;            /* per input column */
  int idcol, acol, vcol, ucol, dcol;
  size_t nf, na;
  cal_field *fields;
  rec_t rec[2];
  int cur, out;         /* rec[cur] is being built, rec[out] was returned */
  double index, window; /* cal_long_set_dates */
  uint64_t *ids;        /* hashes of the ids seen (0 = empty slot) */
  size_t ids_cap, ids_n;
  int keep;             /* keep each input column's first non-empty cell (cal_long_keep) */
  char *hnames;         /* the header's names, NUL-separated (with keep) */
  size_t *hoff, *hlen;
};

static int rec_init(rec_t *r, size_t nf, size_t na) {
  memset(r, 0, sizeof *r);
  r->off = (size_t *)calloc(nf, sizeof *r->off);
  r->flen = (size_t *)calloc(nf, sizeof *r->flen);
  r->doff = (size_t *)calloc(na ? na : 1, sizeof *r->doff);
  r->dlen = (size_t *)calloc(na ? na : 1, sizeof *r->dlen);
  r->set = (unsigned char *)calloc(na ? na : 1, 1);
  r->day = (double *)calloc(na ? na : 1, sizeof *r->day);
  return r->off && r->flen && r->doff && r->dlen && r->set && r->day;
}

static void rec_free(rec_t *r) {
  free(r->data);
  free(r->off);
  free(r->flen);
  free(r->doff);
  free(r->dlen);
  free(r->set);
  free(r->day);
  free(r->coff);
  free(r->clen);
}

cal_long *cal_long_open(cal_csv *r) {
  cal_long *l;
  if (!r) return NULL;
  l = (cal_long *)calloc(1, sizeof *l);
  if (!l) return NULL;
  l->r = r;
  l->nf = cal_record_nfields();
  l->na = cal_analyte_count();
  l->fields = (cal_field *)calloc(l->nf, sizeof *l->fields);
  if (!l->fields || !rec_init(&l->rec[0], l->nf, l->na) || !rec_init(&l->rec[1], l->nf, l->na)) {
    cal_long_close(l);
    return NULL;
  }
  l->idcol = l->acol = l->vcol = l->ucol = l->dcol = -1;
  l->index = l->window = NAN;
  return l;
}

void cal_long_set_dates(cal_long *l, double index, double window) {
  l->index = index;
  l->window = window;
}

void cal_long_close(cal_long *l) {
  if (!l) return;
  rec_free(&l->rec[0]);
  rec_free(&l->rec[1]);
  free(l->fields);
  free(l->role);
  free(l->ids);
  free(l->hnames);
  free(l->hoff);
  free(l->hlen);
  free(l);
}

long long cal_long_line(const cal_long *l) { return l->rec[l->out].line; }

const char *cal_long_problem(const cal_long *l) {
  const rec_t *r = &l->rec[l->out];
  return r->mlen ? r->msg : NULL;
}

static void problem(rec_t *r, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  cal_problem_append(r->msg, MSG_MAX, &r->mlen, fmt, ap);
  va_end(ap);
}

/* Appends the pieces to the record's texts; returns the offset, or (size_t)-1. */
static size_t put(rec_t *r, const char *a, size_t an, const char *sep, const char *b, size_t bn) {
  size_t sn = sep ? strlen(sep) : 0, need = an + sn + bn, at;
  if (r->len + need + 1 > r->cap) {
    size_t nc = r->cap ? r->cap : 256;
    uintptr_t base = (uintptr_t)r->data, pa = (uintptr_t)a;
    int inside = r->data && pa >= base && pa < base + r->cap; /* a may be one of the record's texts */
    size_t a_off = inside ? (size_t)(pa - base) : 0;
    char *nd;
    while (nc < r->len + need + 1) nc *= 2;
    nd = (char *)realloc(r->data, nc);
    if (!nd) return (size_t)-1;
    r->data = nd;
    r->cap = nc;
    if (inside) a = nd + a_off;
  }
  at = r->len;
  memcpy(r->data + at, a, an);
  if (sn) memcpy(r->data + at + an, sep, sn);
  if (bn) memcpy(r->data + at + an + sn, b, bn);
  r->len += need;
  return at;
}

/* A column's trimmed text in a row ("" when the row is short). */
static void cell(const cal_field *f, size_t nf, int col, const char **p, size_t *n) {
  if (col < 0 || (size_t)col >= nf) {
    *p = "";
    *n = 0;
    return;
  }
  *p = f[col].ptr;
  *n = f[col].len;
  cal_trim(p, n);
}

/* A header as calcinosis.stream reads it: a unit in brackets or
 * parentheses dropped, trimmed, lowercase, runs of spaces and '-' as '_'. */
static void header_name(const char *s, size_t n, char *out, size_t cap) {
  size_t i, o = 0, end;
  cal_trim(&s, &n);
  end = n;
  if (n > 0 && (s[n - 1] == ']' || s[n - 1] == ')')) {
    char open = s[n - 1] == ']' ? '[' : '(';
    for (i = 0; i < n; i++)
      if (s[i] == open) { end = i; break; }
  }
  while (end > 0 && (s[end - 1] == ' ' || s[end - 1] == '\t')) end--;
  for (i = 0; i < end && o + 1 < cap; i++) {
    char c = s[i];
    if (c == ' ' || c == '\t' || c == '-') {
      if (o == 0 || out[o - 1] != '_') out[o++] = '_';
      while (i + 1 < end && (s[i + 1] == ' ' || s[i + 1] == '\t' || s[i + 1] == '-')) i++;
    } else {
      out[o++] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
  }
  out[o] = '\0';
}

static int in_list(const char *s, const char *const *list) {
  for (; *list; list++)
    if (strcmp(s, *list) == 0) return 1;
  return 0;
}

static const char *const ID_NAMES[] = {"id", "patient_id", "patient", "subject", "subject_id", "record_id", "mrn", NULL};
static const char *const ANALYTE_NAMES[] = {"analyte", "test", "code", "loinc", "observation", "name", NULL};

static int role_of(const char *name) {
  if (in_list(name, ID_NAMES)) return C_ID;
  if (in_list(name, ANALYTE_NAMES)) return C_ANALYTE;
  if (!strcmp(name, "value")) return C_VALUE;
  if (!strcmp(name, "unit") || !strcmp(name, "units")) return C_UNIT;
  if (!strcmp(name, "date") || !strcmp(name, "time") || !strcmp(name, "effective")) return C_DATE;
  if (!strcmp(name, "age") || !strcmp(name, "age_years")) return C_AGE;
  if (!strcmp(name, "sex") || !strcmp(name, "gender")) return C_SEX;
  if (!strcmp(name, "species")) return C_SPECIES;
  if (!strcmp(name, "height_cm") || !strcmp(name, "height")) return C_HEIGHT;
  if (!strcmp(name, "findings") || !strcmp(name, "finding")) return C_FINDINGS;
  if (!strcmp(name, "sites") || !strcmp(name, "site")) return C_SITES;
  return C_NONE;
}

int cal_long_is_long(const cal_field *header, size_t n) {
  size_t i;
  int id = 0, analyte = 0, value = 0;
  for (i = 0; i < n; i++) {
    char name[NAME_MAX_];
    int r;
    header_name(header[i].ptr, header[i].len, name, sizeof name);
    r = role_of(name);
    id |= r == C_ID;
    analyte |= r == C_ANALYTE;
    value |= r == C_VALUE;
  }
  return id && analyte && value;
}

/* ---- ids seen: a set of 64-bit hashes, growing up to CAL_LONG_MAX_IDS ---- */

static uint64_t id_hash(const char *s, size_t n) {
  uint64_t h = 0xcbf29ce484222325ULL;
  size_t i;
  for (i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
  return h ? h : 1;
}

/* 1 when h was in the set; else adds it (while there is room) and returns 0. */
static int ids_seen(cal_long *l, uint64_t h) {
  size_t i;
  if (l->ids_cap == 0 || (l->ids_n + 1) * 2 > l->ids_cap) {
    if (l->ids_n < CAL_LONG_MAX_IDS) {
      size_t nc = l->ids_cap ? l->ids_cap * 2 : 1024, k;
      uint64_t *nt = (uint64_t *)calloc(nc, sizeof *nt);
      if (nt) {
        for (k = 0; k < l->ids_cap; k++) {
          uint64_t v = l->ids[k];
          if (v) {
            size_t j = (size_t)(v & (nc - 1));
            while (nt[j]) j = (j + 1) & (nc - 1);
            nt[j] = v;
          }
        }
        free(l->ids);
        l->ids = nt;
        l->ids_cap = nc;
      }
    }
    if (l->ids_cap == 0) return 0;
  }
  i = (size_t)(h & (l->ids_cap - 1));
  while (l->ids[i]) {
    if (l->ids[i] == h) return 1;
    i = (i + 1) & (l->ids_cap - 1);
  }
  if (l->ids_n < CAL_LONG_MAX_IDS && (l->ids_n + 1) * 2 <= l->ids_cap) {
    l->ids[i] = h;
    l->ids_n++;
  }
  return 0;
}

/* ---- building records ---- */

static int start(cal_long *l, rec_t *r, const char *id, size_t idn, long long line) {
  size_t at;
  r->len = 0;
  r->mlen = 0;
  r->msg[0] = '\0';
  memset(r->flen, 0, l->nf * sizeof *r->flen);
  memset(r->set, 0, l->na ? l->na : 1);
  if (r->clen) memset(r->clen, 0, (l->ncols ? l->ncols : 1) * sizeof *r->clen);
  r->line = line;
  r->active = 1;
  if (ids_seen(l, id_hash(id, idn)))
    problem(r, "line %lld: id '%.*s' appears again after other patients (rows of a patient must be consecutive)",
            line, (int)(idn > 40 ? 40 : idn), id);
  at = put(r, id, idn, NULL, NULL, 0);
  if (at == (size_t)-1) return 0;
  r->off[CAL_REC_ID] = at;
  r->flen[CAL_REC_ID] = idn;
  return 1;
}

static int has_letter(const char *s, size_t n) {
  size_t i;
  for (i = 0; i < n; i++)
    if ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')) return 1;
  return 0;
}

static int add(cal_long *l, rec_t *r, const cal_field *f, size_t nf, long long line, const char *csvp) {
  size_t i, nn, vn, un, dn, at;
  const char *name, *value, *unit, *date;
  const cal_analyte *a;
  size_t ai;
  double day;
  if (csvp) problem(r, "line %lld: %s", line, csvp);
  if (r->clen)
    for (i = 0; i < nf && i < l->ncols; i++)
      if (r->clen[i] == 0 && f[i].len > 0) {
        at = put(r, f[i].ptr, f[i].len, NULL, NULL, 0);
        if (at == (size_t)-1) return 0;
        r->coff[i] = at;
        r->clen[i] = f[i].len;
      }
  for (i = 0; i < nf && i < l->ncols; i++) {
    int role = l->role[i];
    int field = role == C_AGE ? CAL_REC_AGE : role == C_SEX ? CAL_REC_SEX : role == C_SPECIES ? CAL_REC_SPECIES
              : role == C_HEIGHT ? CAL_REC_HEIGHT : role == C_FINDINGS ? CAL_REC_FINDINGS
              : role == C_SITES ? CAL_REC_SITES : -1;
    const char *v;
    size_t n;
    if (field < 0) continue;
    cell(f, nf, (int)i, &v, &n);
    if (n == 0) continue;
    if (field == CAL_REC_FINDINGS || field == CAL_REC_SITES) {
      size_t old = r->flen[field];
      at = old ? put(r, r->data + r->off[field], old, ";", v, n) : put(r, v, n, NULL, NULL, 0);
      if (at == (size_t)-1) return 0;
      r->off[field] = at;
      r->flen[field] = old ? old + 1 + n : n;
    } else if (r->flen[field] == 0) {
      at = put(r, v, n, NULL, NULL, 0);
      if (at == (size_t)-1) return 0;
      r->off[field] = at;
      r->flen[field] = n;
    }
  }
  cell(f, nf, l->acol, &name, &nn);
  cell(f, nf, l->vcol, &value, &vn);
  if (nn == 0) {
    if (vn > 0) problem(r, "line %lld: analyte is empty", line);
    return 1;
  }
  cell(f, nf, l->ucol, &unit, &un);
  cell(f, nf, l->dcol, &date, &dn);
  a = cal_analyte_find(name, nn);
  if (!a) {
    problem(r, "line %lld: unknown analyte '%.*s'", line, (int)(nn > 40 ? 40 : nn), name);
    return 1;
  }
  for (ai = 0; ai < l->na; ai++)
    if (cal_analyte_at(ai) == a) break;
  day = NAN;
  if (dn > 0 && !cal_date_parse(date, dn, &day))
    problem(r, "line %lld: date '%.*s' of %s is not a date (YYYY-MM-DD, or YYYYMMDD)", line, (int)(dn > 40 ? 40 : dn),
            date, a->name);
  if (r->set[ai]) {
    const char *prev = r->data + r->doff[ai];
    size_t pn = r->dlen[ai];
    const char *which = isnan(l->index) ? "later" : "nearer the index date";
    if (!isnan(r->day[ai]) && !cal_date_better(r->day[ai], day, l->index)) {
      problem(r, "line %lld: %s repeats; kept the %s value (%.*s)", line, a->name, which, (int)(pn > 40 ? 40 : pn), prev);
      return 1;
    }
    problem(r, "line %lld: %s repeats; kept the %s value", line, a->name,
            !isnan(day) ? which : "last");
  }
  if (!(un > 0 && vn > 0 && !has_letter(value, vn))) un = 0; /* "2.4 mmol/L", but "high" alone */
  at = un ? put(r, value, vn, " ", unit, un) : put(r, value, vn, NULL, NULL, 0);
  if (at == (size_t)-1) return 0;
  r->off[CAL_REC_NAMED + ai] = at;
  r->flen[CAL_REC_NAMED + ai] = un ? vn + 1 + un : vn;
  at = put(r, date, dn, NULL, NULL, 0);
  if (at == (size_t)-1) return 0;
  r->doff[ai] = at;
  r->dlen[ai] = dn;
  r->day[ai] = day;
  r->set[ai] = 1;
  return 1;
}

static void emit(cal_long *l, const cal_field **fields, size_t *n) {
  rec_t *r = &l->rec[l->out];
  size_t i;
  double kept[CAL_REC_MAX_ANALYTES], ref;
  size_t nk = 0;
  for (i = 0; i < l->na && nk < CAL_REC_MAX_ANALYTES; i++)
    if (r->set[i]) kept[nk++] = r->day[i];
  ref = cal_date_reference(kept, nk, l->index); /* no index date: back from the latest (dates.c) */
  for (i = 0; i < l->nf; i++) {
    l->fields[i].ptr = r->flen[i] ? r->data + r->off[i] : "";
    l->fields[i].len = r->flen[i];
  }
  for (i = 0; i < l->na; i++) {
    if (!r->set[i]) continue;
    if (!cal_date_in_window(r->day[i], ref, l->window)) {
      char what[96], msg[256];
      snprintf(what, sizeof what, "line %lld: %s", r->line, cal_analyte_at(i)->name);
      cal_date_window_problem(msg, sizeof msg, what, r->day[i], ref, l->window);
      problem(r, "%s", msg);
      l->fields[CAL_REC_NAMED + i].ptr = "";
      l->fields[CAL_REC_NAMED + i].len = 0;
      continue;
    }
    if (!isnan(r->day[i])) { /* the date of the value kept, when it is one */
      l->fields[cal_record_date_field(i)].ptr = r->data + r->doff[i];
      l->fields[cal_record_date_field(i)].len = r->dlen[i];
    }
  }
  *fields = l->fields;
  *n = l->nf;
}

static int setup(cal_long *l, const cal_field *f, size_t nf) {
  size_t i;
  l->ncols = nf;
  l->role = (int *)calloc(nf ? nf : 1, sizeof *l->role);
  if (!l->role) return 0;
  for (i = 0; i < nf; i++) {
    char name[NAME_MAX_];
    int r;
    header_name(f[i].ptr, f[i].len, name, sizeof name);
    r = role_of(name);
    l->role[i] = r;
    if (r == C_ID && l->idcol < 0) l->idcol = (int)i;
    if (r == C_ANALYTE && l->acol < 0) l->acol = (int)i;
    if (r == C_VALUE) l->vcol = (int)i;
    if (r == C_UNIT) l->ucol = (int)i;
    if (r == C_DATE) l->dcol = (int)i;
  }
  if (l->keep) {
    size_t total = 0, k;
    for (i = 0; i < nf; i++) total += f[i].len + 1;
    l->hnames = (char *)malloc(total ? total : 1);
    l->hoff = (size_t *)calloc(nf ? nf : 1, sizeof *l->hoff);
    l->hlen = (size_t *)calloc(nf ? nf : 1, sizeof *l->hlen);
    if (!l->hnames || !l->hoff || !l->hlen) return 0;
    for (i = 0, total = 0; i < nf; i++) {
      memcpy(l->hnames + total, f[i].ptr, f[i].len);
      l->hoff[i] = total;
      l->hlen[i] = f[i].len;
      total += f[i].len;
      l->hnames[total++] = '\0';
    }
    for (k = 0; k < 2; k++) {
      l->rec[k].coff = (size_t *)calloc(nf ? nf : 1, sizeof(size_t));
      l->rec[k].clen = (size_t *)calloc(nf ? nf : 1, sizeof(size_t));
      if (!l->rec[k].coff || !l->rec[k].clen) return 0;
    }
  }
  return 1;
}

void cal_long_keep(cal_long *l) { l->keep = 1; }

int cal_long_column(const cal_long *l, const char *name, size_t n, cal_field *out) {
  const rec_t *r = &l->rec[l->out];
  size_t i;
  out->ptr = "";
  out->len = 0;
  if (!r->clen || !l->hnames) return 0;
  for (i = 0; i < l->ncols; i++)
    if (l->hlen[i] == n && memcmp(l->hnames + l->hoff[i], name, n) == 0) {
      if (r->clen[i] == 0) return 0;
      out->ptr = r->data + r->coff[i];
      out->len = r->clen[i];
      return 1;
    }
  return 0;
}

int cal_long_next(cal_long *l, const cal_field **fields, size_t *n) {
  const cal_field *f;
  size_t nf;
  int rc;
  if (l->err) return -1;
  if (!l->started) {
    size_t i;
    l->started = 1;
    rc = cal_csv_next(l->r, &f, &nf);
    if (rc < 0 || (rc == 1 && !setup(l, f, nf))) { l->err = 1; return -1; }
    if (rc == 0) l->done = 1;
    for (i = 0; i < l->nf; i++) {
      l->fields[i].ptr = cal_record_field_name(i);
      l->fields[i].len = strlen(l->fields[i].ptr);
    }
    l->rec[0].line = l->rec[1].line = 0;
    *fields = l->fields;
    *n = l->nf;
    return 1;
  }
  if (l->done) return 0;
  for (;;) {
    const char *id;
    size_t idn;
    rec_t *cur = &l->rec[l->cur];
    long long line;
    rc = cal_csv_next(l->r, &f, &nf);
    if (rc < 0) { l->err = 1; return -1; }
    if (rc == 0) {
      l->done = 1;
      if (!cur->active) return 0;
      cur->active = 0;
      l->out = l->cur;
      emit(l, fields, n);
      return 1;
    }
    line = cal_csv_line(l->r);
    cell(f, nf, l->idcol, &id, &idn);
    if (cur->active && !(cur->flen[CAL_REC_ID] == idn && memcmp(cur->data + cur->off[CAL_REC_ID], id, idn) == 0)) {
      rec_t *next = &l->rec[l->cur ^ 1];
      cur->active = 0;
      l->out = l->cur;
      l->cur ^= 1;
      if (!start(l, next, id, idn, line) || !add(l, next, f, nf, line, cal_csv_problem(l->r))) {
        l->err = 1;
        return -1;
      }
      emit(l, fields, n);
      return 1;
    }
    if (!cur->active && !start(l, cur, id, idn, line)) { l->err = 1; return -1; }
    if (!add(l, cur, f, nf, line, cal_csv_problem(l->r))) { l->err = 1; return -1; }
  }
}
