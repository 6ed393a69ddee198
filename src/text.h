/*
 * text.h - small byte helpers shared by the term map and the record
 * reader: word loads, a hash, equality, and the zero-byte mask used to find
 * separators 8 bytes at a time. All static inline; no state.
 */
#ifndef CALCINOSIS_TEXT_H
#define CALCINOSIS_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* 8 bytes as a word (maps are built and read in the same process, so byte
 * order does not matter). */
static inline uint64_t cal_load8(const char *s) {
  uint64_t w;
  memcpy(&w, s, 8);
  return w;
}

/* Up to 8 bytes as one word; different bytes of one length give different words. */
static inline uint64_t cal_load_small(const char *s, size_t n) {
  if (n >= 4) {
    uint32_t a, b;
    memcpy(&a, s, 4);
    memcpy(&b, s + n - 4, 4);
    return ((uint64_t)a << 32) | b;
  }
  if (n == 0) return 0;
  return ((uint64_t)(unsigned char)s[0] << 16) | ((uint64_t)(unsigned char)s[n >> 1] << 8) |
         (unsigned char)s[n - 1];
}

/* memmove(d, s, n) for the short texts of a row (ids): up to 16 bytes
 * without a call (every byte read before any is written). */
static inline void cal_copy_small(char *d, const char *s, size_t n) {
  if (n > 16) memmove(d, s, n);
  else if (n >= 8) {
    uint64_t a, b;
    memcpy(&a, s, 8);
    memcpy(&b, s + (n - 8), 8);
    memcpy(d, &a, 8);
    memcpy(d + (n - 8), &b, 8);
  } else if (n >= 4) {
    uint32_t a, b;
    memcpy(&a, s, 4);
    memcpy(&b, s + (n - 4), 4);
    memcpy(d, &a, 4);
    memcpy(d + (n - 4), &b, 4);
  } else if (n > 0) {
    char a = s[0], b = s[n >> 1], c = s[n - 1];
    d[0] = a;
    d[n >> 1] = b;
    d[n - 1] = c;
  }
}

static inline uint64_t cal_mix(uint64_t h) {
  h *= 0xff51afd7ed558ccdULL;
  return h ^ (h >> 32);
}

/* Words of 8 bytes, the last one overlapping the one before. */
static inline uint64_t cal_hash_bytes(const char *s, size_t n) {
  uint64_t h = 0x9e3779b97f4a7c15ULL ^ (uint64_t)n;
  size_t i;
  if (n <= 8) return cal_mix(h ^ cal_load_small(s, n));
  for (i = 0; i + 8 < n; i += 8) h = cal_mix(h ^ cal_load8(s + i));
  return cal_mix(h ^ cal_load8(s + n - 8));
}

static inline int cal_same_bytes(const char *a, const char *b, size_t n) {
  size_t i;
  if (n <= 8) return cal_load_small(a, n) == cal_load_small(b, n);
  for (i = 0; i + 8 < n; i += 8)
    if (cal_load8(a + i) != cal_load8(b + i)) return 0;
  return cal_load8(a + n - 8) == cal_load8(b + n - 8);
}

/* 0x80 in each byte of x that is 0, exactly (no false positives above a
 * true one), so the lowest set bit is the first zero byte. */
static inline uint64_t cal_zero_bytes(uint64_t x) {
  const uint64_t low7 = 0x7f7f7f7f7f7f7f7fULL;
  return ~(((x & low7) + low7) | x | low7);
}

/* A value as messages show it: at most max bytes of s[0..n) (cut before a
 * UTF-8 continuation byte, so that no character is cut in half), each
 * control byte as \xHH, so that a NUL or a line break in a value neither
 * cuts nor breaks the message. out has room for 4 * max + 1 bytes; returns
 * out, NUL-terminated. */
static inline const char *cal_show(char *out, const char *s, size_t n, size_t max) {
  static const char hex[] = "0123456789abcdef";
  size_t i, k = 0;
  if (n > max) {
    n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) n--;
  }
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x20 || c == 0x7f) {
      out[k++] = '\\';
      out[k++] = 'x';
      out[k++] = hex[c >> 4];
      out[k++] = hex[c & 15];
    } else out[k++] = (char)c;
  }
  out[k] = '\0';
  return out;
}

/* ASCII lowercase of one byte. */
static inline int cal_lower(int c) { return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c; }

#endif
