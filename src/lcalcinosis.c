/*
 * lcalcinosis.c - the one binding file: exposes the pure C core as the Lua
 * module `calcinosis.core`. Everything else in src/ is plain C99 that never
 * sees a Lua header.
 */
#include <math.h>
#include <string.h>

#include "analytes.h"
#include "compat.h"
#include "derived.h"
#include "units.h"

/* ==== rules VM binding (owned by the rule-language work) ==== */
static const luaL_Reg vm_funcs[] = {
  {NULL, NULL}
};
static void register_vm(lua_State *L) { (void)L; }
/* ==== end of rules VM binding ==== */

/* ---- helpers ---- */

static int push_fail(lua_State *L, const char *msg) {
  lua_pushnil(L);
  lua_pushstring(L, msg);
  return 2;
}

/* An optional number argument: nil and NaN both mean "missing". */
static double opt_num(lua_State *L, int i) {
  if (lua_isnoneornil(L, i)) return NAN;
  return luaL_checknumber(L, i);
}

static void push_num_or_nil(lua_State *L, double x) {
  if (isnan(x) || isinf(x)) lua_pushnil(L);
  else lua_pushnumber(L, x);
}

static const cal_analyte *opt_analyte(lua_State *L, int i) {
  size_t n;
  const char *s;
  const cal_analyte *a;
  if (lua_isnoneornil(L, i)) return NULL;
  s = luaL_checklstring(L, i, &n);
  a = cal_analyte_find(s, n);
  if (!a) luaL_argerror(L, i, lua_pushfstring(L, "unknown analyte '%s'", s));
  return a;
}

static void set_str_list(lua_State *L, const char *key, const char *const *list) {
  int k;
  lua_newtable(L);
  for (k = 0; list[k]; k++) {
    if (!list[k][0]) continue;
    lua_pushstring(L, list[k]);
    lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
  }
  lua_setfield(L, -2, key);
}

/* ---- units ---- */

/* core.unit(s) -> { factor =, dimension = } | nil, message */
static int l_unit(lua_State *L) {
  size_t n;
  const char *s = luaL_checklstring(L, 1, &n);
  cal_unit u;
  char err[256], dim[96];
  if (!cal_unit_parse(s, n, &u, err, sizeof err)) return push_fail(L, err);
  cal_unit_dim_name(&u, dim, sizeof dim);
  lua_createtable(L, 0, 2);
  lua_pushnumber(L, u.factor);
  lua_setfield(L, -2, "factor");
  lua_pushstring(L, dim);
  lua_setfield(L, -2, "dimension");
  return 1;
}

/* core.convert(v, from, to [, analyte]) -> number | nil, message */
static int l_convert(lua_State *L) {
  double v = luaL_checknumber(L, 1), out;
  size_t fn, tn;
  const char *fs = luaL_checklstring(L, 2, &fn);
  const char *ts = luaL_checklstring(L, 3, &tn);
  const cal_analyte *a = opt_analyte(L, 4);
  cal_unit from, to;
  char err[256];
  if (!isfinite(v)) return push_fail(L, "value is not a finite number");
  if (!cal_unit_parse(fs, fn, &from, err, sizeof err)) return push_fail(L, err);
  if (!cal_unit_parse(ts, tn, &to, err, sizeof err)) return push_fail(L, err);
  if (!cal_unit_convert(v, &from, &to, a ? a->molar_mass : 0, a ? a->valence : 0,
                        &out, err, sizeof err)) {
    lua_pushnil(L);
    if (a) lua_pushfstring(L, "cannot convert %s from '%s' to '%s': %s", a->name, fs, ts, err);
    else lua_pushfstring(L, "cannot convert '%s' to '%s': %s", fs, ts, err);
    return 2;
  }
  lua_pushnumber(L, out);
  return 1;
}

/* ---- analytes ---- */

static void push_analyte(lua_State *L, const cal_analyte *a) {
  lua_createtable(L, 0, 12);
  lua_pushstring(L, a->name); lua_setfield(L, -2, "name");
  lua_pushstring(L, a->label); lua_setfield(L, -2, "label");
  lua_pushstring(L, a->unit); lua_setfield(L, -2, "unit");
  if (a->si_unit) { lua_pushstring(L, a->si_unit); lua_setfield(L, -2, "si_unit"); }
  if (a->molar_mass > 0) { lua_pushnumber(L, a->molar_mass); lua_setfield(L, -2, "molar_mass"); }
  if (a->valence > 0) { lua_pushnumber(L, a->valence); lua_setfield(L, -2, "valence"); }
  lua_pushnumber(L, a->plausible_lo); lua_setfield(L, -2, "plausible_lo");
  lua_pushnumber(L, a->plausible_hi); lua_setfield(L, -2, "plausible_hi");
  lua_pushboolean(L, a->derived); lua_setfield(L, -2, "derived");
  lua_pushstring(L, a->source); lua_setfield(L, -2, "source");
  set_str_list(L, "loinc", a->loinc);
  set_str_list(L, "aliases", a->aliases);
  set_str_list(L, "units", a->units);
}

/* core.analyte(name | alias | loinc) -> table | nil */
static int l_analyte(lua_State *L) {
  size_t n;
  const char *s = luaL_checklstring(L, 1, &n);
  const cal_analyte *a = cal_analyte_find(s, n);
  if (!a) return 0;
  push_analyte(L, a);
  return 1;
}

/* core.analytes() -> list of analyte names */
static int l_analytes(lua_State *L) {
  size_t i;
  lua_createtable(L, (int)cal_analyte_count(), 0);
  for (i = 0; i < cal_analyte_count(); i++) {
    lua_pushstring(L, cal_analyte_at(i)->name);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  return 1;
}

/* core.measure(analyte, value, unit) -> canonical value
 *   | nil, message [, likely unit, value in canonical unit if that unit] */
static int l_measure(lua_State *L) {
  size_t n, un;
  const char *name = luaL_checklstring(L, 1, &n);
  double v = luaL_checknumber(L, 2), c, lc;
  const char *us = luaL_checklstring(L, 3, &un);
  const cal_analyte *a = cal_analyte_find(name, n);
  const char *likely;
  cal_unit u;
  char err[256];
  if (!a) return luaL_argerror(L, 1, lua_pushfstring(L, "unknown analyte '%s'", name));
  if (!isfinite(v)) return push_fail(L, "value is not a finite number");
  if (v < 0) return push_fail(L, "value is negative");
  if (!cal_unit_parse(us, un, &u, err, sizeof err)) return push_fail(L, err);
  if (!cal_analyte_to_canonical(a, v, &u, &c, err, sizeof err)) return push_fail(L, err);
  if (cal_analyte_plausible(a, c)) {
    lua_pushnumber(L, c);
    return 1;
  }
  likely = cal_analyte_likely_unit(a, v, &u, &lc);
  lua_pushnil(L);
  if (likely) {
    lua_pushfstring(L, "%s %f %s is implausible; the value looks like %s", a->name, v, us, likely);
    lua_pushstring(L, likely);
    lua_pushnumber(L, lc);
    return 4;
  }
  lua_pushfstring(L, "%s %f %s is outside the plausible range", a->name, v, us);
  return 2;
}

/* ---- derived values ---- */

static int l_corrected_calcium(lua_State *L) {
  static const char *const opts[] = {"common", "payne", "si", NULL};
  double ca = opt_num(L, 1), alb = opt_num(L, 2);
  int v = luaL_checkoption(L, 3, "common", opts);
  push_num_or_nil(L, cal_corrected_calcium(ca, alb, (cal_ca_variant)v));
  return 1;
}

static int l_ca_x_p(lua_State *L) {
  push_num_or_nil(L, cal_ca_x_p(opt_num(L, 1), opt_num(L, 2)));
  return 1;
}

static int l_egfr_ckd_epi_2021(lua_State *L) {
  double scr = opt_num(L, 1), age = opt_num(L, 2);
  int female = lua_toboolean(L, 3);
  push_num_or_nil(L, cal_egfr_ckd_epi_2021(scr, age, female));
  return 1;
}

static int l_egfr_ckd_epi_2009(lua_State *L) {
  double scr = opt_num(L, 1), age = opt_num(L, 2);
  push_num_or_nil(L, cal_egfr_ckd_epi_2009(scr, age, lua_toboolean(L, 3), lua_toboolean(L, 4)));
  return 1;
}

/* core.egfr_mdrd(scr, age, female, black [, k = 175]) */
static int l_egfr_mdrd(lua_State *L) {
  double scr = opt_num(L, 1), age = opt_num(L, 2);
  double k = luaL_optnumber(L, 5, 175.0);
  push_num_or_nil(L, cal_egfr_mdrd(scr, age, lua_toboolean(L, 3), lua_toboolean(L, 4), k));
  return 1;
}

static int l_egfr_schwartz(lua_State *L) {
  push_num_or_nil(L, cal_egfr_schwartz(opt_num(L, 1), opt_num(L, 2)));
  return 1;
}

/* core.kdigo(egfr [, round_first]) -> index, label | nil */
static int l_kdigo(lua_State *L) {
  int st = cal_kdigo_stage(opt_num(L, 1), lua_toboolean(L, 2));
  if (st == 0) return 0;
  lua_pushinteger(L, st);
  lua_pushstring(L, cal_kdigo_label(st));
  return 2;
}

static const luaL_Reg core_funcs[] = {
  {"unit", l_unit},
  {"convert", l_convert},
  {"analyte", l_analyte},
  {"analytes", l_analytes},
  {"measure", l_measure},
  {"corrected_calcium", l_corrected_calcium},
  {"ca_x_p", l_ca_x_p},
  {"egfr_ckd_epi_2021", l_egfr_ckd_epi_2021},
  {"egfr_schwartz", l_egfr_schwartz},
  {"egfr_ckd_epi_2009", l_egfr_ckd_epi_2009},
  {"egfr_mdrd", l_egfr_mdrd},
  {"kdigo", l_kdigo},
  {NULL, NULL}
};

int luaopen_calcinosis_core(lua_State *L);
int luaopen_calcinosis_core(lua_State *L) {
  luaL_newlib(L, core_funcs);
  luaL_setfuncs(L, vm_funcs, 0);
  register_vm(L);
  return 1;
}
