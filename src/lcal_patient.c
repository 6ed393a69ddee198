/*
 * lcal_patient.c - a Lua patient table as the record reader sees it: its
 * NDJSON text (lcal_patient_json, what plan:patient_json returns and the
 * commands write), and the table read straight into the fields of a record
 * (lcal_read_patient) through the NDJSON reader's field filling (ndjson.c),
 * with the kind and text each value has in that NDJSON text, so that a
 * table and its line are read alike.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "lcal.h"
#include "ndjson.h"
#include "record.h"

/* ---- a Lua patient table as one NDJSON object ---- */

/* A growable byte buffer owned by the plan (no allocation per record once
 * it is big enough). Not luaL_Buffer: values are pushed on the stack while
 * it grows. */
static void jb_room(lua_State *L, lcal_buf *j, size_t n) {
  if (j->len + n > j->cap) {
    size_t c = j->cap ? j->cap : 256;
    char *np;
    while (c < j->len + n) c *= 2;
    if (c > ((size_t)1 << 30)) luaL_error(L, "patient record too large");
    np = (char *)realloc(j->p, c);
    if (!np) luaL_error(L, "out of memory");
    j->p = np;
    j->cap = c;
  }
}

static void jb_add(lua_State *L, lcal_buf *j, const char *s, size_t n) {
  jb_room(L, j, n);
  memcpy(j->p + j->len, s, n);
  j->len += n;
}

static void jb_char(lua_State *L, lcal_buf *j, char c) { jb_add(L, j, &c, 1); }
static void jb_str(lua_State *L, lcal_buf *j, const char *s) { jb_add(L, j, s, strlen(s)); }

static void json_string(lua_State *L, lcal_buf *j, const char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  size_t i;
  jb_room(L, j, 6 * n + 2);
  j->p[j->len++] = '"';
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') { j->p[j->len++] = '\\'; j->p[j->len++] = (char)c; }
    else if (c < 0x20) {
      memcpy(j->p + j->len, "\\u00", 4);
      j->p[j->len + 4] = hex[c >> 4];
      j->p[j->len + 5] = hex[c & 15];
      j->len += 6;
    } else j->p[j->len++] = (char)c;
  }
  j->p[j->len++] = '"';
}

static void json_value(lua_State *L, lcal_buf *j, int idx, int depth);

/* An integer as text; its length. */
size_t lcal_int_text(char *buf, long long x) {
  char t[24];
  size_t n = 0, k = 0;
  unsigned long long u = x < 0 ? 0ULL - (unsigned long long)x : (unsigned long long)x;
  do { t[n++] = (char)('0' + u % 10); u /= 10; } while (u);
  if (x < 0) buf[k++] = '-';
  while (n) buf[k++] = t[--n];
  return k;
}

/* A number with at most 6 decimals (lab values are), written without
 * printf: its length, or 0 when it is not such a number or its text would
 * not read back as the same double (the reader's own parser decides). */
static size_t short_decimal(char *buf, double v) {
  static const double p10[] = {1, 10, 100, 1e3, 1e4, 1e5, 1e6};
  double a = fabs(v), back;
  int k;
  if (!(a < 1e9)) return 0;
  for (k = 0; k <= 6; k++) {
    double s = a * p10[k];
    if (s == floor(s)) {
      long long m = (long long)s, ip = m;
      size_t n = 0;
      int d;
      char frac[8];
      for (d = 0; d < k; d++) { frac[k - 1 - d] = (char)('0' + ip % 10); ip /= 10; }
      if (v < 0) buf[n++] = '-';
      n += lcal_int_text(buf + n, ip);
      if (k) {
        buf[n++] = '.';
        memcpy(buf + n, frac, (size_t)k);
        n += (size_t)k;
      }
      if (!cal_parse_double(buf, n, &back) || back != v) return 0;
      return n;
    }
  }
  return 0;
}

/* The text of the number at idx as a patient record gives it: 1 with a
 * JSON number (an integer as written, else the shortest text that reads
 * back as the same double), 0 with the text "nan", "inf" or "-inf" (which
 * the record gets as a string); buf holds it, *n its length. */
static int number_text(lua_State *L, int idx, char *buf, size_t *n) {
  double v = (double)lua_tonumber(L, idx);
  if (lua_isinteger(L, idx)) {
    *n = lcal_int_text(buf, (long long)lua_tointeger(L, idx));
    return 1;
  }
  if (v != v || isinf(v)) {
    const char *t = v != v ? "nan" : v > 0 ? "inf" : "-inf";
    *n = strlen(t);
    memcpy(buf, t, *n + 1);
    return 0;
  }
  *n = short_decimal(buf, v);
  if (!*n) {
    /* 15 digits when they read back as the same number, else 17
     * (cal_format_g tells; after snprintf, cal_parse_double, which is
     * correctly rounded, as strtod) */
    int back = 0;
    if (!cal_format_g(buf, v, 15, &back)) {
      double x;
      snprintf(buf, 64, "%.15g", v);
      back = cal_parse_double(buf, strlen(buf), &x) && x == v;
    }
    if (!back && !cal_format_g(buf, v, 17, NULL)) snprintf(buf, 64, "%.17g", v);
    *n = strlen(buf);
  }
  return 1;
}

static int cmp_keys(const void *a, const void *b) {
  const char *const *x = (const char *const *)a, *const *y = (const char *const *)b;
  return strcmp(*x, *y);
}

#define MAX_KEYS 64
#define MAX_DEPTH 4 /* deeper tables are written as null */

/* The string keys of the table at idx (the first MAX_KEYS lua_next gives),
 * sorted; their count. (The strings stay alive: they are keys of the table.) */
static size_t object_keys(lua_State *L, int idx, const char **keys) {
  size_t nk = 0;
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) {
    if (lua_type(L, -2) == LUA_TSTRING && nk < MAX_KEYS) keys[nk++] = lua_tostring(L, -2);
    lua_pop(L, 1);
  }
  qsort((void *)keys, nk, sizeof keys[0], cmp_keys);
  return nk;
}

/* 1 when the table at idx is written as a list: it has [1], or is empty. */
static int is_list(lua_State *L, int idx) {
  int list;
  lua_rawgeti(L, idx, 1);
  list = !lua_isnil(L, -1);
  lua_pop(L, 1);
  if (!list) {
    lua_pushnil(L);
    if (lua_next(L, idx) == 0) list = 1; /* empty */
    else lua_pop(L, 2);
  }
  return list;
}

/* A table: a list when it has [1] (or is empty), else an object with its
 * string keys in sorted order (so that "given twice ... kept the first" is
 * the same on every run; at most 64 keys). */
static void json_table(lua_State *L, lcal_buf *j, int idx, int depth) {
  size_t n = (size_t)lua_rawlen(L, idx), i, nk = 0;
  const char *keys[MAX_KEYS];
  if (depth > MAX_DEPTH) { jb_str(L, j, "null"); return; }
  if (is_list(L, idx)) {
    jb_char(L, j, '[');
    for (i = 1; i <= n; i++) {
      if (i > 1) jb_char(L, j, ',');
      lua_rawgeti(L, idx, (lua_Integer)i);
      json_value(L, j, lua_gettop(L), depth + 1);
      lua_pop(L, 1);
    }
    jb_char(L, j, ']');
    return;
  }
  nk = object_keys(L, idx, keys);
  jb_char(L, j, '{');
  for (i = 0; i < nk; i++) {
    if (i > 0) jb_char(L, j, ',');
    json_string(L, j, keys[i], strlen(keys[i]));
    jb_char(L, j, ':');
    lua_getfield(L, idx, keys[i]);
    json_value(L, j, lua_gettop(L), depth + 1);
    lua_pop(L, 1);
  }
  jb_char(L, j, '}');
}

static void json_value(lua_State *L, lcal_buf *j, int idx, int depth) {
  switch (lua_type(L, idx)) {
  case LUA_TSTRING: {
    size_t n;
    const char *s = lua_tolstring(L, idx, &n);
    json_string(L, j, s, n);
    break;
  }
  case LUA_TNUMBER: {
    char buf[64];
    size_t n;
    if (number_text(L, idx, buf, &n)) jb_add(L, j, buf, n);
    else json_string(L, j, buf, n); /* "nan", "inf", "-inf" */
    break;
  }
  case LUA_TBOOLEAN: jb_str(L, j, lua_toboolean(L, idx) ? "true" : "false"); break;
  case LUA_TTABLE: json_table(L, j, idx, depth); break;
  case LUA_TNIL: jb_str(L, j, "null"); break;
  default: /* a function, userdata or thread: its type name, reported as text */
    jb_char(L, j, '"');
    jb_char(L, j, '<');
    jb_str(L, j, luaL_typename(L, idx));
    jb_char(L, j, '>');
    jb_char(L, j, '"');
    break;
  }
}

/* (problems: a reader's problems of the record, passed through by the
 * NDJSON reader, so that records read in Lua keep them) */
static const char *const PATIENT_KEYS[] = {"id", "age", "sex", "species", "height_cm", "findings", "sites",
                                           "labs", "problems", NULL};

/* The index in PATIENT_KEYS of the key at stack index idx, or -1 (not one
 * of them, or not a string). */
static int patient_key_at(lua_State *L, int idx) {
  size_t n;
  const char *k;
  int i;
  if (lua_type(L, idx) != LUA_TSTRING) return -1;
  k = lua_tolstring(L, idx, &n);
  for (i = 0; PATIENT_KEYS[i]; i++)
    if (k[0] == PATIENT_KEYS[i][0] && strlen(PATIENT_KEYS[i]) == n && memcmp(k, PATIENT_KEYS[i], n) == 0) return i;
  return -1;
}

/* 1 when the table at idx may hold a key beyond PATIENT_KEYS (a date, range
 * or flag field): it has another key, or a metatable. */
static int other_keys(lua_State *L, int idx) {
  int other = 0;
  if (lua_getmetatable(L, idx)) { lua_pop(L, 1); return 1; }
  lua_pushnil(L);
  while (!other && lua_next(L, idx)) {
    other = patient_key_at(L, -2) < 0;
    lua_pop(L, 1);
  }
  if (other) lua_pop(L, 1); /* the key lua_next left */
  return other;
}

/* The keys a patient table is read by, in order: PATIENT_KEYS, then (only
 * when the table may hold one, other_keys) birth_date and the analytes'
 * date, range and flag fields. Their count; patient_key(i) gives each. */
static size_t patient_nkeys(lua_State *L, int idx) {
  size_t nk = sizeof PATIENT_KEYS / sizeof PATIENT_KEYS[0] - 1;
  return other_keys(L, idx) ? nk + cal_record_nfields() - cal_record_birth_field() : nk;
}

static const char *patient_key(size_t i) {
  size_t nk = sizeof PATIENT_KEYS / sizeof PATIENT_KEYS[0] - 1;
  return i < nk ? PATIENT_KEYS[i] : cal_record_field_name(cal_record_birth_field() + i - nk);
}

/* The NDJSON text of the patient table at idx, in j. */
void lcal_patient_json(lua_State *L, lcal_buf *j, int idx) {
  size_t i, n = patient_nkeys(L, idx);
  int first = 1;
  j->len = 0;
  jb_char(L, j, '{');
  for (i = 0; i < n; i++) {
    const char *key = patient_key(i);
    lua_getfield(L, idx, key);
    if (!lua_isnil(L, -1)) {
      if (!first) jb_char(L, j, ',');
      first = 0;
      json_string(L, j, key, strlen(key));
      jb_char(L, j, ':');
      json_value(L, j, lua_gettop(L), 0);
    }
    lua_pop(L, 1);
  }
  jb_char(L, j, '}');
}

/* ---- a Lua patient table read into the record's fields ----
 *
 * Without the NDJSON text: each value is given to ndjson.c's field filling
 * (cal_ndjson_value, _terms_*, _lab, ...) with the kind and the text its
 * NDJSON line (patient_json) would give it, in the order of that line, so
 * that a table and its line are read alike (spec/patient_table_spec.lua
 * compares them). What the line would hold but the record does not read
 * (other keys of a lab entry, deeper tables) is still looked through for
 * text that is not UTF-8, as the reader checks the whole line. */

typedef struct {
  lua_State *L;
  cal_ndjson *j;
  int bad_utf8; /* a string the line would hold is not UTF-8 */
  int given;    /* where the labs as given go (lcal.h), or 0 */
  unsigned char *given_set;
} reader;

static void check_utf8(reader *r, const char *s, size_t n) {
  if (!r->bad_utf8 && cal_utf8_check((const unsigned char *)s, n) != n) r->bad_utf8 = 1;
}

/* The strings a table at depth would be written with (its string keys,
 * its values), checked for UTF-8 (json_table's walk). */
static void check_table(reader *r, int idx, int depth) {
  lua_State *L = r->L;
  if (depth > MAX_DEPTH || r->bad_utf8) return;
  luaL_checkstack(L, 4, "patient table nested too deeply");
  if (is_list(L, idx)) {
    size_t i, n = (size_t)lua_rawlen(L, idx);
    for (i = 1; i <= n && !r->bad_utf8; i++) {
      lua_rawgeti(L, idx, (lua_Integer)i);
      if (lua_type(L, -1) == LUA_TSTRING) {
        size_t len;
        const char *t = lua_tolstring(L, -1, &len);
        check_utf8(r, t, len);
      } else if (lua_type(L, -1) == LUA_TTABLE) check_table(r, lua_gettop(L), depth + 1);
      lua_pop(L, 1);
    }
  } else {
    const char *keys[MAX_KEYS];
    size_t i, nk = object_keys(L, idx, keys);
    for (i = 0; i < nk && !r->bad_utf8; i++) {
      check_utf8(r, keys[i], strlen(keys[i]));
      lua_getfield(L, idx, keys[i]);
      if (lua_type(L, -1) == LUA_TSTRING) {
        size_t len;
        const char *t = lua_tolstring(L, -1, &len);
        check_utf8(r, t, len);
      } else if (lua_type(L, -1) == LUA_TTABLE) check_table(r, lua_gettop(L), depth + 1);
      lua_pop(L, 1);
    }
  }
}

/* The kind of the value at idx (a table at depth) as the line would give
 * it, and for a string or a number its text in *out: a Lua string, or buf
 * (64 bytes; see keep). A table's strings are checked for UTF-8 when
 * `look` (the caller reads none of it). */
static int value_kind(reader *r, int idx, int depth, char *buf, cal_field *out, int look) {
  lua_State *L = r->L;
  out->ptr = "";
  out->len = 0;
  switch (lua_type(L, idx)) {
  case LUA_TSTRING:
    out->ptr = lua_tolstring(L, idx, &out->len);
    check_utf8(r, out->ptr, out->len);
    return CAL_NDJSON_STRING;
  case LUA_TNUMBER:
    out->ptr = buf;
    return number_text(L, idx, buf, &out->len) ? CAL_NDJSON_NUMBER : CAL_NDJSON_STRING;
  case LUA_TBOOLEAN: return CAL_NDJSON_BOOL;
  case LUA_TNIL: return CAL_NDJSON_NULL;
  case LUA_TTABLE:
    if (depth > MAX_DEPTH) return CAL_NDJSON_NULL;
    if (look) check_table(r, idx, depth);
    return is_list(L, idx) ? CAL_NDJSON_ARRAY : CAL_NDJSON_OBJECT;
  default: /* a function, userdata or thread: its type name, as text */
    out->len = (size_t)snprintf(buf, 64, "<%s>", luaL_typename(L, idx));
    out->ptr = buf;
    return CAL_NDJSON_STRING;
  }
}

/* A text in buf moved to the record's bytes (kept until the record is read). */
static void keep(reader *r, const char *buf, cal_field *f) {
  if (f->ptr == buf && f->len) {
    char *p = cal_ndjson_take(r->j, f->len);
    if (!p) {
      (void)luaL_error(r->L, "out of memory");
      return;
    }
    memcpy(p, buf, f->len);
    f->ptr = p;
  }
}

/* 1 when the table at idx (of kind ARRAY or OBJECT) is written with no
 * element: a list of no length, an object with no string key. */
static int table_empty(lua_State *L, int idx) {
  const char *keys[MAX_KEYS];
  if (is_list(L, idx)) return lua_rawlen(L, idx) == 0;
  return object_keys(L, idx, keys) == 0;
}

static void read_terms(reader *r, int field, int idx) {
  lua_State *L = r->L;
  char buf[64];
  cal_field v;
  int k = value_kind(r, idx, 0, buf, &v, 0);
  if (k != CAL_NDJSON_ARRAY) {
    if (k == CAL_NDJSON_OBJECT) check_table(r, idx, 0);
    keep(r, buf, &v);
    cal_ndjson_terms_other(r->j, field, k, &v, k == CAL_NDJSON_OBJECT && table_empty(L, idx));
    return;
  }
  {
    size_t i, n = (size_t)lua_rawlen(L, idx);
    cal_ndjson_terms_begin(r->j);
    for (i = 1; i <= n; i++) {
      cal_field t;
      int kind;
      lua_rawgeti(L, idx, (lua_Integer)i);
      kind = value_kind(r, lua_gettop(L), 1, buf, &t, 1);
      if (cal_ndjson_terms_add(r->j, kind, &t) < 0) luaL_error(L, "out of memory");
      lua_pop(L, 1);
    }
    cal_ndjson_terms_end(r->j, field);
  }
}

/* One entry of labs: the value at idx under key. */
static void read_lab(reader *r, const char *key, int idx) {
  lua_State *L = r->L;
  cal_field kf, v = {"", 0}, u = {"", 0}, date = {"", 0};
  char bv[64], bu[64], bd[64]; /* (written before they are read; set for the analyzers) */
  bv[0] = bu[0] = bd[0] = '\0';
  int k, ok = 1, have_v = 0, have_u = 0, have_d = 0;
  kf.ptr = key;
  kf.len = strlen(key);
  check_utf8(r, kf.ptr, kf.len);
  k = value_kind(r, idx, 1, bv, &v, 0);
  if (k != CAL_NDJSON_OBJECT && k != CAL_NDJSON_ARRAY) {
    keep(r, bv, &v);
    if (cal_ndjson_lab(r->j, &kf, &v, NULL, NULL, k != CAL_NDJSON_BOOL) < 0) luaL_error(L, "out of memory");
    return;
  }
  luaL_checkstack(L, 4, "patient table nested too deeply");
  if (k == CAL_NDJSON_ARRAY) {
    size_t i, n = (size_t)lua_rawlen(L, idx);
    for (i = 1; i <= n; i++) {
      char junk[64];
      cal_field x;
      int kind;
      lua_rawgeti(L, idx, (lua_Integer)i);
      kind = value_kind(r, lua_gettop(L), 2, i == 1 ? bv : i == 2 ? bu : junk, &x, 1);
      if (i <= 2) {
        if (kind == CAL_NDJSON_BOOL || kind == CAL_NDJSON_OBJECT || kind == CAL_NDJSON_ARRAY) ok = 0;
        else if (i == 1) { v = x; have_v = 1; }
        else { u = x; have_u = 1; }
      }
      lua_pop(L, 1);
    }
  } else {
    const char *keys[MAX_KEYS];
    size_t i, nk = object_keys(L, idx, keys);
    for (i = 0; i < nk; i++) {
      const char *name = keys[i];
      char junk[64];
      int which = strcmp(name, "value") == 0 ? 0 : strcmp(name, "unit") == 0 ? 1 : strcmp(name, "date") == 0 ? 2 : -1;
      cal_field x;
      int kind;
      check_utf8(r, name, strlen(name));
      lua_getfield(L, idx, name);
      kind = value_kind(r, lua_gettop(L), 2, which == 0 ? bv : which == 1 ? bu : which == 2 ? bd : junk, &x, 1);
      if (which >= 0) {
        if (kind == CAL_NDJSON_BOOL || kind == CAL_NDJSON_OBJECT || kind == CAL_NDJSON_ARRAY) ok = 0;
        else if (which == 0) { v = x; have_v = 1; }
        else if (which == 1) { u = x; have_u = 1; }
        else { date = x; have_d = 1; }
      }
      lua_pop(L, 1);
    }
  }
  keep(r, bv, &v);
  keep(r, bu, &u);
  keep(r, bd, &date);
  if (cal_ndjson_lab(r->j, &kf, have_v ? &v : NULL, have_u ? &u : NULL, have_d ? &date : NULL, ok) < 0)
    luaL_error(L, "out of memory");
}

/* The lab at idx under key, as given, in the caller's slots (lcal.h). */
static void keep_given(reader *r, const char *key, int idx) {
  lua_State *L = r->L;
  int a = cal_ndjson_analyte(r->j, key, strlen(key)), at;
  if (a < 0 || a >= CAL_REC_MAX_ANALYTES || r->given_set[a]) return;
  r->given_set[a] = 1;
  at = r->given + 3 * a;
  lua_pushstring(L, key);
  lua_replace(L, at);
  if (lua_type(L, idx) == LUA_TTABLE) {
    lua_getfield(L, idx, "value");
    if (!lua_toboolean(L, -1)) { lua_pop(L, 1); lua_pushinteger(L, 1); lua_gettable(L, idx); }
    lua_replace(L, at + 1);
    lua_getfield(L, idx, "unit");
    if (!lua_toboolean(L, -1)) { lua_pop(L, 1); lua_pushinteger(L, 2); lua_gettable(L, idx); }
    lua_replace(L, at + 2);
  } else {
    lua_pushvalue(L, idx);
    lua_replace(L, at + 1);
    lua_pushnil(L);
    lua_replace(L, at + 2);
  }
}

static void read_labs(reader *r, int idx) {
  lua_State *L = r->L;
  char buf[64];
  cal_field v;
  int k = value_kind(r, idx, 0, buf, &v, 0);
  if (k != CAL_NDJSON_OBJECT) {
    if (k == CAL_NDJSON_ARRAY) check_table(r, idx, 0);
    cal_ndjson_labs_other(r->j, k, k == CAL_NDJSON_ARRAY && table_empty(L, idx));
    return;
  }
  {
    const char *keys[MAX_KEYS];
    size_t i, nk;
    luaL_checkstack(L, 4, "patient table nested too deeply");
    nk = object_keys(L, idx, keys);
    for (i = 0; i < nk; i++) {
      lua_getfield(L, idx, keys[i]);
      if (r->given) keep_given(r, keys[i], lua_gettop(L));
      read_lab(r, keys[i], lua_gettop(L));
      lua_pop(L, 1);
    }
  }
}

static void read_given_problems(reader *r, int idx) {
  lua_State *L = r->L;
  char buf[64];
  cal_field v;
  int k = value_kind(r, idx, 0, buf, &v, 0);
  if (k != CAL_NDJSON_ARRAY) {
    if (k == CAL_NDJSON_OBJECT) check_table(r, idx, 0);
    cal_ndjson_problems_other(r->j, k, k == CAL_NDJSON_OBJECT && table_empty(L, idx));
    return;
  }
  {
    size_t i, n = (size_t)lua_rawlen(L, idx);
    for (i = 1; i <= n; i++) {
      cal_field t;
      int kind;
      lua_rawgeti(L, idx, (lua_Integer)i);
      kind = value_kind(r, lua_gettop(L), 1, buf, &t, 1);
      cal_ndjson_given_problem(r->j, kind, &t);
      lua_pop(L, 1);
    }
  }
}

/* Reads the patient table at idx into the fields of j (as the NDJSON
 * reader reads its line). The values read stay on the stack (the caller
 * resets the top once the record is read): a table with __index may give
 * strings nothing else holds. */
/* The value at stack index at under key, read into the fields of r's reader. */
static void read_key(reader *r, const char *key, int at) {
  lua_State *L = r->L;
  int field = cal_ndjson_key(key, strlen(key));
  if (field == CAL_NDJSON_KEY_LABS) read_labs(r, at);
  else if (field == CAL_NDJSON_KEY_PROBLEMS) read_given_problems(r, at);
  else if (field == CAL_REC_FINDINGS || field == CAL_REC_SITES) read_terms(r, field, at);
  else {
    char buf[64];
    cal_field v;
    int k = value_kind(r, at, 0, buf, &v, 1);
    if (field >= 0) {
      /* (the id is kept: the record points to it) */
      if (field == CAL_REC_ID && k == CAL_NDJSON_STRING && v.ptr != buf) {
        char *p = cal_ndjson_take(r->j, v.len ? v.len : 1);
        if (!p) {
          (void)luaL_error(L, "out of memory");
          return;
        }
        memcpy(p, v.ptr, v.len);
        v.ptr = p;
      }
      keep(r, buf, &v);
      cal_ndjson_value(r->j, field, k, &v);
    }
  }
}

void lcal_read_patient(lua_State *L, cal_ndjson *j, int idx, int given, unsigned char *given_set) {
  enum { NK = sizeof PATIENT_KEYS / sizeof PATIENT_KEYS[0] - 1 };
  reader r;
  size_t i, n;
  int base, other = 0;
  r.L = L;
  r.j = j;
  r.bad_utf8 = 0;
  r.given = given;
  r.given_set = given_set;
  if (cal_ndjson_begin(j) < 0) luaL_error(L, "out of memory");
  luaL_checkstack(L, NK + 8, "patient table");
  base = lua_gettop(L);
  /* A table without a metatable and with only PATIENT_KEYS (the usual):
   * one walk puts each value in its slot, then they are read in the order
   * of PATIENT_KEYS, as lua_getfield would give them. Any other key, or a
   * metatable: each key looked up (patient_nkeys). */
  if (lua_getmetatable(L, idx)) {
    lua_pop(L, 1);
    other = 1;
  } else {
    lua_settop(L, base + NK);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
      int k = patient_key_at(L, -2);
      if (k < 0) {
        other = 1;
        break;
      }
      lua_replace(L, base + 1 + k);
    }
    if (!other)
      for (i = 0; i < NK; i++)
        if (!lua_isnil(L, base + 1 + (int)i)) read_key(&r, PATIENT_KEYS[i], base + 1 + (int)i);
  }
  if (other) {
    lua_settop(L, base);
    n = patient_nkeys(L, idx);
    luaL_checkstack(L, (int)n + 8, "patient table");
    for (i = 0; i < n; i++) {
      const char *key = patient_key(i);
      lua_getfield(L, idx, key);
      if (lua_isnil(L, -1)) { lua_pop(L, 1); continue; }
      read_key(&r, key, lua_gettop(L));
    }
  }
  if (r.bad_utf8) cal_ndjson_invalid_utf8(j);
}

