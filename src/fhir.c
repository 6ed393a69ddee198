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
  char unmapped[UNMAPPED_MAX];
  size_t ulen;
  long long line;
} pat_t;

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
};

/* ---- patients ---- */

static uint64_t hash(const char *s, size_t n) {
  uint64_t h = 0xcbf29ce484222325ULL;
  size_t i;
  for (i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
  return h;
}

static int rehash(cal_fhir *h, size_t nc) {
  size_t *nt = (size_t *)calloc(nc, sizeof *nt), i;
  if (!nt) return 0;
  for (i = 0; i < h->npat; i++) {
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
  p->key = (char *)malloc(kn + 1);
  if (!p->key) return NULL;
  memcpy(p->key, k, kn);
  p->key[kn] = '\0';
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

/* Notes a code that maps to nothing, once per patient. */
static void unmapped(pat_t *p, const char *what) {
  size_t n = strlen(what);
  if (p->ulen && (strstr(p->unmapped, what) != NULL)) return;
  if (p->ulen + n + 2 >= UNMAPPED_MAX) {
    if (p->ulen + 4 < UNMAPPED_MAX && strcmp(p->unmapped + p->ulen - 3, "...") != 0) {
      memcpy(p->unmapped + p->ulen, ", ...", 5);
      p->ulen += 5;
      p->unmapped[p->ulen] = '\0';
    }
    return;
  }
  if (p->ulen) { memcpy(p->unmapped + p->ulen, ", ", 2); p->ulen += 2; }
  memcpy(p->unmapped + p->ulen, what, n);
  p->ulen += n;
  p->unmapped[p->ulen] = '\0';
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

/* The patient a reference names ("Patient/x", "urn:uuid:x", "x"). */
static pat_t *subject(cal_fhir *h, int res, const char *rtype, const char *rid) {
  int s = cal_json_get(&h->doc, res, "subject"), r;
  char ref[TEXT_MAX];
  const char *k = ref;
  size_t n;
  pat_t *p;
  if (s < 0) s = cal_json_get(&h->doc, res, "patient");
  r = cal_json_get(&h->doc, s, "reference");
  n = text_of(h, r, ref);
  if (n > 9 && memcmp(k, "urn:uuid:", 9) == 0) { k += 9; n -= 9; }
  else if (n > 8 && memcmp(k, "Patient/", 8) == 0) { k += 8; n -= 8; }
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

static void observation(cal_fhir *h, int res, const char *rid) {
  pat_t *p = subject(h, res, "Observation", rid);
  char codes[40], val[VAL_MAX];
  int a, st;
  double day;
  size_t n;
  if (!p) return;
  st = cal_json_get(&h->doc, res, "status");
  if (cal_json_is(&h->doc, st, "entered-in-error") || cal_json_is(&h->doc, st, "cancelled")) return;
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

/* A coded concept (Condition.code, medicationCodeableConcept) into the
 * findings; `words`: also try the text's leading words (drug names). */
static void concept(cal_fhir *h, pat_t *p, int cc, const char *rtype, int words) {
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
    if (m < TEXT_MAX && known(h, h->text2, m)) { add_finding(p, h->text2, m); return; }
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
      if (n && known(h, h->text, n)) { add_finding(p, h->text, n); return; }
      while (words && n > 0) { /* "Warfarin Sodium 5 MG Oral Tablet" -> "Warfarin Sodium" -> "Warfarin" */
        while (n > 0 && h->text[n - 1] != ' ') n--;
        while (n > 0 && h->text[n - 1] == ' ') n--;
        if (n && known(h, h->text, n)) { add_finding(p, h->text, n); return; }
      }
      if (c < 0) break;
      node = cal_json_get(&h->doc, c, "display");
      c = h->doc.node[c].next;
    }
  }
  {
    char u[160];
    if (!first[0]) {
      text_of(h, cal_json_get(&h->doc, cc, "text"), h->text);
      snprintf(first, sizeof first, "'%.100s'", h->text[0] ? h->text : "no code");
    }
    snprintf(u, sizeof u, "%s %s", rtype, first);
    unmapped(p, u);
  }
}

static void resource(cal_fhir *h, int res, int depth) {
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
      if (r >= 0) resource(h, r, depth + 1);
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
    observation(h, res, rid);
  } else if (!strcmp(type, "Condition")) {
    if ((p = subject(h, res, type, rid)) != NULL) concept(h, p, cal_json_get(&h->doc, res, "code"), type, 0);
  } else if (!strcmp(type, "MedicationRequest") || !strcmp(type, "MedicationStatement")) {
    if ((p = subject(h, res, type, rid)) != NULL) {
      int cc = cal_json_get(&h->doc, res, "medicationCodeableConcept");
      if (cc >= 0) concept(h, p, cc, type, 1);
      else unmapped(p, "a medicationReference (not resolved)");
    }
  } else if (!strcmp(type, "DiagnosticReport")) {
    subject(h, res, type, rid);
  }
}

/* One JSON text (a document or an NDJSON line). */
static int text(cal_fhir *h, const char *b, size_t n) {
  int rc = cal_json_parse(&h->doc, b, n);
  if (rc < 0) return -1;
  if (rc == 0)
    return orphan(h, "line %lld: %s JSON (%s at byte %lu)", h->line, h->doc.truncated ? "truncated" : "not", h->doc.err,
                  (unsigned long)h->doc.err_at + 1) ? 1 : -1;
  resource(h, 0, 0);
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
      if (n >= 3 && (unsigned char)b[0] == 0xEF && (unsigned char)b[1] == 0xBB && (unsigned char)b[2] == 0xBF && line == 1) {
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
  ref = h->index;
  if (isnan(ref))
    for (i = 0; i < na; i++)
      if (p->lab[i].set && !isnan(p->lab[i].day) && (isnan(ref) || p->lab[i].day > ref)) ref = p->lab[i].day;
  for (i = 0; i < na && i < CAL_REC_MAX_ANALYTES; i++) {
    lab_t *l = &p->lab[i];
    char d[11];
    if (!l->set) continue;
    cal_date_format(l->day, d);
    if (!cal_date_in_window(l->day, ref, h->window)) {
      char r[11];
      cal_date_format(ref, r);
      problem(p, "%s: the value of %s is outside the window (%g days from %s); not used", cal_analyte_at(i)->name,
              d[0] ? d : "no date", h->window, r);
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
  if (p->ulen) problem(p, "codes not mapped: %s", p->unmapped);
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
