/*
 * spelling.c - see spelling.h.
 */
#include "spelling.h"

#include <stdlib.h>
#include <string.h>

/* a growing string; short ones (every key of the vocabulary) stay in the
 * bytes inside it, longer ones are allocated */
typedef struct {
  char *s;
  size_t n, cap;
  char inl[128];
} sbuf;

static void sbuf_init(sbuf *b) {
  b->s = b->inl;
  b->n = 0;
  b->cap = sizeof b->inl;
}

static void sbuf_free(sbuf *b) {
  if (b->s != b->inl) free(b->s);
  sbuf_init(b);
}

/* room for n bytes and a NUL in b. Returns 0, or -1 when out of memory. */
static int sbuf_reserve(sbuf *b, size_t n) {
  size_t cap;
  char *p;
  if (n + 1 <= b->cap) return 0;
  cap = b->cap * 2;
  while (cap < n + 1) cap *= 2;
  if (b->s == b->inl) {
    p = malloc(cap);
    if (p) memcpy(p, b->s, b->n);
  } else p = realloc(b->s, cap);
  if (!p) return -1;
  b->s = p;
  b->cap = cap;
  return 0;
}

/* s[0 .. n) (not inside b) added at the end of b */
static int sbuf_append(sbuf *b, const char *s, size_t n) {
  if (sbuf_reserve(b, b->n + n) != 0) return -1;
  if (n) memcpy(b->s + b->n, s, n);
  b->n += n;
  return 0;
}

static int sbuf_set(sbuf *b, const char *s, size_t n) {
  b->n = 0;
  return sbuf_append(b, s, n);
}

/* The byte pairs of a string, hashed into 1,024 bits: a word part whose
 * first two bytes' bit is clear is not in the string (most of the pairs
 * are in no key: the search for them is skipped). */
typedef struct {
  unsigned bits[32];
} pairset;

static unsigned pair_hash(const char *p) { return ((unsigned)(unsigned char)p[0] * 33u + (unsigned char)p[1]) & 1023u; }

static void pairset_make(pairset *ps, const char *s, size_t n) {
  size_t i;
  memset(ps, 0, sizeof *ps);
  for (i = 0; i + 1 < n; i++) {
    unsigned h = pair_hash(s + i);
    ps->bits[h >> 5] |= 1u << (h & 31);
  }
}

/* 0 when a (an) is certainly not in the string of ps */
static int pairset_may_have(const pairset *ps, const char *a, size_t an) {
  unsigned h;
  if (an < 2) return 1;
  h = pair_hash(a);
  return (ps->bits[h >> 5] >> (h & 31)) & 1u;
}

/* the first occurrence of a (an) in s (sn) at or after from, or NULL */
static const char *find(const char *s, size_t sn, size_t from, const char *a, size_t an) {
  size_t i;
  if (an == 0 || sn < an) return NULL;
  for (i = from; i + an <= sn; i++) {
    if (s[i] == a[0] && memcmp(s + i, a, an) == 0) return s + i;
  }
  return NULL;
}

/* every occurrence of a in b->s replaced by r, left to right, not
 * overlapping (as string.gsub with a plain pattern); tmp is scratch.
 * *hit_any is set when something was replaced. */
static int replace_all(sbuf *b, sbuf *tmp, const char *a, size_t an, const char *r, size_t rn, int *hit_any) {
  size_t at = 0;
  const char *hit = find(b->s, b->n, 0, a, an);
  if (!hit) return 0;
  *hit_any = 1;
  tmp->n = 0;
  while (hit) {
    size_t k = (size_t)(hit - b->s);
    if (sbuf_append(tmp, b->s + at, k - at) != 0 || sbuf_append(tmp, r, rn) != 0) return -1;
    at = k + an;
    hit = find(b->s, b->n, at, a, an);
  }
  if (sbuf_append(tmp, b->s + at, b->n - at) != 0) return -1;
  return sbuf_set(b, tmp->s, tmp->n);
}

/* the key, its American form and its British form (us and gb filled) */
static int variants(const char *key, size_t n, const cal_spelling *pairs, size_t npairs, sbuf *us, sbuf *gb,
                    sbuf *tmp) {
  size_t i;
  pairset ps;
  int changed = 0;
  if (sbuf_set(gb, key, n) != 0) return -1;
  pairset_make(&ps, gb->s, gb->n);
  for (i = 0; i < npairs; i++) { /* first to American ... */
    if (!pairset_may_have(&ps, pairs[i].gb, pairs[i].gb_n)) continue;
    changed = 0;
    if (replace_all(gb, tmp, pairs[i].gb, pairs[i].gb_n, pairs[i].us, pairs[i].us_n, &changed) != 0) return -1;
    if (changed) pairset_make(&ps, gb->s, gb->n);
  }
  if (sbuf_set(us, gb->s, gb->n) != 0) return -1;
  for (i = 0; i < npairs; i++) { /* ... then British, unless that form is there */
    if (!pairset_may_have(&ps, pairs[i].us, pairs[i].us_n)) continue;
    if (pairset_may_have(&ps, pairs[i].gb, pairs[i].gb_n) && find(gb->s, gb->n, 0, pairs[i].gb, pairs[i].gb_n))
      continue;
    changed = 0;
    if (replace_all(gb, tmp, pairs[i].us, pairs[i].us_n, pairs[i].gb, pairs[i].gb_n, &changed) != 0) return -1;
    if (changed) pairset_make(&ps, gb->s, gb->n);
  }
  return 0;
}

static int same(const char *a, size_t an, const char *b, size_t bn) { return an == bn && memcmp(a, b, an) == 0; }

int cal_spelling_variants(const char *key, size_t n, const cal_spelling *pairs, size_t npairs, cal_key_emit emit,
                          void *ud) {
  sbuf us, gb, tmp;
  int rc;
  sbuf_init(&us), sbuf_init(&gb), sbuf_init(&tmp);
  rc = variants(key, n, pairs, npairs, &us, &gb, &tmp);
  if (rc == 0) {
    emit(ud, key, n);
    if (!same(us.s, us.n, key, n)) emit(ud, us.s, us.n);
    if (!same(gb.s, gb.n, key, n) && !same(gb.s, gb.n, us.s, us.n)) emit(ud, gb.s, gb.n);
  }
  sbuf_free(&us), sbuf_free(&gb), sbuf_free(&tmp);
  return rc;
}

static int alpha(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static int vowel(char c) { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u'; }

static int ends(const char *w, size_t wn, const char *tail) {
  size_t tn = strlen(tail);
  return wn >= tn && memcmp(w + wn - tn, tail, tn) == 0;
}

size_t cal_number_variant(const char *key, size_t n, char *out) {
  size_t start = n, ln, keep, k;
  const char *last;
  const char *add = "";
  while (start > 0 && alpha((unsigned char)key[start - 1])) start--;
  ln = n - start;
  last = key + start;
  if (ln < 3) return 0;
  keep = n;
  if (ends(last, ln, "ies")) keep = n - 3, add = "y";
  else if ((ln >= 3 && (last[ln - 3] == 's' || last[ln - 3] == 'x') && ends(last, ln, "es")) ||
           (ln >= 4 && (last[ln - 4] == 'c' || last[ln - 4] == 's') && ends(last, ln, "hes")))
    keep = n - 2;
  /* (a last word ending in "x", "ch" or "sh" ends in neither "s" nor "y":
   * checked here with "ss", "us" and "is", it gets what it got after them) */
  else if (ends(last, ln, "ss") || ends(last, ln, "us") || ends(last, ln, "is") || ends(last, ln, "x") ||
           ((last[ln - 2] == 'c' || last[ln - 2] == 's') && ends(last, ln, "h")))
    add = "es";
  else if (ends(last, ln, "s")) keep = n - 1;
  else if (ends(last, ln, "y") && !vowel(last[ln - 2])) keep = n - 1, add = "ies";
  else add = "s";
  memcpy(out, key, keep);
  for (k = 0; add[k]; k++) out[keep + k] = add[k];
  return keep + k;
}

/* the keys made so far, to drop repeats (a key has few: up to 6) */
typedef struct {
  cal_key_emit emit;
  void *ud;
  sbuf seen[6];
  size_t nseen;
  int oom;
} keyset;

static void keyset_add(keyset *k, const char *s, size_t n) {
  size_t i;
  if (n == 0 || k->oom) return;
  for (i = 0; i < k->nseen; i++)
    if (same(k->seen[i].s, k->seen[i].n, s, n)) return;
  if (k->nseen < sizeof k->seen / sizeof k->seen[0]) {
    if (sbuf_set(&k->seen[k->nseen], s, n) != 0) { k->oom = 1; return; }
    k->nseen++;
  }
  k->emit(k->ud, s, n);
}

int cal_lexicon_keys(const char *key, size_t n, const cal_spelling *pairs, size_t npairs, cal_key_emit emit,
                     void *ud) {
  sbuf us, gb, tmp;
  keyset k;
  size_t i;
  int rc;
  memset(&k, 0, sizeof k);
  k.emit = emit;
  k.ud = ud;
  for (i = 0; i < sizeof k.seen / sizeof k.seen[0]; i++) sbuf_init(&k.seen[i]);
  sbuf_init(&us), sbuf_init(&gb), sbuf_init(&tmp);
  rc = n == 0 ? 0 : variants(key, n, pairs, npairs, &us, &gb, &tmp);
  if (rc == 0 && n > 0) {
    const char *v[3];
    size_t vn[3];
    v[0] = key, vn[0] = n, v[1] = us.s, vn[1] = us.n, v[2] = gb.s, vn[2] = gb.n;
    for (i = 0; i < 3 && !k.oom; i++) {
      char small[128], *num = vn[i] + 3 <= sizeof small ? small : malloc(vn[i] + 3);
      size_t m;
      if (!num) { k.oom = 1; break; }
      keyset_add(&k, v[i], vn[i]);
      m = cal_number_variant(v[i], vn[i], num);
      if (m) keyset_add(&k, num, m);
      if (num != small) free(num);
    }
  }
  for (i = 0; i < sizeof k.seen / sizeof k.seen[0]; i++) sbuf_free(&k.seen[i]);
  sbuf_free(&us), sbuf_free(&gb), sbuf_free(&tmp);
  return rc != 0 || k.oom ? -1 : 0;
}
