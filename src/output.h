/*
 * output.h - the cohort pipeline's output: rows of classified records in
 * CSV or NDJSON, written into one buffer with bounds worked out once per
 * run (so that a row is written without a length check per byte).
 *
 * Pure C99, no Lua.
 */
#ifndef CALCINOSIS_OUTPUT_H
#define CALCINOSIS_OUTPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cal.h"
#include "cohort.h"
#include "text.h"
#include "vm.h"

CAL_HIDDEN_BEGIN

#define CAL_OUT_BUF (1u << 20) /* bytes buffered before a write */

/* A write buffer on a stream. error is set on a failed write or when out of
 * memory, and stays set. */
typedef struct {
  FILE *f;
  char *buf;
  size_t len, cap;
  int error;
} cal_out;

int cal_out_open(cal_out *o, FILE *f); /* 0 when out of memory */
void cal_out_flush(cal_out *o);
void cal_out_close(cal_out *o);        /* flushes, frees the buffer */

/* Lengths and bounds of a plan's output, worked out once per run. */
typedef struct {
  size_t *idlen;    /* rule ids */
  size_t *namelen;  /* column names */
  size_t *typelen;  /* subtype names, then the indeterminate label */
  size_t nids;      /* rules the output names */
  size_t fixed;     /* the most bytes of a row but for its ids and problems */
  size_t nid, npb;  /* columns with the id, with the problems */
  int need_result;  /* a column needs the result declarations */
  int ids_quote;    /* a rule id holds a byte that CSV must quote */
  int types_quote;  /* a type name (or the label) holds one */
  char *idtext;     /* the rule ids, each at 16 * idat[i], padded with NULs to a
                       multiple of 16 bytes (copied 16 bytes at a time) */
  size_t *idat;
  size_t *mem;
  /* the fired column's CSV text per set of fired rules (one word of fired
   * bits), remembered as rows are written: a cohort has few such sets */
  struct cal_out_fired {
    uint64_t mask;      /* the fired bits (UINT64_MAX: empty) */
    uint32_t off, len;  /* the text, in ftext */
  } *fmemo;             /* CAL_OUT_FIRED_MEMO entries, or NULL */
  char *ftext;          /* the texts, each padded to a multiple of 32 bytes */
  size_t flen, fcap;
  /* the CSV writer of each column (CAL_OUT_OP_*), and what it reads (set
   * per batch) */
  struct cal_out_op {
    int op;
    const double *src;  /* LET_F*: the let's column of the batch */
  } *ops;               /* ncolumns */
  char *ttext;          /* TYPE16: the type names, then the label, each in 16 bytes (NUL-padded) */
} cal_out_layout;

/* CSV column writers: a column of kind id, type (names of at most 16 bytes
 * that need no quotes), score (the short form), fired, or a let with 0 to 4
 * decimals has its own; every other column is written by the one writer of
 * all kinds (COLUMN). */
enum {
  CAL_OUT_OP_COLUMN, CAL_OUT_OP_ID, CAL_OUT_OP_TYPE16, CAL_OUT_OP_SCORE, CAL_OUT_OP_FIRED,
  CAL_OUT_OP_LET_F0, CAL_OUT_OP_LET_F1, CAL_OUT_OP_LET_F2, CAL_OUT_OP_LET_F3, CAL_OUT_OP_LET_F4
};

#define CAL_OUT_FIRED_MEMO 1024
#define CAL_OUT_FIRED_TEXT ((size_t)1 << 20)
/* A remembered fired text is copied this many bytes at a time (past its
 * end: the usual one in one copy). */
#define CAL_OUT_FIRED_COPY 128

int cal_out_layout_init(cal_out_layout *L, const cal_cohort *plan); /* 0 when out of memory */
void cal_out_layout_free(cal_out_layout *L);

/* The output's one CSV quoting: writes the n bytes of s to w as a CSV field
 * (in quotes, '"' doubled, when they hold ',', '"', CR or LF) and returns
 * the bytes written; w has room for 2n + 2. */
size_t cal_csv_quote(char *w, const char *s, size_t n);

/* Bytes kept for the rows of a batch (ids and problems). */
typedef struct {
  char *buf;
  size_t len, cap;
} cal_arena;

/* Appends n bytes; stores their offset. Returns 0 when out of memory. */
int cal_arena_add(cal_arena *a, const char *s, size_t n, size_t *off);
/* The same, inline for a short text where the arena has room (an id). */
static inline int cal_arena_add_small(cal_arena *a, const char *s, size_t n, size_t *off) {
  *off = a->len;
  if (n == 0) return 1;
  if (n > 16 || a->len + n > a->cap) return cal_arena_add(a, s, n, off);
  cal_copy_small(a->buf + a->len, s, n);
  a->len += n;
  return 1;
}

/* A record waiting in the batch for its classification. */
typedef struct {
  const double *val;   /* the numbers of the output columns (NaN elsewhere) */
  signed char sex, ckd;
  size_t id_off, id_len, pb_off, pb_len; /* in the arena */
  int pb_count;
  long long line;
  const cal_result *res; /* alternatives, alerts, asks, confidence (NULL: not computed) */
  const size_t *in_pos;  /* per output column: offset and length in the arena of its input
                            column's text (length (size_t)-1: no value); NULL: none */
  size_t in_bytes;       /* their total length */
} cal_out_row;

/* Writes the CSV header line (when the plan wants one; never in NDJSON). */
void cal_out_write_header(cal_out *o, const cal_cohort *plan, const cal_out_layout *L);
/* Writes the first n rows of a classified batch (rows[i] is row i of b),
 * whose texts (ids, problems, input columns) are the alen bytes at abuf (L
 * remembers the texts of the fired column it wrote). */
void cal_out_write_rows(cal_out *o, const cal_cohort *plan, cal_out_layout *L, const cal_out_row *rows,
                        const char *abuf, size_t alen, const cal_vm_batch *b, size_t n);

CAL_HIDDEN_END

#endif
