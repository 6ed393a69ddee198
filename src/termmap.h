/*
 * termmap.h - terms (findings, sites) in the C core: the key normaliser, a
 * hash map from normalised keys to a program's term bits, and the lookup of
 * the terms of one cell.
 *
 * The Lua side resolves synonyms and implications beforehand and adds every
 * key it knows with the bits it sets (maybe none: known to the vocabulary,
 * unused by the program). Pure C99, no Lua.
 */
#ifndef CALCINOSIS_TERMMAP_H
#define CALCINOSIS_TERMMAP_H

#include <stddef.h>
#include <stdint.h>

#include "cal.h"
#include "text.h"

CAL_HIDDEN_BEGIN

#define CAL_KEY_MAX 96 /* bytes of a key, with its NUL */

/* The key of a term or a header, as calcinosis.vocab.key makes it for ASCII:
 * lowercase, apostrophes dropped, every run of other non-alphanumerics one
 * '_', none at either end; bytes >= 0x80 are kept. Writes it with a NUL to
 * out (CAL_KEY_MAX bytes). Returns its length, 0 if empty or too long. */
size_t cal_key_normalize(const char *s, size_t n, char *out);

typedef struct cal_termmap cal_termmap; /* opaque */

cal_termmap *cal_termmap_new(void); /* NULL when out of memory */
/* Adds key -> bits[0..nbits) (nbits may be 0; a key added again takes the
 * new bits). Returns 0 when out of memory or when the key is empty or not
 * shorter than CAL_KEY_MAX. */
int cal_termmap_add(cal_termmap *m, const char *key, size_t keylen, const int *bits, size_t nbits);
void cal_termmap_free(cal_termmap *m); /* NULL is fine */

/* A key that stands for several terms (an ambiguous abbreviation): looking
 * it up reports the note instead of setting bits. Returns 0 when out of
 * memory. */
int cal_termmap_add_note(cal_termmap *m, const char *key, size_t keylen, const char *note);

/* A name (a canonical term) that "did you mean" suggestions are made from. */
int cal_termmap_add_name(cal_termmap *m, const char *name, size_t n);

/* Up to three names nearest to key (optimal-string-alignment distance
 * within max(1, min(3, n / 3)), or containing it as a whole word), written
 * as "'a', 'b' or 'c'" to out (cap bytes, NUL-terminated). Returns the
 * length written, 0 when no name is near. */
size_t cal_termmap_suggest(const cal_termmap *m, const char *key, size_t n, char *out, size_t cap);

/* Called for a term of a cell that the map does not know, with its key
 * (keylen 0: the term is too long to be a key) and, for an ambiguous key,
 * its note (else NULL). */
typedef void (*cal_termmap_unknown_fn)(void *ctx, const char *key, size_t keylen, const char *note);

/* Sets in terms (tw words) the bits of each term of cell[0..n): terms are
 * separated by ';', '|' or ','; each is looked up as written, then by its
 * key, then, when the key looks like an ICD-10-CM code (a letter, a digit,
 * more than 3 bytes), by its longest known prefix of at least 3 bytes. m
 * may be NULL (no term is known). Calls unknown (when not NULL) for each
 * term not found, in order. Returns the number of such terms. */
size_t cal_termmap_read_cell(const cal_termmap *m, const char *cell, size_t n, uint64_t *terms, size_t tw,
                             cal_termmap_unknown_fn unknown, void *ctx);

/* Terms as written in a stream's cells and their bits, remembered per map
 * (a cohort repeats a few terms, and a lookup in a large map misses the
 * cache; these entries stay in it): one per stream, optional. Only terms
 * found as written, with at most CAL_TERM_MEMO_BITS bits, are kept. */
#define CAL_TERM_MEMO 128
#define CAL_TERM_MEMO_KEY 22
#define CAL_TERM_MEMO_BITS 8
/* And whole cells ("ckd;dialysis"): a cohort repeats a few hundred of them
 * (a cell is kept when every term of it is known as written, its bits are
 * in at most CAL_CELL_MEMO_WORDS words, and it is at most CAL_CELL_MEMO_KEY
 * bytes). */
#define CAL_CELL_MEMO 4096
#define CAL_CELL_MEMO_KEY 48
#define CAL_CELL_MEMO_WORDS 3
typedef struct {
  struct {
    const cal_termmap *map; /* NULL: empty */
    unsigned char len, nbits;
    char key[CAL_TERM_MEMO_KEY];
    int bits[CAL_TERM_MEMO_BITS];
  } e[CAL_TERM_MEMO];
  struct {
    const cal_termmap *map; /* NULL: empty */
    unsigned char len, nwords;
    unsigned short word[CAL_CELL_MEMO_WORDS]; /* the words of terms its bits are in */
    uint64_t bits[CAL_CELL_MEMO_WORDS];       /* and its bits in each */
    char key[CAL_CELL_MEMO_KEY];
  } cell[CAL_CELL_MEMO];
} cal_term_memo;
void cal_term_memo_init(cal_term_memo *memo);

/* The hash of a cell (1 to CAL_CELL_MEMO_KEY bytes) for the cell memo,
 * without a loop: its length, its first and last 8 bytes (all of them up
 * to 8, text.h cal_load_small) and, past 16, the 8 in the middle (so all
 * of them up to 24; a hit compares every byte). Its first and last words
 * go to *a and *b (the same word up to 8 bytes), for the comparison. */
static inline uint64_t cal_cell_hash(const char *s, size_t n, uint64_t *a, uint64_t *b) {
  uint64_t h = 0x9e3779b97f4a7c15ULL ^ (uint64_t)n;
  if (n <= 8) {
    *a = *b = cal_load_small(s, n);
    return cal_mix(h ^ *a);
  }
  *a = cal_load8(s);
  *b = cal_load8(s + n - 8);
  h = cal_mix(h ^ *a) ^ *b;
  if (n > 16) h ^= cal_load8(s + ((n - 8) >> 1)) * 0xc2b2ae3d27d4eb4fULL;
  return cal_mix(h);
}

/* The set of two entries of the cell memo where a cell of hash h is (cal_cell_hash). */
#define CAL_CELL_SET(h) ((size_t)(((h) ^ ((h) >> 31)) & (CAL_CELL_MEMO - 2)))

/* Whether the cell memo's entry e holds cell[0..n) (1 to CAL_CELL_MEMO_KEY
 * bytes; a and b from cal_cell_hash). */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline int cal_cell_same(const char *key, size_t len, const char *cell, size_t n, uint64_t a, uint64_t b) {
  size_t i;
  if (len != n) return 0;
  if (n <= 8) return cal_load_small(key, n) == a;
  if (cal_load8(key) != a || cal_load8(key + n - 8) != b) return 0;
  for (i = 8; i + 8 < n; i += 8) /* (the words between: none up to 16 bytes) */
    if (cal_load8(key + i) != cal_load8(cell + i)) return 0;
  return 1;
}

/* The usual case of cal_termmap_read_cell_memo, inline: a cell (1 to
 * CAL_CELL_MEMO_KEY bytes) in the kept entry of its set, whose bits are
 * or-ed into terms; returns 1 then (no unknown terms), else 0 and does
 * nothing (then cal_termmap_read_cell_memo reads it). */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline int cal_termmap_memo_hit(const cal_termmap *m, cal_term_memo *memo, const char *cell, size_t n,
                                       uint64_t *terms, size_t tw) {
  size_t at, k;
  uint64_t a, b;
  if (n - 1 >= CAL_CELL_MEMO_KEY) return 0; /* (n 0 too) */
  at = CAL_CELL_SET(cal_cell_hash(cell, n, &a, &b));
  if (memo->cell[at].map != m || !cal_cell_same(memo->cell[at].key, memo->cell[at].len, cell, n, a, b)) return 0;
  for (k = 0; k < memo->cell[at].nwords; k++)
    if (memo->cell[at].word[k] < tw) terms[memo->cell[at].word[k]] |= memo->cell[at].bits[k];
  return 1;
}

/* cal_termmap_read_cell with a memo (NULL: none): the same bits and calls. */
size_t cal_termmap_read_cell_memo(const cal_termmap *m, cal_term_memo *memo, const char *cell, size_t n,
                                  uint64_t *terms, size_t tw, cal_termmap_unknown_fn unknown, void *ctx);

CAL_HIDDEN_END

#endif
