/*
 * jobs.c - see jobs.h.
 *
 * The parent finds the end of the header record and starts the first
 * range's process at once: it may read up to its target, and learns its
 * exact end (the first record end at or after the target) through a pipe.
 * Meanwhile the parent finds the other cuts (one pass up to the last cut:
 * record ends need the quote state from the start; in a block without a
 * quote only the line ends are counted), then starts the other processes.
 *
 * The first range writes straight to the output. Each other range writes
 * to memory (a memfd on Linux, else a temporary file), which the parent
 * sends to the output in order (sendfile on Linux: no copy through user
 * space) while that range is still being written, as soon as the ranges
 * before it are done; what was sent is given back to the system.
 */
#if defined(__linux__)
#define _GNU_SOURCE /* memfd_create, sendfile, fallocate */
#else
#define _POSIX_C_SOURCE 200809L
#endif
#include "jobs.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/mman.h>
#include <sys/sendfile.h>
#endif

#include "cohort.h"
#include "text.h"

#define MAX_JOBS 64
#define SCAN_BUF (1 << 20)
#define FOLLOW_MS 5 /* how often a range's output is looked at while it grows */
/* How much longer than the others the first range is when writing the
 * output costs nothing (a character device such as /dev/null): its process
 * starts first and writes straight to the output, while the others start
 * after the scan and write to memory first (bench-v1, 1M and 10M rows, 2
 * jobs: the processes then end together). Writing to a file or a pipe
 * costs the first range's process about what the others' memory costs
 * them: the ranges are equal (as they are for --shard). */
#define FIRST_RANGE_EXTRA 0.06

/* ------------------------------------------------------------------ */
/* cuts                                                                 */

/* Where the input is cut. */
typedef struct {
  int jobs;                          /* ranges (fewer than asked when lines run out) */
  off_t head_end;                    /* end of the header record (0 in NDJSON; -1 not found yet) */
  long long head_nl;                 /* line ends up to there */
  off_t bounds[MAX_JOBS + 1];        /* range i is [bounds[i], bounds[i + 1]); targets until found */
  long long nl_before[MAX_JOBS + 1]; /* line ends before range i */
} cuts_t;

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

/* The scan for the cuts. */
typedef struct {
  const cal_cohort *plan;
  cuts_t *c;
  off_t size;
  int jobs, next;     /* cuts asked for, the next one to find */
  double extra;       /* the first range's extra share (cut_target) */
  long long nl;       /* line ends before the current record */
  cal_csv_scan sc;    /* the scan of the current record (CSV) */
  int fresh;          /* the current record starts at the scan's position (sc is zero) */
} cutter;

/* Where cut i (1 <= i < jobs) of [from, size) aims: the first range gets
 * (1 + extra) / jobs of it, the others share the rest. */
static off_t cut_target(off_t from, off_t size, int i, int jobs, double extra) {
  double first = (1.0 + extra) / jobs;
  double share = first + (1.0 - first) * (i - 1) / (jobs - 1);
  return from + (off_t)((double)(size - from) * share);
}

static void cutter_init(cutter *t, const cal_cohort *plan, cuts_t *c, off_t size, int jobs, double extra) {
  int i;
  memset(t, 0, sizeof *t);
  t->extra = extra;
  t->plan = plan;
  t->c = c;
  t->size = size;
  t->jobs = jobs;
  t->next = 1;
  t->fresh = 1;
  c->head_end = -1;
  c->head_nl = 0;
  if (plan->input_ndjson) { /* no header */
    c->head_end = 0;
    for (i = 1; i < jobs; i++) c->bounds[i] = cut_target(0, size, i, jobs, extra);
  }
}

/* The end of the current record in p[0..n) (the offset of its LF), or n:
 * in CSV where the reader ends records, in NDJSON at any line end. */
static size_t record_end(cutter *t, const char *p, size_t n) {
  if (t->plan->input_ndjson) {
    const char *q = memchr(p, '\n', n);
    return q ? (size_t)(q - p) : n;
  }
  return cal_csv_boundary(&t->sc, p, n, t->plan->delim);
}

/* A record ended just before file offset at. */
static void record_ended(cutter *t, off_t at) {
  cuts_t *c = t->c;
  int i;
  if (c->head_end < 0) {
    c->head_end = at;
    c->head_nl = t->nl;
    for (i = 1; i < t->jobs; i++) c->bounds[i] = cut_target(at, t->size, i, t->jobs, t->extra);
  } else if (at >= c->bounds[t->next]) {
    c->bounds[t->next] = at;
    c->nl_before[t->next] = t->nl;
    t->next++;
  }
}

/* The rest of a block without quotes, from a record start: every line end
 * ends a record, so only the line ends are counted, and the first one at
 * or after each cut's target is found. */
static void quote_free_block(cutter *t, const char *buf, size_t k, size_t got, off_t pos) {
  size_t last = got;
  while (t->next < t->jobs) {
    off_t target = t->c->bounds[t->next] - pos - 1; /* the earliest line end that may end the range */
    size_t from = target > (off_t)k ? (size_t)target : k;
    const char *q = from < got ? memchr(buf + from, '\n', got - from) : NULL;
    if (!q) break;
    t->nl += count_lf(buf + k, (size_t)(q - buf) + 1 - k);
    k = (size_t)(q - buf) + 1;
    record_ended(t, pos + (off_t)k);
  }
  if (t->next >= t->jobs) return;
  t->nl += count_lf(buf + k, got - k);
  while (last > k && buf[last - 1] != '\n') last--; /* the record the block ends in starts at last */
  memset(&t->sc, 0, sizeof t->sc);
  if (!t->plan->input_ndjson) cal_csv_boundary(&t->sc, buf + last, got - last, t->plan->delim);
  t->fresh = last == got;
}

/* Scans from file offset pos (a record start) until the cuts are found
 * (only the header's end when head_only), or the end of the file. Returns
 * 0 on a read error. */
static int scan(cutter *t, int fd, off_t pos, char *buf, int head_only) {
  cuts_t *c = t->c;
  while (pos < t->size && t->next < t->jobs) {
    ssize_t got;
    size_t k = 0;
    int quote_free;
    do got = pread(fd, buf, SCAN_BUF, pos); while (got < 0 && errno == EINTR);
    if (got < 0) return 0;
    if (got == 0) break;
    quote_free = t->plan->input_ndjson || !memchr(buf, '"', (size_t)got);
    while (k < (size_t)got && t->next < t->jobs) {
      size_t e;
      if (quote_free && t->fresh && c->head_end >= 0) {
        quote_free_block(t, buf, k, (size_t)got, pos);
        break;
      }
      e = record_end(t, buf + k, (size_t)got - k);
      if (k + e == (size_t)got) { t->fresh = 0; break; }
      k += e + 1;
      t->nl += t->sc.qnl + 1;
      memset(&t->sc, 0, sizeof t->sc);
      t->fresh = 1;
      record_ended(t, pos + (off_t)k);
      if (head_only) return 1;
    }
    pos += got;
  }
  return 1;
}

/* After the scan: the ranges there are. */
static void cuts_finish(cutter *t) {
  cuts_t *c = t->c;
  int jobs = t->next < t->jobs ? t->next : t->jobs; /* not enough line ends: fewer ranges */
  c->jobs = jobs;
  c->bounds[0] = c->head_end;
  c->nl_before[0] = c->head_nl;
  c->bounds[jobs] = t->size;
}

/* ------------------------------------------------------------------ */
/* the processes                                                        */

/* A range of the file, read after the header record's bytes. The first
 * range starts before its end is known: it reads up to its target, then
 * reads its end (an off_t; negative: the scan failed) from end_fd. */
typedef struct {
  int fd;
  const char *head;
  size_t head_len, head_pos;
  off_t pos, end;   /* end -1: not known yet */
  off_t target;     /* the end is at or after it */
  int end_fd;
  int end_fd_w;     /* the parent's end of that pipe (closed in the child), or -1 */
} chunk_src;

static long chunk_read(void *ctx, char *buf, size_t n) {
  chunk_src *c = (chunk_src *)ctx;
  off_t limit;
  size_t want;
  ssize_t got;
  if (c->head_pos < c->head_len) {
    size_t k = c->head_len - c->head_pos;
    if (k > n) k = n;
    memcpy(buf, c->head + c->head_pos, k);
    c->head_pos += k;
    return (long)k;
  }
  if (c->end < 0 && c->pos >= c->target) {
    off_t e;
    do got = read(c->end_fd, &e, sizeof e); while (got < 0 && errno == EINTR);
    if (got != (ssize_t)sizeof e || e < c->target) return -1;
    c->end = e;
  }
  limit = c->end >= 0 ? c->end : c->target;
  if (c->pos >= limit) return 0;
  want = (size_t)(limit - c->pos) < n ? (size_t)(limit - c->pos) : n;
  do got = pread(c->fd, buf, want, c->pos); while (got < 0 && errno == EINTR);
  if (got < 0) return -1;
  c->pos += got;
  return (long)got;
}

/* The run of one process (no fork). */
static int run_one(const cal_cohort *plan, const char *path, FILE *out, cal_cohort_stats *st, char *err,
                   size_t errlen) {
  FILE *f;
  cal_reader rd;
  int status;
  if (plan->input_fhir) { /* a file or a folder, read whole: one process */
    if (!cal_reader_open_path(&rd, plan, path, err, errlen)) return -1;
    status = cal_cohort_run(plan, &rd.src, out, st, NULL, NULL, 0, err, errlen);
    cal_reader_close(&rd);
    return status;
  }
  f = cal_input_open(path, err, errlen);
  if (!f) return -1;
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

/* One process: its range, where it writes, how it reports. */
typedef struct {
  FILE *out;        /* the output (range 0) or the range's buffer */
  pid_t pid;
  int stats[2];     /* pipe: the child's cal_cohort_stats when it is done */
  int started;
} job_t;

/* The child of range i (src set up): classifies it into j->out, sends its
 * stats and exits. */
static void child(const cal_cohort *plan, const cuts_t *c, int i, chunk_src *src, job_t *j) {
  cal_cohort sub = *plan;
  cal_reader rd;
  cal_cohort_stats s1;
  char e2[256];
  int rc = -1;
  ssize_t w;
  close(j->stats[0]);
  if (src->end_fd_w >= 0) close(src->end_fd_w);
  sub.header = i == 0 ? plan->header : 0;
  sub.line_offset = plan->line_offset + c->nl_before[i] - c->head_nl;
  memset(&s1, 0, sizeof s1);
  if (cal_reader_open(&rd, plan, NULL, chunk_read, src)) {
    rc = cal_cohort_run(&sub, &rd.src, j->out, &s1, NULL, NULL, 0, e2, sizeof e2);
    cal_reader_close(&rd);
  }
  if (fflush(j->out) != 0) rc = -1;
  if (rc != 0) s1.stopped = -1;
  w = write(j->stats[1], &s1, sizeof s1);
  _exit(w == (ssize_t)sizeof s1 && rc == 0 ? 0 : 1);
}

/* Forks the process of range i. Returns 0 when it cannot. */
static int start(const cal_cohort *plan, const cuts_t *c, int i, chunk_src *src, job_t *j) {
  if (pipe(j->stats) != 0) return 0;
  j->pid = fork();
  if (j->pid < 0) {
    close(j->stats[0]);
    close(j->stats[1]);
    return 0;
  }
  if (j->pid == 0) child(plan, c, i, src, j);
  close(j->stats[1]);
  j->started = 1;
  return 1;
}

/* Reads a child's stats and waits for it. Returns 0 when it failed. */
static int reap(job_t *j, cal_cohort_stats *cs) {
  int ws = 0;
  ssize_t got = 0, k;
  memset(cs, 0, sizeof *cs);
  while ((size_t)got < sizeof *cs) {
    k = read(j->stats[0], (char *)cs + got, sizeof *cs - (size_t)got);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) break;
    got += k;
  }
  close(j->stats[0]);
  while (waitpid(j->pid, &ws, 0) < 0 && errno == EINTR) {}
  j->started = 0;
  return (size_t)got == sizeof *cs && WIFEXITED(ws) && WEXITSTATUS(ws) == 0;
}

/* Adds a range's stats. */
static void add_stats(cal_cohort_stats *st, const cal_cohort_stats *cs, int first) {
  size_t k;
  st->records += cs->records;
  st->with_problems += cs->with_problems;
  for (k = 0; k <= CAL_VM_MAX_SUBTYPES; k++) st->counts[k] += cs->counts[k];
  for (k = 0; k < CAL_VM_MAX_RULES; k++) {
    st->fired[k] += cs->fired[k];
    st->unevaluable[k] += cs->unevaluable[k];
  }
  if (first) memcpy(st->warnings, cs->warnings, sizeof st->warnings);
  if (!cs->stopped) return;
  st->stopped = 1;
  st->stop_line = cs->stop_line;
  memcpy(st->stop_message, cs->stop_message, sizeof st->stop_message);
}

/* ------------------------------------------------------------------ */
/* the output of the ranges after the first                             */

/* Where such a range's output waits: memory (a memfd) where the system
 * has it, else a temporary file. NULL when neither. */
static FILE *range_buffer(void) {
#if defined(__linux__) && defined(MFD_CLOEXEC)
  int fd = memfd_create("calcinosis-job", MFD_CLOEXEC);
  if (fd >= 0) {
    FILE *f = fdopen(fd, "w+b");
    if (f) return f;
    close(fd);
  }
#endif
  return tmpfile();
}

/* Sends bytes [*off, end) of fd to out (flushed): sendfile where it works
 * (not to a file opened for appending, a terminal, ...), else read and
 * written. Returns 0 on an I/O error. */
static int send_bytes(int fd, off_t *off, off_t end, FILE *out) {
  char copy[1 << 16];
#if defined(__linux__)
  while (*off < end) {
    size_t want = (size_t)(end - *off) < (1u << 30) ? (size_t)(end - *off) : (1u << 30);
    ssize_t k = sendfile(fileno(out), fd, off, want);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) break; /* the rest below */
  }
#endif
  while (*off < end) {
    size_t want = (size_t)(end - *off) < sizeof copy ? (size_t)(end - *off) : sizeof copy;
    ssize_t k = pread(fd, copy, want, *off);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0 || fwrite(copy, 1, (size_t)k, out) != (size_t)k) return 0;
    *off += k;
  }
  return fflush(out) == 0;
}

/* Gives the memory of what was sent back to the system, where it can, in
 * whole MiB (a page partly sent may still be in a pipe's buffer: sendfile
 * to a pipe passes pages, and a hole zeroes the part of a page it covers). */
static void give_back(int fd, off_t *freed, off_t sent) {
  off_t upto = sent & ~(off_t)0xfffff;
#if defined(__linux__) && defined(FALLOC_FL_PUNCH_HOLE)
  if (upto > *freed && fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, *freed, upto - *freed) == 0)
    *freed = upto;
#else
  (void)fd;
  *freed = upto;
#endif
}

/* Sends range j's output to out while its child writes it (looking every
 * FOLLOW_MS), then the rest, and reaps the child. Returns 0 on a write
 * error; *ok is 0 when the child failed. */
static int follow(job_t *j, FILE *out, cal_cohort_stats *cs, int *ok) {
  int fd = fileno(j->out), done = 0, good = 1;
  off_t sent = 0, freed = 0;
  struct pollfd p;
  p.fd = j->stats[0];
  p.events = POLLIN;
  while (good) {
    struct stat sb;
    /* the child's end first: what it wrote before is then all there */
    if (!done && poll(&p, 1, 0) > 0) done = 1;
    if (fstat(fd, &sb) != 0) good = 0;
    else if (sb.st_size > sent) {
      good = send_bytes(fd, &sent, sb.st_size, out);
      give_back(fd, &freed, sent);
    } else if (done) break;
    else poll(&p, 1, FOLLOW_MS);
  }
  *ok = reap(j, cs);
  return good;
}

/* ------------------------------------------------------------------ */

/* Stops what started: tells the first range the scan failed, reaps. */
static void abandon(job_t *jobs, int n, int end_fd) {
  cal_cohort_stats cs;
  off_t bad = -1;
  int i;
  if (end_fd >= 0 && write(end_fd, &bad, sizeof bad) < 0) {}
  for (i = 0; i < n; i++)
    if (jobs[i].started) reap(&jobs[i], &cs);
}

int cal_cohort_run_jobs(const cal_cohort *plan, const char *path, int njobs, FILE *out, cal_cohort_stats *st,
                        char *err, size_t errlen) {
  int fd, i, n = 0, status = 0, endp[2];
  struct stat sb;
  cuts_t c;
  cutter t;
  char *head = NULL, *buf = NULL;
  job_t jobs[MAX_JOBS];
  chunk_src src;
  cal_cohort_stats cs;
  if (njobs > MAX_JOBS) njobs = MAX_JOBS;
  memset(st, 0, sizeof *st);
  memset(jobs, 0, sizeof jobs);
  fd = open(path, O_RDONLY);
  if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || njobs < 2 || sb.st_size < (1 << 20) ||
      plan->input_long || plan->input_fhir || plan->input_arff) { /* one process (a long-format or FHIR patient
                                                  must not be cut in two; an ARFF header is not a line) */
    if (fd >= 0) close(fd);
    return run_one(plan, path, out, st, err, errlen);
  }
  {
    struct stat ob;
    int free_out = fstat(fileno(out), &ob) == 0 && S_ISCHR(ob.st_mode);
    cutter_init(&t, plan, &c, sb.st_size, njobs, free_out ? FIRST_RANGE_EXTRA : 0.0);
  }
  buf = malloc(SCAN_BUF);
  if (buf && c.head_end < 0 && !scan(&t, fd, 0, buf, 1)) {
    free(buf); close(fd);
    snprintf(err, errlen, "%s: read error", path);
    return -1;
  }
  if (!buf || c.head_end < 0) { /* out of memory, or no record end: nothing to cut */
    free(buf); close(fd);
    return run_one(plan, path, out, st, err, errlen);
  }
  head = malloc((size_t)c.head_end + 1);
  if (!head || pread(fd, head, (size_t)c.head_end, 0) != (ssize_t)c.head_end || fflush(out) != 0 ||
      pipe(endp) != 0) {
    free(buf); free(head); close(fd);
    snprintf(err, errlen, "cannot start the jobs");
    return -1;
  }
  /* the first range, at once */
  memset(&src, 0, sizeof src);
  src.fd = fd;
  src.head = head;
  src.head_len = (size_t)c.head_end;
  src.pos = c.head_end;
  src.end = -1;
  src.target = c.bounds[1];
  src.end_fd = endp[0];
  src.end_fd_w = endp[1];
  c.nl_before[0] = c.head_nl;
  jobs[0].out = out;
  if (!start(plan, &c, 0, &src, &jobs[0])) {
    status = -1; snprintf(err, errlen, "cannot fork");
  } else if (!scan(&t, fd, c.head_end, buf, 0)) {
    status = -1; snprintf(err, errlen, "%s: read error", path);
  }
  close(endp[0]);
  if (status != 0) {
    abandon(jobs, 1, endp[1]);
    close(endp[1]); free(buf); free(head); close(fd);
    return -1;
  }
  cuts_finish(&t);
  if (write(endp[1], &c.bounds[1], sizeof c.bounds[1]) != (ssize_t)sizeof c.bounds[1]) {
    status = -1; snprintf(err, errlen, "cannot start the jobs");
  }
  close(endp[1]);
  src.end_fd_w = -1;
  free(buf);
  /* the others */
  for (n = 1; n < c.jobs && status == 0; n++) {
    src.pos = c.bounds[n];
    src.end = c.bounds[n + 1];
    src.head_pos = 0;
    jobs[n].out = range_buffer();
    if (!jobs[n].out || !start(plan, &c, n, &src, &jobs[n])) {
      if (jobs[n].out) fclose(jobs[n].out);
      jobs[n].out = NULL;
      status = -1; snprintf(err, errlen, "cannot start job %d", n + 1);
    }
  }
  /* in order: the first range is written already; each other one follows
   * when the ones before are done; with --strict, up to the first range
   * that stopped */
  for (i = 0; i < n; i++) {
    int ok = 1, sent = 1;
    if (!jobs[i].started) break;
    if (i == 0 || status != 0 || st->stopped) ok = reap(&jobs[i], &cs);
    else sent = follow(&jobs[i], out, &cs, &ok);
    if (status == 0 && !st->stopped) {
      if (!ok) { status = -1; snprintf(err, errlen, "job %d failed", i + 1); }
      else if (!sent) { status = -1; snprintf(err, errlen, "write error"); }
      else add_stats(st, &cs, i == 0);
    }
  }
  abandon(jobs, n, -1); /* those not reaped after an error */
  for (i = 1; i < n; i++) if (jobs[i].out) fclose(jobs[i].out);
  free(head);
  close(fd);
  if (fflush(out) != 0 && status == 0) { status = -1; snprintf(err, errlen, "write error"); }
  return status;
}

/* ------------------------------------------------------------------ */
/* --shard K/N: one range of the same cuts, in this process             */

int cal_cohort_run_shard(const cal_cohort *plan, const char *path, int k, int n, FILE *out,
                         cal_cohort_stats *st, char *err, size_t errlen) {
  int fd, status;
  struct stat sb;
  cuts_t c;
  cutter t;
  char *head = NULL, *buf = NULL;
  chunk_src src;
  cal_cohort sub = *plan;
  cal_reader rd;
  memset(st, 0, sizeof *st);
  if (n < 1 || n > MAX_JOBS || k < 1 || k > n) {
    snprintf(err, errlen, "--shard K/N needs 1 <= K <= N <= %d", MAX_JOBS);
    return -1;
  }
  if (plan->input_long || plan->input_fhir || plan->input_arff) {
    snprintf(err, errlen, "--shard needs one record per row (wide CSV or NDJSON), not %s",
             plan->input_fhir ? "FHIR" : plan->input_long ? "long format" : "ARFF");
    return -1;
  }
  if (n == 1) return run_one(plan, path, out, st, err, errlen);
  fd = open(path, O_RDONLY);
  if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
    if (fd >= 0) close(fd);
    snprintf(err, errlen, "%s: --shard needs a regular file", path);
    return -1;
  }
  buf = malloc(SCAN_BUF);
  if (!buf) { close(fd); snprintf(err, errlen, "out of memory"); return -1; }
  /* the cuts of --jobs N, found the same way */
  cutter_init(&t, plan, &c, sb.st_size, n, 0.0); /* equal ranges, as to a file */
  if ((c.head_end < 0 && !scan(&t, fd, 0, buf, 1)) || (c.head_end >= 0 && !scan(&t, fd, c.head_end, buf, 0))) {
    free(buf); close(fd);
    snprintf(err, errlen, "%s: read error", path);
    return -1;
  }
  free(buf);
  if (c.head_end < 0) c.head_end = sb.st_size; /* a header and nothing else */
  cuts_finish(&t);
  head = malloc((size_t)c.head_end + 1);
  if (!head || pread(fd, head, (size_t)c.head_end, 0) != (ssize_t)c.head_end) {
    free(head); close(fd);
    snprintf(err, errlen, "%s: read error", path);
    return -1;
  }
  memset(&src, 0, sizeof src);
  src.fd = fd;
  src.head = head;
  src.head_len = (size_t)c.head_end;
  src.end_fd = src.end_fd_w = -1;
  if (k <= c.jobs) {
    src.pos = c.bounds[k - 1];
    src.end = src.target = c.bounds[k];
  } else { /* fewer records than shards: this one has none */
    src.pos = src.end = src.target = sb.st_size;
  }
  sub.header = k == 1 ? plan->header : 0;
  sub.line_offset = plan->line_offset + (k <= c.jobs ? c.nl_before[k - 1] : 0) - c.head_nl;
  if (!cal_reader_open(&rd, plan, NULL, chunk_read, &src)) {
    free(head); close(fd);
    snprintf(err, errlen, "cannot start the reader");
    return -1;
  }
  status = cal_cohort_run(&sub, &rd.src, out, st, NULL, NULL, 0, err, errlen);
  cal_reader_close(&rd);
  free(head);
  close(fd);
  return status;
}

