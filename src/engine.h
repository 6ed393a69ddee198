/*
 * engine.h - one record through a plan, start to end: the record read with
 * the one record logic (record.h), the decision program, then the result
 * and confidence programs (result.h). This is what calcinosis.classify and
 * the record iterators run; cohort runs (cohort.c) do the same in batches.
 *
 * Pure C99, no Lua.
 */
#ifndef CALCINOSIS_ENGINE_H
#define CALCINOSIS_ENGINE_H

#include "cal.h"
#include "cohort.h"
#include "record.h"
#include "result.h"
#include "vm.h"

CAL_HIDDEN_BEGIN

typedef struct {
  const cal_cohort *plan;
  cal_record_ctx ctx;
  cal_record_needs needs;
  cal_unit_memo memo;
  cal_record rec;
  unsigned char given[CAL_REC_MAX_ANALYTES]; /* the record gave the value (not derived) */
  uint64_t terms[CAL_VM_MAX_TERM_WORDS]; /* plan->term_words_all words */
  uint64_t dropped[CAL_VM_MAX_TERM_WORDS]; /* terms the species filter took out */
  cal_problems pb;
  double *vars;                /* plan->prog->nvars */
  double *post_vars;           /* the result programs' slots */
  cal_vm_result main, post, conf;
  cal_decision dec;
  double rule_values[CAL_VM_MAX_RULES];
  double post_values[CAL_VM_MAX_RULES];
  double conf_values[CAL_VM_MAX_RULES];
  cal_result res;
} cal_engine;

/* NULL when out of memory. Every derived value is computed (one record
 * shows them all). */
cal_engine *cal_engine_new(const cal_cohort *plan);
void cal_engine_free(cal_engine *e);

/* Reads a record (problems appended to e->pb, which the caller clears),
 * then decides it. */
void cal_engine_read(cal_engine *e, const cal_record_layout *lay, const cal_field *f, size_t nf);

/* Decides the record in e->rec / e->terms: derived values, the decision,
 * the result declarations, the confidence. */
void cal_engine_decide(cal_engine *e);

/* The species filter of a plan: clears the term bits whose association is
 * sourced for other species only (plan->species_clear). */
void cal_engine_species_terms(const cal_cohort *plan, const cal_record *r, uint64_t *terms, size_t tw);

CAL_HIDDEN_END

#endif
