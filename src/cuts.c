/*
 * cuts.c - see cuts.h.
 */
#define _POSIX_C_SOURCE 200809L /* pread */
#include "cuts.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cohort.h"
#include "text.h"

/* Line ends in p[0..n): 8 bytes at a time, counted in the byte lanes of
 * a word (each lane takes at most 255 words before they are summed). */
static long long count_lf(const char *p, size_t n) {
  const uint64_t lf = 0x0101010101010101ULL * '\n', lanes = 0x00ff00ff00ff00ffULL;
  long long c = 0;
  size_t i = 0;
  while (n - i >= 8) {
    uint64_t acc = 0;
    size_t end = n - i > (size_t)8 * 255 ? i + (size_t)8 * 255 : n;
    for (; end - i >= 8; i += 8) acc += cal_zero_bytes(cal_load8(p + i) ^ lf) >> 7;
    acc = (acc & lanes) + ((acc >> 8) & lanes);
    c += (long long)((acc * 0x0001000100010001ULL) >> 48);
  }
  for (; i < n; i++) c += p[i] == '\n';
  return c;
}

off_t cal_cuts_target(const cal_cuts *t, int i) {
  return t->head_end + (off_t)((double)(t->size - t->head_end) * i / t->pieces);
}

void cal_cuts_init(cal_cuts *t, const cal_cohort *plan, off_t size, int pieces, cal_cut_fn found, void *ctx) {
  memset(t, 0, sizeof *t);
  t->plan = plan;
  t->size = size;
  t->pieces = pieces;
  t->next = 1;
  t->last = pieces - 1;
  t->fresh = 1;
  t->found = found;
  t->ctx = ctx;
  t->ctx_at = -1;
  t->head_end = -1;
  if (plan->input_ndjson) { /* no header */
    t->head_end = 0;
    t->target = cal_cuts_target(t, 1);
  }
}

void cal_cuts_resume(cal_cuts *t, off_t head_end, long long head_nl, int i, off_t at, long long nl, off_t ctx_at,
                     long long ctx_nl) {
  t->head_end = head_end;
  t->head_nl = head_nl;
  t->next = t->last = i;
  t->target = cal_cuts_target(t, i);
  t->nl = t->rec_nl = nl;
  t->rec_at = at;
  t->ctx_at = ctx_at;
  t->ctx_nl = ctx_nl;
  t->fresh = 1;
  memset(&t->sc, 0, sizeof t->sc);
}

/* The end of the current record in p[0..n) (the offset of its LF), or n:
 * in CSV where the reader ends records, in NDJSON at any line end. */
static size_t record_end(cal_cuts *t, const char *p, size_t n) {
  if (t->plan->input_ndjson) {
    const char *q = memchr(p, '\n', n);
    return q ? (size_t)(q - p) : n;
  }
  return cal_csv_boundary(&t->sc, p, n, t->plan->delim);
}

/* A record ended just before file offset at. */
static void record_ended(cal_cuts *t, off_t at) {
  if (t->head_end < 0) {
    t->head_end = at;
    t->head_nl = t->nl;
    t->target = cal_cuts_target(t, 1);
  } else if (at >= t->target) {
    t->found(t->ctx, t->next, at, t->nl, t->ctx_at, t->ctx_nl);
    t->next++;
    t->target = cal_cuts_target(t, t->next);
  }
  t->rec_at = at;
  t->rec_nl = t->nl;
}

/* A line of buf[st, lf) (lf: its LF) that is not blank (nor a lone CR). */
static int filled(const char *buf, size_t st, size_t lf) {
  return lf - st > 1 || (lf - st == 1 && buf[st] != '\r');
}

/* The last line of buf[k, e) (buf[e - 1] an LF; k a record start; nl_e
 * line ends before e) that is not blank becomes the context, if there is
 * one (else the context before k stays). */
static void last_filled(cal_cuts *t, const char *buf, size_t k, size_t e, off_t pos, long long nl_e) {
  long long back = 0;
  while (e > k) {
    size_t st = e - 1;
    back++;
    while (st > k && buf[st - 1] != '\n') st--;
    if (filled(buf, st, e - 1)) {
      t->ctx_at = pos + (off_t)st;
      t->ctx_nl = nl_e - back;
      return;
    }
    e = st;
  }
}

/* The rest of a block without quotes, from a record start: every line end
 * ends a record, so only the line ends are counted, and the first one at
 * or after each cut's target is found. */
static void quote_free_block(cal_cuts *t, const char *buf, size_t k, size_t got, off_t pos) {
  size_t last = got;
  while (t->next <= t->last) {
    off_t target = t->target - pos - 1; /* the earliest line end that may end the piece */
    size_t from = target > (off_t)k ? (size_t)target : k;
    const char *q = from < got ? memchr(buf + from, '\n', got - from) : NULL;
    if (!q) break;
    t->nl += count_lf(buf + k, (size_t)(q - buf) + 1 - k);
    last_filled(t, buf, k, (size_t)(q - buf) + 1, pos, t->nl);
    k = (size_t)(q - buf) + 1;
    record_ended(t, pos + (off_t)k);
  }
  if (t->next > t->last) return;
  t->nl += count_lf(buf + k, got - k);
  while (last > k && buf[last - 1] != '\n') last--; /* the record the block ends in starts at last */
  last_filled(t, buf, k, last, pos, t->nl);
  t->rec_at = pos + (off_t)last;
  t->rec_nl = t->nl;
  memset(&t->sc, 0, sizeof t->sc);
  if (!t->plan->input_ndjson) cal_csv_boundary(&t->sc, buf + last, got - last, t->plan->delim);
  t->fresh = last == got;
}

/* The current record, whose LF is at buf[lf] (buf at file offset pos), is
 * a line the reader skips: nothing, or a CR, before its LF (after the
 * byte-order mark at the file's start). A record that starts in an earlier
 * block is not blank (it has a byte there). */
static int blank_record(const cal_cuts *t, const char *buf, size_t lf, off_t pos) {
  size_t st;
  if (t->rec_at < pos) return 0;
  st = (size_t)(t->rec_at - pos);
  if (t->rec_at == 0 && cal_utf8_bom(buf + st, lf - st)) st += 3;
  return !filled(buf, st, lf);
}

int cal_cuts_scan(cal_cuts *t, int fd, off_t pos, char *rbuf, int head_only) {
  while (pos < t->size && (t->next <= t->last || t->head_end < 0)) {
    ssize_t got;
    size_t k = 0;
    int quote_free;
    const char *buf = rbuf;
    if (t->map && pos >= t->map_from && pos < t->map_to) {
      buf = t->map + (pos - t->map_from);
      got = t->map_to - pos < CAL_CUTS_SCAN_BUF ? (ssize_t)(t->map_to - pos) : CAL_CUTS_SCAN_BUF;
    } else
      do got = pread(fd, rbuf, CAL_CUTS_SCAN_BUF, pos); while (got < 0 && errno == EINTR);
    if (got < 0) return 0;
    if (got == 0) break;
    quote_free = t->plan->input_ndjson || !memchr(buf, '"', (size_t)got);
    if (pos == 0 && t->head_end < 0 && cal_utf8_bom(buf, (size_t)got))
      k = 3; /* the reader skips a byte-order mark at the start: a quote after it opens a field */
    while (k < (size_t)got && (t->next <= t->last || t->head_end < 0)) {
      size_t e;
      int blank;
      if (quote_free && t->fresh && t->head_end >= 0) {
        quote_free_block(t, buf, k, (size_t)got, pos);
        break;
      }
      e = record_end(t, buf + k, (size_t)got - k);
      if (k + e == (size_t)got) { t->fresh = 0; break; }
      blank = blank_record(t, buf, k + e, pos);
      if (t->head_end >= 0 && !blank) { /* the context: this record */
        t->ctx_at = t->rec_at;
        t->ctx_nl = t->rec_nl;
      }
      k += e + 1;
      t->nl += t->sc.qnl + 1;
      memset(&t->sc, 0, sizeof t->sc);
      t->fresh = 1;
      if (t->head_end < 0 && blank) { /* the reader skips it: the header is after it */
        t->rec_at = pos + (off_t)k;
        t->rec_nl = t->nl;
        continue;
      }
      record_ended(t, pos + (off_t)k);
      if (head_only) return 1;
    }
    pos += got;
  }
  return 1;
}

int cal_cuts_read_head(int fd, off_t head_end, char **head) {
  *head = (char *)malloc((size_t)head_end + 1);
  return *head && pread(fd, *head, (size_t)head_end, 0) == (ssize_t)head_end;
}
