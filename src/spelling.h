/*
 * spelling.h - the word forms a term is known by (calcinosis.lexicon): its
 * British and American spellings, and the plural or singular of its last
 * word. The lexicon's data (the spelling pairs) stays in Lua; these are
 * the functions that make keys of it, once per process, for the term map.
 * Pure C99, no Lua.
 */
#ifndef CALCINOSIS_SPELLING_H
#define CALCINOSIS_SPELLING_H

#include <stddef.h>

#include "cal.h"

CAL_HIDDEN_BEGIN

typedef struct {
  const char *us, *gb; /* American and British forms of a word part ("hem", "haem") */
  size_t us_n, gb_n;   /* their lengths, at least 1 */
} cal_spelling;

/* called once for each key made, in order */
typedef void (*cal_key_emit)(void *ud, const char *s, size_t n);

/* The spelling variants of key (the key itself first), each once: every
 * British part made American (the pairs in order, each replaced wherever
 * it occurs), then that made British again (a pair skipped when its British
 * form is already there), as calcinosis.lexicon documents. Returns 0, or
 * -1 when out of memory (nothing emitted then). */
int cal_spelling_variants(const char *key, size_t n, const cal_spelling *pairs, size_t npairs, cal_key_emit emit,
                          void *ud);

/* The plural or singular of the last word (the trailing run of ASCII
 * letters, at least 3) of key, written to out (at least n + 3 bytes, no
 * NUL). Returns its length, or 0 when there is none. */
size_t cal_number_variant(const char *key, size_t n, char *out);

/* Every key of a base key: its spelling variants, each followed by its
 * plural or singular, without repeats or empty keys (calcinosis.lexicon
 * keys_of). Returns 0, or -1 when out of memory. */
int cal_lexicon_keys(const char *key, size_t n, const cal_spelling *pairs, size_t npairs, cal_key_emit emit,
                     void *ud);

CAL_HIDDEN_END

#endif
