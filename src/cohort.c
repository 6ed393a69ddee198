/*
 * cohort.c - see cohort.h: the streaming loop. Records are read (record.h)
 * into a batch of VM inputs; a full batch is classified at once and its
 * rows written (output.h) in input order.
 */
#include "cohort.h"
#include "engine.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analytes.h"
#include "output.h"
#include "text.h"

cal_record_ctx cal_cohort_record_ctx(const cal_cohort *plan) {
  cal_record_ctx c;
  c.findings = plan->findings;
  c.sites = plan->sites;
  c.nranges = plan->nranges;
  c.ncritical = plan->ncritical;
  c.ranges = plan->ranges;
  c.critical = plan->critical;
  c.ca_variant = plan->ca_variant;
  c.kdigo_round = plan->kdigo_round;
  c.index_date = plan->index_date;
  c.na = plan->na;
  c.decimal_comma = plan->decimal_comma;
  cal_record_ctx_index(&c);
  return c;
}

void cal_cohort_needs(const cal_cohort *plan, cal_record_needs *nd) {
  size_t i;
  cal_record_needs_init(nd, plan->slots, plan->nslots);
  for (i = 0; i < plan->ncolumns; i++) {
    const cal_column *c = &plan->columns[i];
    if (c->kind == CAL_COL_CKD) cal_record_needs_ckd(nd);
    else if (c->kind == CAL_COL_VALUE) cal_record_needs_value(nd, c->index);
  }
}

/* The state of one run. */
typedef struct {
  const cal_cohort *plan;
  cal_record_ctx ctx;
  cal_record_needs needs;
  cal_record_layout lay;     /* the input's columns */
  cal_record rec;
  int rec_read;              /* rec holds a record read with lay (cal_record_read_next) */
  cal_problems pb;
  cal_unit_memo memo;
  cal_out out;
  cal_out_layout olay;
  cal_vm_batch *batch;
  cal_out_row *rows;         /* per record of the batch */
  double *vals;              /* per record: the numbers of the output columns */
  size_t ncv;
  cal_arena ar;              /* ids and problems of the batch */
  const double **direct;     /* per slot: where in rec its value is, when it is a value or the age */
  size_t *dslot, ndirect;    /* the slots that have one (in slot order), then the others */
  size_t *islot, nindirect;
  const double **dsrc;       /* per slot that has one, in dslot order: that place, */
  double **ddst;             /* and the slot's column of the batch's inputs */
  size_t nvs;                /* slots the program reads */
  char *previd;              /* the previous record's id */
  size_t previd_len, previd_cap;
  /* the result declarations, when a column needs them */
  int need_result;
  cal_vm_batch *pbatch, *cbatch; /* result and confidence programs */
  cal_result *results;       /* per record of the batch */
  int *twin;                 /* per result slot: the decision slot with the same value, or -1 */
  double unknown_terms[CAL_VM_BATCH]; /* per record of the batch */
  /* input columns of the output (CAL_COL_INPUT) */
  int has_input;
  int *in_field;             /* per output column: its field in the header (wide CSV), or -1 */
  size_t *in_pos;            /* per record of the batch: 2 x ncolumns (offset, length) */
  size_t *vcols, nvcols;     /* the output columns put_row fills from the record (value, age, date) */
  int species_clears[3];     /* per species: the plan's filter clears some term bit (else the call is skipped) */
} run_t;

static void run_free(run_t *R) {
  cal_out_close(&R->out);
  cal_out_layout_free(&R->olay);
  cal_record_layout_free(&R->lay);
  cal_vm_batch_free(R->batch);
  free(R->rows);
  free(R->vals);
  free(R->ar.buf);
  free((void *)R->direct);
  free(R->dslot);
  free((void *)R->dsrc);
  free(R->ddst);
  free(R->previd);
  cal_vm_batch_free(R->pbatch);
  cal_vm_batch_free(R->cbatch);
  free(R->results);
  free(R->twin);
  free(R->in_field);
  free(R->in_pos);
  free(R->vcols);
}

/* Allocates what the run needs. Returns 0 when out of memory. */
static int run_init(run_t *R, const cal_cohort *plan, FILE *out) {
  size_t i;
  memset(R, 0, sizeof *R);
  R->plan = plan;
  R->ctx = cal_cohort_record_ctx(plan);
  cal_cohort_needs(plan, &R->needs);
  cal_unit_memo_init(&R->memo);
  R->ncv = plan->ncolumns ? plan->ncolumns : 1;
  R->nvs = plan->nslots < plan->prog->nvars ? plan->nslots : plan->prog->nvars;
  if (!cal_out_open(&R->out, out) || !cal_out_layout_init(&R->olay, plan)) return 0;
  R->batch = cal_vm_batch_new(plan->prog);
  if (!R->batch) return 0;
  R->rows = malloc(R->batch->cap * sizeof *R->rows);
  R->vals = malloc(R->batch->cap * R->ncv * sizeof *R->vals);
  R->direct = (const double **)malloc((R->nvs ? R->nvs : 1) * sizeof *R->direct);
  R->dslot = malloc(2 * (R->nvs ? R->nvs : 1) * sizeof *R->dslot);
  R->dsrc = (const double **)malloc((R->nvs ? R->nvs : 1) * sizeof *R->dsrc);
  R->ddst = malloc((R->nvs ? R->nvs : 1) * sizeof *R->ddst);
  if (!R->rows || !R->vals || !R->direct || !R->dslot || !R->dsrc || !R->ddst) return 0;
  R->islot = R->dslot + R->nvs;
  for (i = 0; i < R->nvs; i++) {
    const cal_slot_src *s = &plan->slots[i];
    R->direct[i] = NULL;
    if (s->kind == CAL_SLOT_VALUE && s->analyte >= 0 && s->analyte < CAL_REC_MAX_ANALYTES)
      R->direct[i] = &R->rec.v[s->analyte];
    else if (s->kind == CAL_SLOT_AGE) R->direct[i] = &R->rec.age;
    if (R->direct[i]) {
      R->dsrc[R->ndirect] = R->direct[i];
      R->ddst[R->ndirect] = R->batch->vars + i * R->batch->cap;
      R->dslot[R->ndirect++] = i;
    } else R->islot[R->nindirect++] = i;
  }
  for (i = 0; i < 3 && plan->species_clear; i++) {
    size_t w, tw = R->batch->tw < plan->term_words_all ? R->batch->tw : plan->term_words_all;
    for (w = 0; w < tw; w++)
      if (plan->species_clear[i * plan->term_words_all + w]) R->species_clears[i] = 1;
  }
  R->vcols = malloc((plan->ncolumns ? plan->ncolumns : 1) * sizeof *R->vcols);
  if (!R->vcols) return 0;
  for (i = 0; i < plan->ncolumns; i++) {
    int kind = plan->columns[i].kind;
    if (kind == CAL_COL_INPUT) R->has_input = 1;
    if (kind == CAL_COL_VALUE || kind == CAL_COL_AGE || kind == CAL_COL_DATE) R->vcols[R->nvcols++] = i;
  }
  if (R->has_input) {
    R->in_field = malloc(plan->ncolumns * sizeof *R->in_field);
    R->in_pos = malloc(R->batch->cap * 2 * plan->ncolumns * sizeof *R->in_pos);
    if (!R->in_field || !R->in_pos) return 0;
    for (i = 0; i < plan->ncolumns; i++) R->in_field[i] = -1;
  }
  R->need_result = R->olay.need_result && plan->result.post && plan->result.conf;
  if (R->need_result) {
    const cal_program *post = plan->result.post;
    size_t k, j;
    R->pbatch = cal_vm_batch_new(post);
    R->cbatch = cal_vm_batch_new(plan->result.conf);
    R->results = malloc(R->batch->cap * sizeof *R->results);
    R->twin = malloc((post->nvars ? post->nvars : 1) * sizeof *R->twin);
    if (!R->pbatch || !R->cbatch || !R->results || !R->twin || R->pbatch->tw != R->batch->tw) return 0;
    for (k = 0; k < post->nvars; k++) {
      R->twin[k] = -1;
      if (k >= plan->npost_slots || CAL_SLOT_IS_DECISION(plan->post_slots[k].kind)) continue;
      for (j = 0; j < R->nvs; j++)
        if (plan->slots[j].kind == plan->post_slots[k].kind && plan->slots[j].analyte == plan->post_slots[k].analyte) {
          R->twin[k] = (int)j;
          break;
        }
    }
  }
  return 1;
}

/* Problems that concern the stream: an id that repeats the previous
 * record's. Remembers this record's id. */
static void check_id(run_t *R) {
  const cal_record *r = &R->rec;
  char sh[4 * 40 + 1];
  if (!r->id) return;
  if (R->previd && r->idlen == R->previd_len && cal_same_bytes(r->id, R->previd, r->idlen))
    cal_problems_add(&R->pb, "id '%s' repeats the previous record's", cal_show(sh, r->id, r->idlen, 40));
  if (r->idlen + 1 > R->previd_cap) {
    char *np = realloc(R->previd, r->idlen + 64);
    if (np) { R->previd = np; R->previd_cap = r->idlen + 64; }
  }
  if (R->previd && r->idlen + 1 <= R->previd_cap) {
    cal_copy_small(R->previd, r->id, r->idlen);
    R->previd_len = r->idlen;
  }
}

/* The record's VM inputs, as column nb of the batch. */
static void put_inputs(run_t *R, size_t nb) {
  const cal_cohort *plan = R->plan;
  cal_vm_batch *b = R->batch;
  size_t j, k, cap = b->cap;
  for (j = 0; j < R->ndirect; j++) R->ddst[j][nb] = *R->dsrc[j];
  for (j = 0; j < R->nindirect; j++) {
    k = R->islot[j];
    b->vars[k * cap + nb] = cal_record_slot(&R->ctx, &plan->slots[k], &R->rec);
  }
  for (k = R->nvs; k < plan->prog->nvars; k++) b->vars[k * cap + nb] = NAN;
  if (R->need_result) { /* the result programs' record slots that the decision program has not */
    cal_vm_batch *p = R->pbatch;
    size_t np = plan->npost_slots < plan->result.post->nvars ? plan->npost_slots : plan->result.post->nvars;
    for (k = 0; k < np; k++)
      if (R->twin[k] < 0 && !CAL_SLOT_IS_DECISION(plan->post_slots[k].kind))
        p->vars[k * cap + nb] = cal_record_slot(&R->ctx, &plan->post_slots[k], &R->rec);
    memcpy(p->terms + nb * p->tw, b->terms + nb * b->tw, b->tw * sizeof(uint64_t));
  }
}

/* The input columns of the record's row: each field's text as read, kept
 * in the arena. Returns 0 when out of memory. */
static int put_input(run_t *R, const cal_source *in, const cal_field *f, size_t nf, cal_out_row *row, size_t nb) {
  const cal_cohort *plan = R->plan;
  size_t k, *pos = R->in_pos + nb * 2 * plan->ncolumns;
  row->in_pos = pos;
  row->in_bytes = 0;
  for (k = 0; k < plan->ncolumns; k++) {
    const cal_column *c = &plan->columns[k];
    cal_field v;
    int have;
    pos[2 * k + 1] = (size_t)-1;
    if (c->kind != CAL_COL_INPUT) continue;
    if (in->column) have = in->column(in->src, c->name, strlen(c->name), &v);
    else if (R->in_field[k] >= 0 && (size_t)R->in_field[k] < nf) { v = f[R->in_field[k]]; have = 1; }
    else { v.ptr = ""; v.len = 0; have = R->in_field[k] >= 0; } /* a short row: empty */
    if (!have) continue;
    if (!cal_arena_add(&R->ar, v.ptr, v.len, &pos[2 * k])) return 0;
    pos[2 * k + 1] = v.len;
    row->in_bytes += v.len;
  }
  return 1;
}

/* The header fields of the input columns (wide CSV); 0 and a message naming
 * the first one the header does not have. */
static int find_input_columns(run_t *R, const cal_source *in, const cal_field *f, size_t nf, char *err,
                              size_t errlen) {
  const cal_cohort *plan = R->plan;
  size_t k, j;
  if (!R->has_input || in->column) return 1;
  for (k = 0; k < plan->ncolumns; k++) {
    const char *name = plan->columns[k].name;
    size_t n = strlen(name);
    if (plan->columns[k].kind != CAL_COL_INPUT) continue;
    for (j = 0; j < nf; j++)
      if (f[j].len == n && memcmp(f[j].ptr, name, n) == 0) { R->in_field[k] = (int)j; break; }
    if (R->in_field[k] < 0) {
      snprintf(err, errlen, "column '%s' is not in the input's header", name);
      return 0;
    }
  }
  return 1;
}

/* The record's row, waiting for its classification. Returns 0 when out of memory. */
static int put_row(run_t *R, size_t nb, long long line) {
  const cal_cohort *plan = R->plan;
  const cal_record *r = &R->rec;
  cal_out_row *row = &R->rows[nb];
  double *v = R->vals + nb * R->ncv;
  size_t j;
  row->line = line;
  row->pb_count = R->pb.count;
  row->id_len = r->id ? r->idlen : 0;
  if (!cal_arena_add_small(&R->ar, r->id, row->id_len, &row->id_off) ||
      !cal_arena_add_small(&R->ar, R->pb.text, R->pb.len, &row->pb_off))
    return 0;
  row->pb_len = R->pb.len;
  row->sex = (signed char)r->sex;
  row->ckd = (signed char)r->ckd;
  row->val = v;
  row->res = NULL;
  row->in_pos = NULL;
  row->in_bytes = 0;
  R->unknown_terms[nb] = (double)r->unknown_terms;
  for (j = 0; j < R->nvcols; j++) {
    size_t k = R->vcols[j];
    const cal_column *c = &plan->columns[k];
    if (c->kind == CAL_COL_VALUE) {
      v[k] = c->index >= 0 && c->index < CAL_REC_MAX_ANALYTES ? r->v[c->index] : NAN;
      if (c->scale != 0 && c->scale != 1) v[k] *= c->scale;
    }
    else if (c->kind == CAL_COL_AGE) v[k] = r->age;
    else if (c->kind == CAL_COL_DATE) /* the date of a value that is there */
      v[k] = c->index >= 0 && c->index < CAL_REC_MAX_ANALYTES && (!isnan(r->v[c->index]) || r->qual[c->index])
           ? r->date[c->index] : NAN;
  }
  return 1;
}

/* Reads the current record of in into column nb of the batch. */
static void read_record(run_t *R, const cal_source *in, const cal_field *f, size_t nf, size_t nb, long long line) {
  const char *cp = in->problem(in->src);
  cal_problems_clear(&R->pb);
  while (cp && *cp) { /* each message of the reader, with its line */
    const char *e = strchr(cp, CAL_PROBLEM_SEP);
    int n = e ? (int)(e - cp) : (int)strlen(cp);
    if (in->lines_in_problems) cal_problems_add(&R->pb, "%.*s", n, cp);
    else cal_problems_add(&R->pb, "line %lld: %.*s", line, n, cp);
    cp = e ? e + 1 : NULL;
  }
  (R->rec_read ? cal_record_read_next : cal_record_read)(&R->ctx, &R->lay, f, nf, &R->rec,
                                                         R->batch->terms + nb * R->batch->tw, R->batch->tw, &R->pb,
                                                         &R->memo);
  R->rec_read = 1;
  if (R->rec.species >= 0 && R->rec.species <= 2 && R->species_clears[R->rec.species]) /* (else nothing to clear) */
    cal_engine_species_terms(R->plan, &R->rec, R->batch->terms + nb * R->batch->tw, R->batch->tw);
  check_id(R);
  cal_record_derive(&R->ctx, &R->needs, &R->rec);
  put_inputs(R, nb);
}

/* The decision of row i of the batch, as result.h reads it. */
static cal_decision decision_of(const run_t *R, size_t i) {
  const cal_vm_batch *b = R->batch;
  cal_decision d;
  d.main = R->plan->prog;
  d.type = b->type[i];
  d.best = b->best[i];
  d.score = b->score + i;
  d.sstride = b->cap;
  d.rule = b->value + i;
  d.stride = b->cap;
  d.unknown_terms = R->unknown_terms[i];
  return d;
}

/* The result declarations of the first n rows of the batch: the slots that
 * read the decision, the result program, the confidence program (which
 * reads the same slots, and the counts of alternatives and alerts). */
static void run_results(run_t *R, size_t n) {
  const cal_cohort *plan = R->plan;
  const cal_program *post = plan->result.post;
  cal_vm_batch *b = R->batch, *p = R->pbatch, *c = R->cbatch;
  size_t k, i, cap = b->cap;
  size_t np = !plan->post_slots ? 0 : plan->npost_slots < post->nvars ? plan->npost_slots : post->nvars;
  double *cvars = c->vars;
  uint64_t *cterms = c->terms;
  for (k = 0; k < post->nvars; k++) {
    double *col = p->vars + k * cap;
    const cal_slot_src *s = k < np ? &plan->post_slots[k] : NULL;
    if (R->twin[k] >= 0) memcpy(col, b->vars + (size_t)R->twin[k] * cap, cap * sizeof(double));
    else if (!s || s->kind == CAL_SLOT_ALT_COUNT || s->kind == CAL_SLOT_ALERT_COUNT)
      for (i = 0; i < cap; i++) col[i] = NAN;
    else if (s->kind == CAL_SLOT_LET)
      for (i = 0; i < cap; i++) col[i] = s->analyte >= 0 && s->analyte < plan->prog->nlets ? b->lets[(size_t)s->analyte * cap + i] : NAN;
    else if (CAL_SLOT_IS_DECISION(s->kind))
      for (i = 0; i < n; i++) {
        cal_decision d = decision_of(R, i);
        col[i] = cal_result_decision_value(&d, s->kind, s->analyte);
      }
  }
  cal_vm_run_batch(post, p, n);
  for (i = 0; i < n; i++) {
    cal_decision d = decision_of(R, i);
    cal_result_build(&plan->result, &d, p->value + i, cap, &R->results[i]);
  }
  for (k = 0; k < np; k++) {
    int kind = plan->post_slots[k].kind;
    if (kind != CAL_SLOT_ALT_COUNT && kind != CAL_SLOT_ALERT_COUNT) continue;
    for (i = 0; i < n; i++)
      p->vars[k * cap + i] = (double)(kind == CAL_SLOT_ALT_COUNT ? R->results[i].nalt : R->results[i].nalert);
  }
  /* the confidence program has the same slots: it reads the same columns */
  c->vars = p->vars;
  c->terms = p->terms;
  cal_vm_run_batch(plan->result.conf, c, n);
  c->vars = cvars;
  c->terms = cterms;
  for (i = 0; i < n; i++) {
    cal_decision d = decision_of(R, i);
    cal_result_confidence(&plan->result, &d, c->value + i, cap, &R->results[i]);
    R->rows[i].res = &R->results[i];
  }
}

/* Classifies the rows waiting in the batch and writes them in order. */
static void flush_batch(run_t *R, size_t n, cal_cohort_stats *st) {
  size_t i;
  cal_vm_batch *b = R->batch;
  cal_vm_run_batch(R->plan->prog, b, n);
  if (R->need_result) run_results(R, n);
  if (R->plan->rule_counts) { /* per rule: fired, not evaluable */
    size_t r, nr = R->plan->prog->nrules < CAL_VM_MAX_RULES ? R->plan->prog->nrules : CAL_VM_MAX_RULES;
    for (r = 0; r < nr; r++) {
      const double *val = b->value + r * b->cap;
      long long nt = 0, nu = 0;
      for (i = 0; i < n; i++) {
        int s = cal_vm_state(val[i]);
        nt += s == CAL_TRUE;
        nu += s == CAL_UNKNOWN;
      }
      st->fired[r] += nt;
      st->unevaluable[r] += nu;
    }
  }
  cal_out_write_rows(&R->out, R->plan, &R->olay, R->rows, R->ar.buf, R->ar.len, b, n);
  st->records += (long long)n;
  for (i = 0; i < n; i++) {
    int t = b->type[i];
    st->with_problems += R->rows[i].pb_count != 0;
    st->counts[t >= 0 && t < CAL_VM_MAX_SUBTYPES ? t : CAL_VM_MAX_SUBTYPES]++;
  }
  R->ar.len = 0;
}

/* --strict: the run stops at this record. */
static void stop_at(const run_t *R, long long line, cal_cohort_stats *st) {
  size_t q, k = 0;
  st->stopped = 1;
  st->stop_line = line;
  for (q = 0; q < R->pb.len && k + 3 < sizeof st->stop_message; q++) {
    if (R->pb.text[q] == CAL_PROBLEM_SEP) { st->stop_message[k++] = ';'; st->stop_message[k++] = ' '; }
    else st->stop_message[k++] = R->pb.text[q];
  }
  st->stop_message[k] = '\0';
}

/* A run's state kept from one input to the next. */
struct cal_cohort_runner {
  run_t R;
  int laid;                                                   /* R.lay is set up (from the first header) */
  char warnings[sizeof(((cal_cohort_stats *)0)->warnings)];   /* what setting it up said */
};

cal_cohort_runner *cal_cohort_runner_new(const cal_cohort *plan, char *err, size_t errlen) {
  /* on the heap: its term memo is about 370 KB (termmap.h), too much for
   * the stack of a thread in a host that embeds the module */
  cal_cohort_runner *r;
  if (err && errlen) err[0] = '\0';
  if (cal_analyte_count() > CAL_REC_MAX_ANALYTES) {
    snprintf(err, errlen, "too many analytes");
    return NULL;
  }
  r = (cal_cohort_runner *)malloc(sizeof *r);
  if (!r) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  r->laid = 0;
  memset(r->warnings, 0, sizeof r->warnings);
  if (!run_init(&r->R, plan, NULL)) {
    cal_cohort_runner_free(r);
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  return r;
}

void cal_cohort_runner_free(cal_cohort_runner *r) {
  if (!r) return;
  run_free(&r->R);
  free(r);
}

int cal_cohort_runner_run(cal_cohort_runner *r, const cal_cohort *plan, const cal_source *in, FILE *out,
                          cal_cohort_stats *st, cal_cohort_progress progress, void *ctx, long long every,
                          char *err, size_t errlen) {
  run_t *R = &r->R;
  const cal_field *f;
  size_t nf, nb = 0;
  long long reported = 0;
  int rc, status = 0;

  if (err && errlen) err[0] = '\0';
  memset(st, 0, sizeof *st);
  R->plan = plan;
  R->out.f = out;
  R->out.len = 0;
  R->out.error = 0;
  free(R->previd); /* no record before this input's first */
  R->previd = NULL;
  R->previd_len = R->previd_cap = 0;
  cal_out_write_header(&R->out, plan, &R->olay);
  rc = in->next(in->src, &f, &nf);
  if (rc == 1 && !r->laid) {
    if (!cal_record_layout_init_map(&R->lay, f, nf, &plan->map, r->warnings, sizeof r->warnings)) {
      status = -1;
      snprintf(err, errlen, "out of memory");
    } else if (!find_input_columns(R, in, f, nf, err, errlen)) status = -1;
    else r->laid = 1;
  }
  memcpy(st->warnings, r->warnings, sizeof st->warnings);
  while (status == 0 && rc == 1 && (rc = in->next(in->src, &f, &nf)) == 1) {
    long long line = in->line(in->src) + plan->line_offset;
    read_record(R, in, f, nf, nb, line);
    if (line < plan->first_line) continue; /* context only: its id is the previous one */
    if (R->pb.count && plan->strict) {
      stop_at(R, line, st);
      break;
    }
    if (!put_row(R, nb, line) || (R->has_input && !put_input(R, in, f, nf, &R->rows[nb], nb))) {
      status = -1;
      snprintf(err, errlen, "out of memory");
      break;
    }
    if (++nb < R->batch->cap) continue;
    flush_batch(R, nb, st);
    nb = 0;
    if (R->out.error) break;
    if (progress && every > 0 && st->records / every != reported / every) {
      reported = st->records;
      cal_out_flush(&R->out);
      if (progress(ctx, st->records)) break;
    }
  }
  if (nb > 0 && status == 0) flush_batch(R, nb, st);
  if (rc < 0) {
    status = -1;
    snprintf(err, errlen, "read error after line %lld", in->line(in->src));
  }
  cal_out_flush(&R->out);
  if (R->out.error && status == 0) {
    status = -1;
    snprintf(err, errlen, "write error");
  }
  R->out.f = NULL;
  return status;
}

int cal_cohort_run(const cal_cohort *plan, const cal_source *in, FILE *out, cal_cohort_stats *st,
                   cal_cohort_progress progress, void *ctx, long long every,
                   char *err, size_t errlen) {
  cal_cohort_runner *r;
  int status;
  memset(st, 0, sizeof *st);
  r = cal_cohort_runner_new(plan, err, errlen);
  if (!r) return -1;
  status = cal_cohort_runner_run(r, plan, in, out, st, progress, ctx, every, err, errlen);
  cal_cohort_runner_free(r);
  return status;
}
