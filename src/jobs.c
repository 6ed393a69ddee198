/*
 * jobs.c - see jobs.h. The parent finds the cuts (one pass over the file up
 * to the last cut: record ends need the quote state from the start), forks
 * one process per range and concatenates their outputs in order.
 */
#define _POSIX_C_SOURCE 200809L
#include "jobs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cohort.h"

#define MAX_JOBS 64
#define SCAN_BUF (1 << 20)

/* Where the input is cut. */
typedef struct {
  int jobs;                         /* ranges (fewer than asked when lines run out) */
  off_t head_end;                   /* end of the header record (0 in NDJSON) */
  long long head_nl;                /* line ends up to there */
  off_t bounds[MAX_JOBS + 1];       /* range i is [bounds[i], bounds[i + 1]) */
  long long nl_before[MAX_JOBS + 1]; /* line ends before range i */
} cuts_t;

/* The end of the current record in p[0..n) (the offset of its LF), or n:
 * in CSV where the reader ends records, in NDJSON at any line end. */
static size_t record_end(const cal_cohort *plan, cal_csv_scan *sc, const char *p, size_t n) {
  if (plan->input_ndjson) {
    const char *q = memchr(p, '\n', n);
    return q ? (size_t)(q - p) : n;
  }
  return cal_csv_boundary(sc, p, n, plan->delim);
}

/* One pass: the end of the header record, then for each cut the first
 * record end at or after its target. Returns 0 on a read error. */
static int find_cuts(const cal_cohort *plan, int fd, off_t size, int jobs, cuts_t *c, char *buf) {
  off_t pos = 0;
  long long nl = 0;
  int i, next = 1;
  cal_csv_scan sc;
  memset(&sc, 0, sizeof sc);
  c->head_end = -1;
  c->head_nl = 0;
  if (plan->input_ndjson) { /* no header */
    c->head_end = 0;
    for (i = 1; i < jobs; i++) c->bounds[i] = size * i / jobs;
  }
  while (pos < size && next < jobs) {
    ssize_t got;
    size_t k = 0;
    do got = pread(fd, buf, SCAN_BUF, pos); while (got < 0 && errno == EINTR);
    if (got < 0) return 0;
    if (got == 0) break;
    while (k < (size_t)got && next < jobs) {
      size_t e = record_end(plan, &sc, buf + k, (size_t)got - k);
      off_t at;
      if (k + e == (size_t)got) break;
      k += e + 1;
      at = pos + (off_t)k;
      nl += sc.qnl + 1;
      memset(&sc, 0, sizeof sc);
      if (c->head_end < 0) {
        c->head_end = at;
        c->head_nl = nl;
        for (i = 1; i < jobs; i++) c->bounds[i] = at + (size - at) * i / jobs;
      } else if (at >= c->bounds[next]) {
        c->bounds[next] = at;
        c->nl_before[next] = nl;
        next++;
      }
    }
    pos += got;
  }
  if (c->head_end < 0 || next < jobs) jobs = next; /* not enough line ends: fewer ranges */
  if (c->head_end < 0) c->head_end = size;
  c->jobs = jobs;
  c->bounds[0] = c->head_end;
  c->nl_before[0] = c->head_nl;
  c->bounds[jobs] = size;
  return 1;
}

/* A range of the file, after the header record's bytes. */
typedef struct {
  int fd;
  const char *head;
  size_t head_len, head_pos;
  off_t pos, end;
} chunk_src;

static long chunk_read(void *ctx, char *buf, size_t n) {
  chunk_src *c = (chunk_src *)ctx;
  if (c->head_pos < c->head_len) {
    size_t k = c->head_len - c->head_pos;
    if (k > n) k = n;
    memcpy(buf, c->head + c->head_pos, k);
    c->head_pos += k;
    return (long)k;
  }
  if (c->pos >= c->end) return 0;
  {
    size_t want = (size_t)(c->end - c->pos);
    ssize_t got;
    if (want > n) want = n;
    do got = pread(c->fd, buf, want, c->pos); while (got < 0 && errno == EINTR);
    if (got < 0) return -1;
    c->pos += got;
    return (long)got;
  }
}

/* The run of one process (no fork). */
static int run_one(const cal_cohort *plan, const char *path, FILE *out, cal_cohort_stats *st, char *err,
                   size_t errlen) {
  FILE *f = fopen(path, "rb");
  cal_reader rd;
  int status;
  if (!f) { snprintf(err, errlen, "%s: cannot open for reading", path); return -1; }
  if (!cal_reader_open(&rd, plan, f, NULL, NULL)) {
    fclose(f);
    snprintf(err, errlen, "cannot start the reader");
    return -1;
  }
  status = cal_cohort_run(plan, &rd.src, out, st, NULL, NULL, 0, err, errlen);
  cal_reader_close(&rd);
  fclose(f);
  return status;
}

/* The child of range i: classifies it into out, sends its stats on pipe
 * fd `tell` and exits. */
static void child(const cal_cohort *plan, int fd, const cuts_t *c, const char *head, int i, FILE *out, int tell) {
  cal_cohort sub = *plan;
  chunk_src src;
  cal_reader rd;
  cal_cohort_stats s1;
  char e2[256];
  int rc = -1;
  ssize_t w;
  sub.header = i == 0 ? plan->header : 0;
  sub.line_offset = plan->line_offset + c->nl_before[i] - c->head_nl;
  src.fd = fd;
  src.head = head;
  src.head_len = (size_t)c->head_end;
  src.head_pos = 0;
  src.pos = c->bounds[i];
  src.end = c->bounds[i + 1];
  memset(&s1, 0, sizeof s1);
  if (cal_reader_open(&rd, plan, NULL, chunk_read, &src)) {
    rc = cal_cohort_run(&sub, &rd.src, out, &s1, NULL, NULL, 0, e2, sizeof e2);
    cal_reader_close(&rd);
  }
  if (fflush(out) != 0) rc = -1;
  if (rc != 0) s1.stopped = -1;
  w = write(tell, &s1, sizeof s1);
  _exit(w == (ssize_t)sizeof s1 && rc == 0 ? 0 : 1);
}

/* Reads a child's stats and waits for it. Returns 0 when it failed. */
static int reap(int rfd, pid_t pid, cal_cohort_stats *cs) {
  int ws = 0;
  ssize_t got = 0, k;
  memset(cs, 0, sizeof *cs);
  while ((size_t)got < sizeof *cs) {
    k = read(rfd, (char *)cs + got, sizeof *cs - (size_t)got);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) break;
    got += k;
  }
  close(rfd);
  while (waitpid(pid, &ws, 0) < 0 && errno == EINTR) {}
  return (size_t)got == sizeof *cs && WIFEXITED(ws) && WEXITSTATUS(ws) == 0;
}

/* Adds a range's stats; returns 1 when --strict stopped it. */
static int add_stats(cal_cohort_stats *st, const cal_cohort_stats *cs, int first) {
  size_t j;
  st->records += cs->records;
  st->with_problems += cs->with_problems;
  for (j = 0; j <= CAL_VM_MAX_SUBTYPES; j++) st->counts[j] += cs->counts[j];
  if (first) memcpy(st->warnings, cs->warnings, sizeof st->warnings);
  if (!cs->stopped) return 0;
  st->stopped = 1;
  st->stop_line = cs->stop_line;
  memcpy(st->stop_message, cs->stop_message, sizeof st->stop_message);
  return 1;
}

/* Copies a temporary file to out. Returns 0 on a write error. */
static int copy_out(FILE *from, FILE *out) {
  char copy[1 << 16];
  size_t k;
  rewind(from);
  while ((k = fread(copy, 1, sizeof copy, from)) > 0)
    if (fwrite(copy, 1, k, out) != k) return 0;
  return 1;
}

int cal_cohort_run_jobs(const cal_cohort *plan, const char *path, int jobs, FILE *out, cal_cohort_stats *st,
                        char *err, size_t errlen) {
  int fd, i, n, status = 0;
  struct stat sb;
  cuts_t c;
  char *head = NULL, *buf = NULL;
  pid_t pids[MAX_JOBS];
  FILE *outs[MAX_JOBS];
  int pipes[MAX_JOBS][2];
  cal_cohort_stats cs;
  if (jobs > MAX_JOBS) jobs = MAX_JOBS;
  memset(st, 0, sizeof *st);
  fd = open(path, O_RDONLY);
  if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || jobs < 2 || sb.st_size < (1 << 20) ||
      plan->input_long) { /* one process (a long-format patient must not be cut in two) */
    if (fd >= 0) close(fd);
    return run_one(plan, path, out, st, err, errlen);
  }
  buf = malloc(SCAN_BUF);
  if (!buf || !find_cuts(plan, fd, sb.st_size, jobs, &c, buf) || !(head = malloc((size_t)c.head_end + 1)) ||
      pread(fd, head, (size_t)c.head_end, 0) != (ssize_t)c.head_end) {
    free(buf); free(head); close(fd);
    snprintf(err, errlen, "%s: read error", path);
    return -1;
  }
  free(buf);
  fflush(out);
  for (n = 0; n < c.jobs; n++) {
    outs[n] = tmpfile();
    if (!outs[n] || pipe(pipes[n]) != 0) {
      if (outs[n]) fclose(outs[n]);
      status = -1; snprintf(err, errlen, "cannot create a temporary file"); break;
    }
    pids[n] = fork();
    if (pids[n] < 0) {
      fclose(outs[n]); close(pipes[n][0]); close(pipes[n][1]);
      status = -1; snprintf(err, errlen, "cannot fork"); break;
    }
    if (pids[n] == 0) {
      close(pipes[n][0]);
      child(plan, fd, &c, head, n, outs[n], pipes[n][1]);
    }
    close(pipes[n][1]);
  }
  for (i = 0; i < n; i++) {
    if (!reap(pipes[i][0], pids[i], &cs)) {
      if (status == 0) snprintf(err, errlen, "job %d failed", i + 1);
      status = -1;
    }
    /* concatenate in order; with --strict stop after the first range that stopped */
    if (status == 0 && !st->stopped) {
      if (!copy_out(outs[i], out)) { status = -1; snprintf(err, errlen, "write error"); }
      else add_stats(st, &cs, i == 0);
    }
  }
  for (i = 0; i < n; i++) fclose(outs[i]);
  free(head);
  close(fd);
  fflush(out);
  return status;
}
