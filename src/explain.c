/*
 * explain.c - the reasons of fired rules from the values of their operands.
 * See explain.h for the template format.
 */
#include "explain.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  uint32_t kind, a, b, c;
} node;

typedef struct {
  uint32_t off, len;
} str;

struct cal_explain {
  uint32_t nslots, nlets, nops, nrules, nnodes, nstrs, nterms, npool;
  const cal_program *progs[CAL_EXPLAIN_MAX_PROGRAMS];
  size_t nprogs;
  const uint32_t *rules; /* nrules x (first, count) */
  const node *nodes;
  const str *strs;
  const uint32_t *terms; /* nterms string indices */
  const char *pool;
};


static uint32_t rd32(const unsigned char *b) {
  return (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 24);
}

/* every index of the template within its bounds */
static int check(const cal_explain *x, char *err, size_t errlen) {
  uint32_t i, r;
  for (i = 0; i < x->nstrs; i++)
    if (x->strs[i].off > x->npool || x->strs[i].len > x->npool - x->strs[i].off)
      return cal_vm_fail(err, errlen, "explanation string %lu outside the pool", (unsigned long)i);
  for (i = 0; i < x->nterms; i++)
    if (x->terms[i] >= x->nstrs) return cal_vm_fail(err, errlen, "explanation term %lu: bad string", (unsigned long)i);
  for (r = 0; r < x->nrules; r++) {
    uint32_t first = x->rules[2 * (size_t)r], count = x->rules[2 * (size_t)r + 1];
    if (first > x->nnodes || count > x->nnodes - first)
      return cal_vm_fail(err, errlen, "explanation of rule %lu: nodes outside the list", (unsigned long)r);
    for (i = first; i < first + count; i++) {
      const node *n = &x->nodes[i];
      switch (n->kind) {
        case CAL_EXPLAIN_TEXT:
          if (n->a >= x->nstrs) return cal_vm_fail(err, errlen, "explanation node %lu: bad string", (unsigned long)i);
          break;
        case CAL_EXPLAIN_NUM:
          if (n->a >= x->nops || n->b > 1 || n->c >= x->nstrs)
            return cal_vm_fail(err, errlen, "explanation node %lu: bad operand or string", (unsigned long)i);
          break;
        case CAL_EXPLAIN_SET: {
          const cal_program *p = x->progs[0];
          size_t w;
          if (!p || n->a >= p->nsets || n->b >= x->nstrs || n->c >= x->nstrs)
            return cal_vm_fail(err, errlen, "explanation node %lu: bad set or string", (unsigned long)i);
          for (w = 0; w < p->term_words; w++) {
            uint64_t m = p->sets[(size_t)n->a * p->term_words + w];
            if (m && (w + 1) * 64 > x->nterms) {
              unsigned bit;
              for (bit = 0; bit < 64; bit++)
                if (((m >> bit) & 1u) && w * 64 + bit >= x->nterms)
                  return cal_vm_fail(err, errlen, "explanation node %lu: a term of the set has no name", (unsigned long)i);
            }
          }
          break;
        }
        case CAL_EXPLAIN_END:
          break;
        case CAL_EXPLAIN_GUARD:
          if (n->a >= x->nops || n->b > 1 || n->c > first + count - i - 1)
            return cal_vm_fail(err, errlen, "explanation node %lu: bad operand or skip", (unsigned long)i);
          break;
        default:
          return cal_vm_fail(err, errlen, "explanation node %lu: unknown kind %lu", (unsigned long)i, (unsigned long)n->kind);
      }
    }
  }
  return 1;
}

cal_explain *cal_explain_load(const void *bytes, size_t len, const cal_program *const *progs, size_t nprogs,
                              char *err, size_t errlen) {
  const unsigned char *b = (const unsigned char *)bytes;
  uint32_t h[8], i;
  size_t need, off, total, k, nops = 0;
  unsigned char *mem;
  cal_explain *x;
  if (!b || len < CAL_EXPLAIN_HEADER_SIZE || memcmp(b, "CALX", 4) != 0) {
    cal_vm_fail(err, errlen, "not explanation templates (too short or bad magic)");
    return NULL;
  }
  if (rd32(b + 4) != CAL_EXPLAIN_VERSION) {
    cal_vm_fail(err, errlen, "unsupported explanation version %lu", (unsigned long)rd32(b + 4));
    return NULL;
  }
  for (i = 0; i < 8; i++) h[i] = rd32(b + 8 + 4 * (size_t)i);
  /* nslots nlets nops nrules nnodes nstrs nterms npool: bounded so the sizes cannot overflow */
  if (h[0] > 65535 || h[1] > CAL_VM_MAX_LETS || h[3] > CAL_VM_MAX_RULES || h[4] > 0x1000000 || h[5] > 0x1000000 ||
      h[6] > CAL_VM_MAX_TERM_WORDS * 64 || h[7] > 0x10000000) {
    cal_vm_fail(err, errlen, "explanation templates exceed a limit");
    return NULL;
  }
  need = (size_t)h[3] * 8 + (size_t)h[4] * 16 + (size_t)h[5] * 8 + (size_t)h[6] * 4 + (size_t)h[7];
  if (len - CAL_EXPLAIN_HEADER_SIZE != need) {
    cal_vm_fail(err, errlen, "explanation size %lu does not match its header (expected %lu)", (unsigned long)len,
         (unsigned long)(need + CAL_EXPLAIN_HEADER_SIZE));
    return NULL;
  }
  if (nprogs > CAL_EXPLAIN_MAX_PROGRAMS || (!progs && nprogs)) {
    cal_vm_fail(err, errlen, "too many operand programs (%lu)", (unsigned long)nprogs);
    return NULL;
  }
  for (k = 0; k < nprogs; k++) {
    const cal_program *p = progs[k];
    if (!p || p->nvars != h[0] + h[1] || p->nrules != 0 || (k + 1 < nprogs && p->nlets != CAL_VM_MAX_LETS) ||
        (k > 0 && (p->nsets != progs[0]->nsets || p->term_words != progs[0]->term_words))) {
      cal_vm_fail(err, errlen, "operand program %lu does not fit the templates", (unsigned long)k);
      return NULL;
    }
    nops += p->nlets;
  }
  if (nops != h[2]) {
    cal_vm_fail(err, errlen, "the operand programs have %lu operands, the templates %lu", (unsigned long)nops,
         (unsigned long)h[2]);
    return NULL;
  }
  /* one allocation: the struct, then the words (aligned), then the pool */
  off = (sizeof(cal_explain) + 7u) & ~(size_t)7u;
  total = off + (size_t)h[3] * 8 + (size_t)h[4] * sizeof(node) + (size_t)h[5] * sizeof(str) + (size_t)h[6] * 4 +
          (size_t)h[7] + 1;
  mem = (unsigned char *)malloc(total);
  if (!mem) {
    cal_vm_fail(err, errlen, "out of memory loading explanations");
    return NULL;
  }
  x = (cal_explain *)(void *)mem;
  memset(x, 0, sizeof *x);
  x->nslots = h[0];
  x->nlets = h[1];
  x->nops = h[2];
  x->nrules = h[3];
  x->nnodes = h[4];
  x->nstrs = h[5];
  x->nterms = h[6];
  x->npool = h[7];
  x->nprogs = nprogs;
  for (k = 0; k < nprogs; k++) x->progs[k] = progs[k];
  {
    uint32_t *w = (uint32_t *)(void *)(mem + off);
    const unsigned char *s = b + CAL_EXPLAIN_HEADER_SIZE;
    size_t nwords = (size_t)h[3] * 2 + (size_t)h[4] * 4 + (size_t)h[5] * 2 + (size_t)h[6];
    char *pool;
    for (k = 0; k < nwords; k++) w[k] = rd32(s + 4 * k);
    x->rules = w;
    x->nodes = (const node *)(const void *)(w + (size_t)h[3] * 2);
    x->strs = (const str *)(const void *)(w + (size_t)h[3] * 2 + (size_t)h[4] * 4);
    x->terms = w + (size_t)h[3] * 2 + (size_t)h[4] * 4 + (size_t)h[5] * 2;
    pool = (char *)(w + nwords);
    memcpy(pool, s + 4 * nwords, h[7]);
    pool[h[7]] = 0;
    x->pool = pool;
  }
  if (!check(x, err, errlen)) {
    free(mem);
    return NULL;
  }
  return x;
}

void cal_explain_free(cal_explain *x) { free(x); }

size_t cal_explain_nrules(const cal_explain *x) { return x->nrules; }
size_t cal_explain_nslots(const cal_explain *x) { return x->nslots; }
size_t cal_explain_nlets(const cal_explain *x) { return x->nlets; }
size_t cal_explain_nops(const cal_explain *x) { return x->nops; }

void cal_explain_operands(const cal_explain *x, const double *vars, const double *lets, const uint64_t *terms,
                          double *in, cal_vm_result *res, double *ops) {
  size_t k, done = 0;
  if (x->nslots) memcpy(in, vars, x->nslots * sizeof(double));
  if (x->nlets) memcpy(in + x->nslots, lets, x->nlets * sizeof(double));
  for (k = 0; k < x->nprogs; k++) {
    const cal_program *p = x->progs[k];
    cal_vm_run(p, in, terms, res);
    memcpy(ops + done, res->lets, p->nlets * sizeof(double));
    done += p->nlets;
  }
}

/* ---- the reasons ---- */

static int out_add(cal_explain_out *o, const char *s, size_t n) {
  if (o->cap - o->len < n) {
    size_t cap = o->cap ? o->cap : 256;
    char *t;
    while (cap - o->len < n) cap *= 2;
    t = (char *)realloc(o->text, cap);
    if (!t) return -1;
    o->text = t;
    o->cap = cap;
  }
  if (n) memcpy(o->text + o->len, s, n);
  o->len += n;
  return 0;
}

static int out_str(cal_explain_out *o, const cal_explain *x, uint32_t s) {
  return out_add(o, x->pool + x->strs[s].off, x->strs[s].len);
}

/* a value as the explanation shows it: "missing", a whole number, or two decimals */
static int out_num(cal_explain_out *o, const cal_explain *x, double v, int whole, uint32_t tail) {
  char buf[400]; /* "%.2f" of the largest double: 309 digits, the point, 2 decimals, a sign */
  int n;
  if (v != v) return out_add(o, "missing", 7);
  if (whole && v == floor(v) && fabs(v) < 1e9)
    n = snprintf(buf, sizeof buf, "%ld", (long)v);
  else
    n = snprintf(buf, sizeof buf, "%.2f", v);
  if (n < 0 || (size_t)n >= sizeof buf) return -1; /* (cannot happen: every double fits) */
  if (out_add(o, buf, (size_t)n) < 0) return -1;
  return out_str(o, x, tail);
}

/* the present terms of a set: kind[s] t1, t2 tail */
static int out_set(cal_explain_out *o, const cal_explain *x, const node *n, const uint64_t *terms) {
  const cal_program *p = x->progs[0];
  const uint64_t *set = p->sets + (size_t)n->a * p->term_words;
  size_t w, hits = 0, shown = 0;
  for (w = 0; w < p->term_words; w++) {
    uint64_t m = set[w] & terms[w];
    for (; m; m &= m - 1) hits++;
  }
  if (out_str(o, x, n->b) < 0 || out_add(o, hits > 1 ? "s " : " ", hits > 1 ? 2 : 1) < 0) return -1;
  for (w = 0; w < p->term_words; w++) {
    uint64_t m = set[w] & terms[w];
    while (m) {
      unsigned bit = 0;
      while (!((m >> bit) & 1u)) bit++;
      m &= m - 1;
      if (shown++ && out_add(o, ", ", 2) < 0) return -1;
      if (out_str(o, x, x->terms[w * 64 + bit]) < 0) return -1;
    }
  }
  return out_str(o, x, n->c);
}

/* ends the reason that starts at start[n]: kept unless the same text is already there */
static int out_end(cal_explain_out *o) {
  size_t i, s = o->start[o->n], len = o->len - s;
  for (i = 0; i < o->n; i++)
    if (o->start[i + 1] - o->start[i] == len && memcmp(o->text + o->start[i], o->text + s, len) == 0) {
      o->len = s;
      return 0;
    }
  if (o->ncap < o->n + 2) {
    size_t cap = o->ncap ? o->ncap * 2 : 16;
    size_t *t = (size_t *)realloc(o->start, cap * sizeof(size_t));
    if (!t) return -1;
    o->start = t;
    o->ncap = cap;
  }
  o->n++;
  o->start[o->n] = o->len;
  return 0;
}

int cal_explain_rule(const cal_explain *x, size_t rule, const double *ops, const uint64_t *terms,
                     cal_explain_out *out) {
  uint32_t i, first, end;
  out->len = 0;
  out->n = 0;
  if (!out->start) {
    out->start = (size_t *)malloc(16 * sizeof(size_t));
    if (!out->start) return -1;
    out->ncap = 16;
  }
  if (!out->text) { /* (never NULL, so that an empty reason has an address too) */
    out->text = (char *)malloc(256);
    if (!out->text) return -1;
    out->cap = 256;
  }
  out->start[0] = 0;
  if (rule >= x->nrules) return 0;
  first = x->rules[2 * rule];
  end = first + x->rules[2 * rule + 1];
  for (i = first; i < end; i++) {
    const node *n = &x->nodes[i];
    int rc = 0;
    switch (n->kind) {
      case CAL_EXPLAIN_TEXT: rc = out_str(out, x, n->a); break;
      case CAL_EXPLAIN_NUM: rc = out_num(out, x, ops[n->a], (int)n->b, n->c); break;
      case CAL_EXPLAIN_SET: rc = out_set(out, x, n, terms); break;
      case CAL_EXPLAIN_END: rc = out_end(out); break;
      case CAL_EXPLAIN_GUARD:
        if (ops[n->a] != (double)n->b) i += n->c;
        break;
      default: break; /* (checked when loaded) */
    }
    if (rc < 0) return -1;
  }
  out->len = out->start[out->n]; /* a reason left unended is dropped */
  return 0;
}

void cal_explain_out_free(cal_explain_out *out) {
  free(out->text);
  free(out->start);
  memset(out, 0, sizeof *out);
}
