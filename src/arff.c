/*
 * arff.c - see arff.h.
 */
#include "arff.h"

#include <stdlib.h>
#include <string.h>

#include "text.h"

#define BLOCK ((size_t)64 * 1024)

struct cal_arff {
  cal_csv_read_fn fn;
  void *ctx;
  FILE *file;
  int state;          /* 0 header not read, 1 data, 2 end, -1 error */
  char *out;          /* the CSV header text still to give, out[opos, olen) */
  size_t olen, opos;
  char *rest;         /* data bytes read with the header, rest[rpos, rlen) */
  size_t rlen, rpos;
  int line_start;     /* the next data byte starts a line */
  int in_comment;     /* skipping a '%' line of the data section */
  char err[160];
};

cal_arff *cal_arff_open(cal_csv_read_fn fn, void *ctx, FILE *f) {
  cal_arff *a = (cal_arff *)calloc(1, sizeof *a);
  if (!a) return NULL;
  a->fn = fn;
  a->ctx = ctx;
  a->file = f;
  a->line_start = 1;
  return a;
}

void cal_arff_close(cal_arff *a) {
  if (!a) return;
  free(a->out);
  free(a->rest);
  free(a);
}

const char *cal_arff_error(const cal_arff *a) { return a->err[0] ? a->err : NULL; }

static long raw_read(cal_arff *a, char *buf, size_t n) {
  if (a->fn) return a->fn(a->ctx, buf, n);
  {
    size_t got = fread(buf, 1, n, a->file);
    if (got == 0 && ferror(a->file)) return -1;
    return (long)got;
  }
}

/* 1 when line p[0..n) starts with the keyword kw (lowercase, after '@'), any case. */
static int keyword(const char *p, size_t n, const char *kw) {
  size_t k, l = strlen(kw);
  if (n < l + 1 || p[0] != '@') return 0;
  for (k = 0; k < l; k++)
    if (cal_lower((unsigned char)p[1 + k]) != (unsigned char)kw[k]) return 0;
  return n == l + 1 || p[l + 1] == ' ' || p[l + 1] == '\t' || p[l + 1] == '\r';
}

/* Appends s[0..n) to the header text as one CSV field. 0 when out of memory. */
static int add_name(cal_arff *a, size_t *cap, const char *s, size_t n, int first) {
  size_t need = a->olen + 2 * n + 4, k;
  int quote = 0;
  if (need > *cap) {
    size_t c = *cap ? *cap : 256;
    char *p;
    while (c < need) c *= 2;
    p = (char *)realloc(a->out, c);
    if (!p) return 0;
    a->out = p;
    *cap = c;
  }
  /* quoted when it holds a delimiter or a quote, and always when it is the
   * line's first: a first name of only bytes the CSV reader takes off a
   * line's start (a byte order mark) would leave a blank line, skipped */
  quote = first && n > 0;
  for (k = 0; k < n; k++)
    if (s[k] == ',' || s[k] == '"') quote = 1;
  if (!first) a->out[a->olen++] = ',';
  if (quote) a->out[a->olen++] = '"';
  for (k = 0; k < n; k++) {
    if (s[k] == '"') a->out[a->olen++] = '"';
    a->out[a->olen++] = s[k];
  }
  if (quote) a->out[a->olen++] = '"';
  return 1;
}

/* Reads the header section: the attribute names become the CSV header line,
 * followed by one blank line for every other line up to @data. */
static int read_header(cal_arff *a) {
  char *h = NULL;
  size_t len = 0, cap = 0, pos = 0, ocap = 0, nattr = 0;
  long long lines = 0;
  int eof = 0;
  for (;;) {
    /* a whole line in h[pos, e) */
    char *nl = len > pos ? (char *)memchr(h + pos, '\n', len - pos) : NULL;
    const char *p;
    size_t n;
    if (!nl && !eof) {
      long got;
      if (len + BLOCK > CAL_ARFF_MAX_HEADER) {
        snprintf(a->err, sizeof a->err, "ARFF header longer than %u bytes, or no @data line",
                 (unsigned)CAL_ARFF_MAX_HEADER);
        break;
      }
      if (cap < len + BLOCK) {
        char *nh = (char *)realloc(h, len + BLOCK);
        if (!nh) { snprintf(a->err, sizeof a->err, "out of memory"); break; }
        h = nh;
        cap = len + BLOCK;
      }
      got = raw_read(a, h + len, BLOCK);
      if (got < 0) { snprintf(a->err, sizeof a->err, "read error"); break; }
      if (got == 0) eof = 1;
      len += (size_t)got;
      continue;
    }
    if (!nl && pos >= len) { snprintf(a->err, sizeof a->err, "no @data line: not an ARFF file"); break; }
    p = h + pos;
    n = nl ? (size_t)(nl - p) : len - pos;
    pos += n + (nl ? 1 : 0);
    lines++;
    if (lines == 1 && cal_utf8_bom(p, n)) { p += 3; n -= 3; }
    cal_trim(&p, &n);
    if (keyword(p, n, "attribute")) {
      const char *s = p + 10, *e = p + n;
      const char *name, *end;
      while (s < e && (*s == ' ' || *s == '\t')) s++;
      if (s < e && (*s == '\'' || *s == '"')) {
        char q = *s++;
        name = s;
        while (s < e && *s != q) s++;
        end = s;
      } else {
        name = s;
        while (s < e && *s != ' ' && *s != '\t') s++;
        end = s;
      }
      /* a nameless column would make an empty header field, and a header of
       * one empty field a blank line, which the CSV reader skips */
      if (end == name) {
        snprintf(a->err, sizeof a->err, "ARFF line %lld: @attribute without a name", lines);
        break;
      }
      if (!add_name(a, &ocap, name, (size_t)(end - name), nattr == 0)) {
        snprintf(a->err, sizeof a->err, "out of memory");
        break;
      }
      nattr++;
    } else if (keyword(p, n, "data")) {
      long long k;
      if (!nattr) { snprintf(a->err, sizeof a->err, "no @attribute line before @data"); break; }
      /* the header line is line 1 (its line end, then one blank line for
       * every other line up to @data): data line k is the file's line k */
      for (k = 0; k < lines; k++) {
        if (!add_name(a, &ocap, "", 0, 1)) { snprintf(a->err, sizeof a->err, "out of memory"); break; }
        a->out[a->olen++] = '\n';
      }
      if (a->err[0]) break;
      a->rest = h;
      a->rpos = pos;
      a->rlen = len;
      a->state = 1;
      return 1;
    }
  }
  free(h);
  a->state = -1;
  return 0;
}

long cal_arff_read(void *ctx, char *buf, size_t n) {
  cal_arff *a = (cal_arff *)ctx;
  size_t w = 0;
  if (a->state == 0 && !read_header(a)) return -1;
  if (a->state < 0) return -1;
  if (a->opos < a->olen) {
    size_t k = a->olen - a->opos < n ? a->olen - a->opos : n;
    memcpy(buf, a->out + a->opos, k);
    a->opos += k;
    return (long)k;
  }
  while (w == 0 && a->state == 1) {
    char tmp[BLOCK];
    const char *src;
    size_t sn, i;
    if (a->rpos < a->rlen) {
      src = a->rest + a->rpos;
      sn = a->rlen - a->rpos < n ? a->rlen - a->rpos : n;
      a->rpos += sn;
    } else {
      long got = raw_read(a, tmp, n < sizeof tmp ? n : sizeof tmp);
      if (got < 0) return -1;
      if (got == 0) { a->state = 2; break; }
      src = tmp;
      sn = (size_t)got;
    }
    for (i = 0; i < sn; i++) { /* '%' lines of the data section become blank lines */
      char c = src[i];
      if (a->in_comment) {
        if (c == '\n') { a->in_comment = 0; a->line_start = 1; buf[w++] = c; }
        continue;
      }
      if (a->line_start && c == '%') { a->in_comment = 1; continue; }
      a->line_start = c == '\n';
      buf[w++] = c;
    }
  }
  return (long)w;
}
