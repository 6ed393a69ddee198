/*
 * output.c - see output.h.
 */
#include "output.h"

#include "dates.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "derived.h"
#include "record.h"
#include "text.h"

int cal_out_open(cal_out *o, FILE *f) {
  o->f = f;
  o->len = 0;
  o->cap = CAL_OUT_BUF;
  o->error = 0;
  o->buf = malloc(CAL_OUT_BUF);
  return o->buf != NULL;
}

void cal_out_close(cal_out *o) {
  if (o->buf) cal_out_flush(o);
  free(o->buf);
  o->buf = NULL;
}

void cal_out_flush(cal_out *o) {
  if (o->len && fwrite(o->buf, 1, o->len, o->f) != o->len) o->error = 1;
  o->len = 0;
}

/* Where to write n more bytes (the buffer grows for a row longer than it);
 * NULL when out of memory. The writers below write at such a place and
 * return the end of what they wrote. */
static char *out_room_slow(cal_out *o, size_t n);
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline char *out_room(cal_out *o, size_t n) {
  if (o->len + n <= o->cap) return o->buf + o->len; /* (the usual case, inline) */
  return out_room_slow(o, n);
}

#if defined(__GNUC__)
__attribute__((noinline))
#endif
static char *out_room_slow(cal_out *o, size_t n) {
  cal_out_flush(o);
  if (n > o->cap) {
    char *nb = realloc(o->buf, n);
    if (!nb) { o->error = 1; return NULL; }
    o->buf = nb;
    o->cap = n;
  }
  return o->buf + o->len;
}

#define NUM_MAX 352   /* w_number: 309 integer digits, a point, 20 decimals, sign */
#define MAX_DECIMALS 20

static char *w_bytes(char *w, const char *s, size_t n) {
  cal_copy_small(w, s, n); /* (short texts: a type's name, null, a date) */
  return w + n;
}

static char *csv_quote_slow(char *w, size_t n);

/* 0 when none of the 8 bytes of x is ',', '"', CR or LF */
static inline uint64_t csv_special8(uint64_t x) {
  const uint64_t ones = 0x0101010101010101ULL;
  return cal_zero_bytes(x ^ (ones * ',')) | cal_zero_bytes(x ^ (ones * '"')) | cal_zero_bytes(x ^ (ones * '\n')) |
         cal_zero_bytes(x ^ (ones * '\r'));
}

/* Not 0 when some byte of x is below ',' + 1 (all four are): as a test, exact. */
static inline uint64_t csv_low8(uint64_t x) {
  const uint64_t ones = 0x0101010101010101ULL;
  return (x - ones * (',' + 1)) & ~x & (ones * 0x80);
}

/* The one CSV quoting of the output (RFC 4180): the n bytes written at w
 * are left as they are when they hold no ',', '"', CR or LF; else they are
 * put in quotes with each '"' doubled, in place. Returns the end. The room
 * at w must be at least 2n + 2 bytes. 4 to 16 bytes (an id) of none below
 * ',' + 1 are told plain inline, by two overlapping words (of 8 bytes, or
 * of 4: cal_load_small). */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline char *csv_quote_in_place(char *w, size_t n) {
  if (n >= 8 && n <= 16) {
    if (!(csv_low8(cal_load8(w)) | csv_low8(cal_load8(w + (n - 8))))) return w + n;
  } else if (n >= 4 && n < 8) {
    if (!csv_low8(cal_load_small(w, n))) return w + n;
  }
  return csv_quote_slow(w, n);
}

static char *csv_quote_slow(char *w, size_t n) {
  size_t i = 0, q = 0;
  char *src, *dst;
  for (; i + 8 <= n; i += 8) { /* 8 bytes at a time: none of the four (the usual case) */
    uint64_t x;
    memcpy(&x, w + i, 8);
    if (csv_special8(x)) break;
  }
  for (; i < n; i++)
    if (w[i] == ',' || w[i] == '"' || w[i] == '\n' || w[i] == '\r') break;
  if (i == n) return w + n;
  for (i = 0; i < n; i++) q += w[i] == '"';
  /* from the back: the closing quote, the bytes (quotes doubled), the opening quote */
  dst = w + n + q + 1;
  *dst = '"';
  src = w + n;
  while (src > w) {
    *--dst = *--src;
    if (*src == '"') *--dst = '"';
  }
  *w = '"';
  return w + n + q + 2;
}

/* a text field: at most 2n + 2 bytes */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline char *w_csv_field(char *w, const char *s, size_t n) {
  cal_copy_small(w, s, n);
  return csv_quote_in_place(w, n);
}

size_t cal_csv_quote(char *w, const char *s, size_t n) {
  return (size_t)(w_csv_field(w, s, n) - w);
}

/* A JSON string: each byte that is not part of valid UTF-8 becomes U+FFFD,
 * so that NDJSON output stays JSON (the reader has already named the field
 * in the record's problems). At most 6n + 2 bytes. */
static char *w_json_string(char *w, const char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  size_t i;
  *w++ = '"';
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x80) {
      size_t len = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4; /* the sequence its lead byte announces */
      if (len <= n - i && cal_utf8_check((const unsigned char *)s + i, len) == len) {
        memcpy(w, s + i, len);
        w += len;
        i += len - 1;
      } else {
        /* NOLINTNEXTLINE(bugprone-not-null-terminated-result): output bytes, not a C string */
        memcpy(w, "\xEF\xBF\xBD", 3);
        w += 3;
      }
    }
    else if (c == '"' || c == '\\') { *w++ = '\\'; *w++ = (char)c; }
    else if (c == '\n') { *w++ = '\\'; *w++ = 'n'; }
    else if (c == '\r') { *w++ = '\\'; *w++ = 'r'; }
    else if (c == '\t') { *w++ = '\\'; *w++ = 't'; }
    else if (c < 0x20) {
      /* NOLINTNEXTLINE(bugprone-not-null-terminated-result): output bytes, not a C string */
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
  char tmp[2 * CAL_PROBLEMS_MAX];
  size_t i, k = 0;
  tmp[0] = '\0'; /* (nothing is read past k; this keeps cppcheck's uninitvar quiet) */
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

/* a finite number, at most NUM_MAX bytes (inline: a row writes several) */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline char *w_number(char *w, double v, int decimals) {
  size_t n;
  if (decimals > MAX_DECIMALS) decimals = MAX_DECIMALS;
  if (decimals < 0 && v >= 0 && v < 100 && !signbit(v) && v == (double)(int)v) {
    /* a small whole number (a score): its one or two digits, as %.0f writes them */
    int k = (int)v;
    if (k >= 10) *w++ = (char)('0' + k / 10);
    *w++ = (char)('0' + k % 10);
    return w;
  }
  if (decimals >= 0) {
    if ((n = cal_format_fixed_short(w, v, decimals)) != 0) return w + n; /* (the usual numbers, inline) */
    n = cal_format_fixed(w, NUM_MAX, v, decimals);
  } else if (fabs(v) < 1e15 && v == (double)(long long)v) n = cal_format_fixed(w, NUM_MAX, v, 0); /* an integer */
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

/* The most bytes a list of some of these names takes, each at most once
 * (JSON escapes, or CSV quoting, and the separators). */
static size_t names_bound(const char *const *names, size_t n, const char *extra) {
  size_t i, k = 4;
  for (i = 0; i < n; i++) k += 6 * strlen(names[i]) + 3;
  if (extra) k += 6 * strlen(extra) + 3;
  return k;
}

/* A list of names: a JSON list, or in CSV joined with ';' (the field
 * quoted when a name needs it). */
static char *w_names(char *w, const char *const *names, size_t n, int json) {
  size_t i;
  char *start;
  if (json) {
    *w++ = '[';
    for (i = 0; i < n; i++) {
      if (i > 0) *w++ = ',';
      w = w_json_string(w, names[i], strlen(names[i]));
    }
    *w++ = ']';
    return w;
  }
  start = w;
  for (i = 0; i < n; i++) {
    if (i > 0) *w++ = ';';
    w = w_bytes(w, names[i], strlen(names[i]));
  }
  return csv_quote_in_place(start, (size_t)(w - start));
}

static char *w_result(char *w, const cal_cohort *plan, const cal_column *c, const cal_result *res, int json) {
  const char *names[CAL_RESULT_MAX];
  size_t i, n = 0;
  if (!res) return json ? w_bytes(w, "null", 4) : w;
  switch (c->kind) {
  case CAL_COL_CONFIDENCE: {
    const char *lv = cal_result_level_name(res->level);
    return json ? w_json_string(w, lv, strlen(lv)) : w_bytes(w, lv, strlen(lv));
  }
  case CAL_COL_CONFIDENCE_VALUE: return w_number(w, res->confidence, c->decimals);
  case CAL_COL_ALTERNATIVES:
    for (i = 0; i < res->nlabels && n < CAL_RESULT_MAX; i++)
      names[n++] = type_name(plan, res->labels[i]);
    break;
  case CAL_COL_ALERTS:
    for (i = 0; i < res->nalert; i++) names[n++] = plan->alert_ids[res->alert[i]];
    break;
  case CAL_COL_MISSING:
    for (i = 0; i < res->nask; i++) names[n++] = plan->ask_ids[res->ask[i].decl];
    break;
  default: return w;
  }
  return w_names(w, names, n, json);
}

/* The CSV writers of the columns (output.h). Returns 0 when out of memory. */
static int ops_init(cal_out_layout *L, const cal_cohort *plan) {
  size_t i, ns = (size_t)plan->prog->nsubtypes;
  int type16 = !L->types_quote;
  L->ops = malloc((plan->ncolumns ? plan->ncolumns : 1) * sizeof *L->ops);
  if (!L->ops) return 0;
  for (i = 0; i <= ns; i++)
    if (L->typelen[i] > 16) type16 = 0;
  if (type16) {
    if (!(L->ttext = calloc(ns + 1, 16))) return 0;
    for (i = 0; i <= ns; i++) memcpy(L->ttext + 16 * i, i < ns ? plan->type_names[i] : plan->indeterminate, L->typelen[i]);
  }
  for (i = 0; i < plan->ncolumns; i++) {
    const cal_column *c = &plan->columns[i];
    int op = CAL_OUT_OP_COLUMN;
    if (c->kind == CAL_COL_ID) op = CAL_OUT_OP_ID;
    else if (c->kind == CAL_COL_TYPE && type16) op = CAL_OUT_OP_TYPE16;
    else if (c->kind == CAL_COL_SCORE && c->decimals < 0) op = CAL_OUT_OP_SCORE;
    else if (c->kind == CAL_COL_FIRED) op = CAL_OUT_OP_FIRED;
    else if (c->kind == CAL_COL_LET && c->index >= 0 && c->index < plan->prog->nlets && c->decimals >= 0 &&
             c->decimals <= 4)
      op = CAL_OUT_OP_LET_F0 + c->decimals;
    L->ops[i].op = op;
    L->ops[i].src = NULL;
  }
  return 1;
}

int cal_out_layout_init(cal_out_layout *L, const cal_cohort *plan) {
  size_t i, ns = (size_t)plan->prog->nsubtypes, ids = 2, tmax = 0, k;
  int json = plan->ndjson;
  size_t at = 0;
  L->idtext = NULL;
  L->ftext = NULL;
  L->ops = NULL;
  L->ttext = NULL;
  L->flen = L->fcap = 0;
  L->fmemo = malloc(CAL_OUT_FIRED_MEMO * sizeof *L->fmemo);
  if (L->fmemo) {
    /* (zeroed: a copy of CAL_OUT_FIRED_COPY bytes may read past the last text) */
    L->ftext = calloc(1, CAL_OUT_FIRED_TEXT + CAL_OUT_FIRED_COPY);
    if (!L->ftext) { free(L->fmemo); L->fmemo = NULL; }
    else {
      L->fcap = CAL_OUT_FIRED_TEXT;
      for (i = 0; i < CAL_OUT_FIRED_MEMO; i++) L->fmemo[i].mask = UINT64_MAX;
    }
  }
  L->mem = malloc((2 * plan->nrules + plan->ncolumns + ns + 2) * sizeof(size_t));
  if (!L->mem) return 0;
  L->idat = L->mem + plan->nrules + plan->ncolumns + ns + 2;
  for (i = 0; i < plan->nrules; i++) {
    L->idat[i] = at;
    at += strlen(plan->rule_ids[i]) / 16 + 1;
  }
  L->idtext = calloc(at ? at : 1, 16);
  if (!L->idtext) return 0;
  for (i = 0; i < plan->nrules; i++) memcpy(L->idtext + 16 * L->idat[i], plan->rule_ids[i], strlen(plan->rule_ids[i]));
  L->idlen = L->mem;
  L->namelen = L->idlen + plan->nrules;
  L->typelen = L->namelen + plan->ncolumns;
  L->nids = plan->nrules < plan->prog->nrules ? plan->nrules : plan->prog->nrules;
  L->ids_quote = 0;
  for (i = 0; i < plan->nrules; i++) {
    L->idlen[i] = strlen(plan->rule_ids[i]);
    if (strpbrk(plan->rule_ids[i], ",\"\r\n")) L->ids_quote = 1;
    ids += 6 * L->idlen[i] + 3;
  }
  L->types_quote = 0;
  for (i = 0; i <= ns; i++) {
    L->typelen[i] = strlen(i < ns ? plan->type_names[i] : plan->indeterminate);
    if (strpbrk(i < ns ? plan->type_names[i] : plan->indeterminate, ",\"\r\n")) L->types_quote = 1;
    if (6 * L->typelen[i] + 2 > tmax) tmax = 6 * L->typelen[i] + 2;
  }
  /* { } \n, and the bytes that a copy of the fired text may write past its end */
  L->fixed = 3 + CAL_OUT_FIRED_COPY;
  L->nid = L->npb = 0;
  L->need_result = 0;
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
    case CAL_COL_CONFIDENCE: k = 12; break;
    case CAL_COL_ALTERNATIVES: k = names_bound(plan->type_names, ns, plan->indeterminate); break;
    case CAL_COL_ALERTS: k = names_bound(plan->alert_ids, plan->result.nalert, NULL); break;
    case CAL_COL_MISSING: k = names_bound(plan->ask_ids, plan->result.nask, NULL); break;
    case CAL_COL_RULESET: k = 6 * strlen(plan->ruleset_name ? plan->ruleset_name : "") + 2; break;
    case CAL_COL_VERSION: k = 6 * strlen(plan->ruleset_version ? plan->ruleset_version : "") + 2; break;
    case CAL_COL_HASH: k = 6 * strlen(plan->hash ? plan->hash : "") + 2; break;
    case CAL_COL_INPUT: k = 4; break; /* "" or null, and 6 per byte of the row's text (in_bytes) */
    default: k = NUM_MAX; break;
    }
    if (CAL_COL_NEEDS_RESULT(c->kind)) L->need_result = 1;
    L->fixed += k;
  }
  return json || ops_init(L, plan);
}

static size_t type_len(const cal_cohort *plan, const cal_out_layout *L, int type) {
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

/* The fired column's text for a set of fired rules, remembered (CSV, one
 * word of fired bits): copied CAL_OUT_FIRED_COPY bytes at a time. */
static size_t fired_slot(uint64_t m) {
  return (size_t)((m * 0x9e3779b97f4a7c15ULL) >> 54) & (CAL_OUT_FIRED_MEMO - 1);
}

#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline char *w_fired_memo(char *w, const cal_out_layout *L, uint64_t m) {
  const struct cal_out_fired *e = &L->fmemo[fired_slot(m)];
  const char *t;
  size_t k;
  if (e->mask != m) return NULL;
  t = L->ftext + e->off;
  k = 0;
  do { /* (the usual text: one copy, of a constant size) */
    memcpy(w + k, t + k, CAL_OUT_FIRED_COPY);
    k += CAL_OUT_FIRED_COPY;
  } while (k < e->len);
  return w + e->len;
}

static void fired_remember(cal_out_layout *L, uint64_t m, const char *s, size_t n) {
  struct cal_out_fired *e = &L->fmemo[fired_slot(m)];
  size_t padded = (n / 32 + 1) * 32;
  if (L->flen + padded > L->fcap) return; /* full: the rest are written rule by rule */
  memcpy(L->ftext + L->flen, s, n);
  memset(L->ftext + L->flen + n, 0, padded - n);
  e->mask = m;
  e->off = (uint32_t)L->flen;
  e->len = (uint32_t)n;
  L->flen += padded;
}

static char *w_ids_slow(char *w, const cal_cohort *plan, cal_out_layout *L, const cal_vm_batch *b,
                        size_t row, int state, int json) {
  size_t i, base;
  int first = 1;
  char *start = w;
  int memo = !json && state == CAL_TRUE && L->fmemo && L->nids <= CAL_VM_FIRED_BITS;
  if (memo) {
    uint64_t m = b->fired[row];
    char *e;
    if (!m) return w;
    if ((e = w_fired_memo(w, L, m)) != NULL) return e;
  }
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
      else { /* 16 bytes at a time from the padded copy; the bytes past the id are overwritten or not written */
        const char *t = L->idtext + 16 * L->idat[i];
        size_t k;
        for (k = 0; k < L->idlen[i]; k += 16) memcpy(w + k, t + k, 16);
        w += L->idlen[i];
      }
    }
  }
  if (json) *w++ = ']';
  else if (L->ids_quote) w = csv_quote_in_place(start, (size_t)(w - start));
  if (memo) fired_remember(L, b->fired[row], start, (size_t)(w - start));
  return w;
}

/* The ids of the rules in that state (the fired ones: the remembered text
 * of its set, inline, when there is one). */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline char *w_ids(char *w, const cal_cohort *plan, cal_out_layout *L, const cal_vm_batch *b,
                          size_t row, int state, int json) {
  if (!json && state == CAL_TRUE && L->fmemo && L->nids <= CAL_VM_FIRED_BITS) {
    uint64_t m = b->fired[row];
    char *e;
    if (!m) return w;
    if ((e = w_fired_memo(w, L, m)) != NULL) return e;
  }
  return w_ids_slow(w, plan, L, b, row, state, json);
}

int cal_arena_add(cal_arena *a, const char *s, size_t n, size_t *off) {
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

/* Column i of a row (after its separator, and in NDJSON its name): the one
 * writer of every kind of column. Inline where each of json 0 (CSV) and 1
 * (NDJSON) is given, so that the tests of json fold away. */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline char *w_column(char *w, const cal_cohort *plan, cal_out_layout *L, size_t i, const cal_out_row *rw,
                             const char *abuf, const cal_vm_batch *b, size_t row, int json) {
  const cal_column *c = &plan->columns[i];
  const char *arena = abuf ? abuf : ""; /* NULL while it is empty: then every length is 0 */
  int type = b->type[row];
  double v = NAN;
  int numeric = 0;
  switch (c->kind) {
  case CAL_COL_ID: {
    const char *rid = rw->id_len ? arena + rw->id_off : "";
    w = json ? w_json_string(w, rid, rw->id_len) : w_csv_field(w, rid, rw->id_len);
    break;
  }
  case CAL_COL_TYPE: {
    const char *t = type_name(plan, type);
    size_t tl = type_len(plan, L, type);
    w = json ? w_json_string(w, t, tl) : L->types_quote ? w_csv_field(w, t, tl) : w_bytes(w, t, tl);
    break;
  }
  case CAL_COL_SCORE:
    v = type < 0 ? 0 : b->best[row];
    numeric = 1;
    break;
  case CAL_COL_FIRED: w = w_ids(w, plan, L, b, row, CAL_TRUE, json); break;
  case CAL_COL_NOT_EVALUABLE: w = w_ids(w, plan, L, b, row, CAL_UNKNOWN, json); break;
  case CAL_COL_PROBLEMS: {
    const char *ptext = abuf ? abuf + rw->pb_off : "";
    if (json) w = w_problems_json(w, ptext, rw->pb_count ? rw->pb_len : 0);
    else if (rw->pb_count) w = w_problems_csv(w, ptext, rw->pb_len);
    break;
  }
  case CAL_COL_VALUE: v = rw->val[i]; numeric = 1; break;
  case CAL_COL_LET:
    v = c->index < plan->prog->nlets ? b->lets[(size_t)c->index * b->cap + row] : NAN;
    numeric = 1;
    break;
  case CAL_COL_AGE: v = rw->val[i]; numeric = 1; break;
  case CAL_COL_DATE: {
    char d[11];
    cal_date_format(rw->val[i], d);
    if (json) w = d[0] ? w_json_string(w, d, 10) : w_bytes(w, "null", 4);
    else w = w_bytes(w, d, strlen(d));
    break;
  }
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
  case CAL_COL_CONFIDENCE: case CAL_COL_CONFIDENCE_VALUE: case CAL_COL_ALTERNATIVES:
  case CAL_COL_ALERTS: case CAL_COL_MISSING:
    w = w_result(w, plan, c, rw->res, json);
    break;
  case CAL_COL_RULESET: case CAL_COL_VERSION: case CAL_COL_HASH: {
    const char *t = c->kind == CAL_COL_RULESET ? plan->ruleset_name
                  : c->kind == CAL_COL_VERSION ? plan->ruleset_version : plan->hash;
    if (!t) t = "";
    w = json ? w_json_string(w, t, strlen(t)) : w_csv_field(w, t, strlen(t));
    break;
  }
  case CAL_COL_INPUT: {
    /* the input column's text as read: quoted in CSV when it needs it */
    size_t off = rw->in_pos ? rw->in_pos[2 * i] : 0, n = rw->in_pos ? rw->in_pos[2 * i + 1] : (size_t)-1;
    if (n == (size_t)-1) { if (json) w = w_bytes(w, "null", 4); }
    else {
      const char *t = n ? arena + off : "";
      w = json ? w_json_string(w, t, n) : w_csv_field(w, t, n);
    }
    break;
  }
  default: break;
  }
  if (numeric) {
    if (isnan(v) || isinf(v)) { if (json) w = w_bytes(w, "null", 4); }
    else w = w_number(w, v, c->kind == CAL_COL_LINE ? 0 : c->decimals);
  }
  return w;
}

/* The most bytes of a row. */
static size_t row_bound(const cal_out_layout *L, const cal_out_row *rw) {
  return L->fixed + 6 * rw->id_len * L->nid + 9 * rw->pb_len * L->npb + 6 * rw->in_bytes;
}

/* An NDJSON row. */
static void write_row_json(cal_out *o, const cal_cohort *plan, cal_out_layout *L, const cal_out_row *rw,
                           const char *abuf, const cal_vm_batch *b, size_t row) {
  size_t i;
  char *w = out_room(o, row_bound(L, rw));
  if (!w) return;
  *w++ = '{';
  for (i = 0; i < plan->ncolumns; i++) {
    if (i > 0) *w++ = ',';
    w = w_json_string(w, plan->columns[i].name, L->namelen[i]);
    *w++ = ':';
    w = w_column(w, plan, L, i, rw, abuf, b, row, 1);
  }
  *w++ = '}';
  *w++ = '\n';
  o->len = (size_t)(w - o->buf);
}

/* A CSV column that has no writer of its own (apart: the rare kinds). */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static char *w_column_csv(char *w, const cal_cohort *plan, cal_out_layout *L, size_t i, const cal_out_row *rw,
                          const char *abuf, const cal_vm_batch *b, size_t row) {
  return w_column(w, plan, L, i, rw, abuf, b, row, 0);
}

/* A number of a CSV writer that cal_format_fixed_short does not write (an
 * unknown value: nothing; a tie, a large one: w_number). */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static char *w_number_csv_slow(char *w, double v, int decimals) {
  if (isnan(v) || isinf(v)) return w;
  return w_number(w, v, decimals);
}

/* v is one of 0 (not -0), 1, ..., 99: one test of its bits (those of the
 * doubles from +0 up to 100 are the integers below 100's; -0, the negatives
 * and the NaNs of either sign are above), then one of its integer part. */
static inline int short_whole(double v) {
  uint64_t u;
  memcpy(&u, &v, sizeof u);
  return u < 0x4059000000000000ULL /* 100.0 */ && v == (double)(int)v;
}

#if defined(__GNUC__)
#define CAL_OUT_UNREACHABLE __builtin_unreachable()
#else
#define CAL_OUT_UNREACHABLE break
#endif

/* A CSV column written with `decimals` a constant (0 to 4). */
#define W_FIXED(w, v, d)                                  \
  do {                                                    \
    size_t n_ = cal_format_fixed_short((w), (v), (d));    \
    (w) = n_ ? (w) + n_ : w_number_csv_slow((w), (v), (d)); \
  } while (0)

/* The CSV rows of a batch, column by column by the plan's writers
 * (cal_out_layout_init): each a case of one switch, with what it reads
 * worked out once per batch. */
static void write_rows_csv(cal_out *o, const cal_cohort *plan, cal_out_layout *L, const cal_out_row *rows,
                           const char *abuf, size_t alen, const cal_vm_batch *b, size_t n) {
  size_t r, k, nc = plan->ncolumns;
  size_t ns = (size_t)plan->prog->nsubtypes, K;
  const struct cal_out_op *const ops = L->ops, *const end = ops + nc; /* (locals: not read again after each byte written) */
  const char *const ttext = L->ttext;
  const size_t *const typelen = L->typelen;
  int per_row;
  char *w;
  for (k = 0; k < nc; k++) {
    struct cal_out_op *op = &L->ops[k];
    if (op->op >= CAL_OUT_OP_LET_F0 && op->op <= CAL_OUT_OP_LET_F4)
      op->src = b->lets + (size_t)plan->columns[k].index * b->cap;
  }
  /* room: for the whole batch at once when it fits the buffer (each row's
   * texts are in abuf, which has alen bytes) */
  K = 6 * L->nid > 9 * L->npb ? 6 * L->nid : 9 * L->npb;
  if (K < 6) K = 6;
  per_row = n > o->cap / L->fixed || alen > (o->cap - n * L->fixed) / K;
  if (per_row) w = o->buf + o->len;
  else if (!(w = out_room(o, n * L->fixed + K * alen))) return;
  for (r = 0; r < n; r++) {
    const cal_out_row *rw = &rows[r];
    const struct cal_out_op *op;
    int type = b->type[r];
    if (per_row) {
      o->len = (size_t)(w - o->buf);
      if (!(w = out_room(o, row_bound(L, rw)))) return;
    }
    for (op = ops; op < end; op++) {
      double v;
      switch (op->op) {
      case CAL_OUT_OP_ID:
        w = w_csv_field(w, rw->id_len ? abuf + rw->id_off : "", rw->id_len);
        break;
      case CAL_OUT_OP_TYPE16: { /* a name of at most 16 bytes, that needs no quotes */
        size_t t = (unsigned)type < ns ? (size_t)type : ns;
        memcpy(w, ttext + 16 * t, 16);
        w += typelen[t];
        break;
      }
      case CAL_OUT_OP_SCORE:
        v = type < 0 ? 0 : b->best[r];
        /* a whole 0 to 99: its one or two digits, as w_number writes them (cal_format_fixed_short) */
        if (short_whole(v)) w += cal_format_fixed_short(w, v, 0);
        else w = w_number_csv_slow(w, v, -1);
        break;
      case CAL_OUT_OP_FIRED: w = w_ids(w, plan, L, b, r, CAL_TRUE, 0); break;
      case CAL_OUT_OP_LET_F0: v = op->src[r]; W_FIXED(w, v, 0); break;
      case CAL_OUT_OP_LET_F1: v = op->src[r]; W_FIXED(w, v, 1); break;
      case CAL_OUT_OP_LET_F2: v = op->src[r]; W_FIXED(w, v, 2); break;
      case CAL_OUT_OP_LET_F3: v = op->src[r]; W_FIXED(w, v, 3); break;
      case CAL_OUT_OP_LET_F4: v = op->src[r]; W_FIXED(w, v, 4); break;
      case CAL_OUT_OP_COLUMN: w = w_column_csv(w, plan, L, (size_t)(op - ops), rw, abuf, b, r); break;
      default: CAL_OUT_UNREACHABLE; /* (no other ops: no range test before the jump) */
      }
      *w++ = ',';
    }
    if (nc) w[-1] = '\n'; /* (the last separator) */
    else *w++ = '\n';
  }
  o->len = (size_t)(w - o->buf);
}

void cal_out_write_rows(cal_out *o, const cal_cohort *plan, cal_out_layout *L, const cal_out_row *rows,
                        const char *abuf, size_t alen, const cal_vm_batch *b, size_t n) {
  size_t r;
  if (!plan->ndjson) write_rows_csv(o, plan, L, rows, abuf, alen, b, n);
  else for (r = 0; r < n; r++) write_row_json(o, plan, L, &rows[r], abuf, b, r);
}

void cal_out_write_header(cal_out *o, const cal_cohort *plan, const cal_out_layout *L) {
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

void cal_out_layout_free(cal_out_layout *L) {
  free(L->mem);
  L->mem = NULL;
  free(L->idtext);
  L->idtext = NULL;
  free(L->fmemo);
  L->fmemo = NULL;
  free(L->ftext);
  L->ftext = NULL;
  free(L->ops);
  L->ops = NULL;
  free(L->ttext);
  L->ttext = NULL;
}
