/*
 * spelling.c - see spelling.h.
 */
#include "spelling.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
  char *s;
  size_t n, cap;
} sbuf;

/* room for n bytes and a NUL in b. Returns 0, or -1 when out of memory. */
static int sbuf_reserve(sbuf *b, size_t n) {
  size_t cap;
  char *p;
  if (b->s && n + 1 <= b->cap) return 0;
  cap = b->cap ? b->cap : 64;
  while (cap < n + 1) cap *= 2;
  p = realloc(b->s, cap);
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
 * overlapping (as string.gsub with a plain pattern); tmp is scratch */
static int replace_all(sbuf *b, sbuf *tmp, const char *a, size_t an, const char *r, size_t rn) {
  size_t at = 0;
  const char *hit = find(b->s, b->n, 0, a, an);
  if (!hit) return 0;
  tmp->n = 0;
  while (hit) {
    size_t k = (size_t)(hit - b->s);
    if (sbuf_append(tmp, b->s + at, k - at) != 0 || sbuf_append(tmp, r, rn) != 0) return -1;
    at = k + an;
    hit = find(b->s, b->n, at, a, an);
  }
  if (sbuf_append(tmp, b->s + at, b->n - at) != 0) return -1;
  {
    sbuf t = *b;
    *b = *tmp;
    *tmp = t;
  }
  return 0;
}

/* the key, its American form and its British form (us and gb filled) */
static int variants(const char *key, size_t n, const cal_spelling *pairs, size_t npairs, sbuf *us, sbuf *gb,
                    sbuf *tmp) {
  size_t i;
  if (sbuf_set(gb, key, n) != 0) return -1;
  for (i = 0; i < npairs; i++) /* first to American ... */
    if (replace_all(gb, tmp, pairs[i].gb, pairs[i].gb_n, pairs[i].us, pairs[i].us_n) != 0) return -1;
  if (sbuf_set(us, gb->s, gb->n) != 0) return -1;
  for (i = 0; i < npairs; i++) /* ... then British, unless that form is there */
    if (!find(gb->s, gb->n, 0, pairs[i].gb, pairs[i].gb_n) &&
        replace_all(gb, tmp, pairs[i].us, pairs[i].us_n, pairs[i].gb, pairs[i].gb_n) != 0)
      return -1;
  return 0;
}

static int same(const char *a, size_t an, const char *b, size_t bn) { return an == bn && memcmp(a, b, an) == 0; }

int cal_spelling_variants(const char *key, size_t n, const cal_spelling *pairs, size_t npairs, cal_key_emit emit,
                          void *ud) {
  sbuf us = {NULL, 0, 0}, gb = {NULL, 0, 0}, tmp = {NULL, 0, 0};
  int rc = variants(key, n, pairs, npairs, &us, &gb, &tmp);
  if (rc == 0) {
    emit(ud, key, n);
    if (!same(us.s, us.n, key, n)) emit(ud, us.s, us.n);
    if (!same(gb.s, gb.n, key, n) && !same(gb.s, gb.n, us.s, us.n)) emit(ud, gb.s, gb.n);
  }
  free(us.s);
  free(gb.s);
  free(tmp.s);
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
  sbuf us = {NULL, 0, 0}, gb = {NULL, 0, 0}, tmp = {NULL, 0, 0};
  keyset k;
  size_t i;
  int rc;
  memset(&k, 0, sizeof k);
  k.emit = emit;
  k.ud = ud;
  rc = n == 0 ? 0 : variants(key, n, pairs, npairs, &us, &gb, &tmp);
  if (rc == 0 && n > 0) {
    const char *v[3];
    size_t vn[3];
    v[0] = key, vn[0] = n, v[1] = us.s, vn[1] = us.n, v[2] = gb.s, vn[2] = gb.n;
    for (i = 0; i < 3 && !k.oom; i++) {
      char *num = malloc(vn[i] + 3);
      size_t m;
      if (!num) { k.oom = 1; break; }
      keyset_add(&k, v[i], vn[i]);
      m = cal_number_variant(v[i], vn[i], num);
      if (m) keyset_add(&k, num, m);
      free(num);
    }
  }
  for (i = 0; i < k.nseen; i++) free(k.seen[i].s);
  free(us.s);
  free(gb.s);
  free(tmp.s);
  return rc != 0 || k.oom ? -1 : 0;
}
