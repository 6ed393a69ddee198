/*
 * termmap.c - see termmap.h. Open addressing over normalised keys; the keys
 * and the bit lists live in two growing arrays.
 */
#include "termmap.h"

#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "text.h"

typedef struct {
  size_t key;   /* offset in keys, 0 = empty slot (offset 0 is a dummy byte) */
  size_t klen;
  size_t bits;  /* offset in bitlist */
  size_t nbits;
  size_t note;  /* offset in keys of a note (an ambiguous key), 0 = none */
} term_slot;

struct cal_termmap {
  term_slot *slots;
  size_t cap, count;
  char *keys;
  size_t keys_len, keys_cap;
  int *bitlist;
  size_t bits_len, bits_cap;
  size_t *names;          /* offsets in keys of the names suggestions are made from */
  size_t nnames, names_cap;
};

size_t cal_key_normalize(const char *s, size_t n, char *out) {
  size_t i, o = 0;
  int pending = 0;
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)cal_lower((unsigned char)s[i]);
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80) {
      if (pending && o > 0) {
        if (o + 1 >= CAL_KEY_MAX) return 0;
        out[o++] = '_';
      }
      pending = 0;
      if (o + 1 >= CAL_KEY_MAX) return 0;
      out[o++] = (char)c;
    } else if (c != '\'') {
      pending = 1;
    }
  }
  out[o] = '\0';
  return o;
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
  free(m->names);
  free(m);
}

/* The slot of key k, or the empty slot where it would go. */
/* The slot of key k (hash h = cal_hash_bytes(k, n)), or the empty slot where it would go. */
static term_slot *find_h(const cal_termmap *m, const char *k, size_t n, uint64_t h) {
  size_t i = (size_t)(h & (m->cap - 1));
  for (;;) {
    term_slot *s = &m->slots[i];
    if (s->key == 0) return s;
    if (s->klen == n && cal_same_bytes(m->keys + s->key, k, n)) return s;
    i = (i + 1) & (m->cap - 1);
  }
}

static term_slot *find(const cal_termmap *m, const char *k, size_t n) {
  size_t i = (size_t)(cal_hash_bytes(k, n) & (m->cap - 1));
  for (;;) {
    term_slot *s = &m->slots[i];
    if (s->key == 0) return s;
    if (s->klen == n && cal_same_bytes(m->keys + s->key, k, n)) return s;
    i = (i + 1) & (m->cap - 1);
  }
}

static int grow(cal_termmap *m) {
  size_t i, oldcap = m->cap;
  term_slot *old = m->slots;
  m->cap *= 2;
  m->slots = calloc(m->cap, sizeof *m->slots);
  if (!m->slots) { m->slots = old; m->cap = oldcap; return 0; }
  for (i = 0; i < oldcap; i++) {
    if (old[i].key) {
      term_slot *s = find(m, m->keys + old[i].key, old[i].klen);
      *s = old[i];
    }
  }
  free(old);
  return 1;
}

/* Stores text in the keys array; its offset, or 0 when out of memory. */
static size_t store(cal_termmap *m, const char *t, size_t n) {
  size_t at;
  while (m->keys_len + n + 1 > m->keys_cap) {
    char *k = realloc(m->keys, m->keys_cap * 2);
    if (!k) return 0;
    m->keys = k;
    m->keys_cap *= 2;
  }
  at = m->keys_len;
  memcpy(m->keys + at, t, n);
  m->keys[at + n] = '\0';
  m->keys_len += n + 1;
  return at;
}

int cal_termmap_add_note(cal_termmap *m, const char *key, size_t n, const char *note) {
  term_slot *s;
  size_t at;
  if (!cal_termmap_add(m, key, n, NULL, 0)) return 0;
  at = store(m, note, strlen(note));
  if (!at) return 0;
  s = find(m, key, n); /* store may move nothing the slots point to, but find again */
  s->note = at;
  return 1;
}

int cal_termmap_add_name(cal_termmap *m, const char *name, size_t n) {
  size_t at;
  if (!m || n == 0 || n >= CAL_KEY_MAX) return 0;
  if (m->nnames == m->names_cap) {
    size_t c = m->names_cap ? 2 * m->names_cap : 64;
    size_t *nn = realloc(m->names, c * sizeof *nn);
    if (!nn) return 0;
    m->names = nn;
    m->names_cap = c;
  }
  at = store(m, name, n);
  if (!at) return 0;
  m->names[m->nnames++] = at;
  return 1;
}

/* Optimal-string-alignment distance with an early exit above limit. */
static size_t osa(const char *a, size_t la, const char *b, size_t lb, size_t limit) {
  size_t prev2[CAL_KEY_MAX + 1], prev[CAL_KEY_MAX + 1], cur[CAL_KEY_MAX + 1], i, j;
  if ((la > lb ? la - lb : lb - la) > limit || la > CAL_KEY_MAX || lb > CAL_KEY_MAX) return limit + 1;
  for (j = 0; j <= lb; j++) prev[j] = j, prev2[j] = j;
  for (i = 1; i <= la; i++) {
    size_t rowmin = i;
    cur[0] = i;
    for (j = 1; j <= lb; j++) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1, v = prev[j] + 1;
      if (cur[j - 1] + 1 < v) v = cur[j - 1] + 1;
      if (prev[j - 1] + cost < v) v = prev[j - 1] + cost;
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && prev2[j - 2] + 1 < v)
        v = prev2[j - 2] + 1;
      cur[j] = v;
      if (v < rowmin) rowmin = v;
    }
    if (rowmin > limit) return limit + 1;
    memcpy(prev2, prev, (lb + 1) * sizeof prev[0]);
    memcpy(prev, cur, (lb + 1) * sizeof prev[0]);
  }
  return prev[lb];
}

/* Whole-word containment: "_key_" in "_name_" or the reverse. */
static int contains_word(const char *name, size_t nl, const char *key, size_t kl) {
  char a[CAL_KEY_MAX + 2], b[CAL_KEY_MAX + 2];
  a[0] = b[0] = '_';
  memcpy(a + 1, name, nl);
  memcpy(b + 1, key, kl);
  a[nl + 1] = b[kl + 1] = '_';
  a[nl + 2] = b[kl + 2] = '\0';
  return strstr(a, b) != NULL || strstr(b, a) != NULL;
}

size_t cal_termmap_suggest(const cal_termmap *m, const char *key, size_t n, char *out, size_t cap) {
  size_t limit = n / 3 < 1 ? 1 : n / 3 > 3 ? 3 : n / 3, i, k, best_n = 0, len = 0;
  size_t best[3], bestd[3]; /* distance x 2 (containment counts as limit + 0.5) */
  if (!m || cap == 0) return 0;
  out[0] = '\0';
  for (i = 0; i < m->nnames; i++) {
    const char *name = m->keys + m->names[i];
    size_t nl = strlen(name), d = osa(key, n, name, nl, limit) * 2;
    if (d > 2 * limit && n >= 4 && contains_word(name, nl, key, n)) d = 2 * limit + 1;
    if (d > 2 * limit + 1) continue;
    /* keep the 3 nearest (ties: the name first in byte order) */
    for (k = best_n; k > 0; k--) {
      const char *o = m->keys + m->names[best[k - 1]];
      if (bestd[k - 1] < d || (bestd[k - 1] == d && strcmp(o, name) <= 0)) break;
      if (k < 3) { best[k] = best[k - 1]; bestd[k] = bestd[k - 1]; }
    }
    if (k < 3) {
      best[k] = i;
      bestd[k] = d;
      if (best_n < 3) best_n++;
    }
  }
  for (k = 0; k < best_n; k++) {
    const char *name = m->keys + m->names[best[k]];
    int w = snprintf(out + len, cap - len, "%s'%s'", k == 0 ? "" : k + 1 == best_n ? " or " : ", ", name);
    if (w < 0 || (size_t)w >= cap - len) break;
    len += (size_t)w;
  }
  return len;
}

int cal_termmap_add(cal_termmap *m, const char *key, size_t n, const int *bits, size_t nbits) {
  term_slot *s;
  size_t i;
  if (!m || n == 0 || n >= CAL_KEY_MAX) return 0;
  if ((m->count + 1) * 2 > m->cap && !grow(m)) return 0;
  s = find(m, key, n);
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

/* The first ';', '|' or ',' in [p, end), or end: 8 bytes at a time, the
 * lowest bit of an exact zero-byte mask giving the first match where the
 * byte order allows. */
static const char *term_end(const char *p, const char *end) {
  const uint64_t ones = 0x0101010101010101ULL;
  while (end - p >= 8) {
    uint64_t w = cal_load8(p);
    uint64_t m = cal_zero_bytes(w ^ (ones * ';')) | cal_zero_bytes(w ^ (ones * '|')) |
                 cal_zero_bytes(w ^ (ones * ','));
    if (m) {
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
      return p + (__builtin_ctzll(m) >> 3);
#else
      break;
#endif
    }
    p += 8;
  }
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  if (p < end) { /* the last 1 to 7 bytes as one word (zero above them), loaded within [p, end) */
    size_t r = (size_t)(end - p);
    uint64_t w, m;
    if (r >= 4) {
      uint32_t a, b;
      memcpy(&a, p, 4);
      memcpy(&b, end - 4, 4);
      w = a | ((uint64_t)b << (8 * (r - 4)));
    } else {
      w = (uint64_t)(unsigned char)p[0] | ((uint64_t)(unsigned char)p[r >> 1] << (8 * (r >> 1))) |
          ((uint64_t)(unsigned char)p[r - 1] << (8 * (r - 1)));
    }
    m = cal_zero_bytes(w ^ (ones * ';')) | cal_zero_bytes(w ^ (ones * '|')) | cal_zero_bytes(w ^ (ones * ','));
    return m ? p + (__builtin_ctzll(m) >> 3) : end;
  }
#endif
  while (p < end && *p != ';' && *p != '|' && *p != ',') p++;
  return p;
}

static void set_bits(const cal_termmap *m, const term_slot *s, uint64_t *terms, size_t tw) {
  size_t b;
  for (b = 0; b < s->nbits; b++) {
    int bit = m->bitlist[s->bits + b];
    if (bit >= 0 && (size_t)bit < 64 * tw) terms[bit >> 6] |= (uint64_t)1 << (bit & 63);
  }
}

/* The slot of a normalised key, or of its longest known ICD-10-CM prefix;
 * NULL when neither is known. */
static const term_slot *lookup_key(const cal_termmap *m, const char *key, size_t nk) {
  const term_slot *s = find(m, key, nk);
  if (!s->key && nk > 3 && key[0] >= 'a' && key[0] <= 'z' && key[1] >= '0' && key[1] <= '9') {
    size_t pl = nk;
    while (pl > 3 && !s->key) {
      pl--;
      while (pl > 3 && key[pl - 1] == '_') pl--;
      s = find(m, key, pl);
    }
  }
  return s->key ? s : NULL;
}

/* Phrases. A term that is no key may still name known concepts: "on
 * phenprocoumon", "ovarian adenocarcinoma", "no dialysis". Its key is read as
 * words (between '_'): at each word the longest run of at most PHRASE_SPAN
 * words that is a key is a concept (a single word only when it has at least
 * 3 bytes, is not all digits and is not marked exact-only); words that are
 * no key (on, history, of, ...) are skipped. Cue words come from the caller
 * as keys of their own, a 0x01 byte and a class letter before the words:
 * 'n' negation and 'h' hedge ("no", "without", "suspected": the concepts
 * after it in the term set no bits), 's' the end of a cue's scope ("but"),
 * 'p' a cue at the end that negates the whole term ("excluded", "negative"),
 * 'x' a key that counts only as a whole term (an abbreviation such as "pas").
 * The term is known when at least one concept was found (negated or not). */
#define PHRASE_WORDS 32
#define PHRASE_SPAN 8
#define CUE_SPAN 4

static int marked(const cal_termmap *m, char cls, const char *k, size_t n) {
  char buf[CAL_KEY_MAX];
  if (n + 2 >= CAL_KEY_MAX) return 0;
  buf[0] = '\x01';
  buf[1] = cls;
  memcpy(buf + 2, k, n);
  return find(m, buf, n + 2)->key != 0;
}

static int all_digits(const char *k, size_t n) {
  size_t i;
  for (i = 0; i < n; i++)
    if (k[i] < '0' || k[i] > '9') return 0;
  return 1;
}

static int read_phrase(const cal_termmap *m, const char *key, size_t nk, uint64_t *terms, size_t tw) {
  size_t at[PHRASE_WORDS], len[PHRASE_WORDS], nw = 0, p = 0, i = 0, end, l;
  int negated = 0, all_negated = 0, found = 0;
  while (p < nk) {
    size_t q = p;
    while (q < nk && key[q] != '_') q++;
    if (nw == PHRASE_WORDS) return 0;
    at[nw] = p;
    len[nw] = q - p;
    nw++;
    p = q + 1;
  }
  if (nw < 2) return 0;
  end = nw;
  for (l = CUE_SPAN - 1; l >= 1; l--) { /* a cue at the end negates the whole term */
    if (l < end && marked(m, 'p', key + at[end - l], nk - at[end - l])) {
      all_negated = 1;
      end -= l;
      break;
    }
  }
  while (i < end) {
    size_t best = 0;
    int cue = 0;
    for (l = (end - i < CUE_SPAN ? end - i : CUE_SPAN); l >= 1 && !cue; l--) {
      size_t b = at[i + l - 1] + len[i + l - 1];
      if (marked(m, 'n', key + at[i], b - at[i]) || marked(m, 'h', key + at[i], b - at[i])) {
        negated = 1;
        i += l;
        cue = 1;
      }
    }
    if (cue) continue;
    if (marked(m, 's', key + at[i], len[i])) {
      negated = 0;
      i++;
      continue;
    }
    for (l = (end - i < PHRASE_SPAN ? end - i : PHRASE_SPAN); l >= 1 && !best; l--) {
      size_t b = at[i + l - 1] + len[i + l - 1];
      const term_slot *s = find(m, key + at[i], b - at[i]);
      if (!s->key || s->note) continue;
      if (l == 1 && (len[i] < 3 || all_digits(key + at[i], len[i]) || marked(m, 'x', key + at[i], len[i])))
        continue;
      best = l;
      found = 1;
      if (!negated && !all_negated) set_bits(m, s, terms, tw);
    }
    i += best ? best : 1;
  }
  return found;
}

void cal_term_memo_init(cal_term_memo *memo) {
  size_t i;
  for (i = 0; i < CAL_TERM_MEMO; i++) memo->e[i].map = NULL;
  for (i = 0; i < CAL_CELL_MEMO; i++) memo->cell[i].map = NULL;
}

size_t cal_termmap_read_cell(const cal_termmap *m, const char *cell, size_t n, uint64_t *terms, size_t tw,
                             cal_termmap_unknown_fn unknown, void *ctx) {
  return cal_termmap_read_cell_memo(m, NULL, cell, n, terms, tw, unknown, ctx);
}

/* The bits of a cell as whole cells are remembered (cal_term_memo.cell):
 * per word of terms, the bits of it that the cell's terms set. */
typedef struct {
  int n;                                   /* words; -1: the cell is not remembered */
  unsigned short word[CAL_CELL_MEMO_WORDS];
  uint64_t bits[CAL_CELL_MEMO_WORDS];
} cell_bits;

static void cell_add(cell_bits *c, int bit) {
  int k;
  unsigned short w;
  if (c->n < 0) return;
  if (bit < 0 || bit >= 64 * 65536) { c->n = -1; return; }
  w = (unsigned short)(bit >> 6);
  for (k = 0; k < c->n; k++)
    if (c->word[k] == w) break;
  if (k == c->n) {
    if (k == CAL_CELL_MEMO_WORDS) { c->n = -1; return; }
    c->word[k] = w;
    c->bits[k] = 0;
    c->n++;
  }
  c->bits[k] |= (uint64_t)1 << (bit & 63);
}

/* The terms of a cell one by one (cal_termmap_read_cell_memo without the
 * cell memo); their bits also into *cb when it is not NULL. */
static size_t read_terms(const cal_termmap *m, cal_term_memo *memo, const char *cell, size_t n, uint64_t *terms,
                         size_t tw, cal_termmap_unknown_fn unknown, void *ctx, cell_bits *cb) {
  const char *p = cell, *end = cell + n;
  size_t nunknown = 0;
  while (p < end) {
    const char *q = term_end(p, end);
    size_t kl = (size_t)(q - p);
    if (kl > 0 && m) { /* fast path: the term as written is already a key */
      uint64_t h = cal_hash_bytes(p, kl);
      const term_slot *s;
      if (memo && kl < CAL_TERM_MEMO_KEY) { /* remembered: the bits without the map */
        size_t b, at = (size_t)((h ^ (h >> 29)) & (CAL_TERM_MEMO - 1));
        if (memo->e[at].map == m && memo->e[at].len == kl && cal_same_bytes(memo->e[at].key, p, kl)) {
          for (b = 0; b < memo->e[at].nbits; b++) {
            int bit = memo->e[at].bits[b];
            if (bit >= 0 && (size_t)bit < 64 * tw) terms[bit >> 6] |= (uint64_t)1 << (bit & 63);
            if (cb) cell_add(cb, bit);
          }
          p = q + 1;
          continue;
        }
        s = find_h(m, p, kl, h);
        if (s->key && !s->note && s->nbits <= CAL_TERM_MEMO_BITS) {
          memo->e[at].map = m;
          memo->e[at].len = (unsigned char)kl;
          memcpy(memo->e[at].key, p, kl);
          memo->e[at].nbits = (unsigned char)s->nbits;
          for (b = 0; b < s->nbits; b++) memo->e[at].bits[b] = m->bitlist[s->bits + b];
        }
      } else s = find_h(m, p, kl, h);
      if (s->key && !s->note) {
        size_t b;
        set_bits(m, s, terms, tw);
        if (cb)
          for (b = 0; b < s->nbits; b++) cell_add(cb, m->bitlist[s->bits + b]);
        p = q + 1;
        continue;
      }
    }
    if (cb) cb->n = -1; /* (the slower ways are not remembered) */
    if (kl > 0) {
      char key[CAL_KEY_MAX];
      size_t nk = cal_key_normalize(p, kl, key);
      if (nk > 0) {
        const term_slot *s = m ? lookup_key(m, key, nk) : NULL;
        if (s && !s->note) set_bits(m, s, terms, tw);
        else if (!s && m && read_phrase(m, key, nk, terms, tw)) {
          /* known as a phrase of known concepts */
        } else {
          nunknown++;
          if (unknown) unknown(ctx, key, nk, s ? m->keys + s->note : NULL);
        }
      } else {
        const char *t = p;
        size_t tl = kl;
        cal_trim(&t, &tl);
        if (tl > 0) {
          nunknown++;
          if (unknown) unknown(ctx, key, 0, NULL);
        }
      }
    }
    p = q + 1;
  }
  return nunknown;
}

/* A cell not remembered as a whole: its terms, then the cell remembered
 * in slot at when it can be. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static size_t read_cell_new(const cal_termmap *m, cal_term_memo *memo, size_t at, const char *cell, size_t n,
                            uint64_t *terms, size_t tw, cal_termmap_unknown_fn unknown, void *ctx) {
  cell_bits cb;
  size_t nunknown;
  cb.n = 0;
  nunknown = read_terms(m, memo, cell, n, terms, tw, unknown, ctx, &cb);
  if (cb.n >= 0 && nunknown == 0) {
    int k;
    memo->cell[at].map = m;
    memo->cell[at].len = (unsigned char)n;
    memo->cell[at].nwords = (unsigned char)cb.n;
    for (k = 0; k < cb.n; k++) {
      memo->cell[at].word[k] = cb.word[k];
      memo->cell[at].bits[k] = cb.bits[k];
    }
    memcpy(memo->cell[at].key, cell, n);
  }
  return nunknown;
}

size_t cal_termmap_read_cell_memo(const cal_termmap *m, cal_term_memo *memo, const char *cell, size_t n,
                                  uint64_t *terms, size_t tw, cal_termmap_unknown_fn unknown, void *ctx) {
  size_t at, k;
  if (!memo || !m || n == 0 || n > CAL_CELL_MEMO_KEY) return read_terms(m, memo, cell, n, terms, tw, unknown, ctx, NULL);
  if (cal_termmap_memo_hit(m, memo, cell, n, terms, tw)) return 0;
  {
    uint64_t a, b;
    at = CAL_CELL_SET(cal_cell_hash(cell, n, &a, &b));
    /* sets of two: the kept entry, then the newest; a cell seen again in
     * the second is kept (the two swap), so that cells a cohort repeats
     * are not pushed out by those it has once */
    if (memo->cell[at + 1].map != m || !cal_cell_same(memo->cell[at + 1].key, memo->cell[at + 1].len, cell, n, a, b))
      return read_cell_new(m, memo, at + 1, cell, n, terms, tw, unknown, ctx);
  }
  {
    char tmp[sizeof memo->cell[0]];
    memcpy(tmp, &memo->cell[at], sizeof tmp);
    memcpy(&memo->cell[at], &memo->cell[at + 1], sizeof tmp);
    memcpy(&memo->cell[at + 1], tmp, sizeof tmp);
  }
  for (k = 0; k < memo->cell[at].nwords; k++)
    if (memo->cell[at].word[k] < tw) terms[memo->cell[at].word[k]] |= memo->cell[at].bits[k];
  return 0;
}
