/*
 * fuzz_cuts.c - libFuzzer target for src/cuts.c (run by `make fuzz`, spec/c/fuzz.sh).
 *
 * TEST-SOURCES: src/cuts.c src/csv.c
 *
 * The first 3 bytes choose the format (CSV or NDJSON), the delimiter and the
 * number of pieces (2..17); the rest is the file, scanned from memory
 * (cal_cuts.map). Checks, besides the sanitizers:
 *   - every cut is after a line end, the cuts go up, and each one's line
 *     count is the number of LFs before it;
 *   - each cut's context (the last record before it that is not a blank
 *     line) starts after a line end (or at the header's end), before the
 *     cut, on a line that is not blank, with its LFs counted;
 *   - the pieces read apart (the header's bytes, then the piece; CSV), their
 *     line numbers moved by the LFs before each piece, give the same
 *     records, fields, problems and lines as the whole file read at once:
 *     what --jobs and --shard rely on;
 *   - a scan that starts at a cut, as a --jobs process starts at its
 *     chunk's start, finds the next cut and its context where the one pass
 *     found them.
 */
#define _POSIX_C_SOURCE 200809L

#include "../../src/cohort.h"
#include "../../src/csv.h"
#include "../../src/cuts.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PIECES 17

/* A failed check: says which, then aborts (a finding). */
#define CHECK(c) \
  do { \
    if (!(c)) { \
      fprintf(stderr, "fuzz_cuts.c:%d: check failed: %s\n", __LINE__, #c); \
      abort(); \
    } \
  } while (0)

typedef struct {
  int n;
  off_t at[MAX_PIECES + 1];
  long long nl[MAX_PIECES + 1];
  off_t ctx_at[MAX_PIECES + 1];
  long long ctx_nl[MAX_PIECES + 1];
} found_t;

static void found(void *ctx, int i, off_t at, long long nl, off_t ctx_at, long long ctx_nl) {
  found_t *f = (found_t *)ctx;
  CHECK(i >= 1 && i <= MAX_PIECES);
  f->at[i] = at;
  f->nl[i] = nl;
  f->ctx_at[i] = ctx_at;
  f->ctx_nl[i] = ctx_nl;
  f->n = i;
}

static long long lfs(const uint8_t *p, size_t n) {
  long long c = 0;
  size_t i;
  for (i = 0; i < n; i++) c += p[i] == '\n';
  return c;
}

static uint64_t mix(uint64_t h, const void *p, size_t n) {
  const unsigned char *c = (const unsigned char *)p;
  size_t i;
  for (i = 0; i < n; i++) h = (h ^ c[i]) * 0x100000001B3u;
  return h;
}

/* The records of a reader from record `skip` on: fields, problem and line
 * (moved by `shift`) into a running digest; the count into *count. */
static uint64_t records(cal_csv *r, uint64_t h, long long shift, long long *count, int skip) {
  const cal_field *f;
  size_t n, i;
  while (cal_csv_next(r, &f, &n) == 1) {
    long long line = cal_csv_line(r) + shift;
    const char *pb = cal_csv_problem(r);
    if (skip-- > 0) continue;
    for (i = 0; i < n; i++) {
      h = mix(h, &f[i].len, sizeof f[i].len);
      h = mix(h, f[i].ptr, f[i].len);
    }
    h = mix(h, &n, sizeof n);
    h = mix(h, &line, sizeof line);
    if (pb) h = mix(h, pb, strlen(pb));
    (*count)++;
  }
  return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const char delims[] = { ',', ';', '\t', '|' };
  cal_cohort plan;
  cal_cuts t;
  found_t f;
  const uint8_t *in;
  size_t len;
  int pieces, i;
  char delim;
  if (size < 3) return 0;
  memset(&plan, 0, sizeof plan);
  plan.input_ndjson = data[0] & 1;
  delim = delims[data[1] & 3];
  plan.delim = delim;
  pieces = 2 + data[2] % (MAX_PIECES - 1);
  in = data + 3;
  len = size - 3;
  memset(&f, 0, sizeof f);
  cal_cuts_init(&t, &plan, (off_t)len, pieces, found, &f);
  t.map = (const char *)in;
  t.map_from = 0;
  t.map_to = (off_t)len;
  CHECK(t.head_end >= 0 || cal_cuts_scan(&t, -1, 0, NULL, 1));
  if (t.head_end < 0) return 0; /* no record end: nothing to cut */
  CHECK(t.head_nl == lfs(in, (size_t)t.head_end));
  CHECK(cal_cuts_scan(&t, -1, t.head_end, NULL, 0));
  f.at[0] = t.head_end;
  f.nl[0] = t.head_nl;
  for (i = 1; i <= f.n; i++) {
    off_t a = f.at[i], c = f.ctx_at[i];
    CHECK(a > f.at[i - 1] && a <= (off_t)len && in[a - 1] == '\n');
    CHECK(f.nl[i] == lfs(in, (size_t)a));
    if (c >= 0) {
      off_t e = c;
      CHECK(c >= t.head_end && c < a && (c == t.head_end || in[c - 1] == '\n'));
      CHECK(f.ctx_nl[i] == lfs(in, (size_t)c));
      while (e < a && in[e] != '\n') e++;
      CHECK(e - c > 1 || (e - c == 1 && in[c] != '\r')); /* not a blank line */
    }
  }
  /* the pieces apart read as the whole (CSV: the reader is csv.c) */
  if (!plan.input_ndjson) {
    long long n1 = 0, n2 = 0;
    uint64_t whole, apart = 0xCBF29CE484222325u;
    cal_csv *r = cal_csv_open_mem((const char *)in, len, delim);
    CHECK(r != NULL);
    whole = records(r, 0xCBF29CE484222325u, 0, &n1, 1);
    cal_csv_close(r);
    for (i = 0; i <= f.n; i++) {
      off_t from = f.at[i], to = i < f.n ? f.at[i + 1] : (off_t)len;
      size_t hl = (size_t)t.head_end, pl = (size_t)(to - from);
      char *buf = (char *)malloc(hl + pl + 1);
      CHECK(buf != NULL);
      memcpy(buf, in, hl);
      memcpy(buf + hl, in + from, pl);
      r = cal_csv_open_mem(buf, hl + pl, delim);
      CHECK(r != NULL);
      apart = records(r, apart, f.nl[i] - t.head_nl, &n2, 1);
      cal_csv_close(r);
      free(buf);
    }
    CHECK(n1 == n2 && whole == apart);
  }
  /* a scan from each cut finds the next one where the pass did */
  for (i = 1; i < f.n; i++) {
    cal_cuts u;
    found_t g;
    memset(&g, 0, sizeof g);
    cal_cuts_init(&u, &plan, (off_t)len, pieces, found, &g);
    cal_cuts_resume(&u, t.head_end, t.head_nl, i + 1, f.at[i], f.nl[i], f.ctx_at[i], f.ctx_nl[i]);
    u.map = (const char *)in;
    u.map_from = 0;
    u.map_to = (off_t)len;
    CHECK(cal_cuts_scan(&u, -1, f.at[i], NULL, 0));
    CHECK(g.n == i + 1 && g.at[i + 1] == f.at[i + 1] && g.nl[i + 1] == f.nl[i + 1]);
    CHECK(g.ctx_at[i + 1] == f.ctx_at[i + 1] && (g.ctx_at[i + 1] < 0 || g.ctx_nl[i + 1] == f.ctx_nl[i + 1]));
  }
  return 0;
}
