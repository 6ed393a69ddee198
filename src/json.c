/*
 * json.c - see json.h.
 */
#include "json.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
  cal_json *d;
  const char *b, *p, *e;
} jp;

void cal_json_init(cal_json *d) { memset(d, 0, sizeof *d); }

void cal_json_free(cal_json *d) {
  free(d->node);
  memset(d, 0, sizeof *d);
}

static int fail(jp *s, const char *what) {
  if (!s->d->err) {
    s->d->err = s->p >= s->e ? "the text ends inside a value" : what;
    s->d->err_at = (size_t)(s->p - s->b);
    s->d->truncated = s->p >= s->e;
  }
  return 0;
}

static void ws(jp *s) {
  while (s->p < s->e && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r')) s->p++;
}

static int new_node(jp *s, int type) {
  cal_json *d = s->d;
  cal_jnode *x;
  if (d->count == d->cap) {
    size_t nc = d->cap ? d->cap * 2 : 256;
    cal_jnode *nn = (cal_jnode *)realloc(d->node, nc * sizeof *nn);
    if (!nn) return -1;
    d->node = nn;
    d->cap = nc;
  }
  x = &d->node[d->count];
  x->type = type;
  x->next = x->child = -1;
  x->key = NULL;
  x->klen = 0;
  x->s = NULL;
  x->n = 0;
  x->esc = 0;
  return (int)d->count++;
}

/* A string at s->p (the quote): its raw text. 1, or 0 on an error. */
static int str(jp *s, const char **out, size_t *n, int *esc) {
  const char *p = s->p + 1;
  *esc = 0;
  for (;;) {
    const char *q = p;
    while (q < s->e && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20) q++;
    if (q >= s->e) { s->p = q; return fail(s, "unterminated string"); }
    if (*q == '"') {
      *out = s->p + 1;
      *n = (size_t)(q - (s->p + 1));
      s->p = q + 1;
      return 1;
    }
    if (*q == '\\') {
      *esc = 1;
      if (q + 1 >= s->e) { s->p = q + 1; return fail(s, "unterminated string"); }
      if (q[1] == 'u') {
        int k;
        for (k = 2; k < 6; k++) {
          char c = q + k < s->e ? q[k] : 0;
          if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
            s->p = q + k;
            return fail(s, "bad \\u escape");
          }
        }
        p = q + 6;
      } else if (strchr("\"\\/bfnrt", q[1]) && q[1]) {
        p = q + 2;
      } else {
        s->p = q;
        return fail(s, "bad escape");
      }
      continue;
    }
    s->p = q;
    return fail(s, "control character in a string");
  }
}

static int value(jp *s, int depth);

static int number(jp *s, int idx) {
  const char *p = s->p;
  if (p < s->e && *p == '-') p++;
  if (p >= s->e || !(*p >= '0' && *p <= '9')) { s->p = p; return fail(s, "bad number"); }
  if (*p == '0') p++;
  else while (p < s->e && *p >= '0' && *p <= '9') p++;
  if (p < s->e && *p == '.') {
    p++;
    if (p >= s->e || !(*p >= '0' && *p <= '9')) { s->p = p; return fail(s, "bad number"); }
    while (p < s->e && *p >= '0' && *p <= '9') p++;
  }
  if (p < s->e && (*p == 'e' || *p == 'E')) {
    p++;
    if (p < s->e && (*p == '+' || *p == '-')) p++;
    if (p >= s->e || !(*p >= '0' && *p <= '9')) { s->p = p; return fail(s, "bad number"); }
    while (p < s->e && *p >= '0' && *p <= '9') p++;
  }
  s->d->node[idx].s = s->p;
  s->d->node[idx].n = (size_t)(p - s->p);
  s->p = p;
  return 1;
}

static int word(jp *s, const char *w) {
  size_t n = strlen(w);
  if ((size_t)(s->e - s->p) < n || memcmp(s->p, w, n) != 0) {
    if ((size_t)(s->e - s->p) < n && memcmp(s->p, w, (size_t)(s->e - s->p)) == 0) s->p = s->e;
    return fail(s, "unexpected character");
  }
  s->p += n;
  return 1;
}

/* Parses the elements or members of a container at s->p ('[' or '{'). */
static int container(jp *s, int idx, int depth) {
  int obj = *s->p == '{', last = -1;
  char close = obj ? '}' : ']';
  if (depth >= CAL_JSON_MAX_DEPTH) return fail(s, "nested too deeply");
  s->p++;
  ws(s);
  if (s->p < s->e && *s->p == close) { s->p++; return 1; }
  for (;;) {
    const char *k = NULL;
    size_t kn = 0;
    int kesc = 0, child;
    ws(s);
    if (obj) {
      if (s->p >= s->e || *s->p != '"') return fail(s, "expected a key");
      if (!str(s, &k, &kn, &kesc)) return 0;
      ws(s);
      if (s->p >= s->e || *s->p != ':') return fail(s, "expected ':'");
      s->p++;
      ws(s);
    }
    child = value(s, depth + 1);
    if (child < 0) return child == -2 ? -1 : 0;
    if (obj) {
      s->d->node[child].key = k;
      s->d->node[child].klen = kn;
      if (kesc) s->d->node[child].esc |= 2;
    }
    if (last < 0) s->d->node[idx].child = child;
    else s->d->node[last].next = child;
    last = child;
    ws(s);
    if (s->p < s->e && *s->p == ',') { s->p++; continue; }
    if (s->p < s->e && *s->p == close) { s->p++; return 1; }
    return fail(s, obj ? "expected ',' or '}'" : "expected ',' or ']'");
  }
}

/* The index of the value parsed, -1 on a syntax error, -2 out of memory. */
static int value(jp *s, int depth) {
  int idx, r = 1;
  char c;
  ws(s);
  if (s->p >= s->e) { fail(s, "expected a value"); return -1; }
  c = *s->p;
  switch (c) {
  case '{': case '[':
    idx = new_node(s, c == '{' ? CAL_J_OBJECT : CAL_J_ARRAY);
    if (idx < 0) return -2;
    r = container(s, idx, depth);
    break;
  case '"': {
    int esc;
    idx = new_node(s, CAL_J_STRING);
    if (idx < 0) return -2;
    r = str(s, &s->d->node[idx].s, &s->d->node[idx].n, &esc);
    s->d->node[idx].esc = esc;
    break;
  }
  case 't': idx = new_node(s, CAL_J_TRUE); if (idx < 0) return -2; r = word(s, "true"); break;
  case 'f': idx = new_node(s, CAL_J_FALSE); if (idx < 0) return -2; r = word(s, "false"); break;
  case 'n': idx = new_node(s, CAL_J_NULL); if (idx < 0) return -2; r = word(s, "null"); break;
  default:
    if (c == '-' || (c >= '0' && c <= '9')) {
      idx = new_node(s, CAL_J_NUMBER);
      if (idx < 0) return -2;
      r = number(s, idx);
    } else {
      fail(s, "unexpected character");
      return -1;
    }
  }
  if (r < 0) return -2;
  return r ? idx : -1;
}

int cal_json_parse(cal_json *d, const char *text, size_t n) {
  jp s;
  int root;
  d->count = 0;
  d->err = NULL;
  d->err_at = 0;
  d->truncated = 0;
  s.d = d;
  s.b = s.p = text;
  s.e = text + n;
  root = value(&s, 0);
  if (root == -2) return -1;
  if (root < 0) return 0;
  ws(&s);
  if (s.p < s.e) return fail(&s, "text after the value");
  return 1;
}

int cal_json_get(const cal_json *d, int obj, const char *key) {
  size_t kl;
  int c;
  if (obj < 0 || d->node[obj].type != CAL_J_OBJECT) return -1;
  kl = strlen(key);
  for (c = d->node[obj].child; c >= 0; c = d->node[c].next)
    if (d->node[c].klen == kl && memcmp(d->node[c].key, key, kl) == 0) return c;
  return -1;
}

int cal_json_is(const cal_json *d, int node, const char *s) {
  size_t n = strlen(s);
  return node >= 0 && d->node[node].type == CAL_J_STRING && d->node[node].n == n && memcmp(d->node[node].s, s, n) == 0;
}

static int hexval(char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; }

static size_t put_utf8(char *out, size_t o, size_t cap, unsigned cp) {
  char b[4];
  size_t k, n;
  if (cp < 0x80) { b[0] = (char)cp; n = 1; }
  else if (cp < 0x800) { b[0] = (char)(0xC0 | (cp >> 6)); b[1] = (char)(0x80 | (cp & 0x3F)); n = 2; }
  else if (cp < 0x10000) {
    b[0] = (char)(0xE0 | (cp >> 12)); b[1] = (char)(0x80 | ((cp >> 6) & 0x3F)); b[2] = (char)(0x80 | (cp & 0x3F)); n = 3;
  } else {
    b[0] = (char)(0xF0 | (cp >> 18)); b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    b[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); b[3] = (char)(0x80 | (cp & 0x3F)); n = 4;
  }
  for (k = 0; k < n && o + 1 < cap; k++) out[o++] = b[k];
  return o;
}

size_t cal_json_text(const cal_json *d, int node, char *out, size_t cap) {
  const cal_jnode *x;
  size_t i, o = 0;
  if (cap == 0) return 0;
  out[0] = '\0';
  if (node < 0 || d->node[node].type != CAL_J_STRING) return 0;
  x = &d->node[node];
  for (i = 0; i < x->n && o + 1 < cap; i++) {
    char c = x->s[i];
    if (c != '\\' || !(x->esc & 1)) { out[o++] = c; continue; }
    c = x->s[++i]; /* the parser checked every escape */
    switch (c) {
    case 'b': out[o++] = '\b'; break;
    case 'f': out[o++] = '\f'; break;
    case 'n': out[o++] = '\n'; break;
    case 'r': out[o++] = '\r'; break;
    case 't': out[o++] = '\t'; break;
    case 'u': {
      unsigned cp = 0;
      int k;
      for (k = 1; k <= 4; k++) cp = cp * 16 + (unsigned)hexval(x->s[i + (size_t)k]);
      i += 4;
      if (cp >= 0xD800 && cp < 0xDC00 && i + 6 < x->n && x->s[i + 1] == '\\' && x->s[i + 2] == 'u') {
        unsigned lo = 0;
        for (k = 3; k <= 6; k++) lo = lo * 16 + (unsigned)hexval(x->s[i + (size_t)k]);
        if (lo >= 0xDC00 && lo < 0xE000) {
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          i += 6;
        } else cp = 0xFFFD;
      } else if (cp >= 0xD800 && cp < 0xE000) cp = 0xFFFD;
      o = put_utf8(out, o, cap, cp);
      break;
    }
    default: out[o++] = c; break;
    }
  }
  out[o] = '\0';
  return o;
}
