/*
 * vocabkey.c - the vocabulary's normalization key (vocabkey.h).
 */
#include "vocabkey.h"

#include <string.h>

/* The ASCII of the UTF-8 Latin-1-supplement letters, by the second byte
 * after 0xC3 (0x80..0xBF); NULL: not a letter (it becomes a separator). */
static const char *const c3_fold[64] = {
    /* 0x80 */ "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
    /* 0x90 */ NULL, "n", "o", "o", "o", "o", "o", NULL, "o", "u", "u", "u", "u", "y", NULL, "ss",
    /* 0xA0 */ "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
    /* 0xB0 */ NULL, "n", "o", "o", "o", "o", "o", NULL, "o", "u", "u", "u", "u", "y", NULL, "y",
};

/* the three folding passes, each over the whole text as the one before
 * left it (as the gsub calls they replace did): U+2019 (right single
 * quotation mark, an apostrophe) dropped; then U+0153 and U+0152 (oe
 * ligatures) made "oe"; then 0xC3 xx made its letter, or " ". */
static size_t fold(const char *s, size_t n, char *out, char *tmp) {
  size_t i, o = 0, m;
  for (i = 0; i < n; i++) {
    if ((unsigned char)s[i] == 0xE2 && i + 2 < n && (unsigned char)s[i + 1] == 0x80 && (unsigned char)s[i + 2] == 0x99)
      i += 2;
    else tmp[o++] = s[i];
  }
  m = o, o = 0;
  for (i = 0; i < m; i++) {
    if ((unsigned char)tmp[i] == 0xC5 && i + 1 < m && ((unsigned char)tmp[i + 1] == 0x93 || (unsigned char)tmp[i + 1] == 0x92)) {
      out[o++] = 'o';
      out[o++] = 'e';
      i++;
    } else out[o++] = tmp[i];
  }
  m = o, o = 0;
  for (i = 0; i < m; i++) {
    unsigned char b = i + 1 < m ? (unsigned char)out[i + 1] : 0;
    if ((unsigned char)out[i] == 0xC3 && b >= 0x80 && b <= 0xBF) {
      const char *f = c3_fold[b - 0x80];
      if (!f) tmp[o++] = ' ';
      else while (*f) tmp[o++] = *f++;
      i++;
    } else tmp[o++] = out[i];
  }
  memcpy(out, tmp, o);
  return o;
}

size_t cal_vocab_key(const char *s, size_t n, char *out, char *tmp) {
  size_t i, o = 0;
  int pending = 0, ascii = 1;
  for (i = 0; i < n; i++)
    if ((unsigned char)s[i] >= 0x80) { ascii = 0; break; }
  if (!ascii) {
    n = fold(s, n, out, tmp);
    memcpy(tmp, out, n);
    s = tmp;
  }
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 'A' && c <= 'Z') c = (unsigned char)(c - 'A' + 'a');
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      if (pending && o > 0) out[o++] = '_';
      pending = 0;
      out[o++] = (char)c;
    } else if (c != '\'') {
      pending = 1;
    }
  }
  out[o] = '\0';
  return o;
}
