/*
 * jobs.c - see jobs.h.
 *
 * --jobs N: the records after the header are cut, at record ends, into
 * chunks of about CHUNK_BYTES (at least N); chunk c is process c mod N's.
 * Chunk c aims at an equal share of the bytes and starts at the first
 * record end at or after its aim. The parent reads the header record and
 * starts the processes; each finds its own chunks' cuts.
 *
 * Two messages go round the processes in chunk order:
 * - chunk c's start (its offset, the line ends before it, and the last
 *   record before it): the process of chunk c - 1 reads that chunk (and a
 *   little after), scans it for the first record end at or after chunk
 *   c's aim (the quote state is known at a chunk's start; in a block
 *   without a quote only the line ends are counted) and hands the start
 *   on before it classifies the chunk. The next process waits for it only
 *   about the time of a scan;
 * - chunk c's output token: where chunk c's output starts, once every
 *   chunk before it is placed (to a regular file not opened for
 *   appending: pwrite there) or written (to anything else: a pipe, a
 *   terminal, a file opened for appending). A chunk's output waits in its
 *   process's memory until its token comes and goes straight to the
 *   output from then on; when the chunk is done, the process hands the
 *   next token on (to a regular file before it writes what it had in
 *   memory, so that both write at once). A process looks for its token
 *   whenever its output is flushed (Linux: fopencookie) and between
 *   chunks. So nothing is copied a second time, what waits in memory is a
 *   few chunks' output, and the last process ends about one chunk after
 *   the first.
 *
 * Each chunk is classified by a cal_cohort_run of its own, with the
 * header's bytes in front, its line numbers from the line ends before it,
 * and the last record before it read first as the stream's context (the
 * id a repeat is checked against: cal_cohort.first_line), so that the
 * output is one process's, byte for byte.
 *
 * A chunk that --strict stopped hands on a token that says so: the chunks
 * after it are not written (as one process writes nothing after the
 * record that stopped it). A process that fails hands on one that stops
 * the others; one that is killed breaks the ring, which stops them too.
 */
#if defined(__linux__)
#define _GNU_SOURCE /* fopencookie */
#else
#define _POSIX_C_SOURCE 200809L
#endif
#include "jobs.h"

#include <errno.h>
#include <limits.h>
#if defined(__GLIBC__)
#include <malloc.h> /* mallopt */
#endif
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cohort.h"
#include "cuts.h"
#include "text.h"

#define MAX_JOBS 64
/* The size of a chunk: small enough that its bytes and its output stay in
 * the core's cache (bench-v1, 10M rows, 2 jobs: 1.32 s with 1 or 2 MiB
 * chunks, 1.88 s with 8 MiB) and that the last chunk, which nothing
 * overlaps, is short; large enough that a chunk's start (a reader, the
 * header read again, its end found) is a small part of it. */
#define CHUNK_BYTES ((off_t)1 << 20)
#define CHUNK_SLACK (1 << 16) /* read past a chunk's target: its last record ends there */
#define MAX_WAITING 8 /* chunks done whose output waits in a process's memory, at most */
#if !defined(MSG_NOSIGNAL)
#define MSG_NOSIGNAL 0 /* (a send to a process that ended raises SIGPIPE there) */
#endif

/* ------------------------------------------------------------------ */
/* a piece's records                                                    */

/* A piece of the file, read after the header record's bytes: from mem
 * where it has them ([mem_from, mem_to) of the file), else from fd. */
typedef struct {
  int fd;
  const char *head;
  size_t head_len, head_pos;
  off_t pos, end;
  const char *mem;
  off_t mem_from, mem_to;
} piece_src;

static long piece_read(void *ctx, char *buf, size_t n) {
  piece_src *c = (piece_src *)ctx;
  size_t want;
  ssize_t got;
  if (c->head_pos < c->head_len) {
    size_t k = c->head_len - c->head_pos;
    if (k > n) k = n;
    memcpy(buf, c->head + c->head_pos, k);
    c->head_pos += k;
    return (long)k;
  }
  if (c->pos >= c->end) return 0;
  want = (size_t)(c->end - c->pos) < n ? (size_t)(c->end - c->pos) : n;
  if (c->mem && c->pos >= c->mem_from && c->pos < c->mem_to) {
    if ((off_t)want > c->mem_to - c->pos) want = (size_t)(c->mem_to - c->pos);
    memcpy(buf, c->mem + (c->pos - c->mem_from), want);
    c->pos += (off_t)want;
    return (long)want;
  }
  do got = pread(c->fd, buf, want, c->pos); while (got < 0 && errno == EINTR);
  if (got < 0) return -1;
  c->pos += got;
  return (long)got;
}

/* Classifies the piece src (its records start after nl line ends; src
 * starts at its context record when ctx_nl >= 0, after ctx_nl line ends;
 * head_nl before the header's end; first: the first piece, which writes
 * the CSV header line) into out, with runner (the pieces of one process)
 * or a run of its own (NULL). Returns as cal_cohort_run. */
static int run_piece(const cal_cohort *plan, cal_cohort_runner *runner, piece_src *src, long long head_nl,
                     long long nl, long long ctx_nl, int first, FILE *out, cal_cohort_stats *st, char *err,
                     size_t errlen) {
  cal_cohort sub = *plan;
  cal_reader rd;
  int rc;
  sub.header = first ? plan->header : 0;
  sub.line_offset = plan->line_offset + (ctx_nl >= 0 ? ctx_nl : nl) - head_nl;
  sub.first_line = ctx_nl >= 0 ? plan->line_offset + nl + 1 : 0;
  if (!cal_reader_open(&rd, plan, NULL, piece_read, src)) {
    snprintf(err, errlen, "cannot start the reader");
    return -1;
  }
  rc = runner ? cal_cohort_runner_run(runner, &sub, &rd.src, out, st, NULL, NULL, 0, err, errlen)
              : cal_cohort_run(&sub, &rd.src, out, st, NULL, NULL, 0, err, errlen);
  cal_reader_close(&rd);
  return rc;
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

/* Adds a piece's stats (first: the first piece, whose warnings are the
 * run's). */
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

/* A message to a process that may have ended (its end of the socket
 * closed: no SIGPIPE). Returns 0 when it was not sent. */
static int send_msg(int fd, const void *p, size_t n) {
  const char *q = (const char *)p;
  while (n > 0) {
    ssize_t k = send(fd, q, n, MSG_NOSIGNAL);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return 0;
    q += k;
    n -= (size_t)k;
  }
  return 1;
}

/* A message of n bytes, or none yet (wait 0). Returns 1 when read, 0 when
 * none is there yet, -1 at the end (the sender closed) or on an error. */
static int recv_msg(int fd, void *p, size_t n, int wait) {
  ssize_t k;
  do k = recv(fd, p, n, wait ? MSG_WAITALL : MSG_DONTWAIT); while (k < 0 && errno == EINTR);
  if (k < 0 && !wait && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
  if (k > 0 && (size_t)k < n) return read_all(fd, (char *)p + k, n - (size_t)k) ? 1 : -1; /* the rest is on its way */
  return k == (ssize_t)n ? 1 : -1;
}

/* ------------------------------------------------------------------ */
/* the processes                                                        */

/* The chunks: chunk c aims at [target(c), target(c + 1)) of the records
 * after the header, and starts at the first record end at or after its
 * target (chunk 0 at the header's end). */
typedef struct {
  const cal_cohort *plan;
  int fd;
  off_t size;
  const char *head;     /* the header record's bytes, [0, head_end) */
  off_t head_end;
  long long head_nl;
  int chunks;
} chunks_t;

/* A process to the next: where chunk `index` starts. */
typedef struct {
  long long index;
  off_t at;
  long long nl;        /* line ends before it */
  off_t ctx_at;        /* the last record before it that is not a blank line (-1: none), */
  long long ctx_nl;    /* its line ends before */
} start_t;

/* A process to the next: chunk `index`'s output token. */
enum { TOK_GO, TOK_STOPPED, TOK_FAILED };
typedef struct {
  long long index;
  off_t at;            /* where its output starts (placed), or 0 */
  int state;           /* TOK_GO; TOK_STOPPED: a chunk before stopped the run (--strict); TOK_FAILED */
} token_t;

/* A process to the parent, when it ends. */
typedef struct {
  int failed;          /* it did not finish */
  int cause;           /* the run failed here (not a token that said so) */
  int write_error;     /* the output could not be written */
  int broken_pipe;     /* (a pipe nobody reads any more) */
  int has_end;         /* it wrote the last chunk, or the one that stopped the run: */
  off_t end;           /* where the output ends (placed) */
  cal_cohort_stats stats; /* of its chunks that were written */
} note_t;

/* A chunk's output in its process. */
typedef struct {
  long long index;
  int last, done, stopped;
  off_t at;            /* where it starts; -1: not known yet */
  char *buf;           /* what waits for the token */
  size_t len, cap;
  off_t written;       /* what went to the output */
  cal_cohort_stats *st; /* (done) */
} piece_t;

/* A process's state. */
typedef struct {
  int out_fd, placed;  /* placed: pwrite at each chunk's place; else write in order */
  int start_in, start_out, tok_in, tok_out;
  piece_t *q;          /* chunks not written yet, in order; the last one may be running */
  size_t nq, qcap;
  int state;           /* TOK_GO, else why it ends */
  int write_error, broken_pipe, cause;
  int has_end;
  off_t end;
  cal_cohort_stats total;
  int added;           /* chunks added to total */
  char *spare;         /* an output buffer to reuse */
  size_t spare_cap;
  char *in;            /* the running chunk's bytes (and a little after) */
  size_t in_cap;
  char *rbuf;          /* (a record longer than what was read: the scan reads on) */
} proc_t;

/* n bytes of piece p's output to the output. Returns 0 on a write error. */
static int put(proc_t *P, piece_t *p, const char *buf, size_t n) {
  size_t done = 0;
  if (!P->placed) done = write_all(P->out_fd, buf, n) ? n : 0;
  else
    while (done < n) {
      ssize_t k = pwrite(P->out_fd, buf + done, n - done, p->at + p->written + (off_t)done);
      if (k < 0 && errno == EINTR) continue;
      if (k <= 0) break;
      done += (size_t)k;
    }
  p->written += (off_t)done;
  if (done == n) return 1;
  P->write_error = 1;
  if (errno == EPIPE) P->broken_pipe = 1;
  return 0;
}

static void pass(proc_t *P, long long index, off_t at, int state) {
  token_t t;
  memset(&t, 0, sizeof t);
  t.index = index;
  t.at = at;
  t.state = state;
  send_msg(P->tok_out, &t, sizeof t); /* (the next process may have ended: it has no chunk left) */
}

/* Stops: hands on a token that says why (once) and drops what waits. */
static void stop(proc_t *P, long long next, off_t at, int state) {
  size_t i;
  if (P->state != TOK_GO) return;
  P->state = state;
  pass(P, next, at, state);
  for (i = 0; i < P->nq; i++) {
    free(P->q[i].buf);
    free(P->q[i].st);
  }
  P->nq = 0;
}

/* The run failed in this process. */
static void fail(proc_t *P, long long next) {
  if (P->state != TOK_GO) return;
  P->cause = 1;
  stop(P, next, 0, TOK_FAILED);
}

/* The first piece waiting, placed and done: what it had in memory to the
 * output (the next token first to a regular file, so that the next
 * process writes meanwhile; after it to anything else), its stats added,
 * its buffer kept for the next piece. */
static void finish_first(proc_t *P) {
  piece_t p = P->q[0];
  off_t len = p.written + (off_t)p.len;
  int ok;
  memmove(P->q, P->q + 1, (P->nq - 1) * sizeof *P->q);
  P->nq--;
  if (P->placed && !p.last && !p.stopped) pass(P, p.index + 1, p.at + len, TOK_GO);
  ok = put(P, &p, p.buf, p.len);
  if (ok && !P->placed && !p.last && !p.stopped) pass(P, p.index + 1, 0, TOK_GO);
  add_stats(&P->total, p.st, !P->added);
  P->added = 1;
  free(p.st);
  if (p.cap > P->spare_cap) {
    free(P->spare);
    P->spare = p.buf;
    P->spare_cap = p.cap;
  } else free(p.buf);
  if (!ok) fail(P, p.index + 1);
  else if (p.last || p.stopped) {
    P->has_end = 1;
    P->end = p.at + len;
    if (p.stopped) stop(P, p.index + 1, P->end, TOK_STOPPED);
  }
}

/* Takes the token of the first piece waiting, if it is there (or waits for
 * it): the piece is placed; done, it is written (and the next token is
 * handed on); running, what it had in memory is written, and the rest will
 * go straight to the output. Returns 1 when a token came. */
static int take_token(proc_t *P, int wait) {
  token_t t;
  int got;
  piece_t *p;
  if (P->state != TOK_GO || P->nq == 0 || P->q[0].at >= 0) return 0;
  got = recv_msg(P->tok_in, &t, sizeof t, wait);
  if (got == 0) return 0;
  p = &P->q[0];
  if (got < 0 || t.index != p->index) { /* the process before ended without a word */
    stop(P, p->index + 1, 0, TOK_FAILED);
    return 0;
  }
  if (t.state != TOK_GO) {
    stop(P, t.index + 1, t.at, t.state);
    return 1;
  }
  p->at = P->placed ? t.at : 0;
  if (p->done) finish_first(P);
  else if (put(P, p, p->buf, p->len)) p->len = 0;
  else fail(P, p->index + 1);
  return 1;
}

/* The running piece's output (a cookie stream): to the output once its
 * token came, else to memory. */
static ssize_t piece_write(void *ctx, const char *buf, size_t n) {
  proc_t *P = (proc_t *)ctx;
  piece_t *p;
  while (take_token(P, 0)) {}
  if (P->state != TOK_GO || P->nq == 0) { /* stopped: the rest is not written */
    errno = EPIPE;
    return -1;
  }
  p = &P->q[P->nq - 1];
  if (p->at >= 0) return put(P, p, buf, n) ? (ssize_t)n : -1;
  if (p->len + n > p->cap) {
    size_t cap = p->cap ? p->cap : (size_t)CHUNK_BYTES * 2;
    char *b;
    while (cap < p->len + n) cap *= 2;
    b = (char *)realloc(p->buf, cap);
    if (!b) {
      fail(P, p->index + 1);
      errno = ENOMEM;
      return -1;
    }
    p->buf = b;
    p->cap = cap;
  }
  memcpy(p->buf + p->len, buf, n);
  p->len += n;
  return (ssize_t)n;
}

/* Where chunk c starts, from the process before, taking tokens while it
 * waits. Returns 0 when the run stopped (the process before ended without
 * saying: the token it handed on says why). */
static int wait_start(proc_t *P, long long c, start_t *s) {
  while (P->state == TOK_GO) {
    struct pollfd pf[2];
    int nf = 1, got;
    token_t t;
    pf[0].fd = P->start_in;
    pf[0].events = POLLIN;
    if (P->nq && P->q[0].at < 0) {
      pf[1].fd = P->tok_in;
      pf[1].events = POLLIN;
      nf = 2;
    }
    if (poll(pf, (nfds_t)nf, -1) < 0) {
      if (errno == EINTR) continue;
      stop(P, c, 0, TOK_FAILED);
      break;
    }
    if (nf == 2 && pf[1].revents) take_token(P, 1);
    if (P->state != TOK_GO || !pf[0].revents) continue;
    got = recv_msg(P->start_in, s, sizeof *s, 1);
    if (got > 0 && s->index == c) return 1;
    while (P->state == TOK_GO && P->nq) take_token(P, 1); /* the tokens before the one that stopped it */
    if (P->state != TOK_GO) break;
    got = recv_msg(P->tok_in, &t, sizeof t, 1);
    stop(P, c, got > 0 ? t.at : 0, got > 0 && t.state == TOK_STOPPED ? TOK_STOPPED : TOK_FAILED);
  }
  return 0;
}

static void found_start(void *ctx, int i, off_t at, long long nl, off_t ctx_at, long long ctx_nl) {
  start_t *s = (start_t *)ctx;
  (void)i;
  s->at = at;
  s->nl = nl;
  s->ctx_at = ctx_at;
  s->ctx_nl = ctx_nl;
}

/* Reads chunk c (starting at s, its context record first) into P->in, and
 * finds where the next one starts (*next: its start, the line ends before
 * it, its context record), which is where chunk c ends: src reads it.
 * Returns 0 on a read error. */
static int read_chunk(proc_t *P, const chunks_t *k, long long c, const start_t *s, piece_src *src, start_t *next) {
  cal_cuts t;
  size_t want, got = 0;
  off_t from, upto;
  cal_cuts_init(&t, k->plan, k->size, k->chunks, found_start, next);
  if (c + 1 < k->chunks) cal_cuts_resume(&t, k->head_end, k->head_nl, (int)c + 1, s->at, s->nl, s->ctx_at, s->ctx_nl);
  from = s->ctx_at >= 0 ? s->ctx_at : s->at; /* the context record first */
  upto = c + 1 < k->chunks ? t.target + (off_t)CHUNK_SLACK : k->size;
  if (upto > k->size) upto = k->size;
  want = upto > from ? (size_t)(upto - from) : 0;
  if (want > P->in_cap) {
    char *b = (char *)realloc(P->in, want);
    if (!b) return 0;
    P->in = b;
    P->in_cap = want;
  }
  while (got < want) {
    ssize_t n = pread(k->fd, P->in + got, want - got, from + (off_t)got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += (size_t)n;
  }
  memset(src, 0, sizeof *src);
  src->fd = k->fd;
  src->head = k->head;
  src->head_len = (size_t)k->head_end;
  src->pos = from;
  src->mem = P->in;
  src->mem_from = from;
  src->mem_to = from + (off_t)got;
  next->index = c + 1;
  next->at = k->size;
  next->nl = s->nl;
  next->ctx_at = -1;
  if (c + 1 < k->chunks && s->at < k->size) { /* the first record end at or after the next target */
    t.map = P->in;
    t.map_from = src->mem_from;
    t.map_to = src->mem_to;
    if (!P->rbuf && src->mem_to < k->size && !(P->rbuf = (char *)malloc(CAL_CUTS_SCAN_BUF))) return 0;
    if (!cal_cuts_scan(&t, k->fd, s->at, P->rbuf, 0)) return 0;
    if (t.next == t.last) next->nl = t.nl; /* no record end after it: the rest is this chunk's */
  }
  src->end = next->at;
  return 1;
}

/* A stream for the running piece's output. */
static FILE *piece_stream(proc_t *P) {
#if defined(__linux__)
  cookie_io_functions_t io;
  FILE *f;
  memset(&io, 0, sizeof io);
  io.write = piece_write;
  f = fopencookie(P, "w", io);
  if (f) setvbuf(f, NULL, _IONBF, 0); /* cal_out writes in blocks of its own */
  return f;
#else
  (void)P;
  return tmpfile(); /* read into the piece's memory when it is done (piece_stream_done) */
#endif
}

/* The running piece's stream closed. Returns 0 on an error. */
static int piece_stream_done(proc_t *P, FILE *f) {
#if defined(__linux__)
  (void)P;
  return fclose(f) == 0;
#else
  long n;
  int ok = fflush(f) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0;
  if (ok && n > 0 && P->nq) {
    piece_t *p = &P->q[P->nq - 1];
    char *b = (char *)malloc((size_t)n);
    ok = b && fread(b, 1, (size_t)n, f) == (size_t)n;
    if (ok) {
      free(p->buf);
      p->buf = b;
      p->len = p->cap = (size_t)n;
    } else free(b);
  }
  return fclose(f) == 0 && ok;
#endif
}

/* Process j of n: chunks j, j + n, ..., in order, then its note. Does not
 * return. */
static void proc_main(const chunks_t *k, int j, int n, proc_t *P, int note_fd) {
  note_t note;
  long long c;
  cal_cohort_stats *run_st = (cal_cohort_stats *)malloc(sizeof *run_st); /* the running piece's */
  char e0[256];
  cal_cohort_runner *runner = cal_cohort_runner_new(k->plan, e0, sizeof e0); /* its memos warm from piece to piece */
  if (!run_st || !runner) fail(P, j);
  for (c = j; run_st && runner && c < k->chunks && P->state == TOK_GO; c += n) {
    piece_t *p;
    piece_src src;
    start_t s, next;
    FILE *f;
    char e2[256];
    int rc;
    while (P->state == TOK_GO && P->nq >= MAX_WAITING) /* the processes before are behind: wait for them */
      if (!take_token(P, 1)) break;
    if (P->state != TOK_GO || !wait_start(P, c, &s)) break;
    if (!read_chunk(P, k, c, &s, &src, &next)) { fail(P, c); break; }
    if (c + 1 < k->chunks && !send_msg(P->start_out, &next, sizeof next)) { /* the next process ended */
      stop(P, c, 0, TOK_FAILED);
      break;
    }
    if (P->nq == P->qcap) {
      size_t cap = P->qcap ? P->qcap * 2 : 8;
      piece_t *q = (piece_t *)realloc(P->q, cap * sizeof *q);
      if (!q) { fail(P, c); break; }
      P->q = q;
      P->qcap = cap;
    }
    p = &P->q[P->nq++];
    memset(p, 0, sizeof *p);
    p->index = c;
    p->last = c + 1 == k->chunks;
    p->at = -1;
    p->buf = P->spare;
    p->cap = P->spare_cap;
    P->spare = NULL;
    P->spare_cap = 0;
    f = piece_stream(P);
    if (!f) { fail(P, c); break; }
    e2[0] = '\0';
    rc = run_piece(k->plan, runner, &src, k->head_nl, s.nl, s.ctx_at >= 0 ? s.ctx_nl : -1, c == 0, f, run_st, e2,
                   sizeof e2);
    if (!piece_stream_done(P, f)) rc = -1;
    if (P->state != TOK_GO) break; /* stopped meanwhile: the rest is not written */
    if (rc != 0) { fail(P, c); break; }
    /* (tokens that came while it ran moved the queue: it is the last) */
    p = &P->q[P->nq - 1];
    p->st = (cal_cohort_stats *)malloc(sizeof *p->st);
    if (!p->st) { fail(P, c); break; }
    *p->st = *run_st;
    p->done = 1;
    p->stopped = run_st->stopped;
    if (p->at >= 0) finish_first(P); /* placed while it ran: it is the first waiting */
    else while (take_token(P, 0)) {}
  }
  while (P->state == TOK_GO && P->nq > 0)
    if (!take_token(P, 1)) break;
  free(run_st);
  cal_cohort_runner_free(runner);
  memset(&note, 0, sizeof note);
  note.failed = P->state == TOK_FAILED || (P->state == TOK_GO && P->nq > 0);
  note.cause = P->cause;
  note.write_error = P->write_error;
  note.broken_pipe = P->broken_pipe;
  note.has_end = P->has_end;
  note.end = P->end;
  note.stats = P->total;
  while (P->nq > 0) { /* (chunks left when it failed) */
    P->nq--;
    free(P->q[P->nq].buf);
    free(P->q[P->nq].st);
  }
  free(P->q);
  free(P->spare);
  free(P->in);
  free(P->rbuf);
  _exit(write_all(note_fd, &note, sizeof note) && !note.failed ? 0 : 1);
}

/* ------------------------------------------------------------------ */
/* the parent                                                           */

/* The output can take pieces placed in it: a regular file, not opened for
 * appending (pwrite would append), whose offset can be set. */
static int can_place(int fd) {
  struct stat ob;
  int fl = fcntl(fd, F_GETFL);
  return fstat(fd, &ob) == 0 && S_ISREG(ob.st_mode) && fl >= 0 && !(fl & O_APPEND) && lseek(fd, 0, SEEK_CUR) >= 0;
}

/* One process, seen from the parent. */
typedef struct {
  pid_t pid;
  int notes[2];  /* pipe: its note */
  int start[2];  /* socket pair: where its chunks start ([1] its end, [0] the process before's) */
  int tok[2];    /* socket pair: its tokens ([1] its end, [0] the process before's) */
} job_t;

static void close_fd(int *fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

static void close_jobs(job_t *jobs, int n) {
  int i;
  for (i = 0; i < n; i++) {
    close_fd(&jobs[i].notes[0]);
    close_fd(&jobs[i].notes[1]);
    close_fd(&jobs[i].start[0]);
    close_fd(&jobs[i].start[1]);
    close_fd(&jobs[i].tok[0]);
    close_fd(&jobs[i].tok[1]);
  }
}

/* Forks process i of n (the channels of all made): keeps its own ends
 * (its note's, what it takes from the process before, what it hands the
 * next). */
static int fork_job(const chunks_t *k, job_t *jobs, int i, int n, int out_fd, int placed) {
  pid_t pid = fork();
  int m, next = (i + 1) % n;
  proc_t P;
  if (pid < 0) return 0;
  if (pid > 0) {
    jobs[i].pid = pid;
    return 1;
  }
#if defined(M_MMAP_THRESHOLD) && defined(M_TRIM_THRESHOLD)
  /* each chunk's run allocates and frees the same blocks (its buffers,
   * its term memo): kept in this process's heap, not given back to the
   * system and faulted in again for the next chunk */
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
  /* a pipe nobody reads: the write fails here, and the parent raises the
   * signal one process writing there would have had */
  signal(SIGPIPE, SIG_IGN);
  memset(&P, 0, sizeof P);
  P.out_fd = out_fd;
  P.placed = placed;
  P.start_in = jobs[i].start[1];
  P.start_out = jobs[next].start[0];
  P.tok_in = jobs[i].tok[1];
  P.tok_out = jobs[next].tok[0];
  P.state = TOK_GO;
  for (m = 0; m < n; m++) {
    close_fd(&jobs[m].notes[0]);
    if (m != i) {
      close_fd(&jobs[m].notes[1]);
      close_fd(&jobs[m].start[1]);
      close_fd(&jobs[m].tok[1]);
    }
    if (m != next) {
      close_fd(&jobs[m].start[0]);
      close_fd(&jobs[m].tok[0]);
    }
  }
  proc_main(k, i, n, &P, jobs[i].notes[1]);
  return 0; /* (not reached) */
}

/* Waits for a process; its note into *note. Returns 0 when it failed. */
static int reap(job_t *j, note_t *note) {
  int ws = 0, got;
  memset(note, 0, sizeof *note);
  got = read_all(j->notes[0], note, sizeof *note);
  close_fd(&j->notes[0]);
  while (waitpid(j->pid, &ws, 0) < 0 && errno == EINTR) {}
  j->pid = 0;
  if (!got || !WIFEXITED(ws)) { /* it ended without its note (killed): the cause of the others' failure */
    memset(note, 0, sizeof *note);
    note->failed = note->cause = 1;
  }
  return !note->failed && WIFEXITED(ws) && WEXITSTATUS(ws) == 0;
}

int cal_cohort_run_jobs(const cal_cohort *plan, const char *path, int njobs, FILE *out, cal_cohort_stats *st,
                        char *err, size_t errlen) {
  int fd, i, n = 0, status = 0, out_fd = fileno(out), placed, write_error = 0, failed = -1, failed_cause = 0;
  int has_end = 0, broken_pipe = 0;
  long long pieces;
  struct stat sb;
  cal_cuts t;
  chunks_t k;
  char *head = NULL, *buf = NULL;
  job_t jobs[MAX_JOBS];
  off_t end = 0;
  if (njobs > MAX_JOBS) njobs = MAX_JOBS;
  memset(st, 0, sizeof *st);
  fd = open(path, O_RDONLY);
  if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || njobs < 2 || sb.st_size < CHUNK_BYTES ||
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
  pieces = (long long)(sb.st_size / CHUNK_BYTES);
  if (pieces < njobs) pieces = njobs;
  if (pieces > INT_MAX / 2) pieces = INT_MAX / 2; /* (larger chunks past a petabyte) */
  cal_cuts_init(&t, plan, sb.st_size, (int)pieces, NULL, NULL);
  buf = (char *)malloc(CAL_CUTS_SCAN_BUF);
  if (buf && t.head_end < 0 && !cal_cuts_scan(&t, fd, 0, buf, 1)) {
    status = -1;
    snprintf(err, errlen, "%s: read error", path);
  } else if (!buf || t.head_end < 0) { /* out of memory, or no record end: nothing to cut */
    status = 1;
  } else if (!cal_cuts_read_head(fd, t.head_end, &head)) {
    status = -1;
    snprintf(err, errlen, "cannot start the jobs");
  }
  free(buf);
  for (i = 0; i < njobs; i++)
    jobs[i].notes[0] = jobs[i].notes[1] = jobs[i].start[0] = jobs[i].start[1] = jobs[i].tok[0] = jobs[i].tok[1] = -1;
  for (i = 0; i < njobs && status == 0; i++)
    if (pipe(jobs[i].notes) != 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, jobs[i].start) != 0 ||
        socketpair(AF_UNIX, SOCK_STREAM, 0, jobs[i].tok) != 0) {
      status = -1;
      snprintf(err, errlen, "cannot start the jobs");
    }
  if (status == 0) { /* chunk 0 starts after the header, and its output here */
    start_t s0;
    token_t t0;
    memset(&s0, 0, sizeof s0);
    s0.ctx_at = -1;
    s0.at = t.head_end;
    s0.nl = t.head_nl;
    memset(&t0, 0, sizeof t0);
    t0.at = placed ? lseek(out_fd, 0, SEEK_CUR) : 0;
    if (!send_msg(jobs[0].start[0], &s0, sizeof s0) || !send_msg(jobs[0].tok[0], &t0, sizeof t0)) {
      status = -1;
      snprintf(err, errlen, "cannot start the jobs");
    }
  }
  if (status != 0) {
    close_jobs(jobs, njobs);
    free(head); close(fd);
    return status < 0 ? -1 : run_one(plan, path, out, st, err, errlen);
  }
  k.plan = plan;
  k.fd = fd;
  k.size = sb.st_size;
  k.head = head;
  k.head_end = t.head_end;
  k.head_nl = t.head_nl;
  k.chunks = (int)pieces;
  for (n = 0; n < njobs; n++)
    if (!fork_job(&k, jobs, n, njobs, out_fd, placed)) break;
  if (n < njobs) { /* the ones started stop when they find the ring broken */
    status = -1;
    snprintf(err, errlen, "cannot fork");
  }
  for (i = 0; i < njobs; i++) { /* the processes' ends */
    close_fd(&jobs[i].notes[1]);
    close_fd(&jobs[i].start[0]);
    close_fd(&jobs[i].start[1]);
    close_fd(&jobs[i].tok[0]);
    close_fd(&jobs[i].tok[1]);
  }
  for (i = 0; i < n; i++) {
    note_t note;
    int ok = reap(&jobs[i], &note);
    if (note.write_error) write_error = 1;
    if (note.broken_pipe) broken_pipe = 1;
    if (!ok && (failed < 0 || (note.cause && !failed_cause))) { /* the first where it failed */
      failed = i;
      failed_cause = note.cause;
    }
    if (!ok) continue;
    add_stats(st, &note.stats, i == 0);
    if (note.has_end) {
      has_end = 1;
      end = note.end;
    }
  }
  close_jobs(jobs, njobs);
  free(head);
  close(fd);
  if (broken_pipe && status == 0) { /* as one process's write to that pipe: SIGPIPE, unless it is ignored */
    struct sigaction sa;
    if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL) raise(SIGPIPE);
  }
  if (status == 0 && (write_error || failed >= 0 || !has_end)) {
    status = -1;
    if (write_error) snprintf(err, errlen, "write error");
    else snprintf(err, errlen, "job %d failed", failed >= 0 ? failed + 1 : n);
  }
  if (placed && status == 0 && lseek(out_fd, end, SEEK_SET) != end) {
    status = -1;
    snprintf(err, errlen, "write error");
  }
  return status;
}

/* ------------------------------------------------------------------ */
/* --shard K/N: one piece of N, in this process                        */

/* The cuts of --shard N. */
typedef struct {
  off_t at[MAX_JOBS + 1];
  long long nl[MAX_JOBS + 1];
  off_t ctx_at[MAX_JOBS + 1];
  long long ctx_nl[MAX_JOBS + 1];
} shard_cuts;

static void shard_cut(void *ctx, int i, off_t at, long long nl, off_t ctx_at, long long ctx_nl) {
  shard_cuts *c = (shard_cuts *)ctx;
  c->at[i] = at;
  c->nl[i] = nl;
  c->ctx_at[i] = ctx_at;
  c->ctx_nl[i] = ctx_nl;
}

int cal_cohort_run_shard(const cal_cohort *plan, const char *path, int k, int n, FILE *out,
                         cal_cohort_stats *st, char *err, size_t errlen) {
  int fd, status, pieces;
  struct stat sb;
  shard_cuts c;
  cal_cuts t;
  char *head = NULL, *buf = NULL;
  off_t from, to;
  long long nl, ctx_nl;
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
  buf = (char *)malloc(CAL_CUTS_SCAN_BUF);
  if (!buf) { close(fd); snprintf(err, errlen, "out of memory"); return -1; }
  /* N pieces of equal size, cut at record ends */
  memset(&c, 0, sizeof c);
  cal_cuts_init(&t, plan, sb.st_size, n, shard_cut, &c);
  if ((t.head_end < 0 && !cal_cuts_scan(&t, fd, 0, buf, 1)) || (t.head_end >= 0 && !cal_cuts_scan(&t, fd, t.head_end, buf, 0))) {
    free(buf); close(fd);
    snprintf(err, errlen, "%s: read error", path);
    return -1;
  }
  free(buf);
  if (t.head_end < 0) t.head_end = sb.st_size; /* a header and nothing else */
  pieces = t.next; /* fewer than n when the records run out */
  c.at[0] = t.head_end;
  c.nl[0] = t.head_nl;
  c.ctx_at[0] = -1;
  c.at[pieces] = sb.st_size;
  if (!cal_cuts_read_head(fd, t.head_end, &head)) {
    free(head); close(fd);
    snprintf(err, errlen, "%s: read error", path);
    return -1;
  }
  ctx_nl = -1;
  if (k <= pieces) {
    from = c.at[k - 1];
    to = c.at[k];
    nl = c.nl[k - 1];
    if (c.ctx_at[k - 1] >= 0) { /* the record before, read as the context */
      from = c.ctx_at[k - 1];
      ctx_nl = c.ctx_nl[k - 1];
    }
  } else { /* fewer records than shards: this one has none */
    from = to = sb.st_size;
    nl = t.head_nl;
  }
  {
    piece_src src;
    memset(&src, 0, sizeof src);
    src.fd = fd;
    src.head = head;
    src.head_len = (size_t)t.head_end;
    src.pos = from;
    src.end = to;
    status = run_piece(plan, NULL, &src, t.head_nl, nl, ctx_nl, k == 1, out, st, err, errlen);
  }
  free(head);
  close(fd);
  return status;
}
