/*
 * result.c - see result.h.
 */
#include "result.h"

#include <math.h>
#include <string.h>

#include "slots.h"

static int is_unknown(double v) { return v != v; }

/* The best score of the subtypes other than the type (of all of them for
 * the indeterminate label). */
static double second_score(const cal_decision *d) {
  unsigned i, n = d->main->nsubtypes;
  double second = 0;
  for (i = 0; i < n; i++) {
    double s = d->score[i * d->sstride];
    if ((int)i != d->type && s > second) second = s;
  }
  return second;
}

double cal_result_decision_value(const cal_decision *d, int kind, int index) {
  const cal_program *p = d->main;
  switch (kind) {
  case CAL_SLOT_IS_TYPE:
    if (index < 0) return d->type < 0 ? 1.0 : 0.0;
    return d->type == index ? 1.0 : 0.0;
  case CAL_SLOT_SCORE:
    return (index >= 0 && index < p->nsubtypes) ? d->score[(size_t)index * d->sstride] : NAN;
  case CAL_SLOT_BEST: return d->type < 0 ? 0.0 : d->best;
  case CAL_SLOT_SECOND: return second_score(d);
  case CAL_SLOT_UNEVAL_SHARE: {
    unsigned r, total = 0, blocked = 0;
    if (d->type < 0) return 0.0;
    for (r = 0; r < p->nrules; r++) {
      if (p->rules[r].subtype != d->type) continue;
      total++;
      if (is_unknown(d->rule[r * d->stride])) blocked++;
    }
    return total ? (double)blocked / (double)total : 0.0;
  }
  case CAL_SLOT_UNKNOWN_TERMS: return d->unknown_terms;
  default: return NAN;
  }
}

static void add_label(cal_result *out, int label) {
  size_t i;
  for (i = 0; i < out->nlabels; i++)
    if (out->labels[i] == label) return;
  if (out->nlabels < sizeof out->labels / sizeof out->labels[0]) out->labels[out->nlabels++] = label;
}

static void add_alt(cal_result *out, int label, int decl) {
  if (out->nalt < CAL_RESULT_MAX) {
    out->alt[out->nalt].label = label;
    out->alt[out->nalt].decl = decl;
    out->nalt++;
  }
  add_label(out, label);
}

static void build_alternatives(const cal_result_spec *rs, const cal_decision *d, const double *post,
                               size_t pstride, cal_result *out) {
  const cal_program *p = d->main;
  size_t a;
  int k;
  for (a = 0; a < rs->nalt; a++) {
    double v = post[a * pstride];
    if (is_unknown(v) || v == 0) continue;
    for (k = rs->alt_off[a]; k < rs->alt_off[a + 1]; k++) {
      int label = rs->alt_labels[k];
      if (label == d->type || (label < 0 && d->type < 0)) continue;
      add_alt(out, label, (int)a);
    }
  }
  if (d->type < 0 && rs->indeterminate_alternatives) {
    /* the subtypes the data could not rule out, in the order of their
     * first rule that was not evaluable */
    unsigned r;
    unsigned char seen[CAL_VM_MAX_SUBTYPES];
    memset(seen, 0, sizeof seen);
    for (r = 0; r < p->nrules; r++) {
      unsigned st = p->rules[r].subtype;
      if (st < CAL_VM_MAX_SUBTYPES && !seen[st] && is_unknown(d->rule[r * d->stride])) {
        seen[st] = 1;
        add_alt(out, (int)st, -1);
      }
    }
  }
}

static void build_alerts(const cal_result_spec *rs, const double *post, size_t pstride, cal_result *out) {
  int rank;
  size_t a;
  for (rank = 1; rank <= 3; rank++)
    for (a = 0; a < rs->nalert; a++) {
      double v = post[(rs->nalt + a) * pstride];
      if (rs->alert_rank[a] != rank || is_unknown(v) || v == 0) continue;
      if (out->nalert < CAL_RESULT_MAX) out->alert[out->nalert++] = (int)a;
    }
}

static int ask_before(const cal_result_spec *rs, const cal_result_ask *x, const cal_result_ask *y) {
  double rx = 2 * rs->ask_priority[x->decl] + (x->change >= 0 ? 1 : 0);
  double ry = 2 * rs->ask_priority[y->decl] + (y->change >= 0 ? 1 : 0);
  if (rx != ry) return rx > ry;
  if (x->weight != y->weight) return x->weight > y->weight;
  return x->decl < y->decl;
}

static void build_asks(const cal_result_spec *rs, const cal_decision *d, const double *post, size_t pstride,
                       cal_result *out) {
  const cal_program *p = d->main;
  size_t a, i;
  for (a = 0; a < rs->nask; a++) {
    double v = post[(rs->nalt + rs->nalert + a) * pstride];
    double weight = rs->ask_weight[a], gain[CAL_VM_MAX_SUBTYPES], reach = -1;
    int k, change = -1;
    unsigned st;
    if (is_unknown(v) || v == 0) continue;
    for (st = 0; st < p->nsubtypes; st++) gain[st] = 0;
    for (k = rs->ask_off[a]; k < rs->ask_off[a + 1]; k++) {
      int r = rs->ask_rules[k];
      const cal_rule *rule;
      if (r < 0 || r >= p->nrules || !is_unknown(d->rule[(size_t)r * d->stride])) continue;
      rule = &p->rules[r];
      weight += fabs(rule->weight);
      if ((int)rule->subtype != d->type && rule->weight > 0) gain[rule->subtype] += rule->weight;
    }
    if (!(weight > 0) && !(rs->ask_priority[a] > 1)) continue;
    for (st = 0; st < p->nsubtypes; st++) {
      double s = d->score[st * d->sstride] + gain[st];
      if (gain[st] > 0 && s >= (d->type < 0 ? 0 : d->best) && s > reach) {
        reach = s;
        change = (int)st;
      }
    }
    if (out->nask < CAL_RESULT_MAX) {
      cal_result_ask *x = &out->ask[out->nask++];
      x->decl = (int)a;
      x->weight = weight;
      x->change = change;
      /* insertion sort: the lists are short */
      for (i = out->nask - 1; i > 0 && ask_before(rs, &out->ask[i], &out->ask[i - 1]); i--) {
        cal_result_ask t = out->ask[i];
        out->ask[i] = out->ask[i - 1];
        out->ask[i - 1] = t;
      }
    }
  }
}

void cal_result_build(const cal_result_spec *rs, const cal_decision *d, const double *post, size_t pstride,
                      cal_result *out) {
  out->nalt = out->nlabels = out->nalert = out->nask = out->nconf = 0;
  out->confidence = out->margin = 0;
  out->completeness = 1;
  out->level = 0;
  build_alternatives(rs, d, post, pstride, out);
  build_alerts(rs, post, pstride, out);
  build_asks(rs, d, post, pstride, out);
}

static double round2(double v) { return floor(v * 100 + 0.5) / 100; }

void cal_result_confidence(const cal_result_spec *rs, const cal_decision *d, const double *conf,
                           size_t cstride, cal_result *out) {
  double best = d->type < 0 ? 0 : d->best, second, margin, factor = 1, value;
  size_t c, n = rs->conf ? rs->conf->nrules : 0;
  out->nconf = 0;
  if (d->type < 0) {
    out->confidence = out->margin = 0;
    out->completeness = 1;
    out->level = 0;
    return;
  }
  second = second_score(d);
  margin = best > 0 ? sqrt(fmax(0.0, fmin(1.0, (best - second) / best))) : 0;
  for (c = 0; c < n; c++) {
    double v = conf[c * cstride];
    if (is_unknown(v) || v == 0) continue;
    factor *= rs->conf_factor[c];
    if (out->nconf < CAL_RESULT_MAX) out->conf[out->nconf++] = (int)c;
  }
  value = margin * factor;
  out->level = value >= rs->level_high ? 3 : value >= rs->level_moderate ? 2 : 1;
  out->confidence = round2(value);
  out->margin = round2(margin);
  out->completeness = round2(factor);
}

const char *cal_result_level_name(int level) {
  static const char *const names[] = {"none", "low", "moderate", "high"};
  return level >= 0 && level <= 3 ? names[level] : "none";
}
