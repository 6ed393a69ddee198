/*
 * engine.c - see engine.h.
 */
#include "engine.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "slots.h"

cal_engine *cal_engine_new(const cal_cohort *plan) {
  cal_engine *e = (cal_engine *)calloc(1, sizeof *e);
  size_t nv = plan->prog->nvars, np = plan->result.post ? plan->result.post->nvars : 0;
  if (!e) return NULL;
  e->plan = plan;
  e->ctx = cal_cohort_record_ctx(plan);
  cal_record_needs_init(&e->needs, NULL, 0);
  cal_record_needs_all(&e->needs);
  cal_unit_memo_init(&e->memo);
  e->vars = (double *)malloc((nv ? nv : 1) * sizeof(double));
  e->post_vars = (double *)malloc((np ? np : 1) * sizeof(double));
  if (!e->vars || !e->post_vars) {
    cal_engine_free(e);
    return NULL;
  }
  cal_problems_clear(&e->pb);
  return e;
}

void cal_engine_free(cal_engine *e) {
  if (!e) return;
  free(e->vars);
  free(e->post_vars);
  free(e);
}

void cal_engine_species_terms(const cal_cohort *plan, const cal_record *r, uint64_t *terms, size_t tw) {
  size_t w;
  const uint64_t *clear;
  if (!plan->species_clear || r->species < 0 || r->species > 2) return;
  clear = plan->species_clear + (size_t)r->species * plan->term_words_all;
  for (w = 0; w < tw && w < plan->term_words_all; w++) terms[w] &= ~clear[w];
}

void cal_engine_read(cal_engine *e, const cal_record_layout *lay, const cal_field *f, size_t nf) {
  size_t tw = e->plan->term_words_all;
  size_t a;
  cal_record_read(&e->ctx, lay, f, nf, &e->rec, e->terms, tw, &e->pb, &e->memo);
  for (a = 0; a < CAL_REC_MAX_ANALYTES; a++) e->given[a] = !isnan(e->rec.v[a]) || e->rec.qual[a];
  cal_engine_decide(e);
}

/* The slots of the result programs: the record's, then the decision's. */
static void fill_post(cal_engine *e, int with_counts) {
  const cal_cohort *plan = e->plan;
  size_t k, n = plan->npost_slots < plan->result.post->nvars ? plan->npost_slots : plan->result.post->nvars;
  for (k = 0; k < n; k++) {
    const cal_slot_src *s = &plan->post_slots[k];
    double v;
    if (s->kind == CAL_SLOT_LET)
      v = (s->analyte >= 0 && s->analyte < plan->prog->nlets) ? e->main.lets[s->analyte] : NAN;
    else if (s->kind == CAL_SLOT_ALT_COUNT) v = with_counts ? (double)e->res.nalt : NAN;
    else if (s->kind == CAL_SLOT_ALERT_COUNT) v = with_counts ? (double)e->res.nalert : NAN;
    else if (CAL_SLOT_IS_DECISION(s->kind)) v = cal_result_decision_value(&e->dec, s->kind, s->analyte);
    else v = cal_record_slot(&e->ctx, s, &e->rec);
    e->post_vars[k] = v;
  }
  for (; k < plan->result.post->nvars; k++) e->post_vars[k] = NAN;
}

static void values_of(const cal_program *p, const cal_vm_result *r, const double *vars, double *out) {
  unsigned i;
  (void)vars;
  for (i = 0; i < p->nrules; i++)
    out[i] = r->state[i] == CAL_UNKNOWN ? NAN : r->state[i] == CAL_TRUE ? 1.0 : 0.0;
}

void cal_engine_decide(cal_engine *e) {
  const cal_cohort *plan = e->plan;
  const cal_program *p = plan->prog;
  size_t k, n = plan->nslots < p->nvars ? plan->nslots : p->nvars;
  size_t tw = plan->term_words_all, w;
  for (w = 0; w < tw; w++) e->dropped[w] = e->terms[w];
  cal_engine_species_terms(plan, &e->rec, e->terms, tw);
  for (w = 0; w < tw; w++) e->dropped[w] &= ~e->terms[w];
  cal_record_derive(&e->ctx, &e->needs, &e->rec);
  for (k = 0; k < n; k++) e->vars[k] = cal_record_slot(&e->ctx, &plan->slots[k], &e->rec);
  for (; k < p->nvars; k++) e->vars[k] = NAN;
  cal_vm_run(p, e->vars, e->terms, &e->main);
  values_of(p, &e->main, e->vars, e->rule_values);
  e->dec.main = p;
  e->dec.type = e->main.type;
  e->dec.best = e->main.best;
  e->dec.score = e->main.score;
  e->dec.sstride = 1;
  e->dec.rule = e->rule_values;
  e->dec.stride = 1;
  e->dec.unknown_terms = (double)e->rec.unknown_terms;
  memset(&e->res, 0, sizeof e->res);
  e->res.completeness = 1;
  if (!plan->result.post) return;
  fill_post(e, 0);
  cal_vm_run(plan->result.post, e->post_vars, e->terms, &e->post);
  values_of(plan->result.post, &e->post, e->post_vars, e->post_values);
  cal_result_build(&plan->result, &e->dec, e->post_values, 1, &e->res);
  fill_post(e, 1);
  cal_vm_run(plan->result.conf, e->post_vars, e->terms, &e->conf);
  values_of(plan->result.conf, &e->conf, e->post_vars, e->conf_values);
  cal_result_confidence(&plan->result, &e->dec, e->conf_values, 1, &e->res);
}
