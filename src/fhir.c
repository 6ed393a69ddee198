/*
 * fhir.c - see fhir.h.
 */
#define _POSIX_C_SOURCE 200809L /* opendir, stat */
#include "fhir.h"

#include <dirent.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "analytes.h"
#include "dates.h"
#include "json.h"
#include "record.h"

#define MSG_MAX 1024
#define UNMAPPED_MAX 600
#define SKIPPED_MAX 400
#define VAL_MAX 48
#define BLOCK (1u << 20)
#define TEXT_MAX 256

static const char LOINC[] = "http://loinc.org";
static const char SNOMED[] = "http://snomed.info/sct";
static const char RXNORM[] = "http://www.nlm.nih.gov/research/umls/rxnorm";
static const char ICD10CM[] = "http://hl7.org/fhir/sid/icd-10-cm";
static const char ICD10[] = "http://hl7.org/fhir/sid/icd-10";
static const char HEIGHT_LOINC[] = "8302-2"; /* Body height (Synthea vital signs) */

typedef struct {
  double day;                  /* NaN: no date */
  unsigned char len, set;
  char txt[VAL_MAX];           /* "8.6 mg/dL", "<15 mL/min" */
  char range[2 * VAL_MAX + 4]; /* referenceRange as text: "8.5-10.5 mg/dL", ">=60 mL/min" */
  char flag[4];                /* interpretation code: "L" */
} lab_t;

typedef struct {
  char *key;                   /* the patient's id */
  size_t klen;
  int has_patient, refs, not_patient;
  char sex;                    /* 'F', 'M' or 0 */
  char birth[32];
  lab_t lab[CAL_REC_MAX_ANALYTES];
  lab_t height;
  char *find;                  /* findings, joined with ';' */
  size_t flen, fcap;
  char msg[MSG_MAX];
  size_t mlen;
  char unmapped[UNMAPPED_MAX];  /* codes mapped to nothing: a note, not a problem */
  size_t ulen;
  int ufull;
  char skipped[SKIPPED_MAX];    /* resources not used (refuted, entered in error): a note */
  size_t sklen;
  int skfull;
  long long line;
} pat_t;

/* A set of texts (open addressing), each with a number. */
typedef struct {
  char **key;
  size_t *val;
  size_t cap, n;
} keyset;

/* A set of 64-bit hashes (open addressing; 0 is empty, a key hashing to 0
 * is kept as 1): which Observations were read, without a copy of each key
 * (a Bulk Data export has millions). */
typedef struct {
  uint64_t *v;
  size_t cap, n;
} hashset;

/* A reference resolved once everything is read: a DiagnosticReport's
 * result (kind 0: an Observation) or a medicationReference (kind 1). */
typedef struct {
  size_t pat;
  int kind;
  char *key, *src;
} pending_t;

/* A Medication's code, mapped: a finding term, or the unmapped note. */
typedef struct {
  int found;
  char *text;
} med_t;

struct cal_fhir {
  const cal_termmap *findings;
  double index, window;
  pat_t *pat;
  size_t npat, cap;
  size_t *hash;                /* open addressing: patient index + 1, 0 empty */
  size_t hcap;
  cal_json doc;
  char *buf;
  size_t bcap;
  long long line;              /* of the resource being read */
  int started, err;
  size_t next_out, out;
  size_t nf;
  cal_field *fields;
  char *scratch;               /* the texts of the record returned */
  size_t scap, slen;
  char text[TEXT_MAX], text2[TEXT_MAX];
  hashset obs;                 /* the hashes of patient + "Observation/<id>" (and + fullUrl) read */
  keyset meds;                 /* Medication keys -> index in med */
  med_t *med;
  size_t nmed, medcap;
  pending_t *pend;
  size_t npend, pendcap;
  int resolved;
};

/* ---- patients ---- */

static uint64_t hash(const char *s, size_t n) {
  uint64_t h = 0xcbf29ce484222325ULL;
  size_t i;
  for (i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
  return h;
}

static int ks_grow(keyset *s) {
  size_t nc = s->cap ? s->cap * 2 : 256, i;
  char **nk = (char **)calloc(nc, sizeof *nk);
  size_t *nv = (size_t *)calloc(nc, sizeof *nv);
  if (!nk || !nv) {
    free(nk);
    free(nv);
    return 0;
  }
  for (i = 0; i < s->cap; i++)
    if (s->key[i]) {
      size_t j = (size_t)(hash(s->key[i], strlen(s->key[i])) & (nc - 1));
      while (nk[j]) j = (j + 1) & (nc - 1);
      nk[j] = s->key[i];
      nv[j] = s->val[i];
    }
  free(s->key);
  free(s->val);
  s->key = nk;
  s->val = nv;
  s->cap = nc;
  return 1;
}

/* Whether k is in the set (its number at *val when val is not NULL). */
static int ks_find(const keyset *s, const char *k, size_t *val) {
  size_t j;
  if (!s->cap) return 0;
  j = (size_t)(hash(k, strlen(k)) & (s->cap - 1));
  while (s->key[j]) {
    if (strcmp(s->key[j], k) == 0) {
      if (val) *val = s->val[j];
      return 1;
    }
    j = (j + 1) & (s->cap - 1);
  }
  return 0;
}

/* A malloc'd copy of s[0 .. n) with a NUL, or NULL when out of memory. */
static char *copy_text(const char *s, size_t n) {
  char *c = (char *)malloc(n + 1);
  if (!c) return NULL;
  if (n) memcpy(c, s, n);
  c[n] = '\0';
  return c;
}

/* Adds k (a key already there keeps its number). 0 when out of memory. */
static int ks_add(keyset *s, const char *k, size_t val) {
  size_t j, n = strlen(k);
  if (ks_find(s, k, NULL)) return 1;
  if ((s->n + 1) * 2 > s->cap && !ks_grow(s)) return 0;
  j = (size_t)(hash(k, n) & (s->cap - 1));
  while (s->key[j]) j = (j + 1) & (s->cap - 1);
  if (!(s->key[j] = copy_text(k, n))) return 0;
  s->val[j] = val;
  s->n++;
  return 1;
}

static void ks_free(keyset *s) {
  size_t i;
  for (i = 0; i < s->cap; i++) free(s->key[i]);
  free(s->key);
  free(s->val);
}

static uint64_t hash_more(uint64_t h, const char *s, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
  return h;
}

static int hs_has(const hashset *s, uint64_t k) {
  size_t j;
  if (!s->cap) return 0;
  if (!k) k = 1;
  for (j = (size_t)(k & (s->cap - 1)); s->v[j]; j = (j + 1) & (s->cap - 1))
    if (s->v[j] == k) return 1;
  return 0;
}

/* Adds k: 1, or 0 when out of memory. */
static int hs_add(hashset *s, uint64_t k) {
  size_t j;
  if (!k) k = 1;
  if (hs_has(s, k)) return 1;
  if ((s->n + 1) * 2 > s->cap) {
    size_t nc = s->cap ? s->cap * 2 : 1024, i;
    uint64_t *nv = (uint64_t *)calloc(nc, sizeof *nv);
    if (!nv) return 0;
    for (i = 0; i < s->cap; i++)
      if (s->v[i]) {
        for (j = (size_t)(s->v[i] & (nc - 1)); nv[j]; j = (j + 1) & (nc - 1)) {}
        nv[j] = s->v[i];
      }
    free(s->v);
    s->v = nv;
    s->cap = nc;
  }
  for (j = (size_t)(k & (s->cap - 1)); s->v[j]; j = (j + 1) & (s->cap - 1)) {}
  s->v[j] = k;
  s->n++;
  return 1;
}

static int rehash(cal_fhir *h, size_t nc) {
  size_t *nt = (size_t *)calloc(nc, sizeof *nt), i;
  if (!nt) return 0;
  for (i = 0; h->pat && i < h->npat; i++) { /* (no patients: no table to walk) */
    size_t j = (size_t)(hash(h->pat[i].key, h->pat[i].klen) & (nc - 1));
    while (nt[j]) j = (j + 1) & (nc - 1);
    nt[j] = i + 1;
  }
  free(h->hash);
  h->hash = nt;
  h->hcap = nc;
  return 1;
}

/* The patient with this id (created when new), or NULL when out of memory. */
static pat_t *patient(cal_fhir *h, const char *k, size_t kn, int create_only) {
  size_t j, a;
  pat_t *p;
  if (!create_only && h->hcap) {
    j = (size_t)(hash(k, kn) & (h->hcap - 1));
    while (h->hash[j]) {
      p = &h->pat[h->hash[j] - 1];
      if (!p->not_patient && p->klen == kn && memcmp(p->key, k, kn) == 0) return p;
      j = (j + 1) & (h->hcap - 1);
    }
  }
  if ((h->npat + 1) * 2 > h->hcap && !rehash(h, h->hcap ? h->hcap * 2 : 1024)) return NULL;
  if (h->npat == h->cap) {
    size_t nc = h->cap ? h->cap * 2 : 64;
    pat_t *np = (pat_t *)realloc(h->pat, nc * sizeof *np);
    if (!np) return NULL;
    h->pat = np;
    h->cap = nc;
  }
  p = &h->pat[h->npat];
  memset(p, 0, sizeof *p);
  p->key = copy_text(k, kn);
  if (!p->key) return NULL;
  p->klen = kn;
  p->line = h->line;
  p->height.day = NAN;
  for (a = 0; a < CAL_REC_MAX_ANALYTES; a++) p->lab[a].day = NAN;
  j = (size_t)(hash(k, kn) & (h->hcap - 1));
  while (h->hash[j]) j = (j + 1) & (h->hcap - 1);
  h->hash[j] = ++h->npat;
  return p;
}

static void problem(pat_t *p, const char *fmt, ...) CAL_PRINTF(2, 3);
static void problem(pat_t *p, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  cal_problem_append(p->msg, MSG_MAX, &p->mlen, fmt, ap);
  va_end(ap);
}

/* A record of its own for a problem that belongs to no patient. */
static int orphan(cal_fhir *h, const char *fmt, ...) CAL_PRINTF(2, 3);
static int orphan(cal_fhir *h, const char *fmt, ...) {
  char k[32];
  pat_t *p;
  va_list ap;
  snprintf(k, sizeof k, "line %lld", h->line);
  p = patient(h, k, strlen(k), 1);
  if (!p) return 0;
  p->not_patient = 1;
  p->key[0] = '\0';
  p->klen = 0;
  va_start(ap, fmt);
  cal_problem_append(p->msg, MSG_MAX, &p->mlen, fmt, ap);
  va_end(ap);
  return 1;
}

/* Appends what to a ", "-separated note (once: an entry already there is
 * not repeated); a full note ends with ", ...". */
static void note(char *buf, size_t cap, size_t *len, int *full, const char *what) {
  size_t n = strlen(what);
  const char *at = buf;
  if (*full || n == 0) return;
  while (*len && (at = strstr(at, what)) != NULL) { /* a whole entry, not a prefix of one */
    if ((at == buf || (at >= buf + 2 && at[-2] == ',' && at[-1] == ' ')) && (at[n] == '\0' || at[n] == ','))
      return;
    at++;
  }
  if (*len + n + 2 + 6 >= cap) {
    if (*len + 6 < cap) {
      memcpy(buf + *len, *len ? ", ..." : "...", *len ? 5 : 3);
      *len += *len ? 5 : 3;
      buf[*len] = '\0';
    }
    *full = 1;
    return;
  }
  if (*len) { memcpy(buf + *len, ", ", 2); *len += 2; }
  memcpy(buf + *len, what, n);
  *len += n;
  buf[*len] = '\0';
}

/* Notes a code that maps to nothing, once per patient. */
static void unmapped(pat_t *p, const char *what) { note(p->unmapped, UNMAPPED_MAX, &p->ulen, &p->ufull, what); }

/* Notes a resource that is not used, and why. */
static void skipped(pat_t *p, const char *fmt, ...) CAL_PRINTF(2, 3);
static void skipped(pat_t *p, const char *fmt, ...) {
  char t[200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(t, sizeof t, fmt, ap);
  va_end(ap);
  note(p->skipped, SKIPPED_MAX, &p->sklen, &p->skfull, t);
}

static int add_finding(pat_t *p, const char *t, size_t n) {
  if (p->flen + n + 2 > p->fcap) {
    size_t nc = p->fcap ? p->fcap * 2 : 128;
    char *nf;
    while (nc < p->flen + n + 2) nc *= 2;
    nf = (char *)realloc(p->find, nc);
    if (!nf) return 0;
    p->find = nf;
    p->fcap = nc;
  }
  if (p->flen) p->find[p->flen++] = ';';
  memcpy(p->find + p->flen, t, n);
  p->flen += n;
  return 1;
}

/* ---- resources ---- */

static size_t text_of(cal_fhir *h, int node, char *out) { return cal_json_text(&h->doc, node, out, TEXT_MAX); }

/* The patient key of a resource's subject (or patient) reference
 * ("Patient/x", "urn:uuid:x", "x": x) at *k, in ref; its length, 0: none. */
static size_t subject_key(cal_fhir *h, int res, char *ref, const char **k) {
  int s = cal_json_get(&h->doc, res, "subject");
  size_t n;
  if (s < 0) s = cal_json_get(&h->doc, res, "patient");
  n = text_of(h, cal_json_get(&h->doc, s, "reference"), ref);
  *k = ref;
  if (n > 9 && memcmp(ref, "urn:uuid:", 9) == 0) { *k += 9; n -= 9; }
  else if (n > 8 && memcmp(ref, "Patient/", 8) == 0) { *k += 8; n -= 8; }
  return n;
}

/* The patient a reference names ("Patient/x", "urn:uuid:x", "x"). */
static pat_t *subject(cal_fhir *h, int res, const char *rtype, const char *rid) {
  char ref[TEXT_MAX];
  const char *k;
  size_t n = subject_key(h, res, ref, &k);
  pat_t *p;
  if (n == 0) {
    orphan(h, "%s/%s: no subject (a reference to its patient)", rtype, rid);
    return NULL;
  }
  p = patient(h, k, n, 0);
  if (p) p->refs++;
  return p;
}

/* Whether a coding's system is s (no system counts as any). */
static int system_is(cal_fhir *h, int coding, const char *s) {
  int sy = cal_json_get(&h->doc, coding, "system");
  return sy < 0 || cal_json_is(&h->doc, sy, s);
}

/* The date of an Observation: effectiveDateTime, effectivePeriod.start,
 * effectiveInstant, issued. NaN when none; a bad one is a problem. */
static double obs_date(cal_fhir *h, int res, pat_t *p, const char *rid) {
  static const char *const keys[] = {"effectiveDateTime", "effectiveInstant", "issued", NULL};
  int k, node = -1;
  const char *which = NULL;
  double day = NAN;
  char t[TEXT_MAX];
  size_t n;
  node = cal_json_get(&h->doc, cal_json_get(&h->doc, res, "effectivePeriod"), "start");
  if (node >= 0) which = "effectivePeriod.start";
  for (k = 0; node < 0 && keys[k]; k++)
    if ((node = cal_json_get(&h->doc, res, keys[k])) >= 0) which = keys[k];
  if (node < 0) return NAN;
  n = text_of(h, node, t);
  if (!cal_date_parse(t, n, &day)) {
    problem(p, "Observation/%s: %s '%.40s' is not a date", rid, which, t);
    return NAN;
  }
  return day;
}

/* The value text of an Observation or a component, or 0 when it has none. */
static size_t value_text(cal_fhir *h, int obj, char *out) {
  int q = cal_json_get(&h->doc, obj, "valueQuantity"), v;
  size_t n = 0;
  if (q >= 0) {
    int val = cal_json_get(&h->doc, q, "value"), c = cal_json_get(&h->doc, q, "comparator");
    int u = cal_json_get(&h->doc, q, "code");
    char unit[64];
    size_t ul;
    if (val < 0 || h->doc.node[val].type != CAL_J_NUMBER) return 0;
    if (c >= 0) n = cal_json_text(&h->doc, c, out, 3);
    if (u < 0 || !system_is(h, q, "http://unitsofmeasure.org")) u = cal_json_get(&h->doc, q, "unit");
    ul = cal_json_text(&h->doc, u, unit, sizeof unit);
    if (h->doc.node[val].n + n + ul + 2 >= VAL_MAX) return 0;
    memcpy(out + n, h->doc.node[val].s, h->doc.node[val].n);
    n += h->doc.node[val].n;
    if (ul) {
      out[n++] = ' ';
      memcpy(out + n, unit, ul);
      n += ul;
    }
    out[n] = '\0';
    return n;
  }
  v = cal_json_get(&h->doc, obj, "valueString");
  if (v >= 0) {
    n = cal_json_text(&h->doc, v, out, VAL_MAX);
    return n;
  }
  return 0;
}

/* A quantity's number and unit ("8.5 mg/dL") at out; its length, 0 when none. */
static size_t quantity(cal_fhir *h, int q, char *out, size_t cap) {
  int val = cal_json_get(&h->doc, q, "value"), u = cal_json_get(&h->doc, q, "code");
  char unit[32];
  size_t ul, n;
  if (val < 0 || h->doc.node[val].type != CAL_J_NUMBER) return 0;
  if (u < 0) u = cal_json_get(&h->doc, q, "unit");
  ul = cal_json_text(&h->doc, u, unit, sizeof unit);
  n = h->doc.node[val].n;
  if (n + ul + 2 > cap) return 0;
  memcpy(out, h->doc.node[val].s, n);
  if (ul) {
    out[n++] = ' ';
    memcpy(out + n, unit, ul);
    n += ul;
  }
  out[n] = '\0';
  return n;
}

/* The first referenceRange of an Observation or component as text
 * ("8.5 mg/dL-10.5 mg/dL" is written "8.5-10.5 mg/dL"), "" when none. */
static void range_text(cal_fhir *h, int obj, char *out) {
  int rr = cal_json_get(&h->doc, obj, "referenceRange"), r0, lo, hi;
  char a[VAL_MAX], b[VAL_MAX];
  size_t an, bn;
  out[0] = '\0';
  r0 = rr >= 0 && h->doc.node[rr].type == CAL_J_ARRAY ? h->doc.node[rr].child : -1;
  if (r0 < 0) return;
  lo = cal_json_get(&h->doc, r0, "low");
  hi = cal_json_get(&h->doc, r0, "high");
  an = lo >= 0 ? quantity(h, lo, a, sizeof a) : 0;
  bn = hi >= 0 ? quantity(h, hi, b, sizeof b) : 0;
  if (an && bn) {
    size_t k = strcspn(a, " ");
    snprintf(out, 2 * VAL_MAX + 4, "%.*s-%s", (int)k, a, b);
  } else if (an) {
    snprintf(out, 2 * VAL_MAX + 4, ">=%s", a);
  } else if (bn) {
    snprintf(out, 2 * VAL_MAX + 4, "<=%s", b);
  }
}

/* The first interpretation code of an Observation or component. */
static void flag_text(cal_fhir *h, int obj, char *out) {
  int it = cal_json_get(&h->doc, obj, "interpretation"), c0, cod;
  out[0] = '\0';
  c0 = it >= 0 && h->doc.node[it].type == CAL_J_ARRAY ? h->doc.node[it].child : -1;
  cod = cal_json_get(&h->doc, c0, "coding");
  c0 = cod >= 0 && h->doc.node[cod].type == CAL_J_ARRAY ? h->doc.node[cod].child : -1;
  cal_json_text(&h->doc, cal_json_get(&h->doc, c0, "code"), out, 4);
}

/* Keeps a dated value of analyte a (or the height, a < 0) of obj when it
 * is the best so far. */
static void keep(cal_fhir *h, pat_t *p, int a, int obj, const char *txt, size_t n, double day) {
  lab_t *l = a < 0 ? &p->height : &p->lab[a];
  if (l->set && !cal_date_better(l->day, day, h->index)) return;
  memcpy(l->txt, txt, n);
  l->txt[n] = '\0';
  l->len = (unsigned char)n;
  l->day = day;
  l->set = 1;
  range_text(h, obj, l->range);
  flag_text(h, obj, l->flag);
}

/* Which analyte (index) a coding list names: -2 none, -1 the height. */
static int analyte_of(cal_fhir *h, int code, char *codes) {
  int cod = cal_json_get(&h->doc, code, "coding"), c;
  size_t k;
  codes[0] = '\0';
  if (cod < 0) return -2;
  for (c = h->doc.node[cod].child; c >= 0; c = h->doc.node[c].next) {
    char t[32];
    int cn = cal_json_get(&h->doc, c, "code");
    size_t n;
    const cal_analyte *an;
    if (!system_is(h, c, LOINC)) continue;
    n = cal_json_text(&h->doc, cn, t, sizeof t);
    if (!n) continue;
    if (!codes[0]) snprintf(codes, 40, "LOINC %s", t);
    if (strcmp(t, HEIGHT_LOINC) == 0) return -1;
    an = cal_analyte_find(t, n);
    if (an)
      for (k = 0; k < cal_analyte_count(); k++)
        if (cal_analyte_at(k) == an) return (int)k;
  }
  return -2;
}

/* Whether a resource's status says it is not to be used (entered-in-error,
 * or for an Observation or a report also cancelled): the status at st. */
static int void_status(cal_fhir *h, int res, int cancelled, char *st) {
  int s = cal_json_get(&h->doc, res, "status");
  st[0] = '\0';
  if (!(cal_json_is(&h->doc, s, "entered-in-error") || (cancelled && cal_json_is(&h->doc, s, "cancelled")))) return 0;
  cal_json_text(&h->doc, s, st, 20);
  return 1;
}

/* An Observation; dflt: the patient of the resource that contains it (a
 * contained Observation may have no subject of its own). */
static void observation(cal_fhir *h, int res, const char *rid, pat_t *dflt) {
  pat_t *p;
  char codes[40], val[VAL_MAX], st[24];
  int a;
  double day;
  size_t n;
  p = dflt && cal_json_get(&h->doc, res, "subject") < 0 ? dflt : subject(h, res, "Observation", rid);
  if (!p) return;
  if (void_status(h, res, 1, st)) {
    skipped(p, "Observation/%s (status %s)", rid, st);
    return;
  }
  day = obs_date(h, res, p, rid);
  a = analyte_of(h, cal_json_get(&h->doc, res, "code"), codes);
  if (a >= -1) {
    n = value_text(h, res, val);
    if (n && a == -1 && !(n > 3 && strcmp(val + n - 3, " cm") == 0))
      problem(p, "Observation/%s: height_cm (%s) '%s' is not in cm; not used", rid, codes, val);
    else if (n) keep(h, p, a, res, val, n, day);
    else problem(p, "Observation/%s: %s (%s) has no value", rid, a < 0 ? "height_cm" : cal_analyte_at((size_t)a)->name, codes);
    return;
  }
  {
    int comp = cal_json_get(&h->doc, res, "component"), c, used = 0;
    for (c = comp >= 0 ? h->doc.node[comp].child : -1; c >= 0; c = h->doc.node[c].next) {
      char cc[40];
      int ca = analyte_of(h, cal_json_get(&h->doc, c, "code"), cc);
      if (ca < -1) continue;
      used = 1;
      n = value_text(h, c, val);
      if (n) keep(h, p, ca, c, val, n, day);
      else problem(p, "Observation/%s: component %s has no value", rid, cc);
    }
    if (!used) {
      char u[64];
      snprintf(u, sizeof u, "Observation %s", codes[0] ? codes : "without a LOINC code");
      unmapped(p, u);
    }
  }
}

/* Whether the term map knows a term. */
typedef struct { int unknown; } probe_t;
static void probe_unknown(void *ctx, const char *key, size_t keylen, const char *note) {
  (void)key; (void)keylen; (void)note;
  ((probe_t *)ctx)->unknown = 1;
}
static int known(cal_fhir *h, const char *t, size_t n) {
  probe_t pr;
  if (!h->findings || n == 0) return 0;
  pr.unknown = 0;
  cal_termmap_read_cell(h->findings, t, n, NULL, 0, probe_unknown, &pr);
  return !pr.unknown;
}

/* A text as one term: separators of a cell and "(disorder)" suffixes out. */
static size_t as_term(char *t, size_t n) {
  size_t i;
  for (i = 0; i < n; i++)
    if (t[i] == ';' || t[i] == '|' || t[i] == ',') t[i] = ' ';
  if (n > 2 && t[n - 1] == ')') {
    char *open = strrchr(t, '(');
    if (open && open > t) {
      n = (size_t)(open - t);
      while (n > 0 && t[n - 1] == ' ') n--;
      t[n] = '\0';
    }
  }
  return n;
}

/* A coded concept (Condition.code, medicationCodeableConcept, Medication.code)
 * mapped through the term map: 1 with the finding term at out, or 0 with
 * the note of what maps to nothing ("Condition SNOMED 444814009 'Viral
 * sinusitis (disorder)'") at out; `words`: also try the text's leading
 * words (drug names). */
static int concept_map(cal_fhir *h, int cc, const char *rtype, int words, char *out, size_t cap) {
  int cod = cal_json_get(&h->doc, cc, "coding"), c;
  char first[120];
  first[0] = '\0';
  for (c = cod >= 0 ? h->doc.node[cod].child : -1; c >= 0; c = h->doc.node[c].next) {
    int cn = cal_json_get(&h->doc, c, "code"), sy = cal_json_get(&h->doc, c, "system");
    size_t n = text_of(h, cn, h->text), m;
    const char *prefix = cal_json_is(&h->doc, sy, SNOMED) ? "snomed:" : cal_json_is(&h->doc, sy, RXNORM) ? "rxnorm:"
                       : (cal_json_is(&h->doc, sy, ICD10CM) || cal_json_is(&h->doc, sy, ICD10)) ? "" : NULL;
    if (!n || !prefix) continue;
    m = (size_t)snprintf(h->text2, TEXT_MAX, "%s%s", prefix, h->text);
    if (m < TEXT_MAX && known(h, h->text2, m)) { snprintf(out, cap, "%s", h->text2); return 1; }
    if (!first[0]) {
      char disp[80];
      cal_json_text(&h->doc, cal_json_get(&h->doc, c, "display"), disp, sizeof disp);
      snprintf(first, sizeof first, "%s %.30s%s%.70s%s", prefix[0] == 's' ? "SNOMED" : prefix[0] == 'r' ? "RxNorm" : "ICD-10",
               h->text, disp[0] ? " '" : "", disp, disp[0] ? "'" : "");
    }
  }
  /* the texts: code.text, then each display */
  {
    int node = cal_json_get(&h->doc, cc, "text");
    c = cod >= 0 ? h->doc.node[cod].child : -1;
    for (;;) {
      size_t n = text_of(h, node, h->text);
      n = as_term(h->text, n);
      if (n && known(h, h->text, n)) { snprintf(out, cap, "%.*s", (int)n, h->text); return 1; }
      while (words && n > 0) { /* "Warfarin Sodium 5 MG Oral Tablet" -> "Warfarin Sodium" -> "Warfarin" */
        while (n > 0 && h->text[n - 1] != ' ') n--;
        while (n > 0 && h->text[n - 1] == ' ') n--;
        if (n && known(h, h->text, n)) { snprintf(out, cap, "%.*s", (int)n, h->text); return 1; }
      }
      if (c < 0) break;
      node = cal_json_get(&h->doc, c, "display");
      c = h->doc.node[c].next;
    }
  }
  if (!first[0]) {
    text_of(h, cal_json_get(&h->doc, cc, "text"), h->text);
    snprintf(first, sizeof first, "'%.100s'", h->text[0] ? h->text : "no code");
  }
  snprintf(out, cap, "%s %s", rtype, first);
  return 0;
}

/* A coded concept into the patient's findings, or its unmapped note. */
static void concept(cal_fhir *h, pat_t *p, int cc, const char *rtype, int words) {
  char t[TEXT_MAX];
  if (concept_map(h, cc, rtype, words, t, sizeof t)) {
    if (!add_finding(p, t, strlen(t))) h->err = 1;
  } else {
    unmapped(p, t);
  }
}

/* A reference as a key: "urn:uuid:x" as written; "[base/]Type/id[/_history/v]"
 * as "Type/id". Its length, 0 when it names no resource of that type. */
static size_t ref_key(const char *ref, size_t n, const char *type, char *out, size_t cap) {
  size_t tl = strlen(type), i;
  if (n >= 4 && memcmp(ref, "urn:", 4) == 0) {
    if (n >= cap) return 0;
    memcpy(out, ref, n);
    out[n] = '\0';
    return n;
  }
  for (i = n; i-- > 0;) /* the last "Type/" at the start or after a '/' */
    if ((i == 0 || ref[i - 1] == '/') && n - i > tl + 1 && memcmp(ref + i, type, tl) == 0 && ref[i + tl] == '/') {
      size_t k = i + tl + 1;
      while (k < n && ref[k] != '/') k++;
      if (k - i >= cap) return 0;
      memcpy(out, ref + i, k - i);
      out[k - i] = '\0';
      return k - i;
    }
  return 0;
}

/* The element of a resource's `contained` whose id is ref without its
 * '#', or -1. */
static int contained(cal_fhir *h, int res, const char *ref) {
  int ct = cal_json_get(&h->doc, res, "contained"), c;
  char id[80];
  for (c = ct >= 0 && h->doc.node[ct].type == CAL_J_ARRAY ? h->doc.node[ct].child : -1; c >= 0; c = h->doc.node[c].next) {
    cal_json_text(&h->doc, cal_json_get(&h->doc, c, "id"), id, sizeof id);
    if (id[0] && strcmp(id, ref + 1) == 0) return c;
  }
  return -1;
}

/* Notes a reference to resolve when everything is read. */
static void defer(cal_fhir *h, pat_t *p, int kind, const char *key, const char *src) {
  pending_t *d;
  if (h->npend == h->pendcap) {
    size_t nc = h->pendcap ? h->pendcap * 2 : 64;
    pending_t *np = (pending_t *)realloc(h->pend, nc * sizeof *np);
    if (!np) { h->err = 1; return; }
    h->pend = np;
    h->pendcap = nc;
  }
  d = &h->pend[h->npend];
  d->pat = (size_t)(p - h->pat);
  d->kind = kind;
  d->key = copy_text(key, strlen(key));
  d->src = copy_text(src, strlen(src));
  if (!d->key || !d->src) {
    free(d->key);
    free(d->src);
    h->err = 1;
    return;
  }
  h->npend++;
}

/* A Medication: its code mapped, kept under "Medication/<id>" and its fullUrl. */
static void medication(cal_fhir *h, int res, const char *rid, const char *full) {
  char t[TEXT_MAX], k[TEXT_MAX];
  med_t *m;
  if (h->nmed == h->medcap) {
    size_t nc = h->medcap ? h->medcap * 2 : 32;
    med_t *nm = (med_t *)realloc(h->med, nc * sizeof *nm);
    if (!nm) { h->err = 1; return; }
    h->med = nm;
    h->medcap = nc;
  }
  m = &h->med[h->nmed];
  m->found = concept_map(h, cal_json_get(&h->doc, res, "code"), "Medication", 1, t, sizeof t);
  if (!(m->text = copy_text(t, strlen(t)))) { h->err = 1; return; }
  h->nmed++;
  if (rid[0]) {
    snprintf(k, sizeof k, "Medication/%s", rid);
    if (!ks_add(&h->meds, k, h->nmed - 1)) h->err = 1;
  }
  if (full && ref_key(full, strlen(full), "Medication", k, sizeof k) && !ks_add(&h->meds, k, h->nmed - 1)) h->err = 1;
}

/* MedicationRequest, MedicationStatement: the code of medicationCodeableConcept,
 * or of the Medication its medicationReference names (contained "#id", or
 * in the input: resolved when everything is read). */
static void med_use(cal_fhir *h, int res, const char *type, const char *rid) {
  pat_t *p = subject(h, res, type, rid);
  int cc, mr;
  char st[24], ref[TEXT_MAX], k[TEXT_MAX], src[160];
  size_t n;
  if (!p) return;
  if (void_status(h, res, 0, st)) {
    skipped(p, "%s/%s (status %s)", type, rid, st);
    return;
  }
  if ((cc = cal_json_get(&h->doc, res, "medicationCodeableConcept")) >= 0) {
    concept(h, p, cc, type, 1);
    return;
  }
  mr = cal_json_get(&h->doc, res, "medicationReference");
  n = text_of(h, cal_json_get(&h->doc, mr, "reference"), ref);
  if (mr < 0 || n == 0) {
    problem(p, "%s/%s: no medication (medicationCodeableConcept or medicationReference)", type, rid);
    return;
  }
  if (ref[0] == '#') {
    int c = contained(h, res, ref);
    if (c < 0 || !cal_json_is(&h->doc, cal_json_get(&h->doc, c, "resourceType"), "Medication"))
      problem(p, "%s/%s: medicationReference '%.60s' is not a contained Medication", type, rid, ref);
    else
      concept(h, p, cal_json_get(&h->doc, c, "code"), "Medication", 1);
    return;
  }
  if (!ref_key(ref, n, "Medication", k, sizeof k)) {
    problem(p, "%s/%s: medicationReference '%.60s' does not name a Medication", type, rid, ref);
    return;
  }
  snprintf(src, sizeof src, "%s/%s", type, rid);
  defer(h, p, 1, k, src);
}

/* A DiagnosticReport: its contained Observations are read (once, as its
 * subject's); its results that are in the input are read as resources of
 * their own (so a value reachable both ways counts once) and checked to
 * be there when everything is read. */
static void report(cal_fhir *h, int res, const char *rid) {
  pat_t *p = subject(h, res, "DiagnosticReport", rid);
  int ct, rs, c;
  size_t pi;
  char st[24], ref[TEXT_MAX], k[TEXT_MAX], src[120];
  if (!p) return;
  pi = (size_t)(p - h->pat);
  if (void_status(h, res, 1, st)) {
    skipped(p, "DiagnosticReport/%s (status %s)", rid, st);
    return;
  }
  ct = cal_json_get(&h->doc, res, "contained");
  for (c = ct >= 0 && h->doc.node[ct].type == CAL_J_ARRAY ? h->doc.node[ct].child : -1; c >= 0; c = h->doc.node[c].next)
    if (cal_json_is(&h->doc, cal_json_get(&h->doc, c, "resourceType"), "Observation")) {
      char id[80], crid[168];
      cal_json_text(&h->doc, cal_json_get(&h->doc, c, "id"), id, sizeof id);
      snprintf(crid, sizeof crid, "%s#%s", rid, id);
      observation(h, c, crid, &h->pat[pi]);
    }
  p = &h->pat[pi]; /* (a contained Observation with a subject of its own may have added a patient) */
  snprintf(src, sizeof src, "DiagnosticReport/%s", rid);
  rs = cal_json_get(&h->doc, res, "result");
  for (c = rs >= 0 && h->doc.node[rs].type == CAL_J_ARRAY ? h->doc.node[rs].child : -1; c >= 0; c = h->doc.node[c].next) {
    size_t n = text_of(h, cal_json_get(&h->doc, c, "reference"), ref);
    if (n && ref[0] == '#') {
      int o = contained(h, res, ref);
      if (o < 0 || !cal_json_is(&h->doc, cal_json_get(&h->doc, o, "resourceType"), "Observation"))
        problem(p, "%s: result '%.60s' is not a contained Observation", src, ref);
    } else if (n && ref_key(ref, n, "Observation", k, sizeof k)) {
      defer(h, p, 0, k, src);
    } else {
      problem(p, "%s: result '%.60s' is not a reference to an Observation", src, ref);
    }
  }
}

/* Condition.verificationStatus refuted or entered-in-error (the FHIR R4
 * ConditionVerificationStatus codes that deny the condition): its code at vs. */
static int denied(cal_fhir *h, int res, char *vs) {
  int cod = cal_json_get(&h->doc, cal_json_get(&h->doc, res, "verificationStatus"), "coding"), c;
  for (c = cod >= 0 && h->doc.node[cod].type == CAL_J_ARRAY ? h->doc.node[cod].child : -1; c >= 0; c = h->doc.node[c].next) {
    int cn = cal_json_get(&h->doc, c, "code");
    if (cal_json_is(&h->doc, cn, "refuted") || cal_json_is(&h->doc, cn, "entered-in-error")) {
      cal_json_text(&h->doc, cn, vs, 20);
      return 1;
    }
  }
  return 0;
}

/* The references noted while reading, now that everything is read. */
static void resolve(cal_fhir *h) {
  size_t i, m;
  for (i = 0; i < h->npend; i++) {
    pending_t *d = &h->pend[i];
    pat_t *p = &h->pat[d->pat];
    if (d->kind == 0) {
      if (!hs_has(&h->obs, hash_more(hash_more(hash(p->key, p->klen), "\037", 1), d->key, strlen(d->key)))) problem(p, "%s: result '%.80s' is not in the input", d->src, d->key);
    } else if (!ks_find(&h->meds, d->key, &m)) {
      problem(p, "%s: medicationReference '%.80s' is not in the input", d->src, d->key);
    } else if (h->med[m].found) {
      if (!add_finding(p, h->med[m].text, strlen(h->med[m].text))) h->err = 1;
    } else {
      unmapped(p, h->med[m].text);
    }
  }
}

/* A resource; full: its entry's fullUrl in a Bundle (NULL: none). */
static void resource(cal_fhir *h, int res, int depth, const char *full) {
  int rt = cal_json_get(&h->doc, res, "resourceType");
  char type[40], rid[80];
  pat_t *p;
  if (h->doc.node[res].type != CAL_J_OBJECT || rt < 0) {
    orphan(h, "a JSON value that is not a FHIR resource (no resourceType)");
    return;
  }
  cal_json_text(&h->doc, rt, type, sizeof type);
  cal_json_text(&h->doc, cal_json_get(&h->doc, res, "id"), rid, sizeof rid);
  if (!strcmp(type, "Bundle")) {
    int e = cal_json_get(&h->doc, res, "entry"), c;
    if (depth > 4) return;
    for (c = e >= 0 ? h->doc.node[e].child : -1; c >= 0; c = h->doc.node[c].next) {
      int r = cal_json_get(&h->doc, c, "resource");
      char fu[TEXT_MAX];
      size_t n = text_of(h, cal_json_get(&h->doc, c, "fullUrl"), fu);
      if (r >= 0) resource(h, r, depth + 1, n ? fu : NULL);
    }
  } else if (!strcmp(type, "Patient")) {
    char t[40];
    size_t n = strlen(rid);
    if (!n) { orphan(h, "Patient without an id"); return; }
    p = patient(h, rid, n, 0);
    if (!p) { h->err = 1; return; }
    p->has_patient = 1;
    cal_json_text(&h->doc, cal_json_get(&h->doc, res, "gender"), t, sizeof t);
    p->sex = !strcmp(t, "female") ? 'F' : !strcmp(t, "male") ? 'M' : 0;
    if (t[0] && !p->sex && strcmp(t, "unknown") != 0 && strcmp(t, "other") != 0)
      problem(p, "Patient/%s: gender '%.20s' is not a FHIR gender", rid, t);
    cal_json_text(&h->doc, cal_json_get(&h->doc, res, "birthDate"), p->birth, sizeof p->birth);
  } else if (!strcmp(type, "Observation")) {
    /* kept as its patient's (a report's results are its subject's): the same Observation twice in the
     * input (two files of one export) is read once, the same id of the same patient (ids of other
     * patients' Observations may repeat across sources) */
    char k[TEXT_MAX], ref[TEXT_MAX];
    const char *pk;
    size_t kn, pn = subject_key(h, res, ref, &pk);
    uint64_t mine = hash_more(hash(pk, pn), "\037", 1);
    if (rid[0]) {
      uint64_t o = hash_more(hash_more(mine, "Observation/", 12), rid, strlen(rid));
      if (hs_has(&h->obs, o)) return;
      if (!hs_add(&h->obs, o)) { h->err = 1; return; }
    }
    if (full && (kn = ref_key(full, strlen(full), "Observation", k, sizeof k)) != 0 &&
        !hs_add(&h->obs, hash_more(mine, k, kn))) {
      h->err = 1;
      return;
    }
    observation(h, res, rid, NULL);
  } else if (!strcmp(type, "Condition")) {
    if ((p = subject(h, res, type, rid)) != NULL) {
      char vs[24];
      if (denied(h, res, vs)) skipped(p, "Condition/%s (verificationStatus %s)", rid, vs);
      else concept(h, p, cal_json_get(&h->doc, res, "code"), type, 0);
    }
  } else if (!strcmp(type, "MedicationRequest") || !strcmp(type, "MedicationStatement")) {
    med_use(h, res, type, rid);
  } else if (!strcmp(type, "Medication")) {
    medication(h, res, rid, full);
  } else if (!strcmp(type, "DiagnosticReport")) {
    report(h, res, rid);
  }
}

/* One JSON text (a document or an NDJSON line). */
static int text(cal_fhir *h, const char *b, size_t n) {
  int rc = cal_json_parse(&h->doc, b, n);
  if (rc < 0) return -1;
  if (rc == 0)
    return orphan(h, "line %lld: %s JSON (%s at byte %lu)", h->line, h->doc.truncated ? "truncated" : "not", h->doc.err,
                  (unsigned long)h->doc.err_at + 1) ? 1 : -1;
  resource(h, 0, 0, NULL);
  return h->err ? -1 : 1;
}

static int blank(const char *b, size_t n) {
  size_t i;
  for (i = 0; i < n; i++)
    if (!(b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n')) return 0;
  return 1;
}

static long read_file(void *ctx, char *buf, size_t n) {
  FILE *f = (FILE *)ctx;
  size_t got = fread(buf, 1, n, f);
  if (got == 0 && ferror(f)) return -1;
  return (long)got;
}

int cal_fhir_add(cal_fhir *h, FILE *f, cal_csv_read_fn fn, void *ctx) {
  size_t start = 0, end = 0, scan = 0;
  int mode = 0, eof = 0; /* mode 0: not known yet, 1: NDJSON lines, 2: one document */
  long long line = 1;
  if (!fn) { fn = read_file; ctx = f; }
  for (;;) {
    char *nl = NULL;
    if (mode != 2 && scan < end) nl = (char *)memchr(h->buf + scan, '\n', end - scan);
    if (!nl && !eof) {
      long got;
      if (start > 0) { /* keep the unread part at the front */
        memmove(h->buf, h->buf + start, end - start);
        end -= start;
        start = 0;
      }
      if (h->bcap - end < BLOCK / 16) {
        size_t nc = h->bcap ? h->bcap * 2 : BLOCK / 4;
        char *nb;
        if (nc > CAL_FHIR_MAX_DOCUMENT + 2 * BLOCK) { /* (a line or a document this long) */
          h->line = line;
          return orphan(h, "a JSON document longer than %u bytes; not read", CAL_FHIR_MAX_DOCUMENT) ? 1 : -1;
        }
        nb = (char *)realloc(h->buf, nc);
        if (!nb) return -1;
        h->buf = nb;
        h->bcap = nc;
      }
      got = fn(ctx, h->buf + end, h->bcap - end < BLOCK ? h->bcap - end : BLOCK);
      if (got < 0) return -1;
      if (got == 0) eof = 1;
      scan = end;
      end += (size_t)got;
      continue;
    }
    if (nl || (eof && start < end)) {
      size_t e = nl ? (size_t)(nl - h->buf) : end;
      const char *b = h->buf + start;
      size_t n = e - start;
      if (mode == 2 && !eof) { scan = end; continue; }
      if (line == 1 && cal_utf8_bom(b, n)) {
        b += 3;
        n -= 3;
      }
      if (mode == 2) {
        h->line = 1;
        if (text(h, b, end - (size_t)(b - h->buf)) < 0) return -1;
        return 1;
      }
      if (!blank(b, n)) {
        if (mode == 0) {
          int rc = cal_json_parse(&h->doc, b, n);
          if (rc < 0) return -1;
          if (rc == 0 && h->doc.truncated && !eof) { mode = 2; scan = end; continue; } /* a document over lines */
          mode = 1;
        }
        h->line = line;
        if (text(h, b, n) < 0) return -1;
      }
      line++;
      start = scan = e + (nl ? 1 : 0);
      if (!nl) return 1;
      continue;
    }
    return 1; /* eof, nothing left */
  }
}

static int name_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int ends_with(const char *s, const char *suf) {
  size_t n = strlen(s), k = strlen(suf);
  return n > k && strcmp(s + n - k, suf) == 0;
}

static int add_file(cal_fhir *h, const char *path, char *err, size_t errlen) {
  FILE *f = fopen(path, "rb");
  int rc;
  if (!f) {
    snprintf(err, errlen, "%s: cannot open for reading", path);
    return 0;
  }
  rc = cal_fhir_add(h, f, NULL, NULL);
  fclose(f);
  if (rc < 0) snprintf(err, errlen, "%s: read error or out of memory", path);
  return rc > 0;
}

int cal_fhir_add_path(cal_fhir *h, const char *path, char *err, size_t errlen) {
  struct stat st;
  DIR *d;
  struct dirent *de;
  char **names = NULL;
  size_t n = 0, cap = 0, i;
  int ok = 1;
  if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) return add_file(h, path, err, errlen);
  d = opendir(path);
  if (!d) {
    snprintf(err, errlen, "%s: cannot open the folder", path);
    return 0;
  }
  while ((de = readdir(d)) != NULL) {
    size_t pl = strlen(path) + strlen(de->d_name) + 2;
    if (!(ends_with(de->d_name, ".ndjson") || ends_with(de->d_name, ".jsonl") || ends_with(de->d_name, ".json")))
      continue;
    if (n == cap) {
      char **nn = (char **)realloc(names, (cap = cap ? cap * 2 : 16) * sizeof *nn);
      if (!nn) { ok = 0; break; }
      names = nn;
    }
    if (!(names[n] = (char *)malloc(pl))) { ok = 0; break; }
    snprintf(names[n++], pl, "%s/%s", path, de->d_name);
  }
  closedir(d);
  if (!ok) snprintf(err, errlen, "out of memory");
  if (ok && n == 0) {
    snprintf(err, errlen, "%s: a folder without .ndjson, .jsonl or .json files", path);
    ok = 0;
  }
  if (ok) qsort(names, n, sizeof *names, name_cmp);
  for (i = 0; i < n; i++) {
    if (ok) ok = add_file(h, names[i], err, errlen);
    free(names[i]);
  }
  free(names);
  return ok;
}

/* ---- records ---- */

cal_fhir *cal_fhir_open(const cal_termmap *findings, double index, double window) {
  cal_fhir *h = (cal_fhir *)calloc(1, sizeof *h);
  if (!h) return NULL;
  h->findings = findings;
  h->index = index;
  h->window = window;
  cal_json_init(&h->doc);
  h->nf = cal_record_nfields();
  h->fields = (cal_field *)calloc(h->nf, sizeof *h->fields);
  if (!h->fields) {
    cal_fhir_close(h);
    return NULL;
  }
  return h;
}

void cal_fhir_close(cal_fhir *h) {
  size_t i;
  if (!h) return;
  for (i = 0; i < h->npat; i++) {
    free(h->pat[i].key);
    free(h->pat[i].find);
  }
  free(h->pat);
  free(h->hash);
  free(h->buf);
  free(h->fields);
  free(h->scratch);
  for (i = 0; i < h->npend; i++) {
    free(h->pend[i].key);
    free(h->pend[i].src);
  }
  free(h->pend);
  for (i = 0; i < h->nmed; i++) free(h->med[i].text);
  free(h->med);
  free(h->obs.v);
  ks_free(&h->meds);
  cal_json_free(&h->doc);
  free(h);
}

static const char *put(cal_fhir *h, const char *s, size_t n) {
  char *at = h->scratch + h->slen;
  memcpy(at, s, n);
  h->slen += n;
  return at;
}

int cal_fhir_next(cal_fhir *h, const cal_field **fields, size_t *n) {
  size_t i, na = cal_analyte_count(), need;
  pat_t *p;
  double ref;
  if (h->err) return -1;
  if (!h->resolved) {
    h->resolved = 1;
    resolve(h);
    if (h->err) return -1;
  }
  if (!h->started) {
    h->started = 1;
    for (i = 0; i < h->nf; i++) {
      h->fields[i].ptr = cal_record_field_name(i);
      h->fields[i].len = strlen(h->fields[i].ptr);
    }
    *fields = h->fields;
    *n = h->nf;
    return 1;
  }
  if (h->next_out >= h->npat) return 0;
  h->out = h->next_out++;
  p = &h->pat[h->out];
  for (i = 0; i < h->nf; i++) {
    h->fields[i].ptr = "";
    h->fields[i].len = 0;
  }
  need = p->klen + p->flen + 64 + (na + 1) * (4 * VAL_MAX + 24);
  if (need > h->scap) {
    char *ns = (char *)realloc(h->scratch, need);
    if (!ns) { h->err = 1; return -1; }
    h->scratch = ns;
    h->scap = need;
  }
  h->slen = 0;
  if (p->not_patient) {
    *fields = h->fields;
    *n = h->nf;
    return 1;
  }
  h->fields[CAL_REC_ID].ptr = p->key;
  h->fields[CAL_REC_ID].len = p->klen;
  if (!p->has_patient)
    problem(p, "Patient/%s is referenced by %d resource%s but is not in the input", p->key, p->refs,
            p->refs == 1 ? "" : "s");
  if (p->sex) {
    h->fields[CAL_REC_SEX].ptr = p->sex == 'F' ? "F" : "M";
    h->fields[CAL_REC_SEX].len = 1;
  }
  if (p->birth[0]) {
    h->fields[cal_record_birth_field()].ptr = p->birth;
    h->fields[cal_record_birth_field()].len = strlen(p->birth);
  }
  if (p->height.set) {
    h->fields[CAL_REC_HEIGHT].ptr = p->height.txt;
    h->fields[CAL_REC_HEIGHT].len = strcspn(p->height.txt, " "); /* cm, as Synthea gives it */
  }
  if (p->flen) {
    h->fields[CAL_REC_FINDINGS].ptr = p->find;
    h->fields[CAL_REC_FINDINGS].len = p->flen;
  }
  {
    double kept[CAL_REC_MAX_ANALYTES];
    size_t nk = 0;
    for (i = 0; i < na && i < CAL_REC_MAX_ANALYTES; i++)
      if (p->lab[i].set) kept[nk++] = p->lab[i].day;
    ref = cal_date_reference(kept, nk, h->index);
  }
  for (i = 0; i < na && i < CAL_REC_MAX_ANALYTES; i++) {
    lab_t *l = &p->lab[i];
    char d[11];
    if (!l->set) continue;
    cal_date_format(l->day, d);
    if (!cal_date_in_window(l->day, ref, h->window)) {
      char m[200];
      cal_date_window_problem(m, sizeof m, cal_analyte_at(i)->name, l->day, ref, h->window);
      problem(p, "%s", m);
      continue;
    }
    h->fields[CAL_REC_NAMED + i].ptr = put(h, l->txt, l->len);
    h->fields[CAL_REC_NAMED + i].len = l->len;
    if (d[0]) {
      h->fields[cal_record_date_field(i)].ptr = put(h, d, 10);
      h->fields[cal_record_date_field(i)].len = 10;
    }
    if (l->range[0]) {
      size_t rn = strlen(l->range);
      h->fields[cal_record_range_field(i)].ptr = put(h, l->range, rn);
      h->fields[cal_record_range_field(i)].len = rn;
    }
    if (l->flag[0]) {
      size_t fn = strlen(l->flag);
      h->fields[cal_record_flag_field(i)].ptr = put(h, l->flag, fn);
      h->fields[cal_record_flag_field(i)].len = fn;
    }
  }
  if (p->ulen) {
    h->fields[cal_record_unmapped_field()].ptr = p->unmapped;
    h->fields[cal_record_unmapped_field()].len = p->ulen;
  }
  if (p->sklen) {
    h->fields[cal_record_skipped_field()].ptr = p->skipped;
    h->fields[cal_record_skipped_field()].len = p->sklen;
  }
  *fields = h->fields;
  *n = h->nf;
  return 1;
}

long long cal_fhir_line(const cal_fhir *h) { return h->npat && h->started ? h->pat[h->out].line : 0; }

const char *cal_fhir_problem(const cal_fhir *h) {
  const pat_t *p;
  if (!h->npat || !h->started || h->next_out == 0) return NULL;
  p = &h->pat[h->out];
  return p->mlen ? p->msg : NULL;
}
