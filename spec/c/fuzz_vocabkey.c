/*
 * fuzz_vocabkey.c - libFuzzer target for the vocabulary's normalization key
 * (cal_vocab_key, src/vocabkey.c), which keys every finding and site text a
 * caller gives calcinosis.vocab, and the lexicon's key makers
 * (cal_spelling_variants, cal_lexicon_keys, src/spelling.c) on the keys it
 * makes. Built and run by `make fuzz` (spec/c/fuzz.sh).
 *
 * TEST-SOURCES: src/vocabkey.c src/spelling.c
 *
 * The input is the text. Checks, besides the sanitizers:
 *   - the key is no longer than the text, NUL-terminated, made of a-z, 0-9
 *     and "_" only, with no "_" at either end and none twice in a row;
 *   - the key of the key is the key (normalizing twice changes nothing);
 *   - an ASCII text's key has every ASCII letter and digit of the text, in
 *     order, lowercased;
 *   - the spelling variants begin with the key itself, and no key is given
 *     twice by either maker.
 */
#include "../../src/spelling.h"
#include "../../src/vocabkey.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  char *keys[16];
  size_t n[16];
  size_t count;
  const char *first;
  size_t first_n;
} seen_keys;

static void emit(void *ud, const char *s, size_t n) {
  seen_keys *k = (seen_keys *)ud;
  size_t i;
  if (k->count == 0 && (n != k->first_n || memcmp(s, k->first, n) != 0)) abort(); /* the key first */
  for (i = 0; i < k->count && i < 16; i++)
    if (k->n[i] == n && memcmp(k->keys[i], s, n) == 0) abort(); /* twice */
  if (k->count < 16) {
    k->keys[k->count] = malloc(n + 1);
    if (!k->keys[k->count]) abort();
    memcpy(k->keys[k->count], s, n);
    k->n[k->count] = n;
  }
  k->count++;
}

static void seen_free(seen_keys *k) {
  size_t i;
  for (i = 0; i < k->count && i < 16; i++) free(k->keys[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const cal_spelling pairs[] = {
      {"esophag", "oesophag", 7, 8}, {"edema", "oedema", 5, 6}, {"emia", "aemia", 4, 5}, {"hem", "haem", 3, 4},
      {"tumor", "tumour", 5, 6},     {"ization", "isation", 7, 7}, {"e", "ae", 1, 2},
  };
  const size_t npairs = sizeof pairs / sizeof pairs[0];
  char *out = malloc(size + 1), *tmp = malloc(size + 1), *out2, *tmp2;
  const char *s = (const char *)data;
  size_t k, k2, i, j;
  int ascii = 1;
  if (!out || !tmp) abort();
  k = cal_vocab_key(s, size, out, tmp);
  if (k > size || out[k] != '\0' || strlen(out) != k) abort();
  for (i = 0; i < k; i++) {
    char c = out[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) abort();
    if (c == '_' && (i == 0 || i + 1 == k || out[i + 1] == '_')) abort();
  }
  out2 = malloc(k + 1), tmp2 = malloc(k + 1);
  if (!out2 || !tmp2) abort();
  k2 = cal_vocab_key(out, k, out2, tmp2);
  if (k2 != k || memcmp(out, out2, k) != 0) abort();
  for (i = 0; i < size; i++)
    if (data[i] >= 0x80) ascii = 0;
  if (ascii) {
    for (i = 0, j = 0; i < size; i++) {
      char c = s[i];
      if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) continue;
      while (j < k && out[j] == '_') j++;
      if (j >= k || out[j] != c) abort();
      j++;
    }
    if (j != k) abort();
  }
  if (k > 0) {
    seen_keys a, b;
    memset(&a, 0, sizeof a), memset(&b, 0, sizeof b);
    a.first = b.first = out, a.first_n = b.first_n = k;
    if (cal_spelling_variants(out, k, pairs, npairs, emit, &a) != 0) abort();
    if (a.count == 0 || a.count > 3) abort();
    if (cal_lexicon_keys(out, k, pairs, npairs, emit, &b) != 0) abort();
    if (b.count == 0 || b.count > 6) abort();
    seen_free(&a), seen_free(&b);
  }
  free(out), free(tmp), free(out2), free(tmp2);
  return 0;
}
