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
 * to memory (a memfd on Linux, else a temporary file) until it can be
 * placed:
 * - to a regular file not opened for appending (Linux), each range is told
 *   where its output starts once the ranges before it are done; from then
 *   on it writes straight to that place (pwrite), while the parent copies
 *   what it had in memory there (sendfile): the output after that point is
 *   not copied, and the copy overlaps the range's work;
 * - to anything else (a pipe, a terminal, a file opened for appending),
 *   the parent sends each range's memory to the output in order (sendfile
 *   on Linux: no copy through user space) while that range is still being
 *   written, as soon as the ranges before it are done; what was sent is
 *   given back to the system.
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
#include <sys/mman.h>
#if defined(__linux__)
#include <sys/sendfile.h>
#include <sys/socket.h>
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
/* To a regular file where the later ranges are placed (below), the first
 * range is shorter than the others: the parent's copy of the second
 * range's memory (which waits with the second range's own writes for the
 * file's lock) then overlaps the second range's last records instead of
 * coming after them (bench-v1, 1M and 10M rows, 2 jobs). */
#define PLACED_FIRST_EXTRA (-0.04)

/* Ranges placed in a regular file (see the top): Linux, where memfd,
 * fopencookie and sendfile are. */
#if defined(__linux__) && defined(MFD_CLOEXEC) && defined(MSG_NOSIGNAL)
#define PLACED 1
#else
#define PLACED 0
#endif
#define COPY_BLOCK ((off_t)1 << 22) /* what the copy of a range's memory is cut into */

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
 * 0 on a read error. (Read into buf: faster here than a mapping of the
 * file, whose page faults cost more than the copy.) */
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

/* ------------------------------------------------------------------ */
/* messages between the processes                                      */

static int write_all(int fd, const void *p, size_t n) {
  const char *q = (const char *)p;
  while (n > 0) {
    ssize_t k = write(fd, q, n);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return 0;
    q += k;
    n -= (size_t)k;
  }
  return 1;
}

static int read_all(int fd, void *p, size_t n) {
  char *q = (char *)p;
  while (n > 0) {
    ssize_t k = read(fd, q, n);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return 0;
    q += k;
    n -= (size_t)k;
  }
  return 1;
}

/* An offset to a process that may have ended: no SIGPIPE where the
 * system can say so (the channel is a socket pair then). */
static int send_offset(int fd, off_t v) {
#if defined(MSG_NOSIGNAL)
  ssize_t k;
  do k = send(fd, &v, sizeof v, MSG_NOSIGNAL); while (k < 0 && errno == EINTR);
  return k == (ssize_t)sizeof v;
#else
  return write_all(fd, &v, sizeof v);
#endif
}

/* The channel send_offset writes to: fd[0] the parent's end, fd[1] the
 * child's (read). */
static int offset_channel(int fd[2]) {
#if defined(MSG_NOSIGNAL)
  return socketpair(AF_UNIX, SOCK_STREAM, 0, fd) == 0;
#else
  int p[2];
  if (pipe(p) != 0) return 0;
  fd[0] = p[1];
  fd[1] = p[0];
  return 1;
#endif
}

/* What a child tells the parent through its notes pipe: when its output
 * is placed (done 0, placed ranges only: what it had in memory), and when
 * it ends (done 1). */
typedef struct {
  int done;
  int write_error;         /* the range's output could not be written */
  off_t buffered;          /* bytes it had in memory when it learnt its place */
  off_t length;            /* bytes of its output (done, placed ranges) */
  cal_cohort_stats stats;  /* (done) */
} note_t;

/* One process: its range, where it writes, how it reports. */
typedef struct {
  FILE *out;        /* the output (range 0), or the range's memory (not placed) */
  int mem;          /* the range's memory (placed ranges), or -1 */
  pid_t pid;
  int notes[2];     /* pipe: the child's notes */
  int place[2];     /* placed ranges: where its output starts (offset_channel), else -1 */
  int started;
} job_t;

/* Copies a placed range's memory, [0, buffered), to out_fd at `at` on, in
 * blocks, giving the memory back as it goes (the parent: the output's file
 * offset is its own then, the other processes write with pwrite). Only the
 * parent copies: writes into one file wait for each other (the file's
 * lock), so the range's process helping would only wait too. sendfile,
 * else (or where that fails) read and written. Returns 0 on an I/O error. */
static int copy_blocks(int mem, off_t buffered, int out_fd, off_t at) {
  char small[1 << 16], *buf = NULL;
  size_t cap = sizeof small;
  int good = 1;
  off_t from;
  small[0] = '\0'; /* (pread writes it before it is read; set for cppcheck) */
  for (from = 0; from < buffered; from += COPY_BLOCK) {
    off_t off = from, end = buffered - from < COPY_BLOCK ? buffered : from + COPY_BLOCK;
#if defined(__linux__)
    if (lseek(out_fd, at + off, SEEK_SET) == at + off) {
      while (off < end) {
        ssize_t k = sendfile(out_fd, mem, &off, (size_t)(end - off));
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) break; /* the rest below */
      }
    }
#endif
    if (off < end && !buf) {
      buf = malloc((size_t)1 << 20);
      if (buf) cap = (size_t)1 << 20;
    }
    while (off < end && good) {
      size_t want = (size_t)(end - off) < cap ? (size_t)(end - off) : cap;
      char *p = buf ? buf : small;
      ssize_t k = pread(mem, p, want, off);
      if (k < 0 && errno == EINTR) continue;
      if (k <= 0) good = 0;
      else {
        ssize_t w = 0;
        while (w < k && good) {
          ssize_t x = pwrite(out_fd, p + w, (size_t)(k - w), at + off + w);
          if (x < 0 && errno == EINTR) continue;
          if (x <= 0) good = 0;
          else w += x;
        }
        off += k;
      }
    }
    if (!good) break;
#if defined(__linux__) && defined(FALLOC_FL_PUNCH_HOLE)
    if (fallocate(mem, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, from, end - from) != 0) { /* kept */ }
#endif
  }
  free(buf);
  return good;
}

/* ------------------------------------------------------------------ */
/* a placed range's output, in its process                              */

#if PLACED
/* To memory until the range learns where its output starts, then straight
 * to the output there. */
typedef struct {
  int mem, out_fd, place_fd, note_fd;
  off_t at;              /* where its output starts; -1: not known yet */
  off_t buffered, direct;
  int write_error;
} placed_t;

/* Learns where the output starts when the parent has said so (waits for
 * it when wait) and tells the parent what is in memory. Returns 1 when
 * known, 0 when not yet, -1 when the parent will not say (it closed its
 * end: the run stopped before this range). */
static int placed_learn(placed_t *w, int wait) {
  off_t at;
  ssize_t k;
  note_t note;
  if (w->at >= 0) return 1;
  do k = recv(w->place_fd, &at, sizeof at, wait ? MSG_WAITALL : MSG_DONTWAIT); while (k < 0 && errno == EINTR);
  if (k < 0 && !wait && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
  if (k > 0 && k < (ssize_t)sizeof at) { /* the rest of it is on its way */
    ssize_t more;
    do more = recv(w->place_fd, (char *)&at + k, sizeof at - (size_t)k, MSG_WAITALL); while (more < 0 && errno == EINTR);
    k = more > 0 ? k + more : -1;
  }
  if (k != (ssize_t)sizeof at || at < 0) return -1;
  w->at = at;
  memset(&note, 0, sizeof note);
  note.buffered = w->buffered;
  return write_all(w->note_fd, &note, sizeof note) ? 1 : -1;
}

static ssize_t placed_write(void *ctx, const char *buf, size_t n) {
  placed_t *w = (placed_t *)ctx;
  int known = placed_learn(w, 0);
  if (known < 0) {
    errno = EPIPE;
    return -1;
  }
  if (!known) {
    if (!write_all(w->mem, buf, n)) { w->write_error = 1; return -1; }
    w->buffered += (off_t)n;
  } else {
    size_t done = 0;
    while (done < n) {
      ssize_t k = pwrite(w->out_fd, buf + done, n - done, w->at + w->buffered + w->direct + (off_t)done);
      if (k < 0 && errno == EINTR) continue;
      if (k <= 0) { w->write_error = 1; return -1; }
      done += (size_t)k;
    }
    w->direct += (off_t)n;
  }
  return (ssize_t)n;
}
#endif

/* ------------------------------------------------------------------ */
/* the processes                                                        */

/* The child of range i (src set up): classifies it into its output, sends
 * its notes and exits. Placed ranges (j->place[1] >= 0) write to memory
 * until told their place, then to out_fd there (done before, they wait
 * for it, so that the parent learns what is in memory). jobs[0..i) are the
 * processes started before: their parent-side descriptors are closed here. */
static void child(const cal_cohort *plan, const cuts_t *c, int i, chunk_src *src, job_t *jobs, int out_fd) {
  job_t *j = &jobs[i];
  cal_cohort sub = *plan;
  cal_reader rd;
  note_t note;
  char e2[256];
  int rc = -1, k;
  FILE *out = j->out;
#if PLACED
  placed_t w;
#endif
  close(j->notes[0]);
  if (j->place[0] >= 0) close(j->place[0]);
  if (src->end_fd_w >= 0) close(src->end_fd_w);
  for (k = 0; k < i; k++) { /* another process's place must end when the parent closes it */
    if (jobs[k].place[0] >= 0) close(jobs[k].place[0]);
    if (jobs[k].notes[0] >= 0) close(jobs[k].notes[0]);
  }
  memset(&note, 0, sizeof note);
  note.done = 1;
  e2[0] = '\0';
#if PLACED
  memset(&w, 0, sizeof w);
  if (j->place[1] >= 0) {
    cookie_io_functions_t io;
    memset(&io, 0, sizeof io);
    io.write = placed_write;
    w.mem = j->mem;
    w.out_fd = out_fd;
    w.place_fd = j->place[1];
    w.note_fd = j->notes[1];
    w.at = -1;
    out = fopencookie(&w, "w", io);
    if (out) setvbuf(out, NULL, _IONBF, 0);
  }
#else
  (void)out_fd;
#endif
  sub.header = i == 0 ? plan->header : 0;
  sub.line_offset = plan->line_offset + c->nl_before[i] - c->head_nl;
  if (out && cal_reader_open(&rd, plan, NULL, chunk_read, src)) {
    rc = cal_cohort_run(&sub, &rd.src, out, &note.stats, NULL, NULL, 0, e2, sizeof e2);
    cal_reader_close(&rd);
  }
  if (out && fflush(out) != 0) {
    rc = -1;
    note.write_error = 1;
  }
  if (rc != 0 && strcmp(e2, "write error") == 0) note.write_error = 1;
#if PLACED
  if (j->place[1] >= 0) {
    if (rc == 0 && placed_learn(&w, 1) < 0) _exit(1); /* the run stopped before this range */
    note.length = w.buffered + w.direct;
    if (w.write_error) note.write_error = 1;
  }
#endif
  if (rc != 0) note.stats.stopped = -1;
  _exit(write_all(j->notes[1], &note, sizeof note) && rc == 0 ? 0 : 1);
}

/* Forks the process of range i. Returns 0 when it cannot. */
static int start(const cal_cohort *plan, const cuts_t *c, int i, chunk_src *src, job_t *jobs, int out_fd) {
  job_t *j = &jobs[i];
  if (pipe(j->notes) != 0) {
    j->notes[0] = j->notes[1] = -1;
    return 0;
  }
  j->pid = fork();
  if (j->pid < 0) {
    close(j->notes[0]);
    close(j->notes[1]);
    j->notes[0] = j->notes[1] = -1;
    if (j->place[1] >= 0) close(j->place[1]);
    j->place[1] = -1;
    return 0;
  }
  if (j->pid == 0) child(plan, c, i, src, jobs, out_fd);
  close(j->notes[1]);
  j->notes[1] = -1;
  if (j->place[1] >= 0) {
    close(j->place[1]);
    j->place[1] = -1;
  }
  j->started = 1;
  return 1;
}

/* Reads a child's end note (unless have: read already) and waits for it.
 * Its place, if any, is closed first: a range never placed ends then.
 * Returns 0 when it failed. */
static int reap(job_t *j, note_t *note, int have) {
  int ws = 0, got = have;
  if (j->place[0] >= 0) {
    close(j->place[0]);
    j->place[0] = -1;
  }
  if (!have) {
    memset(note, 0, sizeof *note);
    while ((got = read_all(j->notes[0], note, sizeof *note)) && !note->done) {} /* a place note */
  }
  close(j->notes[0]);
  j->notes[0] = -1;
  while (waitpid(j->pid, &ws, 0) < 0 && errno == EINTR) {}
  j->started = 0;
  return got && note->done && WIFEXITED(ws) && WEXITSTATUS(ws) == 0;
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

/* Placed range j: tells it where its output starts (at), copies its memory
 * there while it goes on writing after it, and reaps it. Returns 0 on a
 * write error of the parent's copy; *ok is 0 when the child failed. */
static int place(job_t *j, int out_fd, off_t at, note_t *note, int *ok) {
  int good = 1, have = 0;
  if (send_offset(j->place[0], at) && read_all(j->notes[0], note, sizeof *note)) {
    if (!note->done) good = copy_blocks(j->mem, note->buffered, out_fd, at);
    else have = 1; /* it failed before it was placed */
  }
  *ok = reap(j, note, have);
  return good;
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
static int follow(job_t *j, FILE *out, note_t *note, int *ok) {
  int fd = fileno(j->out), done = 0, good = 1;
  off_t sent = 0, freed = 0;
  struct pollfd p;
  p.fd = j->notes[0];
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
  *ok = reap(j, note, 0);
  return good;
}

/* ------------------------------------------------------------------ */

/* Stops what started: tells the first range the scan failed, reaps (a
 * placed range not placed yet ends when its place is closed). */
static void abandon(job_t *jobs, int n, int end_fd) {
  note_t note;
  int i;
  if (end_fd >= 0) send_offset(end_fd, (off_t)-1);
  for (i = 0; i < n; i++)
    if (jobs[i].place[0] >= 0) {
      close(jobs[i].place[0]);
      jobs[i].place[0] = -1;
    }
  for (i = 0; i < n; i++)
    if (jobs[i].started) reap(&jobs[i], &note, 0);
}

/* The output can take placed ranges: a regular file, not opened for
 * appending (pwrite would append), whose offset can be set. */
static int can_place(int fd) {
#if PLACED
  struct stat ob;
  int fl = fcntl(fd, F_GETFL);
  return fstat(fd, &ob) == 0 && S_ISREG(ob.st_mode) && fl >= 0 && !(fl & O_APPEND) && lseek(fd, 0, SEEK_CUR) >= 0;
#else
  (void)fd;
  return 0;
#endif
}

int cal_cohort_run_jobs(const cal_cohort *plan, const char *path, int njobs, FILE *out, cal_cohort_stats *st,
                        char *err, size_t errlen) {
  int fd, i, n = 0, status = 0, endp[2], out_fd = fileno(out), placed = 0;
  struct stat sb;
  cuts_t c;
  cutter t;
  char *head = NULL, *buf = NULL;
  job_t jobs[MAX_JOBS];
  chunk_src src;
  note_t note;
  off_t at = 0;
  if (njobs > MAX_JOBS) njobs = MAX_JOBS;
  memset(st, 0, sizeof *st);
  memset(jobs, 0, sizeof jobs);
  for (i = 0; i < MAX_JOBS; i++) {
    jobs[i].mem = jobs[i].notes[0] = jobs[i].notes[1] = jobs[i].place[0] = jobs[i].place[1] = -1;
  }
  fd = open(path, O_RDONLY);
  if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || njobs < 2 || sb.st_size < (1 << 20) ||
      plan->input_long || plan->input_fhir || plan->input_arff) { /* one process (a long-format or FHIR patient
                                                  must not be cut in two; an ARFF header is not a line) */
    if (fd >= 0) close(fd);
    return run_one(plan, path, out, st, err, errlen);
  }
  if (fflush(out) != 0) {
    close(fd);
    snprintf(err, errlen, "write error");
    return -1;
  }
  placed = can_place(out_fd);
  {
    struct stat ob;
    int free_out = fstat(out_fd, &ob) == 0 && S_ISCHR(ob.st_mode);
    cutter_init(&t, plan, &c, sb.st_size, njobs, free_out ? FIRST_RANGE_EXTRA : placed ? PLACED_FIRST_EXTRA : 0.0);
  }
  buf = malloc(SCAN_BUF);
  if (buf && c.head_end < 0 && !scan(&t, fd, 0, buf, 1)) {
    status = -1;
    snprintf(err, errlen, "%s: read error", path);
  } else if (!buf || c.head_end < 0) { /* out of memory, or no record end: nothing to cut */
    status = 1;
  } else if (!(head = malloc((size_t)c.head_end + 1)) ||
             pread(fd, head, (size_t)c.head_end, 0) != (ssize_t)c.head_end || !offset_channel(endp)) {
    status = -1;
    snprintf(err, errlen, "cannot start the jobs");
  }
  if (status != 0) {
    free(buf); free(head); close(fd);
    return status < 0 ? -1 : run_one(plan, path, out, st, err, errlen);
  }
  /* the first range, at once */
  memset(&src, 0, sizeof src);
  src.fd = fd;
  src.head = head;
  src.head_len = (size_t)c.head_end;
  src.pos = c.head_end;
  src.end = -1;
  src.target = c.bounds[1];
  src.end_fd = endp[1];
  src.end_fd_w = endp[0];
  c.nl_before[0] = c.head_nl;
  jobs[0].out = out;
  if (!start(plan, &c, 0, &src, jobs, out_fd)) {
    status = -1; snprintf(err, errlen, "cannot fork");
  } else if (!scan(&t, fd, c.head_end, buf, 0)) {
    status = -1; snprintf(err, errlen, "%s: read error", path);
  }
  close(endp[1]);
  if (status != 0) {
    abandon(jobs, 1, endp[0]);
    close(endp[0]); free(buf); free(head); close(fd);
    return -1;
  }
  cuts_finish(&t);
  /* (the first range's process may have ended: a write error it reports) */
  send_offset(endp[0], c.bounds[1]);
  close(endp[0]);
  src.end_fd_w = -1;
  free(buf);
  /* the others */
  for (n = 1; n < c.jobs && status == 0; n++) {
    src.pos = c.bounds[n];
    src.end = c.bounds[n + 1];
    src.head_pos = 0;
#if defined(__linux__) && defined(MFD_CLOEXEC)
    if (placed) {
      jobs[n].mem = memfd_create("calcinosis-job", MFD_CLOEXEC);
      if (jobs[n].mem >= 0 && !offset_channel(jobs[n].place)) {
        close(jobs[n].mem);
        jobs[n].mem = -1;
      }
    } else
#endif
      jobs[n].out = range_buffer();
    if ((placed ? jobs[n].mem < 0 : !jobs[n].out) || !start(plan, &c, n, &src, jobs, out_fd)) {
      status = -1; snprintf(err, errlen, "cannot start job %d", n + 1);
    }
  }
  /* in order: the first range is written already; each other one is placed
   * or follows when the ones before are done; with --strict, up to the
   * first range that stopped */
  for (i = 0; i < n; i++) {
    int ok = 1, sent = 1;
    if (!jobs[i].started) break;
    if (i == 0 || status != 0 || st->stopped) ok = reap(&jobs[i], &note, 0);
    else if (placed) sent = place(&jobs[i], out_fd, at, &note, &ok);
    else sent = follow(&jobs[i], out, &note, &ok);
    if (status == 0 && !st->stopped) {
      if (!ok || !sent) {
        status = -1;
        if (!sent || note.write_error) snprintf(err, errlen, "write error");
        else snprintf(err, errlen, "job %d failed", i + 1);
      } else {
        add_stats(st, &note.stats, i == 0);
        if (placed) at = i == 0 ? lseek(out_fd, 0, SEEK_CUR) : at + note.length;
        if (at < 0) { status = -1; snprintf(err, errlen, "write error"); }
      }
    }
  }
  abandon(jobs, n, -1); /* those not reaped after an error */
  for (i = 1; i < n; i++) {
    if (jobs[i].out) fclose(jobs[i].out);
    if (jobs[i].mem >= 0) close(jobs[i].mem);
  }
  if (placed && status == 0 && lseek(out_fd, at, SEEK_SET) != at) { status = -1; snprintf(err, errlen, "write error"); }
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

