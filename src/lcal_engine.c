/*
 * lcal_engine.c - the binding of the engine: a plan userdata
 * ("calcinosis.plan") built once from a compiled ruleset and checked once,
 * then used for one patient (plan:classify, plan:record), for a cohort file
 * (plan:run) and for record iterators over the C readers (plan:rows).
 *
 * Every entry point reads records with the one record logic (record.c): a
 * Lua patient table is read into the record's fields through the NDJSON
 * reader's field filling (ndjson.c), with the values its NDJSON line
 * (plan:patient_json) would give, exactly as that line is read
 * (lcal_patient.c).
 */
#define _POSIX_C_SOURCE 200809L
#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytes.h"
#include "cohort.h"
#include "compat.h"
#include "csv.h"
#include "dates.h"
#include "derived.h"
#include "engine.h"
#include "explain.h"
#include "jobs.h"
#include "lcal.h"
#include "ndjson.h"
#include "record.h"
#include "result.h"
#include "slots.h"
#include "source.h"
#include "units.h"

#define PLAN_MT "calcinosis.plan"
#define ROWS_MT "calcinosis.rows"

/* A plan and everything it points to (one allocation each, freed by __gc). */
typedef struct {
  cal_cohort plan;
  void **mem;           /* owned allocations */
  int nmem, capmem;
  cal_termmap *findings, *sites;
  cal_engine *engine;   /* for one record at a time */
  cal_record_layout schema; /* the NDJSON record schema */
  cal_ndjson *nd;       /* fills the fields of one patient (a table, or a line) */
  lcal_buf json;        /* a patient object's text (plan:patient_json) */
  int has_labs;         /* the spec gave labs_display: results carry the lab table */
  int has_present;      /* the spec gave present: results carry fired, not_evaluable and missing */
  const cal_explain *explain; /* present's explainer (kept alive by the present table): the fired rules' why */
  double *xin, *xops;   /* its scratch: the operand programs' inputs, the operands */
  cal_vm_result xres;
  cal_explain_out xout; /* the reasons of one rule */
  int i_ca, i_alb, i_corr, i_caxp, i_creat, i_egfr; /* analyte indexes the lab table's derived entries read */
  int caxp_si;          /* the units below parsed */
  cal_unit caxp_from, caxp_to; /* Ca x P in mg2/dL2 and mmol2/L2 */
  const cal_analyte *caxp;
  cal_record_ctx ctx;   /* cal_cohort_record_ctx of the plan, once it is made */
  int ready;
} plan_box;

/* The plan's user value: a table holding the programs (kept alive with the
 * plan) and what the lab table is built with (labs_display, given once). */
enum { UV_PROGRAM = 1, UV_RESULT_PROGRAM, UV_CONF_PROGRAM, UV_LIST_MT, UV_FMT, UV_RANGES, UV_CRITICAL, UV_EGFR,
       UV_CA_FORMULA, UV_CA_KEY, UV_PRESENT, UV_STRS, UV_CKD_RULES, UV_VIEW_RANGES, UV_COUNT_ };

static plan_box *check_plan(lua_State *L, int i) {
  plan_box *b = (plan_box *)luaL_checkudata(L, i, PLAN_MT);
  if (!b->ready) luaL_error(L, "plan is not usable");
  return b;
}

static void *own(lua_State *L, plan_box *b, size_t n, size_t size) {
  void *p;
  if (b->nmem == b->capmem) {
    int cap = b->capmem ? 2 * b->capmem : 64;
    void **m = (void **)realloc(b->mem, (size_t)cap * sizeof *m);
    if (!m) { luaL_error(L, "core.plan: out of memory"); return NULL; } /* (luaL_error does not return) */
    b->mem = m;
    b->capmem = cap;
  }
  p = calloc(n ? n : 1, size);
  if (!p) { luaL_error(L, "core.plan: out of memory"); return NULL; }
  b->mem[b->nmem++] = p;
  return p;
}

static int plan_gc(lua_State *L) {
  plan_box *b = (plan_box *)luaL_checkudata(L, 1, PLAN_MT);
  int i;
  for (i = 0; i < b->nmem; i++) free(b->mem[i]);
  free(b->mem);
  b->mem = NULL;
  b->nmem = b->capmem = 0;
  cal_termmap_free(b->findings);
  cal_termmap_free(b->sites);
  cal_engine_free(b->engine);
  cal_record_layout_free(&b->schema);
  cal_ndjson_close(b->nd);
  free(b->json.p);
  b->json.p = NULL;
  cal_explain_out_free(&b->xout);
  b->explain = NULL;
  b->findings = b->sites = NULL;
  b->engine = NULL;
  b->nd = NULL;
  b->ready = 0;
  return 0;
}

/* ---- reading the spec: every key checked, unknown keys rejected ---- */

static const char *const PLAN_KEYS[] = {
  "program", "result_program", "confidence_program", "slots", "post_slots", "findings", "sites",
  "finding_notes", "site_notes", "finding_names", "site_names",
  "species_clear", "term_words_all", "ranges", "critical", "ca_variant", "kdigo_round", "rule_ids", "type_names",
  "indeterminate", "columns", "format", "header", "strict", "delimiter", "input_format", "result",
  "index_date", "window", "ruleset_name", "ruleset_version", "hash", "rule_counts",
  "na", "decimal_comma", "map_from", "map_to", "labs_display", "present", NULL};
static const char *const PRESENT_KEYS[] = {"rules", "asks", "subtypes", "label", "lets", "confidence", "term_sites",
                                           "term_findings", "alternatives", "explainer", NULL};
static const char *const LABS_DISPLAY_KEYS[] = {"ranges", "critical", "list_mt", "fmt", "egfr_methods", "ca_formula",
                                                "ca_key", NULL};
static const char *const RESULT_KEYS[] = {
  "alt_labels", "alert_rank", "alert_ids", "ask_ids", "ask_priority", "ask_weight", "ask_rules",
  "conf_factor", "level_high", "level_moderate", "indeterminate_alternatives", NULL};
static const char *const RUN_KEYS[] = {"input", "output", "jobs", "progress", "every", "shard", "shards", NULL};

static char *own_string(lua_State *L, plan_box *b, int idx) {
  size_t n;
  const char *s = lua_tolstring(L, idx, &n);
  char *c = (char *)own(L, b, n + 1, 1);
  memcpy(c, s, n);
  c[n] = '\0';
  return c;
}

/* A list of strings in one allocation (the strings follow the pointers). */
static const char **string_list(lua_State *L, plan_box *b, int t, const char *k, size_t *n) {
  size_t i, total = 0, count;
  char **out, *w;
  lua_getfield(L, t, k);
  if (lua_isnil(L, -1)) { lua_pop(L, 1); *n = 0; return (const char **)own(L, b, 1, sizeof(char *)); }
  if (!lua_istable(L, -1)) luaL_error(L, "core.plan: '%s' must be a list of strings", k);
  count = (size_t)lua_rawlen(L, -1);
  for (i = 0; i < count; i++) {
    size_t len;
    lua_rawgeti(L, -1, (lua_Integer)i + 1);
    if (lua_type(L, -1) != LUA_TSTRING) luaL_error(L, "core.plan: '%s'[%d] must be a string", k, (int)i + 1);
    lua_tolstring(L, -1, &len);
    total += len + 1;
    lua_pop(L, 1);
  }
  out = (char **)own(L, b, 1, (count + 1) * sizeof(char *) + total);
  w = (char *)(out + count + 1);
  for (i = 0; i < count; i++) {
    size_t len;
    const char *s;
    lua_rawgeti(L, -1, (lua_Integer)i + 1);
    s = lua_tolstring(L, -1, &len);
    memcpy(w, s, len + 1);
    out[i] = w;
    w += len + 1;
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  *n = count;
  return (const char **)out;
}

static double *number_list(lua_State *L, plan_box *b, int t, const char *k, size_t *n) {
  size_t i;
  double *out;
  lua_getfield(L, t, k);
  if (lua_isnil(L, -1)) { lua_pop(L, 1); *n = 0; return (double *)own(L, b, 1, sizeof(double)); }
  if (!lua_istable(L, -1)) luaL_error(L, "core.plan: '%s' must be a list of numbers", k);
  *n = (size_t)lua_rawlen(L, -1);
  out = (double *)own(L, b, *n, sizeof(double));
  for (i = 0; i < *n; i++) {
    lua_rawgeti(L, -1, (lua_Integer)i + 1);
    if (!lua_isnumber(L, -1)) luaL_error(L, "core.plan: '%s'[%d] must be a number", k, (int)i + 1);
    out[i] = (double)lua_tonumber(L, -1);
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  return out;
}

/* A list of lists of integers, as offsets (n + 1) and values. */
static void int_lists(lua_State *L, plan_box *b, int t, const char *k, size_t *n, int **off, int **vals) {
  size_t i, j, total = 0;
  lua_getfield(L, t, k);
  if (lua_isnil(L, -1)) lua_newtable(L), lua_replace(L, -2);
  if (!lua_istable(L, -1)) luaL_error(L, "core.plan: '%s' must be a list of lists", k);
  *n = (size_t)lua_rawlen(L, -1);
  for (i = 0; i < *n; i++) {
    lua_rawgeti(L, -1, (lua_Integer)i + 1);
    if (!lua_istable(L, -1)) luaL_error(L, "core.plan: '%s'[%d] must be a list", k, (int)i + 1);
    total += (size_t)lua_rawlen(L, -1);
    lua_pop(L, 1);
  }
  *off = (int *)own(L, b, *n + 1, sizeof(int));
  *vals = (int *)own(L, b, total, sizeof(int));
  total = 0;
  for (i = 0; i < *n; i++) {
    size_t m;
    lua_rawgeti(L, -1, (lua_Integer)i + 1);
    m = (size_t)lua_rawlen(L, -1);
    (*off)[i] = (int)total;
    for (j = 0; j < m; j++) {
      lua_rawgeti(L, -1, (lua_Integer)j + 1);
      (*vals)[total++] = (int)lua_tointeger(L, -1);
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
  }
  (*off)[*n] = (int)total;
  lua_pop(L, 1);
}

static cal_slot_src *slot_list(lua_State *L, plan_box *b, int t, const char *k, size_t *n) {
  size_t i;
  cal_slot_src *out;
  lua_getfield(L, t, k);
  if (lua_isnil(L, -1)) { lua_pop(L, 1); *n = 0; return (cal_slot_src *)own(L, b, 1, sizeof *out); }
  luaL_checktype(L, -1, LUA_TTABLE);
  *n = (size_t)lua_rawlen(L, -1);
  out = (cal_slot_src *)own(L, b, *n, sizeof *out);
  for (i = 0; i < *n; i++) {
    int e;
    lua_rawgeti(L, -1, (lua_Integer)i + 1);
    e = lua_gettop(L);
    luaL_checktype(L, e, LUA_TTABLE);
    out[i].kind = lcal_field_int(L, e, "kind", CAL_SLOT_NONE);
    out[i].analyte = lcal_field_int(L, e, "index", -1);
    if (out[i].kind < 0 || out[i].kind >= CAL_SLOT_KIND_COUNT_)
      luaL_error(L, "core.plan: '%s'[%d]: unknown slot kind %d", k, (int)i + 1, out[i].kind);
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  return out;
}

static cal_range *range_list(lua_State *L, plan_box *b, int t, const char *k, size_t *n) {
  size_t i;
  cal_range *out;
  lua_getfield(L, t, k);
  if (lua_isnil(L, -1)) { lua_pop(L, 1); *n = 0; return (cal_range *)own(L, b, 1, sizeof *out); }
  luaL_checktype(L, -1, LUA_TTABLE);
  *n = (size_t)lua_rawlen(L, -1);
  out = (cal_range *)own(L, b, *n, sizeof *out);
  for (i = 0; i < *n; i++) {
    int e;
    lua_rawgeti(L, -1, (lua_Integer)i + 1);
    e = lua_gettop(L);
    luaL_checktype(L, e, LUA_TTABLE);
    out[i].analyte = lcal_field_int(L, e, "analyte", -1);
    out[i].species = lcal_field_int(L, e, "species", 0);
    out[i].sex = lcal_field_int(L, e, "sex", 0);
    out[i].age_min = lcal_field_num(L, e, "age_min");
    out[i].age_max = lcal_field_num(L, e, "age_max");
    out[i].low = lcal_field_num(L, e, "low");
    out[i].high = lcal_field_num(L, e, "high");
    lua_getfield(L, e, "inclusive");
    out[i].inclusive = lua_toboolean(L, -1);
    lua_pop(L, 2);
  }
  lua_pop(L, 1);
  return out;
}

/* Ambiguous keys ({ key = note }) and suggestion names ({ name, ... }) of a term map. */
static void term_extras(lua_State *L, cal_termmap *m, int t, const char *notes, const char *names) {
  lua_getfield(L, t, notes);
  if (lua_istable(L, -1)) {
    lua_pushnil(L);
    while (lua_next(L, -2)) {
      if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TSTRING) {
        size_t kl;
        const char *key = lua_tolstring(L, -2, &kl);
        if (!cal_termmap_add_note(m, key, kl, lua_tostring(L, -1)) && kl > 0 && kl < CAL_KEY_MAX)
          luaL_error(L, "core.plan: out of memory");
      }
      lua_pop(L, 1);
    }
  }
  lua_pop(L, 1);
  lua_getfield(L, t, names);
  if (lua_istable(L, -1)) {
    size_t i, n = (size_t)lua_rawlen(L, -1);
    for (i = 0; i < n; i++) {
      size_t kl;
      const char *name;
      lua_rawgeti(L, -1, (lua_Integer)i + 1);
      name = lua_tolstring(L, -1, &kl);
      if (name && !cal_termmap_add_name(m, name, kl) && kl > 0 && kl < CAL_KEY_MAX)
        luaL_error(L, "core.plan: out of memory");
      lua_pop(L, 1);
    }
  }
  lua_pop(L, 1);
}

/* A term map from { key = { bit, ... }, ... }; NULL when absent. */
static cal_termmap *term_map(lua_State *L, int t, const char *k) {
  cal_termmap *m;
  lua_getfield(L, t, k);
  if (lua_isnil(L, -1)) { lua_pop(L, 1); return NULL; }
  luaL_checktype(L, -1, LUA_TTABLE);
  m = cal_termmap_new();
  if (!m) luaL_error(L, "core.plan: out of memory");
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    int bits[64];
    size_t nb = 0, kl;
    const char *key;
    if (lua_type(L, -2) == LUA_TSTRING && lua_istable(L, -1)) {
      size_t i, n = (size_t)lua_rawlen(L, -1);
      key = lua_tolstring(L, -2, &kl);
      for (i = 0; i < n && nb < 64; i++) {
        lua_rawgeti(L, -1, (lua_Integer)i + 1);
        bits[nb++] = (int)lua_tointeger(L, -1);
        lua_pop(L, 1);
      }
      if (!cal_termmap_add(m, key, kl, bits, nb) && kl > 0 && kl < 90) {
        cal_termmap_free(m);
        luaL_error(L, "core.plan: out of memory");
      }
    }
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  return m;
}

static const cal_program *program_of(lua_State *L, int t, const char *k) {
  const cal_program *p;
  lua_getfield(L, t, k);
  p = lcal_check_program(L, -1, k);
  lua_pop(L, 1);
  return p;
}

static void read_result(lua_State *L, plan_box *b, int t) {
  cal_result_spec *rs = &b->plan.result;
  size_t n, na, nr;
  int r;
  lua_getfield(L, t, "result");
  r = lua_gettop(L);
  if (lua_isnil(L, r)) { lua_pop(L, 1); return; }
  luaL_checktype(L, r, LUA_TTABLE);
  lcal_check_keys(L, r, RESULT_KEYS, "core.plan: result");
  rs->post = program_of(L, t, "result_program");
  rs->conf = program_of(L, t, "confidence_program");
  int_lists(L, b, r, "alt_labels", &rs->nalt, (int **)&rs->alt_off, (int **)&rs->alt_labels);
  {
    double *ranks = number_list(L, b, r, "alert_rank", &rs->nalert);
    int *ir = (int *)own(L, b, rs->nalert, sizeof(int));
    size_t i;
    for (i = 0; i < rs->nalert; i++) ir[i] = (int)ranks[i];
    rs->alert_rank = ir;
  }
  b->plan.alert_ids = string_list(L, b, r, "alert_ids", &na);
  b->plan.ask_ids = string_list(L, b, r, "ask_ids", &rs->nask);
  rs->ask_priority = number_list(L, b, r, "ask_priority", &n);
  if (n != rs->nask) luaL_error(L, "core.plan: result.ask_priority has %d entries, not %d", (int)n, (int)rs->nask);
  rs->ask_weight = number_list(L, b, r, "ask_weight", &n);
  if (n != rs->nask) luaL_error(L, "core.plan: result.ask_weight has %d entries, not %d", (int)n, (int)rs->nask);
  int_lists(L, b, r, "ask_rules", &n, (int **)&rs->ask_off, (int **)&rs->ask_rules);
  if (n != rs->nask) luaL_error(L, "core.plan: result.ask_rules has %d entries, not %d", (int)n, (int)rs->nask);
  rs->conf_factor = number_list(L, b, r, "conf_factor", &nr);
  if (na != rs->nalert) luaL_error(L, "core.plan: result.alert_ids and alert_rank differ in length");
  if (rs->post->nrules != rs->nalt + rs->nalert + rs->nask)
    luaL_error(L, "core.plan: the result program has %d blocks, not %d", (int)rs->post->nrules,
               (int)(rs->nalt + rs->nalert + rs->nask));
  if (rs->conf->nrules != nr) luaL_error(L, "core.plan: the confidence program has %d blocks, not %d",
                                         (int)rs->conf->nrules, (int)nr);
  if (rs->post->term_words != b->plan.prog->term_words || rs->conf->term_words != b->plan.prog->term_words ||
      rs->conf->nvars != rs->post->nvars)
    luaL_error(L, "core.plan: the result programs do not match the decision program");
  rs->level_high = lcal_field_num(L, r, "level_high");
  rs->level_moderate = lcal_field_num(L, r, "level_moderate");
  if (isnan(rs->level_high)) rs->level_high = 0.75;
  if (isnan(rs->level_moderate)) rs->level_moderate = 0.45;
  lua_getfield(L, r, "indeterminate_alternatives");
  rs->indeterminate_alternatives = lua_isnil(L, -1) ? 1 : lua_toboolean(L, -1);
  lua_pop(L, 2);
  {
    size_t i;
    int k;
    for (i = 0; i < rs->nalt; i++)
      for (k = rs->alt_off[i]; k < rs->alt_off[i + 1]; k++)
        if (rs->alt_labels[k] < -1 || rs->alt_labels[k] >= b->plan.prog->nsubtypes)
          luaL_error(L, "core.plan: result.alt_labels: bad label %d", rs->alt_labels[k]);
    for (i = 0; i < rs->nask; i++)
      for (k = rs->ask_off[i]; k < rs->ask_off[i + 1]; k++)
        if (rs->ask_rules[k] < 0 || rs->ask_rules[k] >= b->plan.prog->nrules)
          luaL_error(L, "core.plan: result.ask_rules: bad rule %d", rs->ask_rules[k]);
  }
}

static int column_kind_ok(int kind) { return kind >= 0 && kind < CAL_COL_KIND_COUNT_; }

/* The index of an analyte in cal_analyte_at order, or -1. */
static int analyte_index(const char *name) {
  const cal_analyte *a = cal_analyte_find(name, strlen(name));
  size_t i;
  for (i = 0; a && i < cal_analyte_count() && i < CAL_REC_MAX_ANALYTES; i++)
    if (cal_analyte_at(i) == a) return (int)i;
  return -1;
}

/* The strings the lab table is built with (keys and constant values),
 * interned once per plan in its user value (UV_STRS: STRS[i] at i, then
 * the analytes' names at S_NAME + a and units at S_AUNIT + a), so that
 * building a lab table sets fields with lua_rawset and no string lookup. */
enum {
  S_UNIT = 1, S_VALUE, S_GIVEN, S_KEY, S_QUALITATIVE, S_FLAG, S_RANGE, S_CRITICAL, S_COMPARATOR, S_DATE,
  S_REPORTED_RANGE, S_LOW, S_HIGH, S_NORMAL, S_INTERPRETATION, S_SOURCE, S_NOTE, S_METHOD, S_VARIANT, S_MISSING,
  S_BASIS, S_SI, S_REPORTED, S_USED, S_INDEX, S_RULE, S_PROBLEMS, S_AGE, S_SEX, S_SPECIES, S_BIRTH_DATE,
  S_CKD_STAGE, S_COMPUTED, S_LT, S_GT, S_CRITICAL_LOW, S_CRITICAL_HIGH, S_CALCIUM, S_ALBUMIN, S_CREATININE,
  S_HEIGHT_CM, S_MMOL2, S_MG2, S_EGFR_UNIT, S_A, S_EMPTY, S_F, S_M, S_HUMAN, S_DOG, S_CAT, S_CORRECTED_CALCIUM,
  S_NAMEKEY, S_NAME, S_AUNIT = S_NAME + CAL_REC_MAX_ANALYTES, S_COUNT_ = S_AUNIT + CAL_REC_MAX_ANALYTES
};
static const char *const STRS[S_NAME] = {
  NULL, "unit", "value", "given", "key", "qualitative", "flag", "range", "critical", "comparator", "date",
  "reported_range", "low", "high", "normal", "interpretation", "source", "note", "method", "variant", "missing",
  "basis", "si", "reported", "used", "index", "rule", "problems", "age", "sex", "species", "birth_date",
  "ckd_stage", "computed", "<", ">", "critical_low", "critical_high", "calcium", "albumin", "creatinine",
  "height_cm", "mmol2/L2", "mg2/dL2", "mL/min/{1.73_m2}", "a", "", "F", "M", "human", "dog", "cat",
  "corrected_calcium", "name"};
/* FLAG_NAMES (critical_low ... critical_high) as STRS indexes */
static const int FLAG_STRS[5] = {S_CRITICAL_LOW, S_LOW, S_NORMAL, S_HIGH, S_CRITICAL_HIGH};

static void push_strs(lua_State *L) {
  size_t a, na = cal_analyte_count();
  int i;
  lua_createtable(L, S_COUNT_, 0);
  for (i = 1; i < S_NAME; i++) { lua_pushstring(L, STRS[i]); lua_rawseti(L, -2, i); }
  for (a = 0; a < na && a < CAL_REC_MAX_ANALYTES; a++) {
    lua_pushstring(L, cal_analyte_at(a)->name); lua_rawseti(L, -2, S_NAME + (int)a);
    lua_pushstring(L, cal_analyte_at(a)->unit); lua_rawseti(L, -2, S_AUNIT + (int)a);
  }
}

/* core.plan(spec) -> plan. Raises on a bad spec (a programmer error). */
static int l_plan(lua_State *L) {
  plan_box *b;
  cal_cohort *p;
  size_t n, i;
  const char *s;
  luaL_checktype(L, 1, LUA_TTABLE);
  lcal_check_keys(L, 1, PLAN_KEYS, "core.plan");
  b = (plan_box *)lua_newuserdatauv(L, sizeof *b, 1);
  memset(b, 0, sizeof *b);
  luaL_setmetatable(L, PLAN_MT);
  /* keep the programs alive as long as the plan; what the lab table is built with */
  lua_createtable(L, UV_COUNT_, 0);
  lua_getfield(L, 1, "program"); lua_rawseti(L, -2, UV_PROGRAM);
  lua_getfield(L, 1, "result_program"); lua_rawseti(L, -2, UV_RESULT_PROGRAM);
  lua_getfield(L, 1, "confidence_program"); lua_rawseti(L, -2, UV_CONF_PROGRAM);
  push_strs(L); lua_rawseti(L, -2, UV_STRS);
  lua_newtable(L); lua_rawseti(L, -2, UV_CKD_RULES);
  lua_newtable(L); lua_rawseti(L, -2, UV_VIEW_RANGES);
  lua_getfield(L, 1, "labs_display");
  if (!lua_isnil(L, -1)) {
    int d = lua_gettop(L);
    luaL_checktype(L, d, LUA_TTABLE);
    lcal_check_keys(L, d, LABS_DISPLAY_KEYS, "core.plan: labs_display");
    lua_getfield(L, d, "list_mt"); luaL_checktype(L, -1, LUA_TTABLE); lua_rawseti(L, d - 1, UV_LIST_MT);
    lua_getfield(L, d, "fmt"); luaL_checktype(L, -1, LUA_TFUNCTION); lua_rawseti(L, d - 1, UV_FMT);
    lua_getfield(L, d, "ranges"); luaL_checktype(L, -1, LUA_TTABLE); lua_rawseti(L, d - 1, UV_RANGES);
    lua_getfield(L, d, "critical"); luaL_checktype(L, -1, LUA_TTABLE); lua_rawseti(L, d - 1, UV_CRITICAL);
    lua_getfield(L, d, "egfr_methods"); luaL_checktype(L, -1, LUA_TTABLE); lua_rawseti(L, d - 1, UV_EGFR);
    lua_getfield(L, d, "ca_formula"); luaL_checktype(L, -1, LUA_TSTRING); lua_rawseti(L, d - 1, UV_CA_FORMULA);
    lua_getfield(L, d, "ca_key"); luaL_checktype(L, -1, LUA_TSTRING); lua_rawseti(L, d - 1, UV_CA_KEY);
    b->has_labs = 1;
  }
  lua_pop(L, 1);
  lua_getfield(L, 1, "present");
  if (!lua_isnil(L, -1)) {
    luaL_checktype(L, -1, LUA_TTABLE);
    lcal_check_keys(L, lua_gettop(L), PRESENT_KEYS, "core.plan: present");
    /* (none for a ruleset without rules: calcinosis.labs's) */
    lua_getfield(L, -1, "explainer");
    b->explain = lua_isnil(L, -1) ? NULL : lcal_check_explainer(L, -1, "core.plan: present.explainer");
    lua_pop(L, 1);
    if (b->explain) {
      b->xin = (double *)own(L, b, cal_explain_nslots(b->explain) + cal_explain_nlets(b->explain) + 1, sizeof(double));
      b->xops = (double *)own(L, b, cal_explain_nops(b->explain) + 1, sizeof(double));
    }
    lua_rawseti(L, -2, UV_PRESENT);
    b->has_present = 1;
  } else {
    lua_pop(L, 1);
  }
  lua_setiuservalue(L, -2, 1);
  {
    char uerr[128];
    b->i_ca = analyte_index("calcium");
    b->i_alb = analyte_index("albumin");
    b->i_corr = analyte_index("corrected_calcium");
    b->i_caxp = analyte_index("ca_x_p");
    b->i_creat = analyte_index("creatinine");
    b->i_egfr = analyte_index("egfr");
    if (b->has_labs && (b->i_ca < 0 || b->i_alb < 0 || b->i_corr < 0 || b->i_caxp < 0 || b->i_creat < 0 ||
                        b->i_egfr < 0))
      luaL_error(L, "core.plan: the analyte table lacks an analyte of the lab table");
    b->caxp = cal_analyte_find("ca_x_p", 6);
    b->caxp_si = cal_unit_parse("mg2/dL2", 7, &b->caxp_from, uerr, sizeof uerr) &&
                 cal_unit_parse("mmol2/L2", 8, &b->caxp_to, uerr, sizeof uerr);
  }
  p = &b->plan;
  p->prog = program_of(L, 1, "program");
  p->slots = slot_list(L, b, 1, "slots", &p->nslots);
  p->post_slots = slot_list(L, b, 1, "post_slots", &p->npost_slots);
  for (i = 0; i < p->nslots; i++)
    if (CAL_SLOT_IS_DECISION(p->slots[i].kind)) luaL_error(L, "core.plan: slot %d reads the decision", (int)i + 1);
  b->findings = term_map(L, 1, "findings");
  b->sites = term_map(L, 1, "sites");
  if (b->findings) term_extras(L, b->findings, 1, "finding_notes", "finding_names");
  if (b->sites) term_extras(L, b->sites, 1, "site_notes", "site_names");
  p->findings = b->findings;
  p->sites = b->sites;
  {
    int twa = lcal_field_int(L, 1, "term_words_all", (int)p->prog->term_words);
    if (twa < (int)p->prog->term_words || twa > CAL_VM_MAX_TERM_WORDS)
      luaL_error(L, "core.plan: term_words_all must be between the program's %d and %d", (int)p->prog->term_words,
                 CAL_VM_MAX_TERM_WORDS);
    p->term_words_all = (size_t)(twa ? twa : 1);
  }
  lua_getfield(L, 1, "species_clear");
  if (!lua_isnil(L, -1)) {
    size_t tw = p->term_words_all, w;
    uint64_t *m = (uint64_t *)own(L, b, 3 * (tw ? tw : 1), sizeof(uint64_t));
    luaL_checktype(L, -1, LUA_TTABLE);
    for (i = 0; i < 3; i++) {
      lua_rawgeti(L, -1, (lua_Integer)i + 1);
      if (lua_istable(L, -1)) {
        size_t k, nb = (size_t)lua_rawlen(L, -1);
        for (k = 0; k < nb; k++) {
          lua_Integer bit;
          lua_rawgeti(L, -1, (lua_Integer)k + 1);
          bit = lua_tointeger(L, -1);
          w = bit >= 0 ? (size_t)(bit >> 6) : tw; /* a negative bit is no term */
          if (w < tw) m[i * tw + w] |= (uint64_t)1 << (bit & 63);
          lua_pop(L, 1);
        }
      }
      lua_pop(L, 1);
    }
    p->species_clear = m;
  }
  lua_pop(L, 1);
  p->ranges = range_list(L, b, 1, "ranges", &p->nranges);
  p->critical = range_list(L, b, 1, "critical", &p->ncritical);
  p->ca_variant = lcal_field_int(L, 1, "ca_variant", 0);
  if (p->ca_variant < 0 || p->ca_variant > 2) luaL_error(L, "core.plan: ca_variant must be 0, 1 or 2");
  p->kdigo_round = lcal_field_bool(L, 1, "kdigo_round", 0);
  p->rule_ids = string_list(L, b, 1, "rule_ids", &p->nrules);
  p->type_names = string_list(L, b, 1, "type_names", &n);
  if (n < p->prog->nsubtypes) luaL_error(L, "core.plan: type_names too short");
  lua_getfield(L, 1, "indeterminate");
  p->indeterminate = lua_isstring(L, -1) ? own_string(L, b, -1) : "indeterminate";
  lua_pop(L, 1);
  lua_getfield(L, 1, "ruleset_name");
  p->ruleset_name = lua_isstring(L, -1) ? own_string(L, b, -1) : "";
  lua_pop(L, 1);
  lua_getfield(L, 1, "ruleset_version");
  p->ruleset_version = lua_isstring(L, -1) ? own_string(L, b, -1) : "";
  lua_pop(L, 1);
  lua_getfield(L, 1, "hash");
  p->hash = lua_isstring(L, -1) ? own_string(L, b, -1) : "";
  lua_pop(L, 1);
  p->rule_counts = lcal_field_bool(L, 1, "rule_counts", 0);
  lua_getfield(L, 1, "columns");
  if (lua_isnil(L, -1)) lua_newtable(L), lua_replace(L, -2);
  luaL_checktype(L, -1, LUA_TTABLE);
  n = (size_t)lua_rawlen(L, -1);
  {
    cal_column *cols = (cal_column *)own(L, b, n, sizeof *cols);
    int t = lua_gettop(L);
    for (i = 0; i < n; i++) {
      int e;
      lua_rawgeti(L, t, (lua_Integer)i + 1);
      e = lua_gettop(L);
      luaL_checktype(L, e, LUA_TTABLE);
      cols[i].kind = lcal_field_int(L, e, "kind", CAL_COL_ID);
      cols[i].index = lcal_field_int(L, e, "index", 0);
      cols[i].decimals = lcal_field_int(L, e, "decimals", -1);
      cols[i].scale = lcal_field_num(L, e, "scale");
      if (isnan(cols[i].scale)) cols[i].scale = 0;
      if (!column_kind_ok(cols[i].kind)) luaL_error(L, "core.plan: column %d: unknown kind", (int)i + 1);
      lua_getfield(L, e, "name");
      if (!lua_isstring(L, -1)) luaL_error(L, "core.plan: column %d has no name", (int)i + 1);
      cols[i].name = own_string(L, b, -1);
      lua_pop(L, 2);
    }
    p->columns = cols;
    p->ncolumns = n;
  }
  lua_pop(L, 1);
  s = lcal_field_str(L, 1, "format");
  if (s && strcmp(s, "csv") != 0 && strcmp(s, "ndjson") != 0) luaL_error(L, "core.plan: format must be csv or ndjson");
  p->ndjson = s && strcmp(s, "ndjson") == 0;
  p->header = lcal_field_bool(L, 1, "header", 1);
  p->strict = lcal_field_bool(L, 1, "strict", 0);
  s = lcal_field_str(L, 1, "delimiter");
  if (s && strlen(s) != 1) luaL_error(L, "core.plan: delimiter must be one byte");
  p->delim = s ? s[0] : ',';
  s = lcal_field_str(L, 1, "input_format");
  if (s && strcmp(s, "csv") != 0 && strcmp(s, "ndjson") != 0 && strcmp(s, "long") != 0 && strcmp(s, "fhir") != 0 &&
      strcmp(s, "arff") != 0)
    luaL_error(L, "core.plan: input_format must be csv, ndjson, long, fhir or arff");
  p->input_ndjson = s && strcmp(s, "ndjson") == 0;
  p->input_long = s && strcmp(s, "long") == 0;
  p->input_fhir = s && strcmp(s, "fhir") == 0;
  p->input_arff = s && strcmp(s, "arff") == 0;
  p->index_date = p->window_days = NAN;
  s = lcal_field_str(L, 1, "index_date");
  if (s && !cal_date_parse(s, strlen(s), &p->index_date)) luaL_error(L, "core.plan: index_date '%s' is not a date", s);
  s = lcal_field_str(L, 1, "window");
  if (s && !cal_window_parse(s, strlen(s), &p->window_days))
    luaL_error(L, "core.plan: window '%s' is not a length of time (365d, 52w, 12mo, 2y)", s);
  lua_getfield(L, 1, "na");
  if (!lua_isnil(L, -1)) {
    size_t nna;
    p->na = string_list(L, b, 1, "na", &nna);
  }
  lua_pop(L, 1);
  p->decimal_comma = lcal_field_bool(L, 1, "decimal_comma", 0);
  {
    size_t nto;
    p->map.from = string_list(L, b, 1, "map_from", &p->map.n);
    p->map.to = string_list(L, b, 1, "map_to", &nto);
    if (nto != p->map.n) luaL_error(L, "core.plan: map_from and map_to differ in length");
  }
  read_result(L, b, 1);
  if (p->nslots > p->prog->nvars) luaL_error(L, "core.plan: more slots than the program has");
  /* what reads one record at a time: the engine, and the NDJSON schema */
  b->engine = cal_engine_new(p);
  b->nd = cal_ndjson_open_memory();
  if (!b->engine || !b->nd) luaL_error(L, "core.plan: out of memory");
  {
    size_t nf = cal_record_nfields(), k;
    cal_field *hdr = (cal_field *)own(L, b, nf, sizeof *hdr);
    for (k = 0; k < nf; k++) {
      hdr[k].ptr = cal_record_field_name(k);
      hdr[k].len = strlen(hdr[k].ptr);
    }
    if (!cal_record_layout_init(&b->schema, hdr, nf, NULL, 0)) luaL_error(L, "core.plan: out of memory");
  }
  if (b->has_present && !b->explain && p->prog->nrules > 0)
    luaL_error(L, "core.plan: present.explainer is missing (the program has rules)");
  if (b->explain && (cal_explain_nslots(b->explain) != p->prog->nvars ||
                     cal_explain_nlets(b->explain) != p->prog->nlets ||
                     cal_explain_nrules(b->explain) != p->prog->nrules))
    luaL_error(L, "core.plan: present.explainer is not the program's (its slots, lets or rules differ)");
  b->ctx = cal_cohort_record_ctx(&b->plan);
  b->ready = 1;
  return 1;
}

/* ---- results as Lua tables ---- */

static void set_num(lua_State *L, const char *k, double v) {
  if (v != v) return;
  lua_pushnumber(L, (lua_Number)v);
  lua_setfield(L, -2, k);
}

/* The list of the problems in text[0, len) (count of them, separated by
 * CAL_PROBLEM_SEP). */
static void push_problem_text(lua_State *L, const char *text, size_t len, int count) {
  const char *s = text, *e = text + len;
  int n = 0;
  lua_createtable(L, count, 0);
  while (count && s < e) {
    const char *q = memchr(s, CAL_PROBLEM_SEP, (size_t)(e - s));
    if (!q) q = e;
    lua_pushlstring(L, s, (size_t)(q - s));
    lua_rawseti(L, -2, ++n);
    s = q + 1;
  }
}

static void push_problems(lua_State *L, const cal_problems *pb) { push_problem_text(L, pb->text, pb->len, pb->count); }

static void push_record(lua_State *L, const plan_box *b, const cal_record *r) {
  size_t a, na = cal_analyte_count();
  const cal_record_ctx *ctx = &b->ctx;
  lua_createtable(L, 0, 12);
  set_num(L, "age", r->age);
  if (r->sex) { lua_pushstring(L, r->sex == CAL_SEX_F ? "F" : "M"); lua_setfield(L, -2, "sex"); }
  lua_pushstring(L, r->species == CAL_SPECIES_DOG ? "dog" : r->species == CAL_SPECIES_CAT ? "cat" : "human");
  lua_setfield(L, -2, "species");
  set_num(L, "height_cm", r->height);
  if (r->ckd) { lua_pushinteger(L, r->ckd); lua_setfield(L, -2, "ckd"); }
  lua_pushinteger(L, r->unknown_terms); lua_setfield(L, -2, "unknown_terms");
  lua_pushinteger(L, r->egfr_method); lua_setfield(L, -2, "egfr_method");
  set_num(L, "egfr_reported", r->egfr_reported);
  lua_createtable(L, 0, 2); /* comparators of censored values */
  for (a = 0; a < na && a < CAL_REC_MAX_ANALYTES; a++)
    if (r->cmp[a] && !isnan(r->v[a])) {
      lua_pushstring(L, r->cmp[a] < 0 ? "<" : ">");
      lua_setfield(L, -2, cal_analyte_at(a)->name);
    }
  lua_setfield(L, -2, "comparators");
  lua_createtable(L, 0, 4); /* the dates of the values (YYYY-MM-DD) */
  for (a = 0; a < na && a < CAL_REC_MAX_ANALYTES; a++)
    if (!isnan(r->date[a]) && (!isnan(r->v[a]) || r->qual[a])) {
      char d[11];
      cal_date_format(r->date[a], d);
      lua_pushstring(L, d);
      lua_setfield(L, -2, cal_analyte_at(a)->name);
    }
  lua_setfield(L, -2, "dates");
  lua_createtable(L, 0, 2); /* reference ranges the lab reported ({ low, high }, canonical unit) */
  for (a = 0; a < na && a < CAL_REC_MAX_ANALYTES; a++)
    if (!isnan(r->rlow[a]) || !isnan(r->rhigh[a])) {
      lua_createtable(L, 0, 2);
      set_num(L, "low", r->rlow[a]);
      set_num(L, "high", r->rhigh[a]);
      lua_setfield(L, -2, cal_analyte_at(a)->name);
    }
  lua_setfield(L, -2, "reported_ranges");
  lua_createtable(L, 0, 2); /* the lab's interpretation codes */
  for (a = 0; a < na && a < CAL_REC_MAX_ANALYTES; a++)
    if (r->rflag[a][0]) {
      lua_pushstring(L, r->rflag[a]);
      lua_setfield(L, -2, cal_analyte_at(a)->name);
    }
  lua_setfield(L, -2, "interpretations");
  if (!isnan(r->birth)) {
    char d[11];
    cal_date_format(r->birth, d);
    lua_pushstring(L, d);
    lua_setfield(L, -2, "birth_date");
  }
  lua_createtable(L, 0, 16); /* values */
  lua_createtable(L, 0, 4);  /* qualitative */
  lua_createtable(L, 0, 16); /* flags */
  lua_createtable(L, 0, 16); /* range: index in the ranges list (1-based) */
  lua_createtable(L, 0, 4);  /* critical */
  for (a = 0; a < na && a < CAL_REC_MAX_ANALYTES; a++) {
    const char *name = cal_analyte_at(a)->name;
    double f = cal_record_flag(ctx, (int)a, r);
    if (!isnan(r->v[a])) {
      int ri = cal_record_range(ctx, 0, (int)a, r);
      int ci = cal_record_range(ctx, 1, (int)a, r);
      lua_pushnumber(L, (lua_Number)r->v[a]);
      lua_setfield(L, -6, name);
      if (ri >= 0) { lua_pushinteger(L, ri + 1); lua_setfield(L, -3, name); }
      if (ci >= 0) { lua_pushinteger(L, ci + 1); lua_setfield(L, -2, name); }
    }
    if (r->qual[a]) {
      lua_pushstring(L, r->qual[a] == CAL_QUAL_HIGH ? "high" : r->qual[a] == CAL_QUAL_LOW ? "low" : "normal");
      lua_setfield(L, -5, name);
    }
    if (!isnan(f)) { lua_pushinteger(L, (lua_Integer)f); lua_setfield(L, -4, name); }
  }
  lua_setfield(L, -6, "critical");
  lua_setfield(L, -5, "range");
  lua_setfield(L, -4, "flags");
  lua_setfield(L, -3, "qualitative");
  lua_setfield(L, -2, "values");
}

/* ---- the lab table (calcinosis.labs) ---- */

static const char *const FLAG_NAMES[5] = {"critical_low", "low", "normal", "high", "critical_high"};

static void set_str(lua_State *L, const char *k, const char *v) {
  lua_pushstring(L, v);
  lua_setfield(L, -2, k);
}

/* tostring(v) of the value at idx, pushed (luaL_tolstring; 5.1 and LuaJIT
 * have no luaL_tolstring: the global tostring, as Lua code calls it). */
static void push_tostring(lua_State *L, int idx) {
#if LUA_VERSION_NUM >= 503
  if (lua_type(L, idx) == LUA_TNUMBER) {
    /* a number as Lua writes it ("%.14g", ".0" after a float that looks
     * like an integer; an integer as "%lld"), made here when quick */
    char buf[64];
    size_t n = 0;
    int mt = lua_getmetatable(L, idx);
    if (mt) lua_pop(L, 1);
    else if (lua_isinteger(L, idx)) n = lcal_int_text(buf, (long long)lua_tointeger(L, idx));
    else if ((n = cal_format_g(buf, (double)lua_tonumber(L, idx), 14, NULL)) != 0 && buf[strspn(buf, "-0123456789")] == '\0') {
      memcpy(buf + n, ".0", 2);
      n += 2;
    }
    if (n) {
      lua_pushlstring(L, buf, n);
      return;
    }
  }
#endif
#if LUA_VERSION_NUM == 501
  idx = lua_absindex(L, idx);
  lua_getglobal(L, "tostring");
  lua_pushvalue(L, idx);
  lua_call(L, 1, 1);
#else
  luaL_tolstring(L, idx, NULL);
#endif
}

/* a < b for the values at two stack indexes, as Lua's < compares them */
static int less_than(lua_State *L, int a, int b) {
#if LUA_VERSION_NUM == 501
  return lua_lessthan(L, a, b);
#else
  return lua_compare(L, a, b, LUA_OPLT);
#endif
}

/* Where a lab table is built from: a record, its problems, the labs as
 * given (on the stack: the key, the value and the unit of analyte a at
 * given_base + 3a, as lcal_read_patient keeps them; or, given_base 0, in
 * the user value of a lab snapshot, at stack index snap), the plan and its
 * user value (uv, a stack index). */
typedef struct {
  const plan_box *b;
  const cal_record *r;
  const char *ptext; /* the record's problems: plen bytes, pcount of them */
  size_t plen;
  int pcount;
  int uv, given_base, snap;
  int strs; /* stack index of the plan's strings (UV_STRS) */
  int ranges, critical; /* stack indexes of uv[UV_RANGES], uv[UV_CRITICAL] (0: not on the stack) */
  unsigned char given[CAL_REC_MAX_ANALYTES];
} lab_src;

/* Pushes string i of the plan's strings. */
static void push_s(lua_State *L, const lab_src *s, int i) { lua_rawgeti(L, s->strs, i); }

/* t[key] = the value on top (popped), t at stack index -2 before the call;
 * key: an index of the plan's strings. */
static void set_k(lua_State *L, const lab_src *s, int key) {
  lua_rawgeti(L, s->strs, key);
  lua_insert(L, -2);
  lua_rawset(L, -3);
}

/* t[key] = string v of the plan's strings, t on top. */
static void set_ks(lua_State *L, const lab_src *s, int key, int v) {
  lua_rawgeti(L, s->strs, key);
  lua_rawgeti(L, s->strs, v);
  lua_rawset(L, -3);
}

/* t[key] = a number (not set when NaN), t on top. */
static void set_kn(lua_State *L, const lab_src *s, int key, double v) {
  if (v != v) return;
  lua_rawgeti(L, s->strs, key);
  lua_pushnumber(L, (lua_Number)v);
  lua_rawset(L, -3);
}

/* A lab snapshot ("calcinosis.labsnap"): the record of one result, kept so
 * that its lab table, or one entry of it, is built only when read. Its
 * user value is a table: the plan, the plan's user value, then the key of
 * each analyte given and the value it was given as, written when read (a
 * string, a number or a boolean), or else its text, made when the
 * snapshot is (a table's "value unit"; SNAP_GIVEN + 2a, + 1). */
#define LABSNAP_MT "calcinosis.labsnap"
enum { SNAP_PLAN = 1, SNAP_UV, SNAP_GIVEN };
typedef struct {
  const plan_box *b;
  cal_record rec;
  size_t plen;   /* the record's problems (ptext, only as long as they are) */
  int pcount;
  unsigned char given[CAL_REC_MAX_ANALYTES];
  char ptext[1];
} lab_snap;

/* Pushes the text a lab was given as, from its value v and unit u (stack
 * indexes): as tostring gives it, "value unit" for a table with a unit. */
static void push_given_text(lua_State *L, int v, int u) {
  if (lua_toboolean(L, u)) {
    push_tostring(L, v);
    lua_pushliteral(L, " ");
    push_tostring(L, u);
    lua_concat(L, 3);
  } else {
    push_tostring(L, v);
  }
}

/* Pushes the key analyte a was given under (text 0), or the text it was given as (1). */
static void push_given(lua_State *L, const lab_src *s, int a, int text) {
  if (!text) {
    if (s->given_base) lua_pushvalue(L, s->given_base + 3 * a);
    else lua_rawgeti(L, s->snap, SNAP_GIVEN + 2 * a);
  } else if (s->given_base) {
    push_given_text(L, s->given_base + 3 * a + 1, s->given_base + 3 * a + 2);
  } else {
    lua_rawgeti(L, s->snap, SNAP_GIVEN + 2 * a + 1);
    push_tostring(L, -1);
    lua_remove(L, -2);
  }
}

static const char *species_name(int sp) {
  return sp == CAL_SPECIES_DOG ? "dog" : sp == CAL_SPECIES_CAT ? "cat" : "human";
}

/* Entry i (0-based) of the shown ranges at uv[slot], set as field key (a
 * STRS index) of the table on top: the plan's own table, shared by every
 * lab table of the plan (read-only; README.md, "Shared tables";
 * calcinosis.copy copies). */
static void set_range(lua_State *L, const lab_src *s, int slot, int i, int key) {
  int list = slot == UV_RANGES ? s->ranges : slot == UV_CRITICAL ? s->critical : 0;
  if (list) { /* (the same, with the list and the key at hand) */
    lua_rawgeti(L, s->strs, key);
    lua_rawgeti(L, list, (lua_Integer)i + 1);
    if (lua_istable(L, -1)) lua_rawset(L, -3);
    else lua_pop(L, 2);
    return;
  }
  lua_rawgeti(L, s->uv, slot);
  lua_rawgeti(L, -1, (lua_Integer)i + 1);
  lua_remove(L, -2);
  if (lua_istable(L, -1)) set_k(L, s, key);
  else lua_pop(L, 1);
}

/* 1 when the lab table has an entry for analyte a: every analyte with a
 * value, a word or a given text, and the derived entries (corrected
 * calcium, Ca x P, eGFR) always. */
static int lab_entry_made(const lab_src *s, int a) {
  const plan_box *b = s->b;
  return !isnan(s->r->v[a]) || s->r->qual[a] || s->given[a] || a == b->i_corr || a == b->i_caxp || a == b->i_egfr;
}

/* Pushes the lab table's entry of analyte a (labs[name]), or nil (lab_entry_made). */
static void push_lab_entry(lua_State *L, const lab_src *s, int a) {
  const cal_record *r = s->r;
  const plan_box *b = s->b;
  int has_v = !isnan(r->v[a]), e;
  if (!lab_entry_made(s, a)) { lua_pushnil(L); return; }
  if (!has_v && !r->qual[a] && !s->given[a]) { /* a derived entry without a value */
    lua_createtable(L, 0, 4);
    set_ks(L, s, S_UNIT, a == b->i_corr ? S_AUNIT + a : a == b->i_caxp ? S_MG2 : S_EGFR_UNIT);
  } else {
    lua_createtable(L, 0, 8);
    set_ks(L, s, S_UNIT, S_AUNIT + a);
    set_kn(L, s, S_VALUE, r->v[a]);
    if (s->given[a]) {
      push_given(L, s, a, 1); set_k(L, s, S_GIVEN);
      push_given(L, s, a, 0); set_k(L, s, S_KEY);
    }
    if (r->qual[a] && !has_v) {
      int q = r->qual[a] == CAL_QUAL_HIGH ? S_HIGH : r->qual[a] == CAL_QUAL_LOW ? S_LOW : S_NORMAL;
      set_ks(L, s, S_QUALITATIVE, q);
      set_ks(L, s, S_FLAG, q);
    }
    if (has_v) {
      double f = cal_record_flag(&b->ctx, a, r);
      int ri = cal_record_range(&b->ctx, 0, a, r);
      int ci = cal_record_range(&b->ctx, 1, a, r);
      if (!isnan(f) && f >= -2 && f <= 2) set_ks(L, s, S_FLAG, FLAG_STRS[(int)f + 2]);
      if (ri >= 0) set_range(L, s, UV_RANGES, ri, S_RANGE);
      if (ci >= 0) set_range(L, s, UV_CRITICAL, ci, S_CRITICAL);
      if (r->cmp[a]) set_ks(L, s, S_COMPARATOR, r->cmp[a] < 0 ? S_LT : S_GT);
    }
    if (!isnan(r->date[a]) && (has_v || r->qual[a])) {
      char d[11];
      cal_date_format(r->date[a], d);
      lua_pushstring(L, d);
      set_k(L, s, S_DATE);
    }
    if (!isnan(r->rlow[a]) || !isnan(r->rhigh[a])) { /* the lab's own range, beside range */
      lua_createtable(L, 0, 3);
      set_kn(L, s, S_LOW, r->rlow[a]);
      set_kn(L, s, S_HIGH, r->rhigh[a]);
      set_ks(L, s, S_UNIT, S_AUNIT + a);
      set_k(L, s, S_REPORTED_RANGE);
    }
    if (r->rflag[a][0]) { lua_pushstring(L, r->rflag[a]); set_k(L, s, S_INTERPRETATION); }
  }
  e = lua_gettop(L);
  if (a == b->i_corr) {
    /* albumin-corrected calcium: computed for humans only (docs/clinical-reference.md §5.1 [S38]) */
    if (s->given[a] && has_v) set_ks(L, s, S_SOURCE, S_REPORTED);
    else if (r->species != CAL_SPECIES_HUMAN) {
      lua_pushfstring(L, "albumin correction is not applied to %ss (docs/clinical-reference.md \302\2475.1 [S38])",
                      species_name(r->species));
      set_k(L, s, S_NOTE);
    } else {
      lua_rawgeti(L, s->uv, UV_CA_FORMULA); set_k(L, s, S_METHOD);
      lua_rawgeti(L, s->uv, UV_CA_KEY); set_k(L, s, S_VARIANT);
      set_ks(L, s, S_SOURCE, S_COMPUTED);
      if (!has_v) {
        int n = 0;
        lua_createtable(L, 2, 0);
        if (isnan(r->v[b->i_ca])) { push_s(L, s, S_CALCIUM); lua_rawseti(L, -2, ++n); }
        if (isnan(r->v[b->i_alb])) { push_s(L, s, S_ALBUMIN); lua_rawseti(L, -2, ++n); }
        set_k(L, s, S_MISSING);
      }
    }
  } else if (a == b->i_caxp) {
    /* Ca x P: with corrected calcium when there is one, else total calcium */
    if (has_v && !s->given[a]) {
      double si;
      char err[128];
      set_ks(L, s, S_BASIS, !isnan(r->v[b->i_corr]) ? S_CORRECTED_CALCIUM : S_CALCIUM);
      lua_createtable(L, 0, 2);
      if (b->caxp_si && isfinite(r->v[a]) &&
          cal_unit_convert(r->v[a], &b->caxp_from, &b->caxp_to, b->caxp ? b->caxp->molar_mass : 0,
                           b->caxp ? b->caxp->valence : 0, &si, err, sizeof err))
        set_kn(L, s, S_VALUE, si);
      set_ks(L, s, S_UNIT, S_MMOL2);
      set_k(L, s, S_SI);
    }
  } else if (a == b->i_egfr) {
    /* eGFR: CKD-EPI 2021 from 18 years, bedside Schwartz for children with a height */
    int m = r->egfr_method;
    if (m == CAL_EGFR_REPORTED) set_ks(L, s, S_SOURCE, S_REPORTED);
    else if (m > 1) {
      lua_rawgeti(L, s->uv, UV_EGFR);
      lua_rawgeti(L, -1, m);
      lua_remove(L, -2);
      set_k(L, s, S_METHOD);
      set_ks(L, s, S_SOURCE, S_COMPUTED);
      lua_rawgeti(L, s->uv, UV_EGFR);
      if (!isnan(r->egfr_reported)) {
        /* a reported eGFR is kept beside the computed one, which the rules use */
        lua_createtable(L, 0, 3);
        lua_pushnumber(L, (lua_Number)r->egfr_reported); lua_setfield(L, -2, "value");
        lua_getfield(L, e, "unit"); lua_setfield(L, -2, "unit");
        if (s->given[a]) { push_given(L, s, a, 1); lua_setfield(L, -2, "given"); }
        lua_setfield(L, e, "reported");
        lua_pushliteral(L, "the computed eGFR (");
        lua_rawgeti(L, -2, m);
        lua_pushliteral(L, ") is used: it is computed from the record's creatinine, age and sex the same way for "
                           "every patient; the reported value is kept as 'reported'");
        lua_concat(L, 3);
        lua_setfield(L, e, "used");
      }
      lua_pop(L, 1);
    }
    if (!has_v) {
      int n = 0;
      lua_createtable(L, 2, 0);
      if (isnan(r->v[b->i_creat])) { push_s(L, s, S_CREATININE); lua_rawseti(L, -2, ++n); }
      if (isnan(r->age)) { push_s(L, s, S_AGE); lua_rawseti(L, -2, ++n); }
      else if (r->age >= 18 && !r->sex) { push_s(L, s, S_SEX); lua_rawseti(L, -2, ++n); }
      else if (r->age < 18 && isnan(r->height)) { push_s(L, s, S_HEIGHT_CM); lua_rawseti(L, -2, ++n); }
      set_k(L, s, S_MISSING);
    }
  }
}

/* The KDIGO G category's rule text of stage st (1 ... 6) when the eGFR is
 * not censored: the same for every record of a plan, so made once (UV_CKD_RULES). */
static void push_ckd_rule(lua_State *L, const lab_src *s, int st) {
  lua_rawgeti(L, s->uv, UV_CKD_RULES);
  lua_rawgeti(L, -1, st);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    lua_pushstring(L, cal_kdigo_label(st));
    lua_pushliteral(L, ": ");
    lua_pushstring(L, cal_kdigo_band(st));
    lua_pushliteral(L, " mL/min/1.73 m2 [S43]; ");
    lua_pushstring(L, s->b->plan.kdigo_round ? "the eGFR rounded to an integer, then banded"
                                             : "the raw eGFR banded (59.71 is G3a)");
    lua_concat(L, 5);
    lua_pushvalue(L, -1);
    lua_rawseti(L, -3, st);
  }
  lua_remove(L, -2);
}

/* Pushes the lab table's KDIGO G category entry (docs/clinical-reference.md
 * §5.4 [S43]; see derived.h for the band-edge rule). */
static void push_lab_ckd(lua_State *L, const lab_src *s) {
  const cal_record *r = s->r;
  int st = r->ckd, c = s->b->i_egfr, has_label = st >= 1 && st <= 6;
  lua_createtable(L, 0, 4);
  if (has_label) { lua_pushstring(L, cal_kdigo_label(st)); set_k(L, s, S_VALUE); }
  if (st) { lua_pushinteger(L, st); set_k(L, s, S_INDEX); }
  set_ks(L, s, S_UNIT, S_EMPTY);
  if (has_label) {
    if (r->cmp[c] && !isnan(r->v[c])) { /* a censored "<15" is below 15: G5 */
      lua_pushstring(L, cal_kdigo_label(st));
      lua_pushliteral(L, ": ");
      lua_pushstring(L, cal_kdigo_band(st));
      lua_pushliteral(L, " mL/min/1.73 m2 [S43]; ");
      lua_pushliteral(L, "the eGFR was reported as ");
      lua_pushstring(L, r->cmp[c] < 0 ? "<" : ">");
      lua_rawgeti(L, s->uv, UV_FMT);
      lua_pushnumber(L, (lua_Number)r->v[c]);
      lua_call(L, 1, 1);
      lua_pushstring(L, r->cmp[c] < 0 ? ": it is below that value" : ": it is above that value");
      lua_concat(L, 4);
      lua_concat(L, 5);
    } else {
      push_ckd_rule(L, s, st);
    }
    set_k(L, s, S_RULE);
  }
}

/* The analyte index of a canonical analyte name (the lab table's keys), or -1. */
static int lab_analyte(const char *name, size_t n) {
  size_t a, na = cal_analyte_count();
  for (a = 0; a < na && a < CAL_REC_MAX_ANALYTES; a++) {
    const char *an = cal_analyte_at(a)->name;
    if (strlen(an) == n && memcmp(an, name, n) == 0) return (int)a;
  }
  return -1;
}

/* The keys of the lab table besides the analytes', as STRS indexes, in the
 * order push_labs sets them. */
enum { LK_PROBLEMS, LK_AGE, LK_SEX, LK_SPECIES, LK_BIRTH_DATE, LK_CKD_STAGE, LK_NONE };
static const int LAB_KEY_STRS[LK_NONE] = {S_PROBLEMS, S_AGE, S_SEX, S_SPECIES, S_BIRTH_DATE, S_CKD_STAGE};

/* 1 when the lab table has the key which (LK_*): problems, species and
 * ckd_stage always, age, sex and birth_date when the record has them. */
static int lab_other_made(const lab_src *s, int which) {
  const cal_record *r = s->r;
  switch (which) {
  case LK_AGE: return !isnan(r->age);
  case LK_SEX: return r->sex != 0;
  case LK_BIRTH_DATE: return !isnan(r->birth);
  default: return which >= 0 && which < LK_NONE;
  }
}

/* Pushes labs[key] for one of the keys besides the analytes' (LK_*), or nil (lab_other_made). */
static void push_lab_other(lua_State *L, const lab_src *s, int which) {
  const cal_record *r = s->r;
  if (!lab_other_made(s, which)) { lua_pushnil(L); return; }
  switch (which) {
  case LK_PROBLEMS:
    push_problem_text(L, s->ptext, s->plen, s->pcount);
    lua_rawgeti(L, s->uv, UV_LIST_MT);
    lua_setmetatable(L, -2);
    break;
  case LK_AGE:
    lua_createtable(L, 0, 2);
    set_kn(L, s, S_VALUE, r->age);
    set_ks(L, s, S_UNIT, S_A);
    break;
  case LK_SEX: push_s(L, s, r->sex == CAL_SEX_F ? S_F : S_M); break;
  case LK_SPECIES:
    push_s(L, s, r->species == CAL_SPECIES_DOG ? S_DOG : r->species == CAL_SPECIES_CAT ? S_CAT : S_HUMAN);
    break;
  case LK_BIRTH_DATE: {
    char d[11];
    cal_date_format(r->birth, d);
    lua_pushstring(L, d);
    break;
  }
  default: push_lab_ckd(L, s); break; /* LK_CKD_STAGE */
  }
}

/* Pushes labs[key] of the lab table (see push_labs), or nil. */
static void push_lab_key(lua_State *L, const lab_src *s, const char *k, size_t n) {
  int a, i;
  for (i = 0; i < LK_NONE; i++) {
    const char *name = STRS[LAB_KEY_STRS[i]];
    if (strlen(name) == n && memcmp(name, k, n) == 0) { push_lab_other(L, s, i); return; }
  }
  if ((a = lab_analyte(k, n)) >= 0) push_lab_entry(L, s, a);
  else lua_pushnil(L);
}

/* Pushes the lab table (what calcinosis.labs returns; see
 * lua/calcinosis/labs.lua for its fields). */
static void push_labs(lua_State *L, const lab_src *s) {
  size_t a, na = cal_analyte_count();
  int i, n = 0;
  for (i = 0; i < LK_NONE; i++) n += lab_other_made(s, i);
  for (a = 0; a < na && a < CAL_REC_MAX_ANALYTES; a++) n += lab_entry_made(s, (int)a);
  luaL_checkstack(L, 24, "lab table");
  lua_createtable(L, 0, n); /* at its size */
  for (i = 0; i < LK_NONE; i++)
    if (lab_other_made(s, i)) {
      push_lab_other(L, s, i);
      set_k(L, s, LAB_KEY_STRS[i]);
    }
  for (a = 0; a < na && a < CAL_REC_MAX_ANALYTES; a++)
    if (lab_entry_made(s, (int)a)) {
      push_lab_entry(L, s, (int)a);
      set_k(L, s, S_NAME + (int)a);
    }
}

/* Pushes the range a fired rule's value shows (low, high, unit and source
 * of entry i, 0-based, of the shown ranges), or nothing (returns 0): made
 * once per plan (UV_VIEW_RANGES), shared by the values of every result
 * (read-only, as the lab entries' ranges). */
static int push_view_range(lua_State *L, const lab_src *s, int i) {
  int t;
  lua_rawgeti(L, s->uv, UV_VIEW_RANGES);
  lua_rawgeti(L, -1, (lua_Integer)i + 1);
  if (!lua_isnil(L, -1)) { lua_remove(L, -2); return 1; }
  lua_pop(L, 1);
  lua_rawgeti(L, s->uv, UV_RANGES);
  lua_rawgeti(L, -1, (lua_Integer)i + 1);
  t = lua_gettop(L);
  if (!lua_istable(L, t)) { lua_pop(L, 3); return 0; }
  lua_createtable(L, 0, 4);
  lua_getfield(L, t, "low"); lua_setfield(L, -2, "low");
  lua_getfield(L, t, "high"); lua_setfield(L, -2, "high");
  lua_getfield(L, t, "unit"); lua_setfield(L, -2, "unit");
  lua_getfield(L, t, "source"); lua_setfield(L, -2, "source");
  lua_pushvalue(L, -1);
  lua_rawseti(L, t - 2, (lua_Integer)i + 1);
  lua_replace(L, t - 2);
  lua_settop(L, t - 2);
  return 1;
}

/* push_lab_value of analyte a: those fields of its entry, made without the entry. */
static void push_lab_view(lua_State *L, const lab_src *s, int a) {
  const cal_record *r = s->r;
  const plan_box *b = s->b;
  const cal_analyte *an = cal_analyte_at((size_t)a);
  int has_v = !isnan(r->v[a]);
  if (!has_v && !r->qual[a]) { lua_pushnil(L); return; }
  lua_createtable(L, 0, 8); /* name, unit, given, value or qualitative, flag, range, method or basis */
  set_ks(L, s, S_NAMEKEY, S_NAME + a);
  if (an->unit[0]) set_ks(L, s, S_UNIT, S_AUNIT + a);
  if (s->given[a]) { push_given(L, s, a, 1); set_k(L, s, S_GIVEN); }
  if (has_v) {
    double f = cal_record_flag(&b->ctx, a, r);
    int ri = cal_record_range(&b->ctx, 0, a, r);
    set_kn(L, s, S_VALUE, r->v[a]);
    if (!isnan(f) && f >= -2 && f <= 2) set_ks(L, s, S_FLAG, FLAG_STRS[(int)f + 2]);
    if (ri >= 0 && push_view_range(L, s, ri)) set_k(L, s, S_RANGE);
  } else {
    int q = r->qual[a] == CAL_QUAL_HIGH ? S_HIGH : r->qual[a] == CAL_QUAL_LOW ? S_LOW : S_NORMAL;
    set_ks(L, s, S_QUALITATIVE, q);
    set_ks(L, s, S_FLAG, q);
  }
  if (a == b->i_corr) {
    if (!(s->given[a] && has_v) && r->species == CAL_SPECIES_HUMAN) {
      lua_rawgeti(L, s->uv, UV_CA_FORMULA);
      set_k(L, s, S_METHOD);
    }
  } else if (a == b->i_caxp) {
    if (has_v && !s->given[a]) set_ks(L, s, S_BASIS, !isnan(r->v[b->i_corr]) ? S_CORRECTED_CALCIUM : S_CALCIUM);
  } else if (a == b->i_egfr && r->egfr_method > 1) {
    lua_rawgeti(L, s->uv, UV_EGFR);
    lua_rawgeti(L, -1, r->egfr_method);
    lua_remove(L, -2);
    set_k(L, s, S_METHOD);
  }
}

/* Pushes the value a fired rule shows for one of its inputs (name): the
 * lab table's entry of it without its critical range, date and notes
 * ({ name, value, unit, flag, given, qualitative, method, basis, range }),
 * the sex for "female" and "male", or nil when the record has no value. */
static void push_lab_value(lua_State *L, const lab_src *s, const char *k, size_t n) {
  static const char *const fields[] = {"value", "flag", "given", "qualitative", "method", "basis", NULL};
  int e, i;
  if ((n == 6 && memcmp(k, "female", 6) == 0) || (n == 4 && memcmp(k, "male", 4) == 0)) {
    if (!s->r->sex) { lua_pushnil(L); return; }
    lua_createtable(L, 0, 2);
    set_str(L, "name", "sex");
    set_str(L, "value", s->r->sex == CAL_SEX_F ? "F" : "M");
    return;
  }
  if ((i = lab_analyte(k, n)) >= 0) { push_lab_view(L, s, i); return; }
  push_lab_key(L, s, k, n);
  e = lua_gettop(L);
  if (!lua_istable(L, e)) { lua_pop(L, 1); lua_pushnil(L); return; }
  if (n == 9 && memcmp(k, "ckd_stage", 9) == 0) {
    lua_getfield(L, e, "value");
    if (!lua_toboolean(L, -1)) { lua_settop(L, e - 1); lua_pushnil(L); return; }
    lua_createtable(L, 0, 3);
    lua_pushlstring(L, k, n); lua_setfield(L, -2, "name");
    lua_pushvalue(L, -2); lua_setfield(L, -2, "value");
    lua_getfield(L, e, "rule"); lua_setfield(L, -2, "rule");
    lua_replace(L, e);
    lua_settop(L, e);
    return;
  }
  lua_getfield(L, e, "value");
  lua_getfield(L, e, "qualitative");
  if (lua_isnil(L, -1) && lua_isnil(L, -2)) { lua_settop(L, e - 1); lua_pushnil(L); return; }
  lua_pop(L, 2);
  lua_createtable(L, 0, 9);
  lua_pushlstring(L, k, n); lua_setfield(L, -2, "name");
  lua_getfield(L, e, "unit");
  if (lua_type(L, -1) == LUA_TSTRING && lua_rawlen(L, -1) == 0) { lua_pop(L, 1); lua_pushnil(L); }
  lua_setfield(L, -2, "unit");
  for (i = 0; fields[i]; i++) {
    lua_getfield(L, e, fields[i]);
    lua_setfield(L, -2, fields[i]);
  }
  lua_getfield(L, e, "range");
  if (lua_toboolean(L, -1)) {
    int rg = lua_gettop(L);
    lua_createtable(L, 0, 4);
    lua_getfield(L, rg, "low"); lua_setfield(L, -2, "low");
    lua_getfield(L, rg, "high"); lua_setfield(L, -2, "high");
    lua_getfield(L, rg, "unit"); lua_setfield(L, -2, "unit");
    lua_getfield(L, rg, "source"); lua_setfield(L, -2, "source");
    lua_setfield(L, -3, "range");
  }
  lua_pop(L, 1);
  lua_replace(L, e);
  lua_settop(L, e);
}

/* The engine's record as a lab source, with the labs as given that
 * read_patient kept in the slots from stack index given (0: none; given_set
 * says which analytes have them). */
static void lab_source(lua_State *L, lab_src *s, const plan_box *b, const cal_engine *e, int given,
                       const unsigned char *given_set, int uv) {
  int base = lua_gettop(L);
  memset(s, 0, sizeof *s);
  s->b = b;
  s->r = &e->rec;
  s->ptext = e->pb.text;
  s->plen = e->pb.len;
  s->pcount = e->pb.count;
  s->uv = uv;
  luaL_checkstack(L, 16, "lab table");
  lua_rawgeti(L, uv, UV_STRS);
  s->strs = ++base;
  lua_rawgeti(L, uv, UV_RANGES);
  s->ranges = lua_istable(L, ++base) ? base : 0;
  lua_rawgeti(L, uv, UV_CRITICAL);
  s->critical = lua_istable(L, ++base) ? base : 0;
  if (!given) return;
  s->given_base = given;
  memcpy(s->given, given_set, sizeof s->given);
}

/* 1 when the value at idx is written the same whenever it is: a string, a
 * number, a boolean or nil (a table's __tostring may not be). */
static int plain_value(lua_State *L, int idx) {
  int t = lua_type(L, idx);
  return t == LUA_TSTRING || t == LUA_TNUMBER || t == LUA_TBOOLEAN || t == LUA_TNIL;
}

/* Pushes a lab snapshot of the engine's record (plan: the plan's stack
 * index; given, given_set: the labs as given, see lab_source). */
static void push_lab_snapshot(lua_State *L, const plan_box *b, const cal_engine *e, int given,
                              const unsigned char *given_set, int plan, int uv) {
  int base = lua_gettop(L), snap;
  size_t a;
  lab_src s;
  lab_snap *ls;
  lab_source(L, &s, b, e, given, given_set, uv);
  int last = 0; /* the last analyte given, + 1 */
  ls = (lab_snap *)lua_newuserdatauv(L, offsetof(lab_snap, ptext) + e->pb.len + 1, 1);
  snap = lua_gettop(L);
  ls->b = b;
  ls->rec = e->rec;
  ls->rec.id = NULL; /* (it points into the reader's fields) */
  ls->rec.idlen = 0;
  ls->plen = e->pb.len;
  ls->pcount = e->pb.count;
  memcpy(ls->ptext, e->pb.text, e->pb.len);
  ls->ptext[e->pb.len] = '\0';
  memcpy(ls->given, s.given, sizeof ls->given);
  luaL_setmetatable(L, LABSNAP_MT);
  for (a = 0; a < CAL_REC_MAX_ANALYTES; a++)
    if (s.given[a]) last = (int)a + 1;
  lua_createtable(L, SNAP_GIVEN - 1 + 2 * last, 0);
  lua_pushvalue(L, plan); lua_rawseti(L, -2, SNAP_PLAN);
  lua_pushvalue(L, uv); lua_rawseti(L, -2, SNAP_UV);
  for (a = 0; a < CAL_REC_MAX_ANALYTES; a++)
    if (s.given[a]) {
      int at = s.given_base + 3 * (int)a, k = SNAP_GIVEN + 2 * (int)a;
      lua_pushvalue(L, at); lua_rawseti(L, -2, k);
      if (!lua_toboolean(L, at + 2) && plain_value(L, at + 1)) lua_pushvalue(L, at + 1); /* written when read */
      else push_given_text(L, at + 1, at + 2);
      lua_rawseti(L, -2, k + 1);
    }
  lua_setiuservalue(L, snap, 1);
  lua_replace(L, base + 1);
  lua_settop(L, base + 1);
}

/* The lab source of the snapshot at stack index 1 (pushes the plan's user value). */
static void snap_source_at(lua_State *L, lab_src *s, int idx) {
  lab_snap *ls = (lab_snap *)luaL_checkudata(L, idx, LABSNAP_MT);
  memset(s, 0, sizeof *s);
  s->b = ls->b;
  s->r = &ls->rec;
  s->ptext = ls->ptext;
  s->plen = ls->plen;
  s->pcount = ls->pcount;
  memcpy(s->given, ls->given, sizeof s->given);
  lua_getiuservalue(L, idx, 1);
  s->snap = lua_gettop(L);
  lua_rawgeti(L, s->snap, SNAP_UV);
  s->uv = lua_gettop(L);
  lua_rawgeti(L, s->uv, UV_STRS);
  s->strs = lua_gettop(L);
}

static void snap_source(lua_State *L, lab_src *s) { snap_source_at(L, s, 1); }

/* snap:table() -> the whole lab table (a new one each time) */
static int snap_table(lua_State *L) {
  lab_src s;
  lua_settop(L, 1);
  snap_source(L, &s);
  push_labs(L, &s);
  return 1;
}

/* snap:get(key) -> labs[key] (a new table each time), or nil */
static int snap_get(lua_State *L) {
  lab_src s;
  size_t n;
  const char *k = luaL_checklstring(L, 2, &n);
  lua_settop(L, 2);
  snap_source(L, &s);
  push_lab_key(L, &s, k, n);
  return 1;
}

/* snap:value(input) -> what a fired rule shows for that input, or nil */
static int snap_value(lua_State *L) {
  lab_src s;
  size_t n;
  const char *k = luaL_checklstring(L, 2, &n);
  lua_settop(L, 2);
  snap_source(L, &s);
  push_lab_value(L, &s, k, n);
  return 1;
}

/* snap:values(inputs) -> the list (a JSON array) of what a fired rule shows
 * for each of its inputs that the record has (snap:value of each) */
static int snap_values(lua_State *L) {
  lab_src s;
  lua_Integer i, n, k = 0;
  luaL_checktype(L, 2, LUA_TTABLE);
  lua_settop(L, 2);
  snap_source(L, &s);
  n = (lua_Integer)lua_rawlen(L, 2);
  lua_createtable(L, (int)n, 0);
  lua_rawgeti(L, s.uv, UV_LIST_MT);
  lua_setmetatable(L, -2);
  for (i = 1; i <= n; i++) {
    size_t len;
    const char *name;
    lua_rawgeti(L, 2, i);
    name = lua_tolstring(L, -1, &len);
    if (!name) return luaL_error(L, "labs:values: input %d is not a name", (int)i);
    push_lab_value(L, &s, name, len);
    if (lua_isnil(L, -1)) lua_pop(L, 2);
    else {
      lua_rawseti(L, -3, ++k);
      lua_pop(L, 1);
    }
  }
  return 1;
}

/* snap:refused(input) -> the text an analyte was given as when the record
 * logic did not use it (no value, no word: a problem says why), or nil */
static int snap_refused(lua_State *L) {
  lab_src s;
  size_t n;
  const char *k = luaL_checklstring(L, 2, &n);
  int a;
  lua_settop(L, 2);
  snap_source(L, &s);
  a = lab_analyte(k, n);
  if (a < 0 || !s.given[a] || !isnan(s.r->v[a]) || s.r->qual[a]) return 0;
  push_given(L, &s, a, 1);
  return 1;
}

/* snap:critical(analyte) -> value, unit, flag when the analyte's value is
 * beyond its critical value (flag "critical_low" or "critical_high"), or nil */
static int snap_critical(lua_State *L) {
  lab_src s;
  size_t n;
  const char *k = luaL_checklstring(L, 2, &n);
  int a;
  double f;
  lua_settop(L, 2);
  snap_source(L, &s);
  a = lab_analyte(k, n);
  if (a < 0 || isnan(s.r->v[a])) return 0;
  f = cal_record_flag(&s.b->ctx, a, s.r);
  if (f != -2 && f != 2) return 0;
  lua_pushnumber(L, (lua_Number)s.r->v[a]);
  lua_pushstring(L, cal_analyte_at((size_t)a)->unit);
  lua_pushstring(L, FLAG_NAMES[(int)f + 2]);
  return 3;
}

static const luaL_Reg snap_methods[] = {
  {"table", snap_table},
  {"get", snap_get},
  {"value", snap_value},
  {"values", snap_values},
  {"refused", snap_refused},
  {"critical", snap_critical},
  {NULL, NULL}
};

static void push_doubles(lua_State *L, const double *v, size_t n) {
  size_t i;
  lua_createtable(L, (int)n, 0);
  for (i = 0; i < n; i++) {
    lua_pushnumber(L, (lua_Number)v[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
}

/* ---- fired rules, rules not evaluable, missing inputs (the plan's present) ---- */

/* A new table with the fields of the table at idx (a template: constant
 * fields of an entry), with room for size fields in all. */
static void copy_template(lua_State *L, int idx, int size) {
  lua_createtable(L, 0, size);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_rawset(L, -4);
  }
}

/* A new table with the fields of the rule template field k of the table
 * at t (room for size fields in all): from its flat list (k .. "_kv": key,
 * value, ...; calcinosis.engine) when there is one, else from the template. */
static void copy_rule_template(lua_State *L, int t, const char *k, const char *kv, int size) {
  lua_getfield(L, t, kv);
  if (lua_istable(L, -1)) {
    int f = lua_gettop(L);
    lua_Integer i, n = (lua_Integer)lua_rawlen(L, f);
    lua_createtable(L, 0, size);
    for (i = 1; i < n; i += 2) {
      lua_rawgeti(L, f, i);
      lua_rawgeti(L, f, i + 1);
      lua_rawset(L, -3);
    }
    return;
  }
  lua_pop(L, 1);
  lua_getfield(L, t, k);
  copy_template(L, lua_gettop(L), size);
}

/* A new JSON array (uv's list metatable) of size hint n. */
static void new_list(lua_State *L, int uv, int n) {
  lua_createtable(L, n, 0);
  lua_rawgeti(L, uv, UV_LIST_MT);
  lua_setmetatable(L, -2);
}

/* The values a fired rule shows of its inputs (the list at idx): what
 * labs:values gives. */
static void push_values(lua_State *L, const lab_src *s, int inputs) {
  lua_Integer i, n = (lua_Integer)lua_rawlen(L, inputs), k = 0;
  new_list(L, s->uv, (int)n);
  for (i = 1; i <= n; i++) {
    size_t len;
    const char *name;
    lua_rawgeti(L, inputs, i);
    name = lua_tolstring(L, -1, &len);
    if (!name) {
      (void)luaL_error(L, "present: input %d is not a name", (int)i);
      return;
    }
    push_lab_value(L, s, name, len);
    if (lua_isnil(L, -1)) lua_pop(L, 2);
    else {
      lua_rawseti(L, -3, ++k);
      lua_pop(L, 1);
    }
  }
}

/* The text an analyte (a canonical name) was given as when the record
 * could not use it (labs:refused), pushed; 0 (nothing pushed) otherwise. */
static int push_refused(lua_State *L, const lab_src *s, const char *k, size_t n) {
  int a = lab_analyte(k, n);
  if (a < 0 || !s->given[a] || !isnan(s->r->v[a]) || s->r->qual[a]) return 0;
  push_given(L, s, a, 1);
  return 1;
}

/* What the presented lists are built from (push_presented): the engine's
 * decision and result for its last record (engine_view), or a copy of
 * them kept in a pending presentation (pending_view). */
typedef struct {
  int type;                /* subtype index or CAL_INDETERMINATE */
  double best;
  const double *score;     /* nsubtypes */
  const double *lets;      /* nlets */
  const double *vars;      /* nvars */
  const unsigned char *state; /* nrules */
  const uint64_t *terms;   /* term_words_all */
  const cal_result *res;
} pres_view;

static pres_view engine_view(const cal_engine *e) {
  pres_view v;
  v.type = e->main.type;
  v.best = e->main.best;
  v.score = e->main.score;
  v.lets = e->main.lets;
  v.vars = e->vars;
  v.state = e->main.state;
  v.terms = e->terms;
  v.res = &e->res;
  return v;
}

/* The confidence as a result shows it (see lua/calcinosis/result.lua):
 * value, level, margin, completeness, factors ({ id, factor, because })
 * and the explanation, from the result program's confidence and the
 * plan's present (pres; its subtypes at the stack index subtypes). */
static void push_confidence(lua_State *L, const plan_box *b, const pres_view *e, int pres, int subtypes, int uv) {
  const cal_result *rr = e->res;
  const cal_cohort *p = &b->plan;
  int t, decls, tname, fl, np = 0;
  unsigned i;
  if (rr->level == 0) { /* "none" */
    lua_createtable(L, 0, 6);
    lua_pushinteger(L, 0); lua_setfield(L, -2, "value");
    lua_pushliteral(L, "none"); lua_setfield(L, -2, "level");
    lua_pushinteger(L, 0); lua_setfield(L, -2, "margin");
    lua_pushinteger(L, 1); lua_setfield(L, -2, "completeness");
    new_list(L, uv, 0); lua_setfield(L, -2, "factors");
    lua_pushliteral(L, "no subtype reached a score above the ruleset's indeterminate limit");
    lua_setfield(L, -2, "explanation");
    return;
  }
  lua_getfield(L, pres, "confidence");
  decls = lua_gettop(L);
  if (e->type < 0) lua_getfield(L, pres, "label");
  else lua_rawgeti(L, subtypes, (lua_Integer)e->type + 1);
  tname = lua_gettop(L);
  lua_createtable(L, 0, 6);
  t = lua_gettop(L);
  lua_pushnumber(L, (lua_Number)rr->confidence); lua_setfield(L, t, "value");
  lua_pushstring(L, cal_result_level_name(rr->level)); lua_setfield(L, t, "level");
  lua_pushnumber(L, (lua_Number)rr->margin); lua_setfield(L, t, "margin");
  lua_pushnumber(L, (lua_Number)rr->completeness); lua_setfield(L, t, "completeness");
  new_list(L, uv, (int)rr->nconf);
  fl = lua_gettop(L);
  /* the explanation's pieces, above fl, joined at the end */
  luaL_checkstack(L, 8 + 2 * (int)rr->nconf, "confidence");
  if (rr->margin < 1) {
    /* "<type> scored <best>, the next subtype <second>" (util.fmt writes the numbers) */
    double second = 0;
    for (i = 0; i < p->prog->nsubtypes; i++) {
      int same;
      lua_rawgeti(L, subtypes, (lua_Integer)i + 1);
      same = lua_rawequal(L, -1, tname);
      lua_pop(L, 1);
      if (!same && e->score[i] > second) second = e->score[i];
    }
    lua_pushvalue(L, tname);
    lua_pushliteral(L, " scored ");
    lua_rawgeti(L, uv, UV_FMT);
    lua_pushnumber(L, (lua_Number)e->best);
    lua_call(L, 1, 1);
    lua_pushliteral(L, ", the next subtype ");
    lua_rawgeti(L, uv, UV_FMT);
    lua_pushnumber(L, (lua_Number)second);
    lua_call(L, 1, 1);
    np = 5;
  }
  for (i = 0; i < rr->nconf; i++) {
    int d;
    lua_rawgeti(L, decls, (lua_Integer)rr->conf[i] + 1);
    d = lua_gettop(L);
    copy_template(L, d, 3); /* id, factor, because */
    lua_rawseti(L, fl, (lua_Integer)i + 1);
    lua_getfield(L, d, "because");
    lua_remove(L, d);
    if (lua_type(L, -1) != LUA_TSTRING) { lua_pop(L, 1); continue; }
    if (np) {
      lua_pushliteral(L, "; ");
      lua_insert(L, -2);
      np++;
    }
    np++;
  }
  if (np) lua_concat(L, np);
  else lua_pushliteral(L, "clear margin, key labs known, no conflict");
  lua_setfield(L, t, "explanation");
  lua_setfield(L, t, "factors");
  lua_replace(L, decls);
  lua_settop(L, decls);
}

/* Sorts the list of n strings at idx as table.sort does with < (an
 * insertion sort: the lists are short). */
static void sort_strings(lua_State *L, int idx, lua_Integer n) {
  lua_Integer i, j;
  for (i = 2; i <= n; i++) {
    lua_rawgeti(L, idx, i);
    for (j = i - 1; j >= 1; j--) {
      lua_rawgeti(L, idx, j);
      if (!less_than(L, lua_gettop(L) - 1, lua_gettop(L))) { lua_pop(L, 1); break; }
      lua_rawseti(L, idx, j + 1);
    }
    lua_rawseti(L, idx, j + 1);
  }
}

/* Sets findings and sites (the vocabulary terms recognized, with the terms
 * they imply, sorted) in the raw result at res. */
static void push_terms(lua_State *L, const cal_cohort *p, const pres_view *e, int pres, int uv, int res) {
  int ts, tf, fl, sl;
  lua_Integer nf = 0, ns = 0;
  size_t w;
  lua_getfield(L, pres, "term_sites"); ts = lua_gettop(L);
  lua_getfield(L, pres, "term_findings"); tf = lua_gettop(L);
  new_list(L, uv, 4); fl = lua_gettop(L);
  new_list(L, uv, 2); sl = lua_gettop(L);
  for (w = 0; w < p->term_words_all; w++) {
    uint64_t m = e->terms[w];
    while (m) {
      int bit = 0;
      lua_Integer id;
      while (!((m >> bit) & 1)) bit++;
      m &= m - 1;
      id = (lua_Integer)w * 64 + bit + 1;
      lua_rawgeti(L, ts, id);
      if (lua_type(L, -1) == LUA_TSTRING) lua_rawseti(L, sl, ++ns);
      else {
        lua_pop(L, 1);
        lua_rawgeti(L, tf, id);
        if (lua_type(L, -1) == LUA_TSTRING) lua_rawseti(L, fl, ++nf);
        else lua_pop(L, 1);
      }
    }
  }
  sort_strings(L, fl, nf);
  sort_strings(L, sl, ns);
  lua_setfield(L, res, "sites");
  lua_setfield(L, res, "findings");
  lua_pop(L, 2);
}

/* 1 when the list at idx holds a value equal (raw) to the one on top. */
static int list_has(lua_State *L, int idx) {
  lua_Integer j, n = (lua_Integer)lua_rawlen(L, idx);
  int v = lua_gettop(L), seen = 0;
  for (j = 1; j <= n && !seen; j++) {
    lua_rawgeti(L, idx, j);
    seen = lua_rawequal(L, -1, v);
    lua_pop(L, 1);
  }
  return seen;
}

/* Appends the value on top to the list at idx (popping it), unless the
 * list has it. */
static void list_add_new(lua_State *L, int idx) {
  if (list_has(L, idx)) lua_pop(L, 1);
  else lua_rawseti(L, idx, (lua_Integer)lua_rawlen(L, idx) + 1);
}

/* Pushes the text of the list at idx joined with sep ("" when empty). */
static void push_joined(lua_State *L, int idx, const char *sep) {
  lua_Integer j, n = (lua_Integer)lua_rawlen(L, idx);
  luaL_checkstack(L, (int)(2 * n + 4), "result");
  for (j = 1; j <= n; j++) {
    if (j > 1) lua_pushstring(L, sep);
    lua_rawgeti(L, idx, j);
  }
  if (n == 0) lua_pushliteral(L, "");
  else lua_concat(L, (int)(2 * n - 1));
}

/* The alternatives (see lua/calcinosis/result.lua): one entry per type
 * (type, reason, reasons, conflicts, sources), in the order the result
 * program gives them; a subtype whose rules could not be evaluated names
 * the inputs they miss (from the rules not evaluable, the list at ne). */
static void push_alternatives(lua_State *L, const pres_view *e, int pres, int subtypes, int ne, int uv) {
  const cal_result *rr = e->res;
  int out, by, decls;
  unsigned i;
  luaL_checkstack(L, 24, "result");
  lua_getfield(L, pres, "alternatives");
  decls = lua_gettop(L);
  lua_newtable(L); /* type -> entry */
  by = lua_gettop(L);
  new_list(L, uv, (int)rr->nalt);
  out = lua_gettop(L);
  for (i = 0; i < rr->nalt; i++) {
    int label, entry, top = lua_gettop(L);
    if (rr->alt[i].label < 0) lua_getfield(L, pres, "label");
    else lua_rawgeti(L, subtypes, (lua_Integer)rr->alt[i].label + 1);
    label = lua_gettop(L);
    lua_pushvalue(L, label);
    lua_rawget(L, by);
    if (lua_isnil(L, -1)) {
      lua_pop(L, 1);
      lua_createtable(L, 0, 5);
      lua_pushvalue(L, label); lua_setfield(L, -2, "type");
      new_list(L, uv, 1); lua_setfield(L, -2, "reasons");
      new_list(L, uv, 1); lua_setfield(L, -2, "conflicts");
      new_list(L, uv, 2); lua_setfield(L, -2, "sources");
      lua_pushvalue(L, label); lua_pushvalue(L, -2); lua_rawset(L, by);
      lua_pushvalue(L, -1); lua_rawseti(L, out, (lua_Integer)lua_rawlen(L, out) + 1);
    }
    entry = lua_gettop(L);
    lua_getfield(L, entry, "reasons");
    lua_getfield(L, entry, "conflicts");
    lua_getfield(L, entry, "sources"); /* entry + 1, + 2, + 3 */
    if (rr->alt[i].decl >= 0) {
      int x;
      lua_rawgeti(L, decls, (lua_Integer)rr->alt[i].decl + 1);
      x = lua_gettop(L);
      /* its reason for this type, or its reason */
      lua_getfield(L, x, "reasons");
      lua_pushvalue(L, label);
      lua_rawget(L, -2);
      lua_remove(L, -2);
      if (lua_isnil(L, -1)) { lua_pop(L, 1); lua_getfield(L, x, "reason"); }
      if (lua_isnil(L, -1)) lua_pop(L, 1);
      else lua_rawseti(L, entry + 1, (lua_Integer)lua_rawlen(L, entry + 1) + 1);
      lua_getfield(L, x, "conflict");
      if (lua_isnil(L, -1)) lua_pop(L, 1);
      else list_add_new(L, entry + 2);
      lua_getfield(L, x, "sources");
      {
        lua_Integer k, n = (lua_Integer)lua_rawlen(L, -1);
        for (k = 1; k <= n; k++) {
          lua_rawgeti(L, -1, k);
          list_add_new(L, entry + 3);
        }
      }
    } else {
      /* "cannot be ruled out": the inputs its not evaluable rules miss, each once, sorted */
      lua_Integer k, n = (lua_Integer)lua_rawlen(L, ne), nm = 0;
      int m;
      lua_createtable(L, 4, 0);
      m = lua_gettop(L);
      for (k = 1; k <= n; k++) {
        lua_Integer j, nx;
        lua_rawgeti(L, ne, k);
        lua_getfield(L, -1, "subtype");
        if (!lua_rawequal(L, -1, label)) { lua_pop(L, 2); continue; }
        lua_pop(L, 1);
        lua_getfield(L, -1, "missing");
        nx = (lua_Integer)lua_rawlen(L, -1);
        for (j = 1; j <= nx; j++) {
          lua_rawgeti(L, -1, j);
          list_add_new(L, m);
        }
        lua_pop(L, 2);
      }
      nm = (lua_Integer)lua_rawlen(L, m);
      sort_strings(L, m, nm);
      lua_pushliteral(L, "cannot be ruled out: its rules could not be evaluated (missing ");
      if (nm > 0) push_joined(L, m, ", ");
      else lua_pushliteral(L, "inputs");
      lua_pushliteral(L, ")");
      lua_concat(L, 3);
      lua_rawseti(L, entry + 1, (lua_Integer)lua_rawlen(L, entry + 1) + 1);
      lua_pushliteral(L, "S1");
      list_add_new(L, entry + 3);
    }
    push_joined(L, entry + 1, "; ");
    lua_setfield(L, entry, "reason");
    lua_settop(L, top);
  }
  lua_replace(L, decls);
  lua_settop(L, decls);
}

/* Sets fired (the entries of the fired rules, with `why`: their reasons,
 * rendered by the plan's explainer, src/explain.h), fired_rules (their rule
 * numbers), not_evaluable and missing (see lua/calcinosis/result.lua for
 * their fields) in the raw result at res, from the plan's present (uv)
 * and the result's lab snapshot (res.labs). */
static void push_presented(lua_State *L, plan_box *b, const pres_view *e, int res, int uv) {
  const cal_cohort *p = &b->plan;
  const cal_result *rr = e->res;
  lab_src s;
  int base = lua_gettop(L), pres, rules, asks, subtypes, fired, frules, ne, t;
  unsigned i, nr = p->prog->nrules;
  lua_Integer nf = 0, nn = 0;
  luaL_checkstack(L, 32, "result");
  lua_getfield(L, res, "labs");
  snap_source_at(L, &s, lua_gettop(L));
  lua_rawgeti(L, uv, UV_PRESENT);
  pres = lua_gettop(L);
  lua_getfield(L, pres, "rules"); rules = lua_gettop(L);
  lua_getfield(L, pres, "asks"); asks = lua_gettop(L);
  lua_getfield(L, pres, "subtypes"); subtypes = lua_gettop(L);
  new_list(L, uv, 4); fired = lua_gettop(L);
  lua_createtable(L, 4, 0); frules = lua_gettop(L);
  new_list(L, uv, 4); ne = lua_gettop(L);
  for (i = 0; i < nr; i++) {
    int st = e->state[i];
    if (st != CAL_TRUE && st != CAL_UNKNOWN) continue;
    lua_rawgeti(L, rules, (lua_Integer)i + 1);
    t = lua_gettop(L);
    if (st == CAL_TRUE) {
      copy_rule_template(L, t, "fired", "fired_kv", 8); /* id, subtype, weight, because, sentence, source; values, why */
      lua_getfield(L, t, "inputs");
      push_values(L, &s, lua_gettop(L));
      lua_setfield(L, t + 2, "values");
      lua_pop(L, 1); /* inputs */
      /* why it fired: the operands once per record, then the rule's reasons */
      if (nf == 0) cal_explain_operands(b->explain, e->vars, e->lets, e->terms, b->xin, &b->xres, b->xops);
      if (cal_explain_rule(b->explain, i, b->xops, e->terms, &b->xout) < 0) luaL_error(L, "out of memory");
      {
        size_t r;
        new_list(L, uv, (int)b->xout.n);
        for (r = 0; r < b->xout.n; r++) {
          lua_pushlstring(L, b->xout.text + b->xout.start[r], b->xout.start[r + 1] - b->xout.start[r]);
          lua_rawseti(L, -2, (lua_Integer)r + 1);
        }
        lua_setfield(L, t + 2, "why");
      }
      lua_rawseti(L, fired, ++nf);
      lua_pushinteger(L, (lua_Integer)i + 1);
      lua_rawseti(L, frules, nf);
    } else {
      /* the inputs it reads that are missing, each once */
      lua_Integer k, ns, nm = 0, j;
      copy_rule_template(L, t, "not_evaluable", "not_evaluable_kv", 4); /* id, subtype, weight; missing */
      lua_getfield(L, t, "slots");
      lua_getfield(L, t, "names");
      ns = (lua_Integer)lua_rawlen(L, t + 3);
      new_list(L, uv, (int)ns);
      for (k = 1; k <= ns; k++) {
        lua_Integer sl;
        int seen = 0;
        lua_rawgeti(L, t + 3, k);
        sl = lua_tointeger(L, -1);
        lua_pop(L, 1);
        if (sl < 0 || (size_t)sl >= p->prog->nvars || !isnan(e->vars[sl])) continue;
        lua_rawgeti(L, t + 4, k);
        for (j = 1; j <= nm && !seen; j++) {
          lua_rawgeti(L, -2, j);
          seen = lua_rawequal(L, -1, -2);
          lua_pop(L, 1);
        }
        if (seen) lua_pop(L, 1);
        else lua_rawseti(L, -2, ++nm);
      }
      lua_setfield(L, t + 2, "missing");
      lua_pop(L, 2); /* slots, names */
      lua_rawseti(L, ne, ++nn);
    }
    lua_settop(L, t - 1);
  }
  lua_pushvalue(L, fired); lua_setfield(L, res, "fired");
  lua_pushvalue(L, frules); lua_setfield(L, res, "fired_rules");
  lua_pushvalue(L, ne); lua_setfield(L, res, "not_evaluable");
  /* the missing inputs, ranked (the result program's asks) */
  new_list(L, uv, (int)rr->nask);
  for (i = 0; i < rr->nask; i++) {
    const cal_result_ask *x = &rr->ask[i];
    lua_Integer k, n, nrl = 0;
    int a, entry;
    lua_rawgeti(L, asks, (lua_Integer)x->decl + 1);
    a = lua_gettop(L);
    lua_createtable(L, 0, 6);
    entry = lua_gettop(L);
    lua_getfield(L, a, "id"); lua_setfield(L, entry, "input");
    /* an input that was given but refused (a problem names why) is not "not given" */
    lua_getfield(L, a, "inputs");
    n = (lua_Integer)lua_rawlen(L, -1);
    for (k = 1; k <= n; k++) {
      size_t len;
      const char *name;
      lua_rawgeti(L, -1, k);
      name = lua_tolstring(L, -1, &len);
      if (name && push_refused(L, &s, name, len)) {
        int given = lua_gettop(L);
        lua_pushvalue(L, given - 1);
        lua_pushliteral(L, " given as '");
        lua_pushvalue(L, given);
        lua_pushliteral(L, "' but not used (see the problems); ");
        lua_getfield(L, a, "rest");
        lua_concat(L, 5);
        lua_setfield(L, entry, "text");
        lua_pop(L, 2);
        break;
      }
      lua_pop(L, 1);
    }
    lua_pop(L, 1); /* inputs */
    if (k > n) { lua_getfield(L, a, "text"); lua_setfield(L, entry, "text"); }
    lua_getfield(L, a, "sources");
    n = (lua_Integer)lua_rawlen(L, -1);
    new_list(L, uv, (int)n);
    for (k = 1; k <= n; k++) { lua_rawgeti(L, -2, k); lua_rawseti(L, -2, k); }
    lua_setfield(L, entry, "sources");
    lua_pop(L, 1);
    new_list(L, uv, 2); /* its rules that were not evaluable */
    for (k = p->result.ask_off[x->decl]; k < p->result.ask_off[x->decl + 1]; k++) {
      int r = p->result.ask_rules[k];
      if (e->state[r] == CAL_UNKNOWN) {
        lua_rawgeti(L, rules, (lua_Integer)r + 1);
        lua_getfield(L, -1, "fired");
        lua_getfield(L, -1, "id");
        lua_rawseti(L, -4, ++nrl);
        lua_pop(L, 2);
      }
    }
    lua_setfield(L, entry, "rules");
    lua_pushnumber(L, (lua_Number)x->weight); lua_setfield(L, entry, "weight");
    if (x->change >= 0) lua_rawgeti(L, subtypes, (lua_Integer)x->change + 1);
    else lua_getfield(L, a, "changes");
    lua_setfield(L, entry, "could_change");
    lua_rawseti(L, -3, (lua_Integer)i + 1);
    lua_pop(L, 1); /* the ask's present */
  }
  lua_setfield(L, res, "missing");
  /* the lets' values by name (those known) */
  lua_getfield(L, pres, "lets");
  lua_createtable(L, 0, (int)p->prog->nlets);
  for (i = 0; i < p->prog->nlets; i++)
    if (!isnan(e->lets[i])) {
      lua_rawgeti(L, -2, (lua_Integer)i + 1);
      lua_pushnumber(L, (lua_Number)e->lets[i]);
      lua_rawset(L, -3);
    }
  lua_setfield(L, res, "values");
  lua_pop(L, 1);
  push_confidence(L, b, e, pres, subtypes, uv);
  lua_setfield(L, res, "confidence");
  push_terms(L, p, e, pres, uv, res);
  push_alternatives(L, e, pres, subtypes, ne, uv);
  lua_setfield(L, res, "alternatives");
  lua_settop(L, base);
}

/* A pending presentation ("calcinosis.pending"): what push_presented
 * reads of the engine for one record (its decision, lets, slot values,
 * terms and result), copied, so that the presented lists of a result are
 * built only when first read (pending:present(raw), from
 * lua/calcinosis/result.lua). Its user value: { plan, plan's user value }. */
#define PENDING_MT "calcinosis.pending"
typedef struct {
  plan_box *b;
  int type, done, level;
  double best, confidence, margin, completeness;
  size_t nsub, nlets, nvars, nrules, nterms, nalt, nask, nconf;
  /* then: nsub scores, nlets lets, nvars slot values (doubles), nask asks,
   * nalt alternatives, nconf confidence declarations, nterms term words,
   * nrules state bytes (only the parts of cal_result push_presented reads) */
  double data[1];
} pending_box;

/* The parts of the tail of a pending presentation (see pending_box): their
 * byte offsets from the start of the userdata, and its whole size. */
typedef struct {
  size_t score, lets, vars, ask, alt, conf, terms, state, size;
} pending_offsets;

static pending_offsets pending_layout(size_t nsub, size_t nlets, size_t nvars, size_t nask, size_t nalt,
                                      size_t nconf, size_t nterms, size_t nrules) {
  pending_offsets o;
  size_t off = offsetof(pending_box, data);
  o.score = off; off += nsub * sizeof(double);
  o.lets = off; off += nlets * sizeof(double);
  o.vars = off; off += nvars * sizeof(double);
  o.ask = off; off += nask * sizeof(cal_result_ask);
  o.alt = off; off += nalt * sizeof(cal_result_alt);
  o.conf = off; off += nconf * sizeof(int);
  off = (off + sizeof(uint64_t) - 1) / sizeof(uint64_t) * sizeof(uint64_t);
  o.terms = off; off += nterms * sizeof(uint64_t);
  o.state = off; off += nrules;
  o.size = off;
  return o;
}

/* The tail part at offset off of the pending presentation pb. */
#define PENDING_AT(pb, off, type) ((type *)(void *)((char *)(pb) + (off)))

static void push_pending(lua_State *L, plan_box *b, const cal_engine *e, int plan, int uv) {
  const cal_program *pr = b->plan.prog;
  const cal_result *r = &e->res;
  size_t nterms = b->plan.term_words_all;
  pending_offsets o = pending_layout(pr->nsubtypes, pr->nlets, pr->nvars, r->nask, r->nalt, r->nconf, nterms,
                                     pr->nrules);
  pending_box *pb = (pending_box *)lua_newuserdatauv(L, o.size, 1);
  pb->b = b;
  pb->type = e->main.type;
  pb->done = 0;
  pb->level = r->level;
  pb->best = e->main.best;
  pb->confidence = r->confidence;
  pb->margin = r->margin;
  pb->completeness = r->completeness;
  pb->nsub = pr->nsubtypes;
  pb->nlets = pr->nlets;
  pb->nvars = pr->nvars;
  pb->nrules = pr->nrules;
  pb->nterms = nterms;
  pb->nalt = r->nalt;
  pb->nask = r->nask;
  pb->nconf = r->nconf;
  if (pb->nsub) memcpy(PENDING_AT(pb, o.score, double), e->main.score, pb->nsub * sizeof(double));
  if (pb->nlets) memcpy(PENDING_AT(pb, o.lets, double), e->main.lets, pb->nlets * sizeof(double));
  if (pb->nvars) memcpy(PENDING_AT(pb, o.vars, double), e->vars, pb->nvars * sizeof(double));
  if (pb->nask) memcpy(PENDING_AT(pb, o.ask, cal_result_ask), r->ask, pb->nask * sizeof(cal_result_ask));
  if (pb->nalt) memcpy(PENDING_AT(pb, o.alt, cal_result_alt), r->alt, pb->nalt * sizeof(cal_result_alt));
  if (pb->nconf) memcpy(PENDING_AT(pb, o.conf, int), r->conf, pb->nconf * sizeof(int));
  if (nterms) memcpy(PENDING_AT(pb, o.terms, uint64_t), e->terms, nterms * sizeof(uint64_t));
  if (pb->nrules) memcpy(PENDING_AT(pb, o.state, unsigned char), e->main.state, pb->nrules);
  luaL_setmetatable(L, PENDING_MT);
  lua_createtable(L, 2, 0);
  lua_pushvalue(L, plan); lua_rawseti(L, -2, 1);
  lua_pushvalue(L, uv); lua_rawseti(L, -2, 2);
  lua_setiuservalue(L, -2, 1);
}

/* pending:present(raw) -> raw, with the presented lists set in it (fired,
 * fired_rules, not_evaluable, missing, values, confidence, findings, sites,
 * alternatives), as plan:classify sets them; once (later calls do nothing). */
static int pending_present(lua_State *L) {
  pending_box *pb = (pending_box *)luaL_checkudata(L, 1, PENDING_MT);
  pending_offsets o;
  cal_result res;
  uint64_t terms[CAL_VM_MAX_TERM_WORDS] = {0};
  pres_view v;
  luaL_checktype(L, 2, LUA_TTABLE);
  lua_settop(L, 2);
  if (pb->done) return 1;
  o = pending_layout(pb->nsub, pb->nlets, pb->nvars, pb->nask, pb->nalt, pb->nconf, pb->nterms, pb->nrules);
  memset(&res, 0, sizeof res);
  res.nalt = pb->nalt;
  res.nask = pb->nask;
  res.nconf = pb->nconf;
  if (pb->nalt) memcpy(res.alt, PENDING_AT(pb, o.alt, cal_result_alt), pb->nalt * sizeof(cal_result_alt));
  if (pb->nask) memcpy(res.ask, PENDING_AT(pb, o.ask, cal_result_ask), pb->nask * sizeof(cal_result_ask));
  if (pb->nconf) memcpy(res.conf, PENDING_AT(pb, o.conf, int), pb->nconf * sizeof(int));
  res.confidence = pb->confidence;
  res.margin = pb->margin;
  res.completeness = pb->completeness;
  res.level = pb->level;
  if (pb->nterms) memcpy(terms, PENDING_AT(pb, o.terms, uint64_t), pb->nterms * sizeof(uint64_t));
  lua_getiuservalue(L, 1, 1);
  lua_rawgeti(L, 3, 1);
  (void)check_plan(L, 4);
  lua_rawgeti(L, 3, 2);
  v.type = pb->type;
  v.best = pb->best;
  v.score = PENDING_AT(pb, o.score, const double);
  v.lets = PENDING_AT(pb, o.lets, const double);
  v.vars = PENDING_AT(pb, o.vars, const double);
  v.state = PENDING_AT(pb, o.state, const unsigned char);
  v.terms = terms;
  v.res = &res;
  push_presented(L, pb->b, &v, 2, 5);
  pb->done = 1;
  lua_settop(L, 2);
  return 1;
}

static const luaL_Reg pending_methods[] = {
  {"present", pending_present},
  {NULL, NULL}
};

/* Pushes the list of the set bits of words[0 .. n) (0-based term ids). */
static void push_bits(lua_State *L, const uint64_t *words, size_t n) {
  size_t w;
  lua_Integer k = 0;
  lua_newtable(L);
  for (w = 0; w < n; w++) {
    uint64_t m = words[w];
    while (m) {
      int bit = 0;
      while (!((m >> bit) & 1)) bit++;
      m &= m - 1;
      lua_pushinteger(L, (lua_Integer)w * 64 + bit);
      lua_rawseti(L, -2, ++k);
    }
  }
}

/* The raw result of the engine's last record (see lua/calcinosis/result.lua):
 * with the lab table (labs) when the plan has labs_display (given,
 * given_set: the labs as given that read_patient kept, see lab_source; 0
 * none), with the record as read (record) when with_record. uv is the
 * stack index of the plan's user value. */
static void push_result(lua_State *L, plan_box *b, const cal_engine *e, int given, const unsigned char *given_set,
                        int plan, int uv, int with_record, int lazy) {
  const cal_cohort *p = &b->plan;
  const cal_result *res = &e->res;
  size_t i;
  /* (lazy: the ten fields set here; pending:present adds nine when read) */
  lua_createtable(L, 0, lazy ? 10 : 24);
  if (b->has_labs) {
    push_lab_snapshot(L, b, e, given, given_set, plan, uv);
    lua_setfield(L, -2, "labs");
  }
  lua_pushstring(L, species_name(e->rec.species));
  lua_setfield(L, -2, "species");
  if (e->rec.id) { lua_pushlstring(L, e->rec.id, e->rec.idlen); lua_setfield(L, -2, "id"); }
  lua_pushinteger(L, e->main.type < 0 ? 0 : e->main.type + 1); lua_setfield(L, -2, "type");
  lua_pushnumber(L, (lua_Number)e->main.best); lua_setfield(L, -2, "best");
  push_bits(L, e->dropped, p->term_words_all);
  lua_setfield(L, -2, "dropped_terms");
  push_problems(L, &e->pb); lua_setfield(L, -2, "problems");
  if (with_record) { push_record(L, b, &e->rec); lua_setfield(L, -2, "record"); }
  if (with_record) {
    lua_newtable(L); /* the analytes the record gave (the others are derived or missing) */
    for (i = 0; i < cal_analyte_count() && i < CAL_REC_MAX_ANALYTES; i++)
      if (e->given[i]) { lua_pushboolean(L, 1); lua_setfield(L, -2, cal_analyte_at(i)->name); }
    lua_setfield(L, -2, "given");
  }
  lua_createtable(L, (int)res->nalert, 0);
  for (i = 0; i < res->nalert; i++) {
    lua_pushinteger(L, res->alert[i] + 1);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  lua_setfield(L, -2, "alerts");
  /* the lists a result is presented with (lua/calcinosis/result.lua): every
   * plan calcinosis.engine builds has its present and labs_display */
  if (b->has_present && b->has_labs) {
    int res = lua_gettop(L);
    /* the scores by subtype */
    lua_rawgeti(L, uv, UV_PRESENT);
    lua_getfield(L, -1, "subtypes");
    lua_createtable(L, 0, (int)p->prog->nsubtypes);
    for (i = 0; i < p->prog->nsubtypes; i++) {
      lua_rawgeti(L, -2, (lua_Integer)i + 1);
      lua_pushnumber(L, (lua_Number)e->main.score[i]);
      lua_rawset(L, -3);
    }
    lua_setfield(L, res, "named_scores");
    lua_settop(L, res);
    /* the problems, a JSON array (the result's own list) */
    lua_getfield(L, res, "problems");
    lua_rawgeti(L, uv, UV_LIST_MT);
    lua_setmetatable(L, -2);
    lua_pop(L, 1);
    if (lazy) { /* the other lists when first read (pending:present) */
      push_pending(L, b, e, plan, uv);
      lua_setfield(L, res, "pending");
    } else {
      pres_view v = engine_view(e);
      push_presented(L, b, &v, res, uv);
    }
  }
}

/* The engine reads the record the NDJSON reader b->nd holds, with its problems. */
static void read_fields(plan_box *b) {
  const cal_field *f;
  size_t nf;
  const char *cp = cal_ndjson_problem(b->nd);
  f = cal_ndjson_fields(b->nd, &nf);
  cal_problems_clear(&b->engine->pb);
  while (cp && *cp) { /* each message of the reader */
    const char *e = strchr(cp, CAL_PROBLEM_SEP);
    int n = e ? (int)(e - cp) : (int)strlen(cp);
    cal_problems_add(&b->engine->pb, "%.*s", n, cp);
    cp = e ? e + 1 : NULL;
  }
  cal_engine_read(b->engine, &b->schema, f, nf);
}

/* Reads the patient table at idx into the engine (no NDJSON text:
 * lcal_read_patient), keeping its labs as given in the LCAL_GIVEN_SLOTS
 * stack slots from index given (given_set: which; see lcal.h). */
static void read_patient(lua_State *L, plan_box *b, int idx, int given, unsigned char *given_set) {
  int top = lua_gettop(L);
  memset(given_set, 0, CAL_REC_MAX_ANALYTES);
  lcal_read_patient(L, b->nd, idx, given, given_set);
  read_fields(b);
  lua_settop(L, top);
}

/* A record given alone (a Lua table) has no line: its problems name it by
 * its id, "... (record P7)". */
static void name_record(cal_engine *e) {
  cal_problems pb;
  const char *s = e->pb.text, *end = e->pb.text + e->pb.len;
  int idlen = (int)(e->rec.idlen > 40 ? 40 : e->rec.idlen);
  if (!e->rec.id || !e->rec.idlen || !e->pb.count) return;
  cal_problems_clear(&pb);
  while (s < end) {
    const char *q = memchr(s, CAL_PROBLEM_SEP, (size_t)(end - s));
    if (!q) q = end;
    cal_problems_add(&pb, "%.*s (record %.*s)", (int)(q - s), s, idlen, e->rec.id);
    s = q + 1;
  }
  e->pb = pb;
}

/* Reads the patient table at stack index 2 (plan:classify, plan:labs):
 * its labs as given in the LCAL_GIVEN_SLOTS slots from index 3 (given:
 * which), then pushes the plan's user value, whose index it returns. */
static int read_call_patient(lua_State *L, plan_box *b, unsigned char *given) {
  luaL_checkstack(L, LCAL_GIVEN_SLOTS + 8, "patient table");
  lua_settop(L, 2 + LCAL_GIVEN_SLOTS);
  read_patient(L, b, 2, 3, given);
  name_record(b->engine);
  lua_getiuservalue(L, 1, 1);
  return lua_gettop(L);
}

/* plan:classify(patient [, lazy]) -> raw result (lua/calcinosis/result.lua
 * presents it), with the lab table and without the record as read; lazy:
 * its presented lists left to pending:present (raw.pending) */
static int plan_classify(lua_State *L) {
  plan_box *b = check_plan(L, 1);
  int lazy = lua_toboolean(L, 3);
  unsigned char given[CAL_REC_MAX_ANALYTES];
  int uv;
  luaL_checktype(L, 2, LUA_TTABLE);
  uv = read_call_patient(L, b, given);
  push_result(L, b, b->engine, 3, given, 1, uv, 0, lazy);
  return 1;
}

/* plan:labs(patient) -> the lab table alone (calcinosis.labs) */
static int plan_labs(lua_State *L) {
  plan_box *b = check_plan(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  if (!b->has_labs) return luaL_error(L, "plan:labs: the plan was built without labs_display");
  {
    unsigned char given[CAL_REC_MAX_ANALYTES];
    lab_src s;
    int uv = read_call_patient(L, b, given);
    lab_source(L, &s, b, b->engine, 3, given, uv);
    push_labs(L, &s);
  }
  return 1;
}

/* plan:inputs() -> vars, lets, terms: what the last record classified gave
 * the programs (its slot values, let values and present term bits, 0-based),
 * for tests that compare two ways of reading a record */
static int plan_inputs(lua_State *L) {
  plan_box *b = check_plan(L, 1);
  const cal_cohort *p = &b->plan;
  const cal_engine *e = b->engine;
  push_doubles(L, e->vars, p->prog->nvars);
  push_doubles(L, e->main.lets, p->prog->nlets);
  push_bits(L, e->terms, p->term_words_all);
  return 3;
}

/* plan:classify_line(text) -> the raw result of plan:classify for a
 * patient given as one NDJSON object, read as a line of an NDJSON file is
 * (plan:patient_json writes a table as the object it is read like) */
static int plan_classify_line(lua_State *L) {
  plan_box *b = check_plan(L, 1);
  size_t n;
  const char *text = luaL_checklstring(L, 2, &n);
  const cal_field *f;
  size_t nf;
  lua_settop(L, 2);
  if (cal_ndjson_parse(b->nd, text, n, &f, &nf) < 0) return luaL_error(L, "out of memory");
  read_fields(b);
  name_record(b->engine);
  lua_getiuservalue(L, 1, 1);
  push_result(L, b, b->engine, 0, NULL, 1, 3, 0, 0);
  return 1;
}

/* plan:patient_json(patient) -> the NDJSON line the patient is read as */
static int plan_patient_json(lua_State *L) {
  plan_box *b = check_plan(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  lcal_patient_json(L, &b->json, 2);
  lua_pushlstring(L, b->json.p, b->json.len);
  return 1;
}

/* ---- cohort runs ---- */

typedef struct {
  lua_State *L;
  int fn;
  FILE *in;
} progress_ctx;

static int cohort_progress(void *ctx, long long records) {
  progress_ctx *pc = (progress_ctx *)ctx;
  int stop = 0;
  lua_pushvalue(pc->L, pc->fn);
  lua_pushinteger(pc->L, (lua_Integer)records);
  lua_pushinteger(pc->L, pc->in ? (lua_Integer)ftell(pc->in) : -1);
  if (lua_pcall(pc->L, 2, 1, 0) != LUA_OK) stop = 1;
  else stop = lua_toboolean(pc->L, -1);
  lua_pop(pc->L, 1);
  return stop;
}

static void push_stats(lua_State *L, const cal_cohort *p, const cal_cohort_stats *st) {
  size_t i;
  lua_createtable(L, 0, 8);
  lua_pushinteger(L, (lua_Integer)st->records); lua_setfield(L, -2, "records");
  lua_pushinteger(L, (lua_Integer)st->with_problems); lua_setfield(L, -2, "with_problems");
  lua_createtable(L, p->prog->nsubtypes + 1, 0);
  for (i = 0; i <= p->prog->nsubtypes; i++) {
    lua_pushinteger(L, (lua_Integer)st->counts[i < p->prog->nsubtypes ? i : CAL_VM_MAX_SUBTYPES]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  lua_setfield(L, -2, "counts");
  lua_pushboolean(L, st->stopped); lua_setfield(L, -2, "stopped");
  lua_pushinteger(L, (lua_Integer)st->stop_line); lua_setfield(L, -2, "stop_line");
  lua_pushstring(L, st->stop_message); lua_setfield(L, -2, "stop_message");
  lua_pushstring(L, st->warnings); lua_setfield(L, -2, "warnings");
  if (p->rule_counts) { /* per rule, in rule order: records it fired for, could not evaluate */
    size_t nr = p->prog->nrules < CAL_VM_MAX_RULES ? p->prog->nrules : CAL_VM_MAX_RULES;
    lua_createtable(L, (int)nr, 0);
    for (i = 0; i < nr; i++) { lua_pushinteger(L, (lua_Integer)st->fired[i]); lua_rawseti(L, -2, (lua_Integer)i + 1); }
    lua_setfield(L, -2, "rule_fired");
    lua_createtable(L, (int)nr, 0);
    for (i = 0; i < nr; i++) {
      lua_pushinteger(L, (lua_Integer)st->unevaluable[i]);
      lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, "rule_unevaluable");
  }
}

/* plan:run{ input =, output =, jobs =, progress =, every = } -> stats | nil, message */
static int plan_run(lua_State *L) {
  plan_box *b = check_plan(L, 1);
  cal_cohort_stats *st;
  const char *in_path, *out_path;
  FILE *in = NULL, *out = NULL;
  char err[512];
  int rc, jobs, shard, shards;
  long long every;
  progress_ctx pc;
  luaL_checktype(L, 2, LUA_TTABLE);
  lcal_check_keys(L, 2, RUN_KEYS, "plan:run");
  in_path = lcal_field_str(L, 2, "input");
  out_path = lcal_field_str(L, 2, "output");
  every = (long long)lcal_field_int(L, 2, "every", 0);
  jobs = lcal_field_int(L, 2, "jobs", 1);
  if (jobs < 1) luaL_error(L, "plan:run: jobs must be at least 1");
  shard = lcal_field_int(L, 2, "shard", 0);
  shards = lcal_field_int(L, 2, "shards", 0);
  if ((shard || shards) && (shard < 1 || shard > shards))
    luaL_error(L, "plan:run: shard must be between 1 and shards");
  if (shard && (!in_path || strcmp(in_path, "-") == 0)) {
    lua_pushnil(L);
    lua_pushliteral(L, "--shard needs an input file");
    return 2;
  }
  lua_getfield(L, 2, "progress");
  pc.L = L;
  pc.fn = lua_gettop(L);
  pc.in = NULL;
  if (lua_isnil(L, -1)) every = 0;
  else luaL_checktype(L, -1, LUA_TFUNCTION);
  st = (cal_cohort_stats *)lua_newuserdatauv(L, sizeof *st, 0);
  memset(st, 0, sizeof *st);
  {
    int parallel = (jobs > 1 || shard) && in_path && strcmp(in_path, "-") != 0;
    int fhir_path = b->plan.input_fhir && in_path && strcmp(in_path, "-") != 0 && !shard;
    const char *open_error = NULL, *bad_path = NULL;
    char in_error[512];
    if (fhir_path) parallel = 0; /* FHIR is read whole, in one process (a file or a folder) */
    if (!parallel && !fhir_path && in_path && strcmp(in_path, "-") != 0) {
      in = cal_input_open(in_path, in_error, sizeof in_error);
      if (!in) { open_error = "%s"; bad_path = in_error; }
    }
    if (!open_error && out_path && strcmp(out_path, "-") != 0) {
      out = fopen(out_path, "wb");
      if (!out) { open_error = "%s: cannot open for writing"; bad_path = out_path; }
    }
    if (open_error) {
      if (in) fclose(in);
      if (out) fclose(out);
      lua_pushnil(L);
      lua_pushfstring(L, open_error, bad_path);
      return 2;
    }
    fflush(stdout);
    if (shard) {
      rc = cal_cohort_run_shard(&b->plan, in_path, shard, shards, out ? out : stdout, st, err, sizeof err);
    } else if (parallel) {
      rc = cal_cohort_run_jobs(&b->plan, in_path, jobs, out ? out : stdout, st, err, sizeof err);
    } else {
      cal_reader rd;
      pc.in = in;
      if (fhir_path ? !cal_reader_open_path(&rd, &b->plan, in_path, err, sizeof err)
                    : !cal_reader_open(&rd, &b->plan, in ? in : stdin, NULL, NULL)) {
        rc = -1;
        if (fhir_path) { /* err says why */ }
        else if (b->plan.input_ndjson || b->plan.input_long || b->plan.input_fhir) snprintf(err, sizeof err, "out of memory");
        else snprintf(err, sizeof err, "cannot start the CSV reader (delimiter '%c'?)", b->plan.delim);
      } else {
        rc = cal_cohort_run(&b->plan, &rd.src, out ? out : stdout, st, every ? cohort_progress : NULL, &pc,
                            every, err, sizeof err);
        cal_reader_close(&rd);
      }
      if (in) fclose(in);
    }
    if (out) { if (fclose(out) != 0 && rc == 0) { rc = -1; snprintf(err, sizeof err, "write error"); } }
    else if (fflush(stdout) != 0 && rc == 0) { rc = -1; snprintf(err, sizeof err, "write error"); }
    if (rc != 0) {
      lua_pushnil(L);
      if (strcmp(err, "write error") == 0) { /* name the output it failed on, and report it once */
        lua_pushfstring(L, "%s: write error", out ? out_path : "standard output");
        if (!out) clearerr(stdout);
      } else lua_pushstring(L, err);
      return 2;
    }
  }
  push_stats(L, &b->plan, st);
  return 1;
}

/* ---- record iterators over the C readers ---- */

typedef struct {
  FILE *f;
  cal_reader rd;
  int open, started;
  cal_record_layout lay;
  int has_lay;
  long notes[2];       /* the columns of the reader's notes (unmapped, skipped; record.h), -1: none */
  char warnings[1024]; /* the header's (ignored columns, unusable units) */
} rows_box;

static const char *const NOTE_NAMES[2] = {"unmapped", "skipped"};

/* The reader's notes of the record (FHIR: codes with no mapping, resources
 * not used), as text fields of the result when there are any. */
static void push_notes(lua_State *L, const rows_box *r, const cal_field *f, size_t nf) {
  int k;
  for (k = 0; k < 2; k++)
    if (r->notes[k] >= 0 && (size_t)r->notes[k] < nf && f[r->notes[k]].len) {
      lua_pushlstring(L, f[r->notes[k]].ptr, f[r->notes[k]].len);
      lua_setfield(L, -2, NOTE_NAMES[k]);
    }
}

static int rows_gc(lua_State *L) {
  rows_box *r = (rows_box *)luaL_checkudata(L, 1, ROWS_MT);
  if (r->open) cal_reader_close(&r->rd);
  if (r->f && r->f != stdin) fclose(r->f);
  if (r->has_lay) cal_record_layout_free(&r->lay);
  r->open = 0;
  r->f = NULL;
  r->has_lay = 0;
  return 0;
}

/* The findings and sites cells of a record as written (joined with ';'
 * when a layout has several such columns; a missing-value code is no
 * terms), as raw.findings_text and
 * raw.sites_text: what calcinosis.read gives back as the record's terms. */
static void push_terms_text(lua_State *L, const cal_record_ctx *ctx, const cal_record_layout *lay,
                            const cal_field *f, size_t nf) {
  static const char *const names[2] = {"findings_text", "sites_text"};
  int k;
  for (k = 0; k < 2; k++) {
    int role = k == 0 ? CAL_ROLE_FINDINGS : CAL_ROLE_SITES, any = 0;
    size_t i;
    luaL_Buffer B;
    luaL_buffinit(L, &B);
    for (i = 0; i < nf && i < lay->ncols; i++)
      if (lay->cols[i].role == role && !cal_record_is_missing(ctx, &f[i])) {
        if (any) luaL_addchar(&B, ';');
        luaL_addlstring(&B, f[i].ptr, f[i].len);
        any = 1;
      }
    luaL_pushresult(&B);
    lua_setfield(L, -2, names[k]);
  }
}

/* iterator: upvalue 1 the plan, 2 the rows box */
static int rows_next(lua_State *L) {
  plan_box *b = check_plan(L, lua_upvalueindex(1));
  rows_box *r = (rows_box *)luaL_checkudata(L, lua_upvalueindex(2), ROWS_MT);
  const cal_field *f;
  size_t nf;
  int rc;
  if (!r->open) return 0;
  if (!r->started) {
    r->started = 1;
    rc = r->rd.src.next(r->rd.src.src, &f, &nf);
    if (rc != 1) goto end;
    {
      size_t i;
      int k;
      for (k = 0; k < 2; k++) {
        r->notes[k] = -1;
        for (i = 0; i < nf; i++)
          if (f[i].len == strlen(NOTE_NAMES[k]) && !memcmp(f[i].ptr, NOTE_NAMES[k], f[i].len)) r->notes[k] = (long)i;
      }
    }
    if (!cal_record_layout_init_map(&r->lay, f, nf, &b->plan.map, r->warnings, sizeof r->warnings))
      return luaL_error(L, "out of memory");
    r->has_lay = 1;
  }
  rc = r->rd.src.next(r->rd.src.src, &f, &nf);
  if (rc == 1) {
    const char *cp = r->rd.src.problem(r->rd.src.src);
    long long line = r->rd.src.line(r->rd.src.src);
    cal_problems_clear(&b->engine->pb);
    while (cp && *cp) {
      const char *e = strchr(cp, CAL_PROBLEM_SEP);
      int n = e ? (int)(e - cp) : (int)strlen(cp);
      if (r->rd.src.lines_in_problems) cal_problems_add(&b->engine->pb, "%.*s", n, cp);
      else cal_problems_add(&b->engine->pb, "line %lld: %.*s", line, n, cp);
      cp = e ? e + 1 : NULL;
    }
    cal_engine_read(b->engine, &r->lay, f, nf);
    lua_getiuservalue(L, lua_upvalueindex(1), 1);
    push_result(L, b, b->engine, 0, NULL, lua_upvalueindex(1), lua_gettop(L), 1, 0);
    lua_remove(L, -2);
    lua_pushinteger(L, (lua_Integer)line);
    lua_setfield(L, -2, "line");
    push_terms_text(L, &b->ctx, &r->lay, f, nf);
    push_notes(L, r, f, nf);
    if (r->warnings[0]) { lua_pushstring(L, r->warnings); lua_setfield(L, -2, "warnings"); }
    return 1;
  }
end:
  if (r->open) cal_reader_close(&r->rd);
  r->open = 0;
  if (r->f && r->f != stdin) fclose(r->f);
  r->f = NULL;
  if (rc < 0) return luaL_error(L, "read error");
  return 0;
}

/* plan:rows(path | nil) -> iterator of raw results | nil, message */
static int plan_rows(lua_State *L) {
  plan_box *b = check_plan(L, 1);
  const char *path = luaL_optstring(L, 2, NULL);
  rows_box *r;
  FILE *f = stdin;
  if (b->plan.input_fhir && path && strcmp(path, "-") != 0) { /* a file or a folder */
    char e[512];
    r = (rows_box *)lua_newuserdatauv(L, sizeof *r, 0);
    memset(r, 0, sizeof *r);
    luaL_setmetatable(L, ROWS_MT);
    if (!cal_reader_open_path(&r->rd, &b->plan, path, e, sizeof e)) {
      lua_pushnil(L);
      lua_pushstring(L, e);
      return 2;
    }
    r->open = 1;
    lua_pushvalue(L, 1);
    lua_pushvalue(L, -2);
    lua_pushcclosure(L, rows_next, 2);
    return 1;
  }
  if (path && strcmp(path, "-") != 0) {
    char e[512];
    f = cal_input_open(path, e, sizeof e);
    if (!f) {
      lua_pushnil(L);
      lua_pushstring(L, e);
      return 2;
    }
  }
  r = (rows_box *)lua_newuserdatauv(L, sizeof *r, 0);
  memset(r, 0, sizeof *r);
  luaL_setmetatable(L, ROWS_MT);
  r->f = f;
  if (!cal_reader_open(&r->rd, &b->plan, f, NULL, NULL)) {
    lua_pushnil(L);
    lua_pushstring(L, "cannot start the reader");
    return 2;
  }
  r->open = 1;
  lua_pushvalue(L, 1);
  lua_pushvalue(L, -2);
  lua_pushcclosure(L, rows_next, 2);
  return 1;
}

static const luaL_Reg plan_methods[] = {
  {"classify", plan_classify},
  {"labs", plan_labs},
  {"run", plan_run},
  {"rows", plan_rows},
  {"patient_json", plan_patient_json},
  {"classify_line", plan_classify_line},
  {"inputs", plan_inputs},
  {NULL, NULL}
};

/* core.date(text) -> "YYYY-MM-DD" | nil, message: a date as every reader
 * reads it (dates.h) */
static int l_date(lua_State *L) {
  size_t n;
  const char *s = luaL_checklstring(L, 1, &n);
  double day;
  char out[11];
  if (!cal_date_parse(s, n, &day)) {
    lua_pushnil(L);
    lua_pushfstring(L, "'%s' is not a date (YYYY-MM-DD, a date-time, or YYYYMMDD)", s);
    return 2;
  }
  cal_date_format(day, out);
  lua_pushstring(L, out);
  return 1;
}

/* core.window(text) -> days | nil, message */
static int l_window(lua_State *L) {
  size_t n;
  const char *s = luaL_checklstring(L, 1, &n);
  double days;
  if (!cal_window_parse(s, n, &days)) {
    lua_pushnil(L);
    lua_pushfstring(L, "'%s' is not a length of time (365d, 52w, 12mo, 2y)", s);
    return 2;
  }
  lua_pushnumber(L, (lua_Number)days);
  return 1;
}

static const luaL_Reg engine_funcs[] = {
  {"plan", l_plan},
  {"date", l_date},
  {"window", l_window},
  {NULL, NULL}
};

void lcal_open_engine(lua_State *L) {
  luaL_newmetatable(L, PLAN_MT);
  lua_newtable(L);
  luaL_setfuncs(L, plan_methods, 0);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, plan_gc);
  lua_setfield(L, -2, "__gc");
  lua_pushliteral(L, "calcinosis.plan");
  lua_setfield(L, -2, "__metatable");
  lua_pop(L, 1);
  luaL_newmetatable(L, LABSNAP_MT);
  lua_newtable(L);
  luaL_setfuncs(L, snap_methods, 0);
  lua_setfield(L, -2, "__index");
  lua_pushliteral(L, "calcinosis.labsnap");
  lua_setfield(L, -2, "__metatable");
  lua_pop(L, 1);
  luaL_newmetatable(L, PENDING_MT);
  lua_newtable(L);
  luaL_setfuncs(L, pending_methods, 0);
  lua_setfield(L, -2, "__index");
  lua_pushliteral(L, "calcinosis.pending");
  lua_setfield(L, -2, "__metatable");
  lua_pop(L, 1);
  luaL_newmetatable(L, ROWS_MT);
  lua_pushcfunction(L, rows_gc);
  lua_setfield(L, -2, "__gc");
  lua_pop(L, 1);
  luaL_setfuncs(L, engine_funcs, 0);
}
