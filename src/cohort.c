/*
 * cohort.c - see cohort.h.
 */
#define _POSIX_C_SOURCE 200809L
#include "cohort.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "analytes.h"
#include "derived.h"
#include "units.h"

#define MAX_ANALYTES 32
#define PROBLEM_MAX 1024
#define OUT_BUF (1u << 20)
#define KEY_MAX 96

/* ------------------------------------------------------------------ */
/* term map: open addressing over normalized keys                      */

typedef struct {
  size_t key;   /* offset in keys, 0 = empty slot (offset 0 is a dummy byte) */
  size_t klen;
  size_t bits;  /* offset in bitlist */
  size_t nbits;
} term_slot;

struct cal_termmap {
  term_slot *slots;
  size_t cap, count;
  char *keys;
  size_t keys_len, keys_cap;
  int *bitlist;
  size_t bits_len, bits_cap;
};

/* Words of 8 bytes, the last one overlapping the one before (the map is
 * built and read in the same process, so byte order does not matter). */
static uint64_t load8(const char *s) {
  uint64_t w;
  memcpy(&w, s, 8);
  return w;
}

/* Up to 8 bytes as one word; different bytes give different words. */
static uint64_t load_small(const char *s, size_t n) {
  if (n >= 4) {
    uint32_t a, b;
    memcpy(&a, s, 4);
    memcpy(&b, s + n - 4, 4);
    return ((uint64_t)a << 32) | b;
  }
  if (n == 0) return 0;
  return ((uint64_t)(unsigned char)s[0] << 16) | ((uint64_t)(unsigned char)s[n >> 1] << 8) |
         (unsigned char)s[n - 1];
}

static uint64_t mix(uint64_t h) {
  h *= 0xff51afd7ed558ccdULL;
  return h ^ (h >> 32);
}

static uint64_t hash_bytes(const char *s, size_t n) {
  uint64_t h = 0x9e3779b97f4a7c15ULL ^ (uint64_t)n;
  size_t i;
  if (n <= 8) return mix(h ^ load_small(s, n));
  for (i = 0; i + 8 < n; i += 8) h = mix(h ^ load8(s + i));
  return mix(h ^ load8(s + n - 8));
}

static int same_bytes(const char *a, const char *b, size_t n) {
  size_t i;
  if (n <= 8) return load_small(a, n) == load_small(b, n);
  for (i = 0; i + 8 < n; i += 8)
    if (load8(a + i) != load8(b + i)) return 0;
  return load8(a + n - 8) == load8(b + n - 8);
}

cal_termmap *cal_termmap_new(void) {
  cal_termmap *m = calloc(1, sizeof *m);
  if (!m) return NULL;
  m->cap = 64;
  m->slots = calloc(m->cap, sizeof *m->slots);
  m->keys_cap = 1024;
  m->keys = malloc(m->keys_cap);
  m->bits_cap = 64;
  m->bitlist = malloc(m->bits_cap * sizeof *m->bitlist);
  if (!m->slots || !m->keys || !m->bitlist) {
    cal_termmap_free(m);
    return NULL;
  }
  m->keys[0] = '\0';
  m->keys_len = 1;
  return m;
}

void cal_termmap_free(cal_termmap *m) {
  if (!m) return;
  free(m->slots);
  free(m->keys);
  free(m->bitlist);
  free(m);
}

static term_slot *termmap_find(const cal_termmap *m, const char *k, size_t n) {
  size_t i = (size_t)(hash_bytes(k, n) & (m->cap - 1));
  for (;;) {
    term_slot *s = &m->slots[i];
    if (s->key == 0) return s;
    if (s->klen == n && same_bytes(m->keys + s->key, k, n)) return s;
    i = (i + 1) & (m->cap - 1);
  }
}

static int termmap_grow(cal_termmap *m) {
  size_t i, oldcap = m->cap;
  term_slot *old = m->slots;
  m->cap *= 2;
  m->slots = calloc(m->cap, sizeof *m->slots);
  if (!m->slots) { m->slots = old; m->cap = oldcap; return 0; }
  for (i = 0; i < oldcap; i++) {
    if (old[i].key) {
      term_slot *s = termmap_find(m, m->keys + old[i].key, old[i].klen);
      *s = old[i];
    }
  }
  free(old);
  return 1;
}

int cal_termmap_add(cal_termmap *m, const char *key, size_t n, const int *bits, size_t nbits) {
  term_slot *s;
  size_t i;
  if (!m || n == 0 || n >= KEY_MAX) return 0;
  if ((m->count + 1) * 2 > m->cap && !termmap_grow(m)) return 0;
  s = termmap_find(m, key, n);
  if (s->key == 0) {
    while (m->keys_len + n + 1 > m->keys_cap) {
      char *k = realloc(m->keys, m->keys_cap * 2);
      if (!k) return 0;
      m->keys = k;
      m->keys_cap *= 2;
    }
    memcpy(m->keys + m->keys_len, key, n);
    m->keys[m->keys_len + n] = '\0';
    s->key = m->keys_len;
    s->klen = n;
    m->keys_len += n + 1;
    m->count++;
  }
  while (m->bits_len + nbits > m->bits_cap) {
    int *b = realloc(m->bitlist, m->bits_cap * 2 * sizeof *b);
    if (!b) return 0;
    m->bitlist = b;
    m->bits_cap *= 2;
  }
  s->bits = m->bits_len;
  s->nbits = nbits;
  for (i = 0; i < nbits; i++) m->bitlist[m->bits_len++] = bits[i];
  return 1;
}

/* The key of a term, as calcinosis.vocab.key makes it for ASCII: lowercase,
 * apostrophes dropped, every run of other non-alphanumerics one '_', none
 * at either end. Bytes >= 0x80 are kept. Returns the length, 0 if too long
 * or empty. */
static size_t normalize_key(const char *s, size_t n, char *out) {
  size_t i, o = 0;
  int pending = 0;
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 'A' && c <= 'Z') c = (unsigned char)(c - 'A' + 'a');
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80) {
      if (pending && o > 0) {
        if (o + 1 >= KEY_MAX) return 0;
        out[o++] = '_';
      }
      pending = 0;
      if (o + 1 >= KEY_MAX) return 0;
      out[o++] = (char)c;
    } else if (c != '\'') {
      pending = 1;
    }
  }
  out[o] = '\0';
  return o;
}

/* ------------------------------------------------------------------ */
/* problems buffer                                                     */

typedef struct {
  char text[PROBLEM_MAX];
  size_t len;
  int count;
} problems;

/* Appends a message (separated by CAL_PROBLEM_SEP: written as "; " in CSV
 * and as a list in NDJSON). */
static void problem(problems *p, const char *fmt, ...) {
  va_list ap;
  size_t before = p->len;
  va_start(ap, fmt);
  cal_problem_append(p->text, sizeof p->text, &p->len, fmt, ap);
  va_end(ap);
  if (p->len != before) p->count++;
}

/* ------------------------------------------------------------------ */
/* columns of the input                                                 */

enum { R_IGNORE = 0, R_ID, R_AGE, R_SEX, R_SPECIES, R_HEIGHT, R_LAB, R_UNIT, R_FINDINGS, R_SITES };

typedef struct {
  int role;
  int analyte;
  const cal_analyte *a; /* the analyte of a lab column */
  int unit_col;       /* companion unit column, or -1 */
  int has_unit;       /* unit given in the header */
  cal_unit unit;      /* the header's unit */
  double factor;      /* header unit -> canonical */
  double age_factor;  /* age column unit -> years */
  char name[80];
} in_col;

typedef struct {
  double v[MAX_ANALYTES];
  signed char qual[MAX_ANALYTES]; /* 0 none, else -1 low, 1 high, 2 normal */
  double age;
  int sex;       /* 0 unknown, 1 F, 2 M */
  int species;   /* 0 human, 1 dog, 2 cat */
  double height;
  int ckd;       /* 0 none, 1..6 */
  const char *id;
  size_t idlen;
} record;

static int name_is(const char *s, const char *const *list) {
  size_t k;
  for (k = 0; list[k]; k++)
    if (strcmp(s, list[k]) == 0) return 1;
  return 0;
}

static const char *const ID_NAMES[] = {"id", "patient_id", "patient", "subject", "subject_id",
                                       "record_id", "mrn", "case", "case_id", NULL};
static const char *const SEX_NAMES[] = {"sex", "gender", NULL};
static const char *const SPECIES_NAMES[] = {"species", NULL};
static const char *const FINDING_NAMES[] = {"findings", "finding", "diagnoses", "conditions", NULL};
static const char *const SITE_NAMES[] = {"sites", "site", "locations", "location", NULL};

/* "calcium [mg/dL]" -> name "calcium", unit "mg/dL" */
static void split_header(const char *s, size_t n, char *name, size_t namecap,
                         const char **unit, size_t *unitlen) {
  size_t i, o = 0, end = n;
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
  o = normalize_key(s, end, name);
  if (o >= namecap) name[namecap - 1] = '\0';
}

static int setup_columns(const cal_cohort *plan, const cal_field *f, size_t n, in_col *cols,
                         cal_cohort_stats *st) {
  size_t i, j;
  size_t wlen = strlen(st->warnings);
  (void)plan;
  for (i = 0; i < n; i++) {
    in_col *c = &cols[i];
    char name[KEY_MAX + 8];
    const char *unit;
    size_t unitlen;
    memset(c, 0, sizeof *c);
    c->unit_col = -1;
    c->analyte = -1;
    c->factor = 1.0;
    c->age_factor = 1.0;
    if (f[i].len >= KEY_MAX) { c->role = R_IGNORE; continue; }
    split_header(f[i].ptr, f[i].len, name, sizeof name, &unit, &unitlen);
    snprintf(c->name, sizeof c->name, "%.*s", (int)(f[i].len > 70 ? 70 : f[i].len), f[i].ptr);
    if (name_is(name, ID_NAMES)) c->role = R_ID;
    else if (strcmp(name, "age") == 0 || strcmp(name, "age_years") == 0 || strcmp(name, "age_months") == 0 ||
             strcmp(name, "age_days") == 0) {
      cal_unit u, a;
      const char *us = strcmp(name, "age_months") == 0 ? "mo" : strcmp(name, "age_days") == 0 ? "d" : "a";
      size_t ul = strlen(us);
      c->role = R_AGE;
      if (unit) { us = unit; ul = unitlen; }
      if (cal_unit_parse(us, ul, &u, NULL, 0) && cal_unit_parse("a", 1, &a, NULL, 0) &&
          cal_unit_convert(1.0, &u, &a, 0, 0, &c->age_factor, NULL, 0)) {
      } else {
        c->role = R_IGNORE;
        if (wlen + 100 < sizeof st->warnings)
          wlen += (size_t)snprintf(st->warnings + wlen, sizeof st->warnings - wlen,
                                   "column '%s': unit is not a time; column ignored. ", c->name);
      }
    } else if (name_is(name, SEX_NAMES)) c->role = R_SEX;
    else if (name_is(name, SPECIES_NAMES)) c->role = R_SPECIES;
    else if (strcmp(name, "height_cm") == 0 || strcmp(name, "height") == 0) c->role = R_HEIGHT;
    else if (name_is(name, FINDING_NAMES)) c->role = R_FINDINGS;
    else if (name_is(name, SITE_NAMES)) c->role = R_SITES;
    else {
      size_t nl = strlen(name);
      const cal_analyte *a = NULL;
      if (nl > 5 && strcmp(name + nl - 5, "_unit") == 0) {
        a = cal_analyte_find(name, nl - 5);
        if (a) { c->role = R_UNIT; }
      } else if (nl > 6 && strcmp(name + nl - 6, "_units") == 0) {
        a = cal_analyte_find(name, nl - 6);
        if (a) { c->role = R_UNIT; }
      }
      if (c->role != R_UNIT) {
        a = cal_analyte_find(name, nl);
        if (a) c->role = R_LAB;
      }
      if (a) {
        size_t k;
        for (k = 0; k < cal_analyte_count(); k++)
          if (cal_analyte_at(k) == a) c->analyte = (int)k;
        c->a = a;
      }
      if (c->role == R_LAB && unit) {
        char e[200];
        if (cal_unit_parse(unit, unitlen, &c->unit, e, sizeof e) &&
            cal_analyte_to_canonical(a, 1.0, &c->unit, &c->factor, e, sizeof e)) {
          c->has_unit = 1;
          {
            cal_unit canon;
            if (cal_unit_parse(a->unit, strlen(a->unit), &canon, NULL, 0) &&
                canon.factor == c->unit.factor && cal_unit_same_dim(&canon, &c->unit))
              c->factor = 1.0; /* exact */
          }
        } else {
          c->role = R_IGNORE;
          if (wlen + 300 < sizeof st->warnings)
            wlen += (size_t)snprintf(st->warnings + wlen, sizeof st->warnings - wlen,
                                     "column '%s': %s; column ignored. ", c->name, e);
        }
      }
      if (c->role == R_IGNORE && wlen + 100 < sizeof st->warnings)
        wlen += (size_t)snprintf(st->warnings + wlen, sizeof st->warnings - wlen,
                                 "column '%s' is not known; ignored. ", c->name);
    }
  }
  /* companion unit columns */
  for (i = 0; i < n; i++) {
    if (cols[i].role != R_UNIT) continue;
    for (j = 0; j < n; j++)
      if (cols[j].role == R_LAB && cols[j].analyte == cols[i].analyte) cols[j].unit_col = (int)i;
  }
  return 0;
}

/* ------------------------------------------------------------------ */
/* reading cells                                                        */

static int qualitative(const char *p, size_t n) {
  char k[16];
  size_t i;
  if (n == 0 || n >= sizeof k) return 0;
  for (i = 0; i < n; i++) k[i] = (char)((p[i] >= 'A' && p[i] <= 'Z') ? p[i] - 'A' + 'a' : p[i]);
  k[n] = '\0';
  if (!strcmp(k, "high") || !strcmp(k, "elevated") || !strcmp(k, "raised") || !strcmp(k, "increased")) return 1;
  if (!strcmp(k, "low") || !strcmp(k, "decreased") || !strcmp(k, "reduced")) return -1;
  if (!strcmp(k, "normal") || !strcmp(k, "wnl")) return 2;
  return 0;
}

static int is_numchar(char c) {
  return (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E';
}

/* Units written in cells ("4.1 mg/dL"): the factor to the analyte's
 * canonical unit, remembered per analyte and unit text (a cohort repeats a
 * few of them; parsing one takes far longer than a lookup). */
#define UNIT_MEMO 64
#define UNIT_TEXT 24

typedef struct {
  int analyte;            /* -1: empty */
  unsigned char len;
  char text[UNIT_TEXT];
  double factor;
} unit_memo;

#define UNIT_PROBES 4

static size_t unit_memo_home(int analyte, const char *u, size_t ul) {
  uint64_t h = hash_bytes(u, ul) ^ ((uint64_t)(unsigned)analyte * 0x9e3779b97f4a7c15ULL);
  return (size_t)((h ^ (h >> 32)) & (UNIT_MEMO - 1));
}

/* The factor of unit text u for analyte index ai, if remembered. */
static int unit_memo_get(const unit_memo *memo, int ai, const char *u, size_t ul, double *factor) {
  size_t h, k;
  if (!memo || ul >= UNIT_TEXT) return 0;
  h = unit_memo_home(ai, u, ul);
  for (k = 0; k < UNIT_PROBES; k++) {
    const unit_memo *m = &memo[(h + k) & (UNIT_MEMO - 1)];
    if (m->analyte == ai && m->len == ul && memcmp(m->text, u, ul) == 0) {
      *factor = m->factor;
      return 1;
    }
  }
  return 0;
}

/* Remembers a factor in the first free slot near its home (else the home). */
static void unit_memo_put(unit_memo *memo, int ai, const char *u, size_t ul, double factor) {
  size_t h, k;
  unit_memo *m;
  if (!memo || ul >= UNIT_TEXT) return;
  h = unit_memo_home(ai, u, ul);
  m = &memo[h & (UNIT_MEMO - 1)];
  for (k = 0; k < UNIT_PROBES; k++)
    if (memo[(h + k) & (UNIT_MEMO - 1)].analyte < 0) {
      m = &memo[(h + k) & (UNIT_MEMO - 1)];
      break;
    }
  m->analyte = ai;
  m->len = (unsigned char)ul;
  memcpy(m->text, u, ul);
  m->factor = factor;
}

static void read_lab(const cal_cohort *plan, const in_col *c, const cal_field *f, size_t nf,
                     const cal_field *cell, record *rec, problems *pb, unit_memo *memo) {
  const cal_analyte *a = c->a;
  const char *p = cell->ptr;
  size_t n = cell->len, k = 0, numend;
  double v, canon;
  int q;
  (void)plan;
  cal_trim(&p, &n);
  if (n == 0) return;
  q = ((p[0] | 0x20) >= 'a' && (p[0] | 0x20) <= 'z') ? qualitative(p, n) : 0;
  if (q) { rec->qual[c->analyte] = (signed char)q; return; }
  if (cal_parse_double(p, n, &v)) { /* the common case: a plain number */
    k = 0;
    numend = n;
    goto parsed;
  }
  if (n > 0 && (p[0] == '<' || p[0] == '>')) { k = 1; if (n > 1 && p[1] == '=') k = 2; }
  while (k < n && p[k] == ' ') k++;
  numend = k;
  while (numend < n && is_numchar(p[numend])) {
    /* an 'e' starts a unit unless digits follow */
    if ((p[numend] == 'e' || p[numend] == 'E') &&
        !(numend + 1 < n && ((p[numend + 1] >= '0' && p[numend + 1] <= '9') ||
                             ((p[numend + 1] == '-' || p[numend + 1] == '+') && numend + 2 < n &&
                              p[numend + 2] >= '0' && p[numend + 2] <= '9'))))
      break;
    numend++;
  }
  if (numend == k || !cal_parse_double(p + k, numend - k, &v)) {
    problem(pb, "%s: '%.*s' is not a number", c->name, (int)(n > 40 ? 40 : n), p);
    return;
  }
parsed:
  if (v < 0) {
    problem(pb, "%s: value %.*s is negative", c->name, (int)(numend - k), p + k);
    return;
  }
  {
    const char *u = p + numend;
    size_t ul = n - numend;
    cal_unit unit;
    double factor = c->factor;
    const cal_unit *stated = c->has_unit ? &c->unit : NULL;
    while (ul > 0 && *u == ' ') { u++; ul--; }
    if (ul == 0 && c->unit_col >= 0 && (size_t)c->unit_col < nf) {
      u = f[c->unit_col].ptr;
      ul = f[c->unit_col].len;
      cal_trim(&u, &ul);
    }
    if (ul > 0 && !unit_memo_get(memo, c->analyte, u, ul, &factor)) {
      char e[200];
      if (!cal_unit_parse(u, ul, &unit, e, sizeof e) ||
          !cal_analyte_to_canonical(a, 1.0, &unit, &factor, e, sizeof e)) {
        problem(pb, "%s: '%.*s': %s", c->name, (int)(n > 40 ? 40 : n), p, e);
        return;
      }
      {
        cal_unit canon_u;
        if (cal_unit_parse(a->unit, strlen(a->unit), &canon_u, NULL, 0) &&
            canon_u.factor == unit.factor && cal_unit_same_dim(&canon_u, &unit))
          factor = 1.0;
      }
      unit_memo_put(memo, c->analyte, u, ul, factor);
    }
    canon = factor == 1.0 ? v : v * factor;
    if (!(canon >= a->plausible_lo && canon <= a->plausible_hi)) {
      cal_unit canon_u;
      double lc;
      const char *likely = NULL;
      if (ul > 0) stated = cal_unit_parse(u, ul, &unit, NULL, 0) ? &unit : NULL; /* the cell's unit */
      if (!stated && cal_unit_parse(a->unit, strlen(a->unit), &canon_u, NULL, 0)) stated = &canon_u;
      if (stated) likely = cal_analyte_likely_unit(a, v, stated, &lc);
      if (likely)
        problem(pb, "%s: %.*s is implausible for %s in %s; it looks like %s (= %.4g %s), please check the unit",
                c->name, (int)(n > 40 ? 40 : n), p, a->name, ul > 0 ? "the stated unit" : a->unit, likely, lc,
                a->unit);
      else
        problem(pb, "%s: %.*s is outside the plausible range of %s", c->name, (int)(n > 40 ? 40 : n), p, a->name);
      return;
    }
    if (!isnan(rec->v[c->analyte])) {
      problem(pb, "%s: %s given twice; kept the first", c->name, a->name);
      return;
    }
    rec->v[c->analyte] = canon;
  }
}

/* The first ';', '|' or ',' in [p, end), or end: 8 bytes at a time, the
 * lowest bit of an exact zero-byte mask giving the first match where the
 * byte order allows. */
static uint64_t zero_bytes(uint64_t x) { /* 0x80 in each byte of x that is 0, exactly */
  const uint64_t low7 = 0x7f7f7f7f7f7f7f7fULL;
  return ~(((x & low7) + low7) | x | low7);
}

static const char *term_end(const char *p, const char *end) {
  const uint64_t ones = 0x0101010101010101ULL;
  while (end - p >= 8) {
    uint64_t w = load8(p);
    uint64_t m = zero_bytes(w ^ (ones * ';')) | zero_bytes(w ^ (ones * '|')) | zero_bytes(w ^ (ones * ','));
    if (m) {
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
      return p + (__builtin_ctzll(m) >> 3);
#else
      break;
#endif
    }
    p += 8;
  }
  while (p < end && *p != ';' && *p != '|' && *p != ',') p++;
  return p;
}

/* Sets the bits of the terms of a cell in terms (tw words). */
static void read_terms(const cal_termmap *m, const char *colname, const cal_field *cell,
                       uint64_t *terms, size_t tw, problems *pb) {
  const char *p = cell->ptr, *end = cell->ptr + cell->len;
  while (p < end) {
    const char *q = p;
    char key[KEY_MAX];
    size_t kl;
    q = term_end(p, end);
    kl = (size_t)(q - p);
    if (kl > 0 && m) {
      /* fast path: the term as written is already a key */
      term_slot *s = termmap_find(m, p, kl);
      if (s->key) {
        size_t b;
        for (b = 0; b < s->nbits; b++) {
          int bit = m->bitlist[s->bits + b];
          if (bit >= 0 && (size_t)bit < 64 * tw) terms[bit >> 6] |= (uint64_t)1 << (bit & 63);
        }
        p = q + 1;
        continue;
      }
    }
    if (kl > 0) {
      size_t nk = normalize_key(p, kl, key);
      if (nk > 0) {
        term_slot *s = m ? termmap_find(m, key, nk) : NULL;
        if (m && !(s && s->key) && nk > 3 && key[0] >= 'a' && key[0] <= 'z' && key[1] >= '0' &&
            key[1] <= '9') {
          /* an ICD-10-CM code: the longest known prefix */
          size_t pl = nk;
          while (pl > 3 && !(s && s->key)) {
            pl--;
            while (pl > 3 && key[pl - 1] == '_') pl--;
            s = termmap_find(m, key, pl);
          }
        }
        if (s && s->key) {
          size_t b;
          for (b = 0; b < s->nbits; b++) {
            int bit = m->bitlist[s->bits + b];
            if (bit >= 0 && (size_t)bit < 64 * tw) terms[bit >> 6] |= (uint64_t)1 << (bit & 63);
          }
        } else {
          problem(pb, "%s: unknown term '%s'", colname, key);
        }
      } else {
        const char *t = p;
        size_t tl = kl;
        cal_trim(&t, &tl);
        if (tl > 0) problem(pb, "%s: term too long", colname);
      }
    }
    p = q + 1;
  }
}

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

/* ------------------------------------------------------------------ */
/* derived values, flags                                                */

static int analyte_index(const char *name) {
  size_t k;
  for (k = 0; k < cal_analyte_count(); k++)
    if (strcmp(cal_analyte_at(k)->name, name) == 0) return (int)k;
  return -1;
}

typedef struct {
  int ca, alb, phos, creat, corr, caxp, egfr;
  int need_corr, need_caxp, need_egfr, need_ckd;
} indices;

static void derive(const cal_cohort *plan, const indices *ix, record *r) {
  if (ix->need_corr && ix->corr >= 0 && isnan(r->v[ix->corr]) && r->species == 0 && ix->ca >= 0 && ix->alb >= 0)
    r->v[ix->corr] = cal_corrected_calcium(r->v[ix->ca], r->v[ix->alb], (cal_ca_variant)plan->ca_variant);
  if (ix->need_caxp && ix->caxp >= 0 && isnan(r->v[ix->caxp]) && ix->phos >= 0) {
    double ca = ix->corr >= 0 ? r->v[ix->corr] : NAN;
    if (isnan(ca) && ix->ca >= 0) ca = r->v[ix->ca];
    r->v[ix->caxp] = cal_ca_x_p(ca, r->v[ix->phos]);
  }
  if (ix->need_egfr && ix->egfr >= 0 && ix->creat >= 0 && r->species == 0) {
    double e = NAN, scr = r->v[ix->creat];
    if (!isnan(scr) && !isnan(r->age)) {
      if (r->age >= 18 && r->sex) e = cal_egfr_ckd_epi_2021(scr, r->age, r->sex == 1);
      else if (r->age >= 1 && r->age < 18 && !isnan(r->height)) e = cal_egfr_schwartz(r->height, scr);
    }
    if (!isnan(e)) r->v[ix->egfr] = e;
  }
  r->ckd = (ix->need_ckd && ix->egfr >= 0) ? cal_kdigo_stage(r->v[ix->egfr], plan->kdigo_round) : 0;
}

static const cal_range *find_range(const cal_range *list, size_t n, int analyte, const record *r) {
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
    return e;
  }
  return NULL;
}

static double flag_of(const cal_cohort *plan, int analyte, const record *r) {
  double v = r->v[analyte];
  const cal_range *e;
  if (isnan(v)) {
    int q = r->qual[analyte];
    if (q == 1) return 1;
    if (q == -1) return -1;
    if (q == 2) return 0;
    return NAN;
  }
  e = find_range(plan->critical, plan->ncritical, analyte, r);
  if (e) {
    if (!isnan(e->low) && (v < e->low || (e->inclusive && v == e->low))) return -2;
    if (!isnan(e->high) && (v > e->high || (e->inclusive && v == e->high))) return 2;
  }
  e = find_range(plan->ranges, plan->nranges, analyte, r);
  if (!e) return NAN;
  if (!isnan(e->low) && v < e->low) return -1;
  if (!isnan(e->high) && v > e->high) return 1;
  return 0;
}

/* ------------------------------------------------------------------ */
/* output                                                                */

typedef struct {
  FILE *f;
  char *buf;
  size_t len, cap;
  int error;
} outbuf;

static void out_flush(outbuf *o) {
  if (o->len && fwrite(o->buf, 1, o->len, o->f) != o->len) o->error = 1;
  o->len = 0;
}

/* Where to write n more bytes (the buffer grows for a row longer than it);
 * NULL when out of memory. The writers below write at such a place and
 * return the end of what they wrote. */
static char *out_room(outbuf *o, size_t n) {
  if (o->len + n > o->cap) {
    out_flush(o);
    if (n > o->cap) {
      char *nb = realloc(o->buf, n);
      if (!nb) { o->error = 1; return NULL; }
      o->buf = nb;
      o->cap = n;
    }
  }
  return o->buf + o->len;
}

#define NUM_MAX 352   /* w_number: 309 integer digits, a point, 20 decimals, sign */
#define MAX_DECIMALS 20

static char *w_bytes(char *w, const char *s, size_t n) {
  memcpy(w, s, n);
  return w + n;
}

/* at most 2n + 2 bytes */
static char *w_csv_field(char *w, const char *s, size_t n) {
  size_t i;
  for (i = 0; i < n; i++)
    if (s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r') break;
  if (i == n) return w_bytes(w, s, n);
  *w++ = '"';
  for (i = 0; i < n; i++) {
    if (s[i] == '"') *w++ = '"';
    *w++ = s[i];
  }
  *w++ = '"';
  return w;
}

/* at most 6n + 2 bytes */
static char *w_json_string(char *w, const char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  size_t i;
  *w++ = '"';
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') { *w++ = '\\'; *w++ = (char)c; }
    else if (c == '\n') { *w++ = '\\'; *w++ = 'n'; }
    else if (c == '\r') { *w++ = '\\'; *w++ = 'r'; }
    else if (c == '\t') { *w++ = '\\'; *w++ = 't'; }
    else if (c < 0x20) {
      memcpy(w, "\\u00", 4);
      w[4] = hex[c >> 4];
      w[5] = hex[c & 15];
      w += 6;
    } else *w++ = (char)c;
  }
  *w++ = '"';
  return w;
}

/* problems in CSV: messages joined with "; ", quoted as needed (at most 4n + 2 bytes) */
static char *w_problems_csv(char *w, const char *s, size_t n) {
  char tmp[2 * PROBLEM_MAX];
  size_t i, k = 0;
  for (i = 0; i < n && k + 2 < sizeof tmp; i++) {
    if (s[i] == CAL_PROBLEM_SEP) { tmp[k++] = ';'; tmp[k++] = ' '; }
    else tmp[k++] = s[i];
  }
  return w_csv_field(w, tmp, k);
}

/* problems in JSON: a list of strings (at most 6n + 3 * messages + 2 bytes) */
static char *w_problems_json(char *w, const char *s, size_t n) {
  size_t i, start = 0;
  *w++ = '[';
  for (i = 0; n > 0 && i <= n; i++) {
    if (i == n || s[i] == CAL_PROBLEM_SEP) {
      if (start > 0) *w++ = ',';
      w = w_json_string(w, s + start, i - start);
      start = i + 1;
    }
  }
  *w++ = ']';
  return w;
}

/* a finite number, at most NUM_MAX bytes */
static char *w_number(char *w, double v, int decimals) {
  size_t n;
  if (decimals > MAX_DECIMALS) decimals = MAX_DECIMALS;
  if (decimals >= 0) n = cal_format_fixed(w, NUM_MAX, v, decimals);
  else if (v == floor(v) && fabs(v) < 1e15) n = cal_format_fixed(w, NUM_MAX, v, 0);
  else {
    int k = snprintf(w, NUM_MAX, "%.6g", v);
    n = k < 0 ? 0 : (size_t)k;
  }
  return w + (n < NUM_MAX ? n : NUM_MAX - 1);
}

static const char *type_name(const cal_cohort *plan, int type) {
  if (type < 0 || type >= plan->prog->nsubtypes) return plan->indeterminate;
  return plan->type_names[type];
}

/* Lengths and bounds of the output, worked out once per run. */
typedef struct {
  size_t *idlen;    /* rule ids */
  size_t *namelen;  /* column names */
  size_t *typelen;  /* subtype names, then the indeterminate label */
  size_t nids;      /* rules the output names */
  size_t fixed;     /* the most bytes of a row but for its ids and problems */
  size_t nid, npb;  /* columns with the id, with the problems */
  size_t *mem;
} layout;

static int layout_init(layout *L, const cal_cohort *plan) {
  size_t i, ns = (size_t)plan->prog->nsubtypes, ids = 2, tmax = 0, k;
  int json = plan->ndjson;
  L->mem = malloc((plan->nrules + plan->ncolumns + ns + 2) * sizeof(size_t));
  if (!L->mem) return 0;
  L->idlen = L->mem;
  L->namelen = L->idlen + plan->nrules;
  L->typelen = L->namelen + plan->ncolumns;
  L->nids = plan->nrules < plan->prog->nrules ? plan->nrules : plan->prog->nrules;
  for (i = 0; i < plan->nrules; i++) {
    L->idlen[i] = strlen(plan->rule_ids[i]);
    ids += 6 * L->idlen[i] + 3;
  }
  for (i = 0; i <= ns; i++) {
    L->typelen[i] = strlen(i < ns ? plan->type_names[i] : plan->indeterminate);
    if (6 * L->typelen[i] + 2 > tmax) tmax = 6 * L->typelen[i] + 2;
  }
  L->fixed = 3; /* { } \n */
  L->nid = L->npb = 0;
  for (i = 0; i < plan->ncolumns; i++) {
    const cal_column *c = &plan->columns[i];
    L->namelen[i] = strlen(c->name);
    L->fixed += 1 + (json ? 6 * L->namelen[i] + 3 : 0);
    switch (c->kind) {
    case CAL_COL_ID: L->nid++; k = 4; break;
    case CAL_COL_TYPE: k = tmax; break;
    case CAL_COL_FIRED: case CAL_COL_NOT_EVALUABLE: k = ids; break;
    case CAL_COL_PROBLEMS: L->npb++; k = 6; break;
    case CAL_COL_SEX: k = 8; break;
    case CAL_COL_CKD: k = 6 * 8 + 2; break; /* labels: at most 8 bytes */
    default: k = NUM_MAX; break;
    }
    L->fixed += k;
  }
  return 1;
}

static size_t type_len(const cal_cohort *plan, const layout *L, int type) {
  if (type < 0 || type >= plan->prog->nsubtypes) return L->typelen[plan->prog->nsubtypes];
  return L->typelen[type];
}

/* The index of the lowest set bit of m (m != 0). */
static int lowest_bit(uint64_t m) {
#if defined(__GNUC__) || defined(__clang__)
  return __builtin_ctzll(m);
#else
  int k = 0;
  while (!(m & 1)) { m >>= 1; k++; }
  return k;
#endif
}

static char *w_ids(char *w, const cal_cohort *plan, const layout *L, const cal_vm_batch *b,
                   size_t row, int state, int json) {
  size_t i, base;
  int first = 1;
  if (json) *w++ = '[';
  for (base = 0; base < L->nids; base += CAL_VM_FIRED_BITS) {
    /* the rules that fired are bits: only those are visited */
    uint64_t m = state == CAL_TRUE ? b->fired[(base / CAL_VM_FIRED_BITS) * b->cap + row]
                                   : ((uint64_t)1 << CAL_VM_FIRED_BITS) - 1;
    while (m) {
      i = base + (size_t)lowest_bit(m);
      m &= m - 1;
      if (i >= L->nids) break;
      if (state != CAL_TRUE && cal_vm_state(b->value[i * b->cap + row]) != state) continue;
      if (!first) *w++ = json ? ',' : ';';
      first = 0;
      if (json) w = w_json_string(w, plan->rule_ids[i], L->idlen[i]);
      else w = w_bytes(w, plan->rule_ids[i], L->idlen[i]);
    }
  }
  if (json) *w++ = ']';
  return w;
}

typedef struct {
  char *buf;
  size_t len, cap;
} arena;

/* Appends n bytes; stores their offset. Returns 0 when out of memory. */
static int arena_add(arena *a, const char *s, size_t n, size_t *off) {
  *off = a->len;
  if (n == 0) return 1;
  if (a->len + n > a->cap) {
    size_t c = a->cap ? a->cap : 4096;
    char *nb;
    while (c < a->len + n) c *= 2;
    nb = realloc(a->buf, c);
    if (!nb) return 0;
    a->buf = nb;
    a->cap = c;
  }
  memcpy(a->buf + a->len, s, n);
  a->len += n;
  return 1;
}

/* A record waiting in the batch for its classification. */
typedef struct {
  const double *val;   /* the numbers of the output columns (NaN elsewhere) */
  signed char sex, ckd;
  size_t id_off, id_len, pb_off, pb_len;
  int pb_count;
  long long line;
} row_t;

static void write_row(outbuf *o, const cal_cohort *plan, const layout *L, const row_t *rw,
                      const char *abuf, const cal_vm_batch *b, size_t row) {
  const char *rid = rw->id_len ? abuf + rw->id_off : "";
  const char *ptext = abuf ? abuf + rw->pb_off : "";
  int type = b->type[row];
  size_t i;
  int json = plan->ndjson;
  char *w = out_room(o, L->fixed + 6 * rw->id_len * L->nid + 9 * rw->pb_len * L->npb);
  if (!w) return;
  if (json) *w++ = '{';
  for (i = 0; i < plan->ncolumns; i++) {
    const cal_column *c = &plan->columns[i];
    double v = NAN;
    int numeric = 0;
    if (i > 0) *w++ = ',';
    if (json) {
      w = w_json_string(w, c->name, L->namelen[i]);
      *w++ = ':';
    }
    switch (c->kind) {
    case CAL_COL_ID:
      w = json ? w_json_string(w, rid, rw->id_len) : w_csv_field(w, rid, rw->id_len);
      break;
    case CAL_COL_TYPE: {
      const char *t = type_name(plan, type);
      size_t tl = type_len(plan, L, type);
      w = json ? w_json_string(w, t, tl) : w_bytes(w, t, tl);
      break;
    }
    case CAL_COL_SCORE:
      v = type < 0 ? 0 : b->best[row];
      numeric = 1;
      break;
    case CAL_COL_FIRED: w = w_ids(w, plan, L, b, row, CAL_TRUE, json); break;
    case CAL_COL_NOT_EVALUABLE: w = w_ids(w, plan, L, b, row, CAL_UNKNOWN, json); break;
    case CAL_COL_PROBLEMS:
      if (json) w = w_problems_json(w, ptext, rw->pb_count ? rw->pb_len : 0);
      else if (rw->pb_count) w = w_problems_csv(w, ptext, rw->pb_len);
      break;
    case CAL_COL_VALUE: v = rw->val[i]; numeric = 1; break;
    case CAL_COL_LET:
      v = c->index < plan->prog->nlets ? b->lets[(size_t)c->index * b->cap + row] : NAN;
      numeric = 1;
      break;
    case CAL_COL_AGE: v = rw->val[i]; numeric = 1; break;
    case CAL_COL_SEX: {
      const char *sx = rw->sex == 1 ? "F" : rw->sex == 2 ? "M" : "";
      if (json) w = *sx ? w_json_string(w, sx, 1) : w_bytes(w, "null", 4);
      else w = w_bytes(w, sx, strlen(sx));
      break;
    }
    case CAL_COL_CKD: {
      const char *sx = cal_kdigo_label(rw->ckd);
      size_t n = strlen(sx);
      if (n > 8) n = 8; /* within the layout's bound ("G3a") */
      if (json) w = *sx ? w_json_string(w, sx, n) : w_bytes(w, "null", 4);
      else w = w_bytes(w, sx, n);
      break;
    }
    case CAL_COL_LINE: v = (double)rw->line; numeric = 1; break;
    default: break;
    }
    if (numeric) {
      if (isnan(v) || isinf(v)) { if (json) w = w_bytes(w, "null", 4); }
      else w = w_number(w, v, c->kind == CAL_COL_LINE ? 0 : c->decimals);
    }
  }
  if (json) *w++ = '}';
  *w++ = '\n';
  o->len = (size_t)(w - o->buf);
}

/* Classifies the rows waiting in the batch and writes them in order. */
static void flush_batch(outbuf *o, const cal_cohort *plan, const layout *L, cal_vm_batch *b,
                        const row_t *rows, size_t n, arena *ar, cal_cohort_stats *st) {
  size_t i;
  cal_vm_run_batch(plan->prog, b, n);
  for (i = 0; i < n; i++) {
    int t = b->type[i];
    write_row(o, plan, L, &rows[i], ar->buf, b, i);
    st->records++;
    if (rows[i].pb_count) st->with_problems++;
    if (t >= 0 && t < CAL_VM_MAX_SUBTYPES) st->counts[t]++;
    else st->counts[CAL_VM_MAX_SUBTYPES]++;
  }
  ar->len = 0;
}

static void write_header(outbuf *o, const cal_cohort *plan, const layout *L) {
  size_t i, need = 1;
  char *w;
  if (plan->ndjson || !plan->header) return;
  for (i = 0; i < plan->ncolumns; i++) need += 2 * L->namelen[i] + 3;
  if (!(w = out_room(o, need))) return;
  for (i = 0; i < plan->ncolumns; i++) {
    if (i > 0) *w++ = ',';
    w = w_csv_field(w, plan->columns[i].name, L->namelen[i]);
  }
  *w++ = '\n';
  o->len = (size_t)(w - o->buf);
}

/* ------------------------------------------------------------------ */
/* the run                                                               */

static int csv_next(void *src, const cal_field **f, size_t *n) { return cal_csv_next((cal_csv *)src, f, n); }
static const char *csv_problem(const void *src) { return cal_csv_problem((const cal_csv *)src); }
static long long csv_line(const void *src) { return cal_csv_line((const cal_csv *)src); }
static int nd_next(void *src, const cal_field **f, size_t *n) { return cal_ndjson_next((cal_ndjson *)src, f, n); }
static const char *nd_problem(const void *src) { return cal_ndjson_problem((const cal_ndjson *)src); }
static long long nd_line(const void *src) { return cal_ndjson_line((const cal_ndjson *)src); }

static int long_next(void *src, const cal_field **f, size_t *n) { return cal_long_next((cal_long *)src, f, n); }
static const char *long_problem(const void *src) { return cal_long_problem((const cal_long *)src); }
static long long long_line(const void *src) { return cal_long_line((const cal_long *)src); }

static cal_source source(int (*next)(void *, const cal_field **, size_t *), const char *(*pb)(const void *),
                         long long (*line)(const void *), void *src, int lines_in_problems) {
  cal_source s;
  s.next = next;
  s.problem = pb;
  s.line = line;
  s.src = src;
  s.lines_in_problems = lines_in_problems;
  return s;
}

int cal_reader_open(cal_reader *rd, const cal_cohort *plan, FILE *f, cal_csv_read_fn fn, void *ctx) {
  memset(rd, 0, sizeof *rd);
  if (plan->input_ndjson) {
    rd->ndjson = fn ? cal_ndjson_open_read(fn, ctx) : cal_ndjson_open_file(f);
    if (!rd->ndjson) return 0;
    rd->src = source(nd_next, nd_problem, nd_line, rd->ndjson, 0);
    return 1;
  }
  rd->csv = fn ? cal_csv_open_read(fn, ctx, plan->delim) : cal_csv_open_file(f, plan->delim);
  if (!rd->csv) return 0;
  if (!plan->input_long) {
    rd->src = source(csv_next, csv_problem, csv_line, rd->csv, 0);
    return 1;
  }
  rd->lng = cal_long_open(rd->csv);
  if (!rd->lng) {
    cal_reader_close(rd);
    return 0;
  }
  rd->src = source(long_next, long_problem, long_line, rd->lng, 1);
  return 1;
}

void cal_reader_close(cal_reader *rd) {
  cal_long_close(rd->lng);
  cal_csv_close(rd->csv);
  cal_ndjson_close(rd->ndjson);
  memset(rd, 0, sizeof *rd);
}

int cal_cohort_run(const cal_cohort *plan, const cal_source *in, FILE *out, cal_cohort_stats *st,
                   cal_cohort_progress progress, void *ctx, long long every,
                   char *err, size_t errlen) {
  const cal_field *f;
  size_t nf, ncols = 0, i;
  in_col *cols = NULL;
  int rc, status = 0;
  outbuf o;
  indices ix;
  cal_vm_batch *batch = NULL;
  row_t *rows = NULL;
  double *vals = NULL;  /* per row: the numbers of the output columns */
  record rec;
  const double **direct = NULL; /* per slot: where in rec its value is, when it is a value or the age */
  size_t nvs = 0;
  unit_memo memo[UNIT_MEMO];
  arena ar = {NULL, 0, 0};
  size_t nb = 0, cap, tw, ncv = plan->ncolumns ? plan->ncolumns : 1;
  long long reported = 0;
  char *previd = NULL;
  layout lay;
  size_t previd_len = 0, previd_cap = 0;
  size_t nan_count = cal_analyte_count();

  if (err && errlen) err[0] = '\0';
  memset(st, 0, sizeof *st);
  if (nan_count > MAX_ANALYTES) {
    snprintf(err, errlen, "too many analytes");
    return -1;
  }
  o.f = out;
  o.len = 0;
  o.cap = OUT_BUF;
  o.error = 0;
  o.buf = malloc(OUT_BUF);
  batch = cal_vm_batch_new(plan->prog);
  rows = batch ? malloc(batch->cap * sizeof *rows) : NULL;
  vals = batch ? malloc(batch->cap * ncv * sizeof *vals) : NULL;
  lay.mem = NULL;
  if (!o.buf || !batch || !rows || !vals || !layout_init(&lay, plan)) {
    free(o.buf); free(rows); free(vals); free(lay.mem);
    cal_vm_batch_free(batch);
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  cap = batch->cap;
  tw = batch->tw;
  for (i = 0; i < UNIT_MEMO; i++) memo[i].analyte = -1;
  nvs = plan->nslots < plan->prog->nvars ? plan->nslots : plan->prog->nvars;
  direct = (const double **)malloc((nvs ? nvs : 1) * sizeof *direct);
  if (!direct) {
    status = -1;
    snprintf(err, errlen, "out of memory");
    goto done;
  }
  for (i = 0; i < nvs; i++) {
    const cal_slot_src *s = &plan->slots[i];
    direct[i] = NULL;
    if (s->kind == CAL_SLOT_VALUE && s->analyte >= 0 && (size_t)s->analyte < nan_count) direct[i] = &rec.v[s->analyte];
    else if (s->kind == CAL_SLOT_AGE) direct[i] = &rec.age;
  }
  ix.ca = analyte_index("calcium");
  ix.alb = analyte_index("albumin");
  ix.phos = analyte_index("phosphate");
  ix.creat = analyte_index("creatinine");
  ix.corr = analyte_index("corrected_calcium");
  ix.caxp = analyte_index("ca_x_p");
  ix.egfr = analyte_index("egfr");
  /* compute only the derived values the program or the output reads */
  ix.need_corr = ix.need_caxp = ix.need_egfr = ix.need_ckd = 0;
  for (i = 0; i < plan->nslots; i++) {
    const cal_slot_src *s = &plan->slots[i];
    int a = s->analyte;
    if (s->kind == CAL_SLOT_CKD) ix.need_ckd = 1;
    if (s->kind != CAL_SLOT_VALUE && s->kind != CAL_SLOT_FLAG) continue;
    if (a == ix.corr) ix.need_corr = 1;
    if (a == ix.caxp) ix.need_caxp = 1;
    if (a == ix.egfr) ix.need_egfr = 1;
  }
  for (i = 0; i < plan->ncolumns; i++) {
    const cal_column *c = &plan->columns[i];
    if (c->kind == CAL_COL_CKD) ix.need_ckd = 1;
    if (c->kind != CAL_COL_VALUE) continue;
    if (c->index == ix.corr) ix.need_corr = 1;
    if (c->index == ix.caxp) ix.need_caxp = 1;
    if (c->index == ix.egfr) ix.need_egfr = 1;
  }
  if (ix.need_caxp) ix.need_corr = 1;
  if (ix.need_ckd) ix.need_egfr = 1;

  write_header(&o, plan, &lay);
  rc = in->next(in->src, &f, &nf);
  if (rc == 1) {
    ncols = nf;
    cols = calloc(ncols, sizeof *cols);
    if (!cols) { status = -1; snprintf(err, errlen, "out of memory"); goto done; }
    setup_columns(plan, f, nf, cols, st);
  }
  while (rc == 1 && (rc = in->next(in->src, &f, &nf)) == 1) {
    record *R = &rec;
    uint64_t *rterms = batch->terms + nb * tw;
    problems pb;
    const char *cp = in->problem(in->src);
    long long line = in->line(in->src) + plan->line_offset;
    size_t k;
    pb.len = 0;
    pb.count = 0;
    pb.text[0] = '\0';
    for (k = 0; k < nan_count; k++) R->v[k] = NAN;
    memset(R->qual, 0, sizeof R->qual);
    R->age = NAN;
    R->sex = 0;
    R->species = 0;
    R->height = NAN;
    R->ckd = 0;
    memset(rterms, 0, tw * sizeof(uint64_t));
    R->id = NULL;
    R->idlen = 0;
    while (cp && *cp) { /* each message of the reader, with its line */
      const char *e = strchr(cp, CAL_PROBLEM_SEP);
      int n = e ? (int)(e - cp) : (int)strlen(cp);
      if (in->lines_in_problems) problem(&pb, "%.*s", n, cp);
      else problem(&pb, "line %lld: %.*s", line, n, cp);
      cp = e ? e + 1 : NULL;
    }
    for (i = 0; i < nf && i < ncols; i++) {
      const in_col *c = &cols[i];
      const cal_field *cell = &f[i];
      switch (c->role) {
      case R_ID: {
        const char *p = cell->ptr;
        size_t n = cell->len;
        cal_trim(&p, &n);
        R->id = p;
        R->idlen = n;
        break;
      }
      case R_AGE: {
        int ok;
        double a = field_number(cell, &ok), factor = c->age_factor;
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
        if (!ok) problem(&pb, "%s: '%.*s' is not an age (a number, or a number with a unit such as 8 mo)", c->name,
                         (int)(cell->len > 40 ? 40 : cell->len), cell->ptr);
        else if (!isnan(a)) {
          a *= factor;
          if (a < 0 || a > 150) problem(&pb, "%s: %.4g years is not between 0 and 150", c->name, a);
          else R->age = a;
        }
        break;
      }
      case R_SEX: {
        const char *p = cell->ptr;
        size_t n = cell->len;
        cal_trim(&p, &n);
        if (n == 0) break;
        if ((n == 1 && (p[0] == 'F' || p[0] == 'f')) || (n == 6 && !strncmp(p, "female", 6)) ||
            (n == 6 && !strncmp(p, "Female", 6))) R->sex = 1;
        else if ((n == 1 && (p[0] == 'M' || p[0] == 'm')) || (n == 4 && !strncmp(p, "male", 4)) ||
                 (n == 4 && !strncmp(p, "Male", 4))) R->sex = 2;
        else problem(&pb, "%s: unknown sex '%.*s' (expected F or M)", c->name, (int)(n > 20 ? 20 : n), p);
        break;
      }
      case R_SPECIES: {
        char k2[KEY_MAX];
        size_t n = normalize_key(cell->ptr, cell->len, k2);
        if (n == 0 || !strcmp(k2, "human")) R->species = 0;
        else if (!strcmp(k2, "dog") || !strcmp(k2, "canine")) R->species = 1;
        else if (!strcmp(k2, "cat") || !strcmp(k2, "feline")) R->species = 2;
        else problem(&pb, "%s: unknown species '%s' (expected human, dog or cat)", c->name, k2);
        break;
      }
      case R_HEIGHT: {
        int ok;
        double h = field_number(cell, &ok);
        if (!ok || (!isnan(h) && (h <= 20 || h >= 260)))
          problem(&pb, "%s: '%.*s' is not a height between 20 and 260 cm", c->name,
                  (int)(cell->len > 40 ? 40 : cell->len), cell->ptr);
        else R->height = h;
        break;
      }
      case R_LAB: read_lab(plan, c, f, nf, cell, R, &pb, memo); break;
      case R_FINDINGS: read_terms(plan->findings, c->name, cell, rterms, tw, &pb); break;
      case R_SITES: read_terms(plan->sites, c->name, cell, rterms, tw, &pb); break;
      default: break;
      }
    }
    if (R->id && previd && R->idlen == previd_len && memcmp(R->id, previd, previd_len) == 0)
      problem(&pb, "id '%.*s' repeats the previous record's", (int)(R->idlen > 40 ? 40 : R->idlen), R->id);
    if (R->id) {
      if (R->idlen + 1 > previd_cap) {
        char *np = realloc(previd, R->idlen + 64);
        if (np) { previd = np; previd_cap = R->idlen + 64; }
      }
      if (previd && R->idlen + 1 <= previd_cap) {
        memcpy(previd, R->id, R->idlen);
        previd_len = R->idlen;
      }
    }
    derive(plan, &ix, R);
    for (k = 0; k < nvs; k++) {
      const cal_slot_src *s = &plan->slots[k];
      double v = NAN;
      if (direct[k]) { /* a value or the age: read where it is */
        batch->vars[k * cap + nb] = *direct[k];
        continue;
      }
      switch (s->kind) {
      case CAL_SLOT_VALUE: v = (s->analyte >= 0 && (size_t)s->analyte < nan_count) ? R->v[s->analyte] : NAN; break;
      case CAL_SLOT_AGE: v = R->age; break;
      case CAL_SLOT_CKD: v = R->ckd ? (double)R->ckd : NAN; break;
      case CAL_SLOT_FEMALE: v = R->sex ? (R->sex == 1 ? 1.0 : 0.0) : NAN; break;
      case CAL_SLOT_MALE: v = R->sex ? (R->sex == 2 ? 1.0 : 0.0) : NAN; break;
      case CAL_SLOT_HUMAN: v = R->species == 0 ? 1.0 : 0.0; break;
      case CAL_SLOT_DOG: v = R->species == 1 ? 1.0 : 0.0; break;
      case CAL_SLOT_CAT: v = R->species == 2 ? 1.0 : 0.0; break;
      case CAL_SLOT_FLAG:
        v = (s->analyte >= 0 && (size_t)s->analyte < nan_count) ? flag_of(plan, s->analyte, R) : NAN;
        break;
      default: break;
      }
      batch->vars[k * cap + nb] = v;
    }
    for (; k < plan->prog->nvars; k++) batch->vars[k * cap + nb] = NAN;
    if (pb.count && plan->strict) {
      st->stopped = 1;
      st->stop_line = line;
      {
        size_t q, k = 0;
        for (q = 0; q < pb.len && k + 3 < sizeof st->stop_message; q++) {
          if (pb.text[q] == CAL_PROBLEM_SEP) { st->stop_message[k++] = ';'; st->stop_message[k++] = ' '; }
          else st->stop_message[k++] = pb.text[q];
        }
        st->stop_message[k] = '\0';
      }
      break;
    }
    {
      row_t *row = &rows[nb];
      row->line = line;
      row->pb_count = pb.count;
      row->id_len = R->id ? R->idlen : 0;
      if (!arena_add(&ar, R->id, row->id_len, &row->id_off) ||
          !arena_add(&ar, pb.text, pb.len, &row->pb_off)) {
        status = -1;
        snprintf(err, errlen, "out of memory");
        break;
      }
      row->pb_len = pb.len;
      row->sex = (signed char)R->sex;
      row->ckd = (signed char)R->ckd;
      row->val = vals + nb * ncv;
      for (k = 0; k < plan->ncolumns; k++) {
        const cal_column *c = &plan->columns[k];
        double *v = vals + nb * ncv + k;
        if (c->kind == CAL_COL_VALUE) *v = (c->index >= 0 && (size_t)c->index < nan_count) ? R->v[c->index] : NAN;
        else if (c->kind == CAL_COL_AGE) *v = R->age;
      }
    }
    nb++;
    if (nb == cap) {
      flush_batch(&o, plan, &lay, batch, rows, nb, &ar, st);
      nb = 0;
      if (o.error) break;
      if (progress && every > 0 && st->records / every != reported / every) {
        reported = st->records;
        out_flush(&o);
        if (progress(ctx, st->records)) break;
      }
    }
  }
  if (nb > 0 && status == 0) flush_batch(&o, plan, &lay, batch, rows, nb, &ar, st);
  if (rc < 0) {
    status = -1;
    snprintf(err, errlen, "read error after line %lld", in->line(in->src));
  }
done:
  out_flush(&o);
  if (o.error && status == 0) {
    status = -1;
    snprintf(err, errlen, "write error");
  }
  free(previd);
  free(lay.mem);
  free((void *)direct);
  free(cols);
  free(o.buf);
  free(rows);
  free(vals);
  free(ar.buf);
  cal_vm_batch_free(batch);
  return status;
}

/* ------------------------------------------------------------------ */
/* --jobs: split a file at record boundaries over processes             */

typedef struct {
  int fd;
  const char *head;     /* the header record's bytes */
  size_t head_len, head_pos;
  off_t pos, end;       /* byte range of this chunk */
} chunk_src;

static long chunk_read(void *ctx, char *buf, size_t n) {
  chunk_src *c = (chunk_src *)ctx;
  if (c->head_pos < c->head_len) {
    size_t k = c->head_len - c->head_pos;
    if (k > n) k = n;
    memcpy(buf, c->head + c->head_pos, k);
    c->head_pos += k;
    return (long)k;
  }
  if (c->pos >= c->end) return 0;
  {
    size_t want = (size_t)(c->end - c->pos);
    ssize_t got;
    if (want > n) want = n;
    do got = pread(c->fd, buf, want, c->pos); while (got < 0 && errno == EINTR);
    if (got < 0) return -1;
    c->pos += got;
    return (long)got;
  }
}

#define MAX_JOBS 64

int cal_cohort_run_jobs(const cal_cohort *plan, const char *path, int jobs, FILE *out,
                        cal_cohort_stats *st, char *err, size_t errlen) {
  int fd = -1, i, status = 0;
  struct stat sb;
  off_t size, head_end = -1, bounds[MAX_JOBS + 1];
  long long nl_before[MAX_JOBS + 1], head_nl = 0;
  char *head = NULL, *buf = NULL;
  pid_t pids[MAX_JOBS];
  FILE *outs[MAX_JOBS];
  int pipes[MAX_JOBS][2];
  cal_cohort_stats cs[MAX_JOBS];
  if (jobs > MAX_JOBS) jobs = MAX_JOBS;
  memset(st, 0, sizeof *st);
  fd = open(path, O_RDONLY);
  if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || jobs < 2 || sb.st_size < (1 << 20) ||
      plan->input_long) {
    /* one process (a long-format patient must not be cut in two) */
    FILE *f;
    cal_reader rd;
    if (fd >= 0) close(fd);
    f = fopen(path, "rb");
    if (!f) { snprintf(err, errlen, "%s: cannot open for reading", path); return -1; }
    if (!cal_reader_open(&rd, plan, f, NULL, NULL)) {
      fclose(f);
      snprintf(err, errlen, "cannot start the reader");
      return -1;
    }
    status = cal_cohort_run(plan, &rd.src, out, st, NULL, NULL, 0, err, errlen);
    cal_reader_close(&rd);
    fclose(f);
    return status;
  }
  size = sb.st_size;
  /* one pass: the end of the header record, then for each cut the first
   * line end after the target that is outside quotes */
  buf = malloc(1 << 20);
  if (!buf) { close(fd); snprintf(err, errlen, "out of memory"); return -1; }
  {
    off_t pos = 0;
    long long nl = 0;
    /* record ends as the CSV reader finds them: the states of its scan
     * (field start, unquoted, quoted, quote in quoted), so that stray
     * quotes and text after a closing quote cut where the reader does */
    enum { J_FS, J_U, J_Q, J_QQ };
    int st = J_FS, next = 1, nd = plan->input_ndjson;
    const char d = plan->delim;
    bounds[0] = 0;
    nl_before[0] = 0;
    if (nd) { /* NDJSON: no header, and any line end is a record boundary */
      head_end = 0;
      for (i = 1; i < jobs; i++) bounds[i] = size * i / jobs;
    }
    while (pos < size && next < jobs) {
      ssize_t got = pread(fd, buf, 1 << 20, pos), k;
      if (got <= 0) break;
      for (k = 0; k < got; k++) {
        char c = buf[k];
        int end = 0;
        if (nd) end = c == '\n';
        else switch (st) {
          case J_FS: if (c == '"') st = J_Q; else if (c == '\n') end = 1; else if (c != d) st = J_U; break;
          case J_U: if (c == d) st = J_FS; else if (c == '\n') end = 1; break;
          case J_Q: if (c == '"') st = J_QQ; break;
          default: if (c == '"') st = J_Q; else if (c == d) st = J_FS; else if (c == '\n') end = 1; else st = J_U; break;
        }
        if (end) {
          st = J_FS;
          nl++;
          if (head_end < 0) {
            head_end = pos + k + 1;
            head_nl = nl;
            {
              off_t span = size - head_end;
              for (i = 1; i < jobs; i++) bounds[i] = head_end + span * i / jobs;
            }
          } else if (pos + k + 1 >= bounds[next]) {
            bounds[next] = pos + k + 1;
            nl_before[next] = nl;
            next++;
            if (next >= jobs) break;
          }
        } else if (c == '\n') {
          nl++;
        }
      }
      pos += got;
    }
    if (head_end < 0 || next < jobs) jobs = next; /* not enough line ends: fewer chunks */
    if (head_end < 0) head_end = size;
    bounds[0] = head_end;
    nl_before[0] = head_nl;
    bounds[jobs] = size;
  }
  head = malloc((size_t)head_end + 1);
  if (!head || pread(fd, head, (size_t)head_end, 0) != (ssize_t)head_end) {
    free(buf); free(head); close(fd);
    snprintf(err, errlen, "%s: read error", path);
    return -1;
  }
  free(buf);
  fflush(out);
  for (i = 0; i < jobs; i++) {
    outs[i] = tmpfile();
    if (!outs[i] || pipe(pipes[i]) != 0) { status = -1; snprintf(err, errlen, "cannot create a temporary file"); jobs = i; break; }
    pids[i] = fork();
    if (pids[i] < 0) { status = -1; snprintf(err, errlen, "cannot fork"); fclose(outs[i]); jobs = i; break; }
    if (pids[i] == 0) {
      cal_cohort sub = *plan;
      chunk_src src;
      cal_reader rd;
      cal_cohort_stats s1;
      char e2[256];
      int rc = -1;
      ssize_t w;
      close(pipes[i][0]);
      sub.header = i == 0 ? plan->header : 0;
      sub.line_offset = plan->line_offset + nl_before[i] - head_nl;
      src.fd = fd; src.head = head; src.head_len = (size_t)head_end; src.head_pos = 0;
      src.pos = bounds[i]; src.end = bounds[i + 1];
      memset(&s1, 0, sizeof s1);
      if (cal_reader_open(&rd, plan, NULL, chunk_read, &src)) {
        rc = cal_cohort_run(&sub, &rd.src, outs[i], &s1, NULL, NULL, 0, e2, sizeof e2);
        cal_reader_close(&rd);
      }
      if (fflush(outs[i]) != 0) rc = -1;
      if (rc != 0) s1.stopped = -1;
      w = write(pipes[i][1], &s1, sizeof s1);
      _exit(w == (ssize_t)sizeof s1 && rc == 0 ? 0 : 1);
    }
    close(pipes[i][1]);
  }
  for (i = 0; i < jobs; i++) {
    int ws = 0;
    ssize_t got = 0, k;
    memset(&cs[i], 0, sizeof cs[i]);
    while ((size_t)got < sizeof cs[i]) {
      k = read(pipes[i][0], (char *)&cs[i] + got, sizeof cs[i] - (size_t)got);
      if (k < 0 && errno == EINTR) continue;
      if (k <= 0) break;
      got += k;
    }
    close(pipes[i][0]);
    while (waitpid(pids[i], &ws, 0) < 0 && errno == EINTR) {}
    if ((size_t)got != sizeof cs[i] || !WIFEXITED(ws) || WEXITSTATUS(ws) != 0) {
      if (status == 0) snprintf(err, errlen, "job %d failed", i + 1);
      status = -1;
    }
  }
  /* concatenate in order; with --strict stop after the first chunk that stopped */
  for (i = 0; i < jobs && status == 0; i++) {
    char copy[1 << 16];
    size_t k, j;
    rewind(outs[i]);
    while ((k = fread(copy, 1, sizeof copy, outs[i])) > 0)
      if (fwrite(copy, 1, k, out) != k) { status = -1; snprintf(err, errlen, "write error"); break; }
    st->records += cs[i].records;
    st->with_problems += cs[i].with_problems;
    for (j = 0; j <= CAL_VM_MAX_SUBTYPES; j++) st->counts[j] += cs[i].counts[j];
    if (i == 0) memcpy(st->warnings, cs[0].warnings, sizeof st->warnings);
    if (cs[i].stopped) {
      st->stopped = 1;
      st->stop_line = cs[i].stop_line;
      memcpy(st->stop_message, cs[i].stop_message, sizeof st->stop_message);
      break;
    }
  }
  for (i = 0; i < jobs; i++) if (outs[i]) fclose(outs[i]);
  free(head);
  close(fd);
  fflush(out);
  return status;
}
