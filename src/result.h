/*
 * result.h - the whole result of one record beyond its type and scores:
 * alternatives, alerts, missing inputs worth asking for, and confidence,
 * decided by a ruleset's result declarations (lua/calcinosis/rules/compiler.lua:
 * alternative{}, alert{}, ask{}, confidence{}).
 *
 * Pure C99, no Lua, no allocation. A ruleset compiles into three programs
 * (src/vm.h): the decision program (lets and rules), the result program
 * (one block per alternative, alert and ask, in that order) and the
 * confidence program (one block per confidence factor). The result and
 * confidence programs share one list of input slots (cal_slot_src, see
 * slots.h): the record's values as for the decision program, plus slots
 * that read the decision (CAL_SLOT_LET, CAL_SLOT_IS_TYPE, CAL_SLOT_SCORE,
 * ...), filled by cal_result_decision_slots after the decision program ran.
 *
 * What the engine decides from the declarations' truth values:
 *
 * - alternatives: for each true alternative, in declaration order, each of
 *   its labels other than the result's type; when the type is the
 *   indeterminate label (and the ruleset does not turn it off), each subtype
 *   with a rule that was not evaluable "cannot be ruled out" (decl -1), in
 *   the order of its first such rule;
 * - alerts: the true alerts, most severe first (urgent, critical, warning),
 *   then in declaration order;
 * - asks: a true ask is listed when its weight (its own plus the absolute
 *   weights of the not-evaluable decision rules that read one of its
 *   inputs) is above 0 or its priority is above 1; an ask "could change"
 *   the type to the subtype whose score plus the positive weights of those
 *   rules of its own reaches the winning score (the highest such; ties in
 *   subtype order). Ranked by 2 x priority + (could change ? 1 : 0), then
 *   weight, then declaration order;
 * - confidence: 0 and level "none" for the indeterminate label; else the
 *   margin sqrt((best - second) / best), with second the best score of the
 *   other subtypes, times the factor of every true confidence declaration;
 *   level 3 "high" from level_high, 2 "moderate" from level_moderate, else
 *   1 "low". The value and margin are reported rounded to 2 decimals; the
 *   level is read from the value before rounding.
 */
#ifndef CALCINOSIS_RESULT_H
#define CALCINOSIS_RESULT_H

#include <stddef.h>

#include "cal.h"
#include "vm.h"

CAL_HIDDEN_BEGIN

#define CAL_RESULT_MAX 64 /* items kept per list (more are counted, not kept) */

/* What the result declarations of a ruleset say (built by the binding
 * from the compiled ruleset). */
typedef struct {
  const cal_program *post;       /* alternatives, alerts, asks */
  const cal_program *conf;       /* confidence factors */
  size_t nalt, nalert, nask;     /* post->nrules == nalt + nalert + nask */
  const int *alt_off;            /* nalt + 1 offsets into alt_labels */
  const int *alt_labels;         /* subtype index, or -1 for the indeterminate label */
  const int *alert_rank;         /* per alert: 1 urgent, 2 critical, 3 warning */
  const double *ask_priority;    /* per ask */
  const double *ask_weight;      /* per ask: its own weight */
  const int *ask_off;            /* nask + 1 offsets into ask_rules */
  const int *ask_rules;          /* decision-rule indices reading an ask's inputs */
  const double *conf_factor;     /* per confidence declaration */
  double level_high, level_moderate;
  int indeterminate_alternatives;
} cal_result_spec;

typedef struct {
  int label;  /* subtype index, or -1 (the indeterminate label) */
  int decl;   /* alternative declaration, or -1: "cannot be ruled out" */
} cal_result_alt;

typedef struct {
  int decl;       /* ask declaration */
  double weight;  /* its weight plus that of its not-evaluable rules */
  int change;     /* subtype it could change the type to, -1 none */
} cal_result_ask;

typedef struct {
  size_t nalt;
  cal_result_alt alt[CAL_RESULT_MAX];
  size_t nlabels;                   /* distinct labels of alt, in order */
  int labels[CAL_VM_MAX_SUBTYPES + 1];
  size_t nalert;
  int alert[CAL_RESULT_MAX];        /* alert declarations, most severe first */
  size_t nask;
  cal_result_ask ask[CAL_RESULT_MAX];
  size_t nconf;
  int conf[CAL_RESULT_MAX];         /* confidence declarations that held */
  double confidence, margin, completeness; /* rounded to 2 decimals; completeness = product of factors */
  int level;                        /* 0 none, 1 low, 2 moderate, 3 high */
} cal_result;

/* The decision a record got, as the result declarations read it. `rule`
 * and `post` are value columns: the value of decision rule r is
 * rule[r * stride] (NaN = not evaluable, else 0 / nonzero), of result
 * declaration d post[d * stride], of confidence declaration c conf[c * stride]. */
typedef struct {
  const cal_program *main;
  int type;              /* subtype index or CAL_INDETERMINATE */
  double best;           /* winning score (0 for indeterminate) */
  const double *score;   /* main->nsubtypes scores, score[s * sstride] */
  size_t sstride;
  const double *rule;    /* main->nrules values */
  size_t stride;
  double unknown_terms;  /* findings and sites not recognized */
} cal_decision;

/* The value of a decision slot (CAL_SLOT_IS_TYPE ... CAL_SLOT_UNKNOWN_TERMS;
 * `index` is the slot's index) for a decision. NaN for other kinds. */
double cal_result_decision_value(const cal_decision *d, int kind, int index);

/* Alternatives, alerts and asks from the result program's values
 * (post[d * pstride]). */
void cal_result_build(const cal_result_spec *rs, const cal_decision *d, const double *post, size_t pstride,
                      cal_result *out);

/* Confidence from the confidence program's values (conf[c * cstride]),
 * after cal_result_build. */
void cal_result_confidence(const cal_result_spec *rs, const cal_decision *d, const double *conf,
                           size_t cstride, cal_result *out);

/* Name of a confidence level (0..3): "none", "low", "moderate", "high". */
const char *cal_result_level_name(int level);

CAL_HIDDEN_END
#endif
