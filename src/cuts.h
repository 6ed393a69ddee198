/*
 * cuts.h - where a CSV or NDJSON file is cut into pieces at record ends,
 * for --jobs and --shard (jobs.h): one pass from a record start, with the
 * reader's record boundaries (cal_csv_boundary: the quote state from the
 * start; in a block without a quote only the line ends are counted), the
 * line ends before each cut, and the last record before it that is not a
 * blank line (the context a piece is read after). POSIX (pread).
 */
#ifndef CALCINOSIS_CUTS_H
#define CALCINOSIS_CUTS_H

#include <stddef.h>
#include <sys/types.h>

#include "cal.h"
#include "csv.h"

CAL_HIDDEN_BEGIN

struct cal_cohort; /* cohort.h */

#define CAL_CUTS_SCAN_BUF (1 << 20) /* what cal_cuts_scan reads at a time: rbuf's size */

/* A cut found (1 <= i < the pieces asked for): a record ends just before
 * file offset at, with nl line ends before it; the last record before it
 * that is not a blank line starts at ctx_at (-1: none), with ctx_nl line
 * ends before it. */
typedef void (*cal_cut_fn)(void *ctx, int i, off_t at, long long nl, off_t ctx_at, long long ctx_nl);

/* The scan for the cuts: pieces of the records after the header, of about
 * equal size, each ending at a record end. */
typedef struct {
  const struct cal_cohort *plan;
  off_t size;
  int pieces, next;   /* pieces asked for; the next cut to find (1 ..) */
  int last;           /* the last cut to find (pieces - 1, or fewer) */
  off_t head_end;     /* end of the header record (0 in NDJSON; -1 not found yet) */
  long long head_nl;  /* line ends up to there */
  off_t target;       /* where cut `next` aims: it is the first record end at or after it */
  long long nl;       /* line ends before the current record */
  cal_csv_scan sc;    /* the scan of the current record (CSV) */
  int fresh;          /* the current record starts at the scan's position (sc is zero) */
  off_t rec_at;       /* where the current record starts, */
  long long rec_nl;   /* its line ends before */
  off_t ctx_at;       /* the last record ended that is not a blank line (-1: none), */
  long long ctx_nl;   /* its line ends before */
  cal_cut_fn found;
  void *ctx;
  const char *map;    /* the file's bytes [map_from, map_to) in memory, or NULL */
  off_t map_from, map_to;
} cal_cuts;

/* For `pieces` pieces of about equal size of the records after the header
 * of a file of `size` bytes read with plan's format; `found` is called at
 * each cut. The header's end is found by the first scan (head_only), or is
 * 0 (NDJSON). */
void cal_cuts_init(cal_cuts *t, const struct cal_cohort *plan, off_t size, int pieces, cal_cut_fn found, void *ctx);

/* Where cut i aims (the header's end known): it is the first record end
 * at or after it. */
off_t cal_cuts_target(const cal_cuts *t, int i);

/* Sets t (initialised) to find cut i only, by a scan from the record start
 * at (nl line ends before it; the last record before it that is not a
 * blank line at ctx_at, -1: none, with ctx_nl line ends before it), as one
 * pass over the whole file finds it; the header ends at head_end, after
 * head_nl line ends. */
void cal_cuts_resume(cal_cuts *t, off_t head_end, long long head_nl, int i, off_t at, long long nl, off_t ctx_at,
                     long long ctx_nl);

/* Scans from file offset pos (a record start) until the cuts up to
 * t->last are found (only the header's end when head_only), or the end of
 * the file: in t->map where it has the bytes, else read from fd into rbuf
 * (CAL_CUTS_SCAN_BUF bytes; faster here than a mapping of the file, whose
 * page faults cost more than the copy). Returns 0 on a read error. */
int cal_cuts_scan(cal_cuts *t, int fd, off_t pos, char *rbuf, int head_only);

/* The header record's bytes [0, head_end) into *head (malloc'd; freed by
 * the caller, also on failure). Returns 0 on a read error or out of
 * memory. */
int cal_cuts_read_head(int fd, off_t head_end, char **head);

CAL_HIDDEN_END

#endif
