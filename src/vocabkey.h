/*
 * vocabkey.h - the normalization key of the vocabulary (calcinosis.vocab
 * `key`): Latin-1 letters written in UTF-8 folded to ASCII, lowercase,
 * apostrophes dropped, every other run of characters that are not ASCII
 * letters or digits replaced by "_", no "_" at either end. The record
 * reader's own key (termmap.h cal_key_normalize) keeps other bytes as
 * they are; this one is the key the vocabulary's indexes and the lexicon
 * are made with. Pure C99, no Lua.
 */
#ifndef CALCINOSIS_VOCABKEY_H
#define CALCINOSIS_VOCABKEY_H

#include <stddef.h>

#include "cal.h"

CAL_HIDDEN_BEGIN

/* The key of s[0..n) into out, which has room for n + 1 bytes (a key is
 * never longer than its text); NUL-terminated. Returns its length. tmp
 * has room for n + 1 bytes too (the folding passes). */
size_t cal_vocab_key(const char *s, size_t n, char *out, char *tmp);

CAL_HIDDEN_END

#endif
