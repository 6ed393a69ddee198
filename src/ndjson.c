/*
 * ndjson.c - see ndjson.h. A line reader and a small recursive-descent JSON
 * parser that fills the fields of one record; no tree is built.
 */
#include "ndjson.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analytes.h"
#include "record.h"

#define BLOCK ((size_t)256 * 1024)
#define KEY_MEMO 64     /* lab keys remembered (a cohort repeats a few) */
#define KEY_TEXT 32
#define KEY_PROBES 4
#define NAMED CAL_REC_NAMED
#define MSG_MAX 512

enum { F_ID = CAL_REC_ID, F_AGE, F_SEX, F_SPECIES, F_HEIGHT, F_FINDINGS, F_SITES };

struct cal_ndjson {
  cal_csv_read_fn read;
  void *ctx;
  FILE *file;
  char *buf;               /* unread input is buf[start, end) */
  size_t cap, start, end;
  int eof, err, started, bom_checked;
  long long line, next_line;
  size_t nf;               /* NAMED + analytes */
  cal_field *fields;
  cal_field *lab_key;      /* per lab field: the key that set it (for "given twice"; ptr NULL: none) */
  char *scratch;           /* unescaped strings and joined values of the record */
  size_t scap, slen;
  struct block *extra;     /* more scratch (cal_ndjson_take past scap), freed with the record */
  char *t_at;              /* the terms joined so far (cal_ndjson_terms_add): t_len bytes, room for t_cap */
  size_t t_len, t_cap;
  int t_main, t_bad;       /* t_at in the scratch (not an extra block); a term was not a string */
  char msg[MSG_MAX];
  size_t mlen;
  const char *cur_b, *cur_e; /* the current record's line (for cal_ndjson_column) */
  struct {
    int analyte;           /* index, -1 unknown key, -2 empty slot */
    unsigned char len;
    char text[KEY_TEXT];
  } keys[KEY_MEMO];
};

struct block {
  struct block *next;
  size_t cap, len; /* the bytes follow */
};

static long read_file(void *ctx, char *buf, size_t n) {
  cal_ndjson *j = (cal_ndjson *)ctx;
  size_t got = fread(buf, 1, n, j->file);
  if (got == 0 && ferror(j->file)) return -1;
  return (long)got;
}

cal_ndjson *cal_ndjson_open_read(cal_csv_read_fn fn, void *ctx) {
  cal_ndjson *j;
  size_t i, na = cal_analyte_count();
  if (!fn) return NULL;
  j = (cal_ndjson *)calloc(1, sizeof *j);
  if (!j) return NULL;
  j->read = fn;
  j->ctx = ctx;
  j->next_line = 1;
  j->nf = cal_record_nfields();
  j->fields = (cal_field *)calloc(j->nf, sizeof *j->fields);
  j->lab_key = (cal_field *)calloc(na ? na : 1, sizeof *j->lab_key);
  if (!j->fields || !j->lab_key) {
    cal_ndjson_close(j);
    return NULL;
  }
  for (i = 0; i < j->nf; i++) j->fields[i].ptr = "";
  for (i = 0; i < KEY_MEMO; i++) j->keys[i].analyte = -2;
  return j;
}

cal_ndjson *cal_ndjson_open_file(FILE *f) {
  cal_ndjson *j;
  if (!f) return NULL;
  j = cal_ndjson_open_read(read_file, NULL);
  if (j) {
    j->ctx = j;
    j->file = f;
  }
  return j;
}

static int lab_index(cal_ndjson *j, const char *k, size_t n);

static void free_extra(cal_ndjson *j) {
  while (j->extra) {
    struct block *n = j->extra->next;
    free(j->extra);
    j->extra = n;
  }
}

void cal_ndjson_close(cal_ndjson *j) {
  if (!j) return;
  free_extra(j);
  free(j->buf);
  free(j->fields);
  free(j->lab_key);
  free(j->scratch);
  free(j);
}

long long cal_ndjson_line(const cal_ndjson *j) { return j->line; }

const char *cal_ndjson_problem(const cal_ndjson *j) { return j->mlen ? j->msg : NULL; }

static void problem(cal_ndjson *j, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  cal_problem_append(j->msg, MSG_MAX, &j->mlen, fmt, ap);
  va_end(ap);
}

/* Reads more input; keeps buf[start, end), moved to the front. 0, or -1. */
static int fill(cal_ndjson *j) {
  long got;
  if (j->start > 0 && j->buf) {
    memmove(j->buf, j->buf + j->start, j->end - j->start);
    j->end -= j->start;
    j->start = 0;
  }
  if (!j->buf || j->cap - j->end < BLOCK) { /* (no buffer yet: cap is 0) */
    size_t nc = j->cap ? j->cap * 2 : 2 * BLOCK;
    char *nb;
    while (nc - j->end < BLOCK) nc *= 2;
    nb = (char *)realloc(j->buf, nc);
    if (!nb) return -1;
    j->buf = nb;
    j->cap = nc;
  }
  got = j->read(j->ctx, j->buf + j->end, BLOCK);
  if (got < 0) return -1;
  if (got == 0) j->eof = 1;
  j->end += (size_t)got;
  return 0;
}

/* ---- filling the fields of a record (the JSON parser and the Lua reader) ---- */

static void clear_fields(cal_ndjson *j) {
  size_t i;
  for (i = 0; i < j->nf; i++) {
    j->fields[i].ptr = "";
    j->fields[i].len = 0;
  }
  memset(j->lab_key, 0, cal_analyte_count() * sizeof *j->lab_key);
  free_extra(j);
  j->t_at = NULL;
}

/* n bytes in an extra block (the last one, or a new one). */
static char *extra_bytes(cal_ndjson *j, size_t n) {
  struct block *b = j->extra;
  char *p;
  if (!b || b->cap - b->len < n) {
    size_t cap = n > 4096 ? n : 4096;
    b = (struct block *)malloc(sizeof *b + cap);
    if (!b) return NULL;
    b->cap = cap;
    b->len = 0;
    b->next = j->extra;
    j->extra = b;
  }
  p = (char *)(b + 1) + b->len;
  b->len += n;
  return p;
}

char *cal_ndjson_take(cal_ndjson *j, size_t n) {
  if (j->scratch && j->scap - j->slen >= n) {
    char *p = j->scratch + j->slen;
    j->slen += n;
    return p;
  }
  return extra_bytes(j, n);
}

int cal_ndjson_begin(cal_ndjson *j) {
  if (j->scap < 4096) {
    char *ns = (char *)realloc(j->scratch, 4096);
    if (!ns) return -1;
    j->scratch = ns;
    j->scap = 4096;
  }
  clear_fields(j);
  j->slen = 0;
  j->mlen = 0;
  j->msg[0] = '\0';
  j->line = 0;
  j->cur_b = j->cur_e = NULL;
  return 0;
}

const cal_field *cal_ndjson_fields(const cal_ndjson *j, size_t *n) {
  *n = j->nf;
  return j->fields;
}

static int name_is(const char *k, size_t n, const char *name) {
  size_t m = strlen(name);
  return n == m && memcmp(k, name, m) == 0;
}

static int name_ends(const char *k, size_t n, const char *suf) {
  size_t m = strlen(suf);
  return n >= m && memcmp(k + n - m, suf, m) == 0;
}

int cal_ndjson_key(const char *k, size_t n) {
  int i, nf = (int)cal_record_nfields();
  if (name_is(k, n, "labs")) return CAL_NDJSON_KEY_LABS;
  if (name_is(k, n, "problems")) return CAL_NDJSON_KEY_PROBLEMS;
  for (i = 0; i < NAMED; i++)
    if (name_is(k, n, cal_record_field_name((size_t)i))) return i;
  if (n > 5 && memchr(k, '_', n) &&
      (name_ends(k, n, "_date") || name_ends(k, n, "_range") || name_ends(k, n, "_flag")))
    for (i = (int)cal_record_birth_field(); i < nf; i++)
      if (name_is(k, n, cal_record_field_name((size_t)i))) return i; /* birth_date, calcium_date, ... */
  return -1;
}

static const char *const EXPECT[NAMED] = {
  "a string or a number", "a number or a text like '8 mo'", "a text (F or M)", "a text (human, dog or cat)",
  "a number", "", ""
};

static int scalar_kind(int kind) {
  return kind == CAL_NDJSON_STRING || kind == CAL_NDJSON_NUMBER || kind == CAL_NDJSON_NULL;
}

void cal_ndjson_value(cal_ndjson *j, int field, int kind, const cal_field *v) {
  cal_field *f = &j->fields[field];
  if (kind == CAL_NDJSON_NULL) {
    f->ptr = "";
    f->len = 0;
  } else if (scalar_kind(kind)) {
    *f = *v;
  } else {
    problem(j, "%s: expected %s", cal_record_field_name((size_t)field),
            field < NAMED ? EXPECT[field] : "a date text (YYYY-MM-DD)");
    f->ptr = "";
    f->len = 0;
  }
}

void cal_ndjson_terms_other(cal_ndjson *j, int field, int kind, const cal_field *v, int empty) {
  if (scalar_kind(kind)) {
    cal_ndjson_value(j, field, kind, v);
    return;
  }
  /* {} is an empty list as some JSON encoders write it (lua-cjson) */
  if (!(kind == CAL_NDJSON_OBJECT && empty))
    problem(j, "%s: expected a list of terms", cal_record_field_name((size_t)field));
  j->fields[field].ptr = "";
  j->fields[field].len = 0;
}

void cal_ndjson_terms_begin(cal_ndjson *j) {
  j->t_at = NULL;
  j->t_len = 0;
  j->t_bad = 0;
}

int cal_ndjson_terms_add(cal_ndjson *j, int kind, const cal_field *t) {
  size_t need;
  if (kind != CAL_NDJSON_STRING) {
    j->t_bad = 1;
    return 0;
  }
  if (t->len == 0) return 0;
  need = j->t_at ? j->t_len + 1 + t->len : t->len;
  if (!j->t_at && j->scratch && j->scap - j->slen >= need) {
    /* after what the scratch holds (t may sit at its end itself) */
    j->t_at = j->scratch + j->slen;
    j->t_cap = j->scap - j->slen;
    j->t_main = 1;
  } else if (!j->t_at || need > j->t_cap) {
    /* a block of its own, twice the room needed, what was joined copied in */
    size_t cap = 2 * need + 64;
    char *nb = extra_bytes(j, cap);
    if (!nb) return -1;
    if (j->t_at) memcpy(nb, j->t_at, j->t_len);
    j->t_at = nb;
    j->t_cap = cap;
    j->t_main = 0;
  }
  /* the term after what was joined so far (t may sit right after it: moved first) */
  if (j->t_len) {
    memmove(j->t_at + j->t_len + 1, t->ptr, t->len);
    j->t_at[j->t_len] = ';';
    j->t_len += 1 + t->len;
  } else {
    memmove(j->t_at, t->ptr, t->len);
    j->t_len = t->len;
  }
  if (j->t_main) j->slen = (size_t)(j->t_at + j->t_len - j->scratch);
  return 0;
}

void cal_ndjson_terms_end(cal_ndjson *j, int field) {
  if (j->t_bad) problem(j, "%s: expected a list of terms (strings)", cal_record_field_name((size_t)field));
  j->fields[field].ptr = j->t_at ? j->t_at : "";
  j->fields[field].len = j->t_at ? j->t_len : 0;
  j->t_at = NULL;
}

void cal_ndjson_labs_other(cal_ndjson *j, int kind, int empty) {
  /* [] is an empty table as some JSON encoders write it */
  if (kind != CAL_NDJSON_NULL && !(kind == CAL_NDJSON_ARRAY && empty)) problem(j, "labs: expected an object");
}

/* The analyte index of a lab key (-1: unknown), remembered for short keys. */
int cal_ndjson_analyte(cal_ndjson *j, const char *k, size_t n) { return lab_index(j, k, n); }

static int lab_index(cal_ndjson *j, const char *k, size_t n) {
  size_t h = 0, i, probe;
  const cal_analyte *a;
  int ai = -1;
  if (n < KEY_TEXT) {
    for (i = 0; i < n; i++) h = h * 31u + (unsigned char)k[i];
    for (probe = 0; probe < KEY_PROBES; probe++) {
      size_t slot = (h + probe) & (KEY_MEMO - 1);
      if (j->keys[slot].analyte != -2 && j->keys[slot].len == n && memcmp(j->keys[slot].text, k, n) == 0)
        return j->keys[slot].analyte;
    }
  }
  a = cal_analyte_find(k, n);
  if (a)
    for (i = 0; i < cal_analyte_count(); i++)
      if (cal_analyte_at(i) == a) ai = (int)i;
  if (n < KEY_TEXT)
    for (probe = 0; probe < KEY_PROBES; probe++) {
      size_t slot = (h + probe) & (KEY_MEMO - 1);
      if (j->keys[slot].analyte == -2 || probe == KEY_PROBES - 1) {
        j->keys[slot].analyte = ai;
        j->keys[slot].len = (unsigned char)n;
        memcpy(j->keys[slot].text, k, n);
        break;
      }
    }
  return ai;
}

int cal_ndjson_lab(cal_ndjson *j, const cal_field *key, const cal_field *v, const cal_field *u,
                   const cal_field *date, int ok) {
  int idx = lab_index(j, key->ptr, key->len);
  cal_field val;
  size_t ai, fi;
  const cal_analyte *a;
  if (idx < 0) {
    problem(j, "labs: unknown analyte '%.*s'", (int)(key->len > 40 ? 40 : key->len), key->ptr);
    return 0;
  }
  ai = (size_t)idx;
  fi = NAMED + ai;
  a = cal_analyte_at(ai);
  if (!ok || !v) {
    problem(j, "labs: %s: expected a number, a text like '10.2 mg/dL', or a value with a unit", a->name);
    return 0;
  }
  if (j->lab_key[ai].ptr && !(j->lab_key[ai].len == key->len && memcmp(j->lab_key[ai].ptr, key->ptr, key->len) == 0)) {
    problem(j, "labs: %s given twice (as '%.*s' and '%.*s'); kept the first", a->name,
            (int)(j->lab_key[ai].len > 40 ? 40 : j->lab_key[ai].len), j->lab_key[ai].ptr,
            (int)(key->len > 40 ? 40 : key->len), key->ptr);
    return 0;
  }
  if (u && u->len > 0 && v->len > 0) {
    /* "value unit" (v and u may sit in the scratch, before what is taken) */
    char *at = cal_ndjson_take(j, v->len + 1 + u->len);
    if (!at) return -1;
    memmove(at, v->ptr, v->len);
    at[v->len] = ' ';
    memmove(at + v->len + 1, u->ptr, u->len);
    val.ptr = at;
    val.len = v->len + 1 + u->len;
  } else {
    val = *v;
  }
  if (val.len > 0) { /* the same key again: the last one, as JSON parsers do */
    j->fields[fi] = val;
    j->lab_key[ai] = *key;
    if (date && date->len > 0) j->fields[cal_record_date_field(ai)] = *date;
  }
  return 0;
}

void cal_ndjson_problems_other(cal_ndjson *j, int kind, int empty) {
  /* null, or {} as some encoders write an empty list: nothing */
  if (kind != CAL_NDJSON_NULL && !(kind == CAL_NDJSON_OBJECT && empty)) problem(j, "problems: expected a list of strings");
}

void cal_ndjson_given_problem(cal_ndjson *j, int kind, const cal_field *t) {
  if (kind != CAL_NDJSON_STRING) problem(j, "problems: expected a list of strings");
  else if (t->len > 0) problem(j, "%.*s", (int)(t->len > 400 ? 400 : t->len), t->ptr);
}

void cal_ndjson_invalid_utf8(cal_ndjson *j) { problem(j, "invalid UTF-8"); }

/* ---- the JSON parser ---- */

typedef struct {
  cal_ndjson *j;
  const char *b, *p, *e; /* line start, position, end */
  const char *err;       /* what went wrong (NULL: nothing) */
  const char *at;        /* where */
} parser;

static int fail(parser *s, const char *what) {
  if (!s->err) {
    s->err = what;
    s->at = s->p;
  }
  return 0;
}

static void ws(parser *s) {
  while (s->p < s->e && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r')) s->p++;
}

static int eat(parser *s, char c, const char *what) {
  ws(s);
  if (s->p < s->e && *s->p == c) {
    s->p++;
    return 1;
  }
  return fail(s, what);
}

static int hex4(const char *p, unsigned *out) {
  unsigned v = 0;
  int i;
  for (i = 0; i < 4; i++) {
    char c = p[i];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
    else return 0;
  }
  *out = v;
  return 1;
}

/* A string at s->p (the opening quote): its text, unescaped into the
 * scratch when it has escapes. */
static int parse_string(parser *s, cal_field *out) {
  const char *q, *start;
  char *w;
  if (s->p >= s->e || *s->p != '"') return fail(s, "expected a string");
  start = ++s->p;
  q = start;
  while (s->e - q >= 8) { /* 8 bytes at a time to the first quote, backslash or control byte */
    uint64_t x, ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    memcpy(&x, q, 8);
    if ((((x ^ (ones * '"')) - ones) & ~(x ^ (ones * '"')) & highs) |
        (((x ^ (ones * '\\')) - ones) & ~(x ^ (ones * '\\')) & highs) | ((x - ones * 0x20) & ~x & highs))
      break;
    q += 8;
  }
  for (; q < s->e && *q != '"' && *q != '\\'; q++)
    if ((unsigned char)*q < 0x20) {
      s->p = q;
      return fail(s, "control character in a string");
    }
  if (q < s->e && *q == '"') {
    out->ptr = start;
    out->len = (size_t)(q - start);
    s->p = q + 1;
    return 1;
  }
  /* escapes: copy what came before, then decode */
  w = s->j->scratch + s->j->slen;
  out->ptr = w;
  memcpy(w, start, (size_t)(q - start));
  w += q - start;
  while (q < s->e && *q != '"') {
    unsigned char c = (unsigned char)*q;
    if (c < 0x20) {
      s->p = q;
      return fail(s, "control character in a string");
    }
    if (c != '\\') {
      *w++ = (char)c;
      q++;
      continue;
    }
    if (q + 1 >= s->e) break;
    switch (q[1]) {
      case '"': *w++ = '"'; q += 2; break;
      case '\\': *w++ = '\\'; q += 2; break;
      case '/': *w++ = '/'; q += 2; break;
      case 'b': *w++ = '\b'; q += 2; break;
      case 'f': *w++ = '\f'; q += 2; break;
      case 'n': *w++ = '\n'; q += 2; break;
      case 'r': *w++ = '\r'; q += 2; break;
      case 't': *w++ = '\t'; q += 2; break;
      case 'u': {
        unsigned u, lo;
        if (s->e - q < 6 || !hex4(q + 2, &u)) {
          s->p = q;
          return fail(s, "bad \\u escape");
        }
        q += 6;
        if (u >= 0xD800 && u <= 0xDBFF) { /* a surrogate pair */
          if (s->e - q < 6 || q[0] != '\\' || q[1] != 'u' || !hex4(q + 2, &lo) || lo < 0xDC00 || lo > 0xDFFF) {
            s->p = q;
            return fail(s, "unpaired surrogate in a \\u escape");
          }
          q += 6;
          u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
        } else if (u >= 0xDC00 && u <= 0xDFFF) {
          s->p = q;
          return fail(s, "unpaired surrogate in a \\u escape");
        }
        if (u < 0x80) *w++ = (char)u;
        else if (u < 0x800) {
          *w++ = (char)(0xC0 | (u >> 6));
          *w++ = (char)(0x80 | (u & 0x3F));
        } else if (u < 0x10000) {
          *w++ = (char)(0xE0 | (u >> 12));
          *w++ = (char)(0x80 | ((u >> 6) & 0x3F));
          *w++ = (char)(0x80 | (u & 0x3F));
        } else {
          *w++ = (char)(0xF0 | (u >> 18));
          *w++ = (char)(0x80 | ((u >> 12) & 0x3F));
          *w++ = (char)(0x80 | ((u >> 6) & 0x3F));
          *w++ = (char)(0x80 | (u & 0x3F));
        }
        break;
      }
      default:
        s->p = q;
        return fail(s, "bad escape in a string");
    }
  }
  if (q >= s->e) {
    s->p = q;
    return fail(s, "unterminated string");
  }
  out->len = (size_t)(w - out->ptr);
  s->j->slen = (size_t)(w - s->j->scratch);
  s->p = q + 1;
  return 1;
}

static int digits(parser *s) {
  const char *q = s->p;
  while (s->p < s->e && *s->p >= '0' && *s->p <= '9') s->p++;
  return s->p > q;
}

/* A number as written (JSON grammar). */
static int parse_number(parser *s, cal_field *out) {
  const char *start = s->p;
  if (s->p < s->e && *s->p == '-') s->p++;
  if (s->p < s->e && *s->p == '0') s->p++;
  else if (!digits(s)) return fail(s, "bad number");
  if (s->p < s->e && *s->p == '.') {
    s->p++;
    if (!digits(s)) return fail(s, "bad number");
  }
  if (s->p < s->e && (*s->p == 'e' || *s->p == 'E')) {
    s->p++;
    if (s->p < s->e && (*s->p == '+' || *s->p == '-')) s->p++;
    if (!digits(s)) return fail(s, "bad number");
  }
  out->ptr = start;
  out->len = (size_t)(s->p - start);
  return 1;
}

static int literal(parser *s, const char *word) {
  size_t n = strlen(word);
  if ((size_t)(s->e - s->p) >= n && memcmp(s->p, word, n) == 0) {
    s->p += n;
    return 1;
  }
  return fail(s, "unexpected character");
}

enum {
  V_STRING = CAL_NDJSON_STRING, V_NUMBER = CAL_NDJSON_NUMBER, V_NULL = CAL_NDJSON_NULL, V_BOOL = CAL_NDJSON_BOOL,
  V_OBJECT = CAL_NDJSON_OBJECT, V_ARRAY = CAL_NDJSON_ARRAY
};

/* The kind of the value at s->p (after white space), or -1. */
static int peek(parser *s) {
  ws(s);
  if (s->p >= s->e) return -1;
  switch (*s->p) {
    case '"': return V_STRING;
    case '{': return V_OBJECT;
    case '[': return V_ARRAY;
    case 'n': return V_NULL;
    case 't': case 'f': return V_BOOL;
    default: return (*s->p == '-' || (*s->p >= '0' && *s->p <= '9')) ? V_NUMBER : -1;
  }
}

/* A string, number or null into *out (null: empty); 0 with s->err set on a
 * syntax error; -1 when the value is of another kind (skipped). */
static int scalar(parser *s, cal_field *out, int depth);

static int skip_value(parser *s, int depth) {
  cal_field tmp;
  int k = peek(s);
  if (depth > CAL_NDJSON_MAX_DEPTH) return fail(s, "nested too deeply");
  if (k == V_OBJECT || k == V_ARRAY) {
    char close = k == V_OBJECT ? '}' : ']';
    s->p++;
    ws(s);
    if (s->p < s->e && *s->p == close) {
      s->p++;
      return 1;
    }
    for (;;) {
      if (k == V_OBJECT) {
        ws(s);
        if (!parse_string(s, &tmp) || !eat(s, ':', "expected ':'")) return 0;
      }
      if (!skip_value(s, depth + 1)) return 0;
      ws(s);
      if (s->p < s->e && *s->p == ',') { s->p++; continue; }
      return eat(s, close, k == V_OBJECT ? "expected ',' or '}'" : "expected ',' or ']'");
    }
  }
  return scalar(s, &tmp, depth) != 0;
}

static int scalar(parser *s, cal_field *out, int depth) {
  size_t mark = s->j->slen;
  switch (peek(s)) {
    case V_STRING: return parse_string(s, out);
    case V_NUMBER: return parse_number(s, out);
    case V_NULL:
      out->ptr = "";
      out->len = 0;
      return literal(s, "null");
    case V_BOOL:
      if (!literal(s, *s->p == 't' ? "true" : "false")) return 0;
      return -1;
    case V_OBJECT:
    case V_ARRAY:
      if (!skip_value(s, depth + 1)) return 0;
      s->j->slen = mark; /* what the skipped value unescaped is not needed */
      return -1;
    default:
      return fail(s, s->p >= s->e ? "unexpected end of line" : "unexpected character");
  }
}

static int key_is(const cal_field *k, const char *name) { return name_is(k->ptr, k->len, name); }

/* Whether the object or array just read, [at, end), held nothing but spaces. */
static int was_empty(const char *at, const char *end) {
  const char *q = at + 1;
  while (q < end && (*q == ' ' || *q == '\t')) q++;
  return q == end - 1;
}

/* A list of terms (array of strings, or one string) into field `which`,
 * joined with ';' (cal_ndjson_terms_add). */
static int parse_terms(parser *s, int which, int depth) {
  int k = peek(s);
  if (k != V_ARRAY) {
    const char *at = s->p;
    cal_field v;
    int r = scalar(s, &v, depth);
    if (r == 0) return 0;
    cal_ndjson_terms_other(s->j, which, k, &v, k == V_OBJECT && was_empty(at, s->p));
    return 1;
  }
  cal_ndjson_terms_begin(s->j);
  s->p++;
  ws(s);
  if (s->p < s->e && *s->p == ']') {
    s->p++;
  } else {
    for (;;) {
      cal_field t;
      int kind = peek(s), r = scalar(s, &t, depth + 1);
      if (r == 0) return 0;
      if (cal_ndjson_terms_add(s->j, r < 0 ? V_OBJECT : kind, &t) < 0) return fail(s, "out of memory");
      ws(s);
      if (s->p < s->e && *s->p == ',') { s->p++; continue; }
      if (!eat(s, ']', "expected ',' or ']'")) return 0;
      break;
    }
  }
  cal_ndjson_terms_end(s->j, which);
  return 1;
}

/* A lab value: a number, a text, or a value with a unit ({"value", "unit"}
 * or [value, unit]; an object's "date"), given to cal_ndjson_lab under key.
 * 1, or 0 on a syntax error. */
static int parse_lab(parser *s, const cal_field *key, int depth) {
  int k = peek(s);
  if (k == V_OBJECT || k == V_ARRAY) {
    cal_field v = {"", 0}, u = {"", 0}, date = {"", 0};
    int have_v = 0, have_u = 0, have_d = 0, idx = 0, ok = 1;
    char close = k == V_OBJECT ? '}' : ']';
    s->p++;
    ws(s);
    if (s->p < s->e && *s->p == close) {
      s->p++;
    } else {
      for (;;) {
        cal_field name = {"", 0}, val;
        int r, which;
        if (k == V_OBJECT) {
          ws(s);
          if (!parse_string(s, &name) || !eat(s, ':', "expected ':'")) return 0;
          which = key_is(&name, "value") ? 0 : key_is(&name, "unit") ? 1 : key_is(&name, "date") ? 2 : -1;
        } else {
          which = idx < 2 ? idx : -1;
        }
        idx++;
        if (which < 0) {
          if (!skip_value(s, depth + 1)) return 0;
        } else {
          r = scalar(s, &val, depth + 1);
          if (r == 0) return 0;
          if (r < 0) ok = 0;
          else if (which == 0) { v = val; have_v = 1; }
          else if (which == 1) { u = val; have_u = 1; }
          else { date = val; have_d = 1; }
        }
        ws(s);
        if (s->p < s->e && *s->p == ',') { s->p++; continue; }
        if (!eat(s, close, k == V_OBJECT ? "expected ',' or '}'" : "expected ',' or ']'")) return 0;
        break;
      }
    }
    if (cal_ndjson_lab(s->j, key, have_v ? &v : NULL, have_u ? &u : NULL, have_d ? &date : NULL, ok) < 0)
      return fail(s, "out of memory");
    return 1;
  }
  {
    cal_field v = {"", 0};
    int r = scalar(s, &v, depth);
    if (r == 0) return 0;
    if (cal_ndjson_lab(s->j, key, &v, NULL, NULL, r > 0) < 0) return fail(s, "out of memory");
    return 1;
  }
}

static int parse_labs(parser *s, int depth) {
  int k = peek(s);
  if (k != V_OBJECT) {
    cal_field tmp;
    const char *at = s->p;
    int r = k == V_NULL ? scalar(s, &tmp, depth) : skip_value(s, depth);
    if (r) cal_ndjson_labs_other(s->j, k, k == V_ARRAY && was_empty(at, s->p));
    return r != 0;
  }
  s->p++;
  ws(s);
  if (s->p < s->e && *s->p == '}') {
    s->p++;
    return 1;
  }
  for (;;) {
    cal_field key;
    ws(s);
    if (!parse_string(s, &key) || !eat(s, ':', "expected ':'")) return 0;
    if (!parse_lab(s, &key, depth + 1)) return 0;
    ws(s);
    if (s->p < s->e && *s->p == ',') { s->p++; continue; }
    return eat(s, '}', "expected ',' or '}'");
  }
}

/* "problems": a list of strings, a reader's problems of the record (the
 * hl7 and text readers' records are written as NDJSON lines with them):
 * each becomes a problem of the record, as written. */
static int parse_problems(parser *s, int depth) {
  cal_ndjson *j = s->j;
  size_t mark = j->slen;
  int k = peek(s);
  if (k != V_ARRAY) {
    const char *at = s->p;
    cal_field tmp;
    int r = k == V_NULL ? scalar(s, &tmp, depth) : skip_value(s, depth);
    if (r == 0) return 0;
    cal_ndjson_problems_other(j, k, k == V_OBJECT && was_empty(at, s->p));
    j->slen = mark;
    return 1;
  }
  s->p++;
  ws(s);
  if (s->p < s->e && *s->p == ']') { s->p++; return 1; }
  for (;;) {
    cal_field t;
    int kind = peek(s), r = scalar(s, &t, depth + 1);
    if (r == 0) return 0;
    cal_ndjson_given_problem(j, r < 0 ? V_OBJECT : kind, &t);
    j->slen = mark;
    ws(s);
    if (s->p < s->e && *s->p == ',') { s->p++; continue; }
    return eat(s, ']', "expected ',' or ']'");
  }
}

/* One line into the fields. 0 when it is not a JSON object (message set). */
static int parse_record(parser *s) {
  cal_ndjson *j = s->j;
  if (!eat(s, '{', "expected an object")) return 0;
  ws(s);
  if (s->p < s->e && *s->p == '}') {
    s->p++;
  } else {
    for (;;) {
      cal_field key;
      int which;
      ws(s);
      if (!parse_string(s, &key) || !eat(s, ':', "expected ':'")) return 0;
      which = cal_ndjson_key(key.ptr, key.len);
      if (which == CAL_NDJSON_KEY_LABS) {
        if (!parse_labs(s, 1)) return 0;
      } else if (which == CAL_NDJSON_KEY_PROBLEMS) {
        if (!parse_problems(s, 1)) return 0;
      } else if (which == F_FINDINGS || which == F_SITES) {
        if (!parse_terms(s, which, 1)) return 0;
      } else if (which >= 0) {
        cal_field v;
        int k = peek(s), r = scalar(s, &v, 1);
        if (r == 0) return 0;
        cal_ndjson_value(j, which, k, &v);
      } else {
        size_t mark = j->slen;
        if (!skip_value(s, 1)) return 0;
        j->slen = mark;
      }
      ws(s);
      if (s->p < s->e && *s->p == ',') { s->p++; continue; }
      if (!eat(s, '}', "expected ',' or '}'")) return 0;
      break;
    }
  }
  ws(s);
  if (s->p < s->e) return fail(s, "text after the object");
  return 1;
}

static int read_line(cal_ndjson *j, const char *b, const char *e) {
  parser s;
  size_t need = 2 * (size_t)(e - b) + 64;
  if (j->scap < need) {
    char *ns = (char *)realloc(j->scratch, need);
    if (!ns) return -1;
    j->scratch = ns;
    j->scap = need;
  }
  j->slen = 0;
  j->cur_b = b;
  j->cur_e = e;
  s.j = j;
  s.b = s.p = b;
  s.e = e;
  s.err = NULL;
  s.at = b;
  if (!parse_record(&s)) {
    clear_fields(j);
    j->mlen = 0;
    problem(j, "not a JSON object (%s at column %lu)", s.err ? s.err : "syntax error",
            (unsigned long)(s.at - b + 1));
  }
  if (cal_utf8_check((const unsigned char *)b, (size_t)(e - b)) != (size_t)(e - b)) cal_ndjson_invalid_utf8(j);
  return 1;
}

int cal_ndjson_next(cal_ndjson *j, const cal_field **fields, size_t *n) {
  if (j->err) return -1;
  if (!j->started) {
    size_t i;
    j->started = 1;
    for (i = 0; i < j->nf; i++) {
      const char *name = cal_record_field_name(i);
      j->fields[i].ptr = name;
      j->fields[i].len = strlen(name);
    }
    j->line = 0;
    *fields = j->fields;
    *n = j->nf;
    return 1;
  }
  clear_fields(j);
  j->mlen = 0;
  j->msg[0] = '\0';
  j->cur_b = j->cur_e = NULL;
  for (;;) {
    char *b = j->buf ? j->buf + j->start : NULL, *nl, *e;
    int too_long = 0;
    nl = b ? (char *)memchr(b, '\n', j->end - j->start) : NULL;
    if (!nl && !j->eof) {
      if (j->end - j->start > CAL_NDJSON_MAX_LINE) {
        /* drop the line up to its end, then report it */
        long long at = j->next_line;
        for (;;) {
          j->start = j->end;
          if (fill(j) < 0) { j->err = 1; return -1; }
          nl = (char *)memchr(j->buf + j->start, '\n', j->end - j->start);
          if (nl || j->eof) break;
        }
        j->start = nl ? (size_t)(nl - j->buf) + 1 : j->end;
        j->line = at;
        j->next_line = at + 1;
        problem(j, "line longer than %lu bytes; skipped", (unsigned long)CAL_NDJSON_MAX_LINE);
        too_long = 1;
      } else {
        if (fill(j) < 0) { j->err = 1; return -1; }
        continue;
      }
    }
    if (too_long) break;
    if (!nl && j->start == j->end) {
      j->line = j->next_line;
      return 0;
    }
    e = nl ? nl : j->buf + j->end;
    j->start = nl ? (size_t)(nl - j->buf) + 1 : j->end;
    j->line = j->next_line++;
    if (!j->bom_checked) {
      j->bom_checked = 1;
      if (cal_utf8_bom(b, (size_t)(e - b))) b += 3;
    }
    if (e > b && e[-1] == '\r') e--;
    {
      const char *q = b;
      while (q < e && (*q == ' ' || *q == '\t' || *q == '\r')) q++;
      if (q == e) continue; /* a blank line */
    }
    if (read_line(j, b, e) < 0) { j->err = 1; return -1; }
    break;
  }
  *fields = j->fields;
  *n = j->nf;
  return 1;
}

static long read_nothing(void *ctx, char *buf, size_t n) {
  (void)ctx;
  (void)buf;
  (void)n;
  return 0;
}

cal_ndjson *cal_ndjson_open_memory(void) { return cal_ndjson_open_read(read_nothing, NULL); }

int cal_ndjson_parse(cal_ndjson *j, const char *text, size_t n, const cal_field **fields, size_t *nf) {
  clear_fields(j);
  j->mlen = 0;
  j->msg[0] = '\0';
  j->line = 0;
  if (read_line(j, text, text + n) < 0) return -1;
  *fields = j->fields;
  *nf = j->nf;
  return 1;
}

int cal_ndjson_column(cal_ndjson *j, const char *name, size_t n, cal_field *out) {
  parser s;
  out->ptr = "";
  out->len = 0;
  if (!j->cur_b || !j->scratch) return 0;
  {
    /* room for one more unescaped string of the line (what the schema's
     * fields point to in the scratch has been read by now) */
    size_t need = j->slen + (size_t)(j->cur_e - j->cur_b) + 64;
    if (j->scap < need) {
      char *ns = (char *)realloc(j->scratch, need);
      if (!ns) return 0;
      j->scratch = ns;
      j->scap = need;
    }
  }
  s.j = j;
  s.b = s.p = j->cur_b;
  s.e = j->cur_e;
  s.err = NULL;
  s.at = j->cur_b;
  if (!eat(&s, '{', "expected an object")) return 0;
  for (;;) {
    cal_field key;
    const char *at;
    int k, r;
    ws(&s);
    if (s.p < s.e && *s.p == '}') return 0;
    if (!parse_string(&s, &key) || !eat(&s, ':', "expected ':'")) return 0;
    ws(&s);
    at = s.p;
    if (key.len == n && memcmp(key.ptr, name, n) == 0) {
      k = peek(&s);
      if (k == V_OBJECT || k == V_ARRAY || k == V_BOOL) {
        /* the JSON text as written */
        if (!skip_value(&s, 1)) return 0;
        out->ptr = at;
        out->len = (size_t)(s.p - at);
        return 1;
      }
      r = scalar(&s, out, 1);
      if (r <= 0) { out->ptr = ""; out->len = 0; return 0; }
      return k != V_NULL;
    }
    if (!skip_value(&s, 1)) return 0;
    ws(&s);
    if (s.p < s.e && *s.p == ',') { s.p++; continue; }
    return 0;
  }
}
