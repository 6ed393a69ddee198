/*
 * lcalcinosis.c - the binding of the pure C core as the Lua module
 * `calcinosis.core`: units, analytes, derived values, the rule VM, the CSV
 * reader for Lua, the checks shared by the binding files (lcal.h) and the
 * constants exported from C. The engine (plans) is bound in lcal_engine.c.
 * Only the lcal*.c files see Lua headers; everything else in src/ is plain
 * C99.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analytes.h"
#include "cohort.h"
#include "record.h"
#include "compat.h"
#include "lcal.h"
#include "slots.h"
#include "termmap.h"
#include "spelling.h"
#include "vocabkey.h"
#include "csv.h"
#include "source.h"
#include "dates.h"
#include "derived.h"
#include "units.h"
#include "output.h"
#include "text.h"

/* ==== the rule VM ==== */
#include <stdio.h>

#include "vm.h"

/* A loaded program plus the scratch it runs in, so that a run allocates
 * nothing: userdata with metatable "calcinosis.program". */
typedef struct {
  cal_program *p;
  cal_vm_result res;
  uint64_t terms[CAL_VM_MAX_TERM_WORDS];
  double vars[1]; /* nvars (at least 1) */
} vm_box;

#define VM_MT "calcinosis.program"

static vm_box *vm_check(lua_State *L) {
  vm_box *b = (vm_box *)luaL_checkudata(L, 1, VM_MT);
  if (!b->p) luaL_error(L, "program has been freed");
  return b;
}

/* ==== checks shared by the binding files (lcal.h) ==== */

void lcal_check_keys(lua_State *L, int t, const char *const *allowed, const char *what) {
  t = lua_absindex(L, t);
  lua_pushnil(L);
  while (lua_next(L, t)) {
    const char *k;
    int i, ok = 0, best = -1;
    size_t bestd = (size_t)-1;
    lua_pop(L, 1);
    if (lua_type(L, -1) != LUA_TSTRING) luaL_error(L, "%s: keys must be strings", what);
    k = lua_tostring(L, -1);
    for (i = 0; allowed[i]; i++) {
      size_t a = strlen(k), b = strlen(allowed[i]), d = 0, j;
      if (strcmp(k, allowed[i]) == 0) { ok = 1; break; }
      /* a rough closeness for the suggestion: length difference plus
       * mismatched positions */
      for (j = 0; j < a && j < b; j++) d += k[j] != allowed[i][j];
      d += a > b ? a - b : b - a;
      if (d < bestd) { bestd = d; best = i; }
    }
    if (!ok) {
      if (best >= 0 && bestd <= 3)
        luaL_error(L, "%s: unknown key '%s' (did you mean '%s'?)", what, k, allowed[best]);
      luaL_error(L, "%s: unknown key '%s'", what, k);
    }
  }
}

int lcal_field_int(lua_State *L, int t, const char *k, int dflt) {
  int v = dflt, isnum;
  lua_Integer x;
  lua_getfield(L, t, k);
  if (!lua_isnil(L, -1)) {
    x = lua_tointegerx(L, -1, &isnum);
    if (!isnum) luaL_error(L, "field '%s' must be an integer", k);
    if (x < -2147483647 || x > 2147483647) luaL_error(L, "field '%s' is out of range", k);
    v = (int)x;
  }
  lua_pop(L, 1);
  return v;
}

double lcal_field_num(lua_State *L, int t, const char *k) {
  double v = NAN;
  lua_getfield(L, t, k);
  if (!lua_isnil(L, -1)) {
    if (!lua_isnumber(L, -1)) luaL_error(L, "field '%s' must be a number", k);
    v = (double)lua_tonumber(L, -1);
  }
  lua_pop(L, 1);
  return v;
}

/* The string stays valid while the table holds it. */
const char *lcal_field_str(lua_State *L, int t, const char *k) {
  const char *s = NULL;
  lua_getfield(L, t, k);
  if (!lua_isnil(L, -1)) {
    if (lua_type(L, -1) != LUA_TSTRING) luaL_error(L, "field '%s' must be a string", k);
    s = lua_tostring(L, -1);
  }
  lua_pop(L, 1);
  return s;
}

int lcal_field_bool(lua_State *L, int t, const char *k, int dflt) {
  int v = dflt;
  lua_getfield(L, t, k);
  if (!lua_isnil(L, -1)) v = lua_toboolean(L, -1);
  lua_pop(L, 1);
  return v;
}

const cal_program *lcal_check_program(lua_State *L, int i, const char *what) {
  vm_box *b = (vm_box *)luaL_testudata(L, i, VM_MT);
  if (!b) { luaL_error(L, "%s must be a program (calcinosis.program)", what); return NULL; } /* (does not return) */
  if (!b->p) luaL_error(L, "%s has been freed", what);
  return b->p;
}

/* core.vm_load(bytes) -> program | nil, message */
static int vm_load(lua_State *L) {
  size_t len, nv;
  const char *s = luaL_checklstring(L, 1, &len);
  char err[256];
  cal_program *p = cal_vm_load(s, len, err, sizeof err);
  vm_box *b;
  if (!p) {
    lua_pushnil(L);
    lua_pushstring(L, err);
    return 2;
  }
  nv = p->nvars ? p->nvars : 1;
  b = (vm_box *)lua_newuserdatauv(L, sizeof(vm_box) + (nv - 1) * sizeof(double), 0);
  b->p = p;
  luaL_setmetatable(L, VM_MT);
  return 1;
}

static int vm_gc(lua_State *L) {
  vm_box *b = (vm_box *)luaL_checkudata(L, 1, VM_MT);
  cal_vm_free(b->p);
  b->p = NULL;
  return 0;
}

/* program:run(vars, terms, state, lets, scores) -> type, best
 * vars: array of numbers by slot (1-based; nil or NaN = missing);
 * terms: array of term ids (0-based integers; others ignored);
 * state, lets, scores: tables filled in place (1-based) with rule states
 * (0 false, 1 true, 2 unknown), let values (NaN missing) and subtype scores.
 * type is the 1-based subtype index, or 0 for indeterminate. */
static int vm_run(lua_State *L) {
  vm_box *b = vm_check(L);
  const cal_program *p = b->p;
  lua_Integer i, n;
  luaL_checktype(L, 2, LUA_TTABLE);
  luaL_checktype(L, 3, LUA_TTABLE);
  for (i = 0; i < p->nvars; i++) {
    int isnum;
    lua_Number v;
    lua_rawgeti(L, 2, i + 1);
    v = lua_tonumberx(L, -1, &isnum);
    b->vars[i] = isnum ? (double)v : NAN;
    lua_pop(L, 1);
  }
  memset(b->terms, 0, sizeof b->terms);
  n = (lua_Integer)lua_rawlen(L, 3);
  for (i = 1; i <= n; i++) {
    int isnum;
    lua_Integer t;
    lua_rawgeti(L, 3, i);
    t = lua_tointegerx(L, -1, &isnum);
    lua_pop(L, 1);
    if (isnum && t >= 0 && t < (lua_Integer)p->term_words * 64)
      b->terms[t / 64] |= (uint64_t)1 << (t % 64);
  }
  cal_vm_run(p, b->vars, b->terms, &b->res);
  if (lua_istable(L, 4))
    for (i = 0; i < p->nrules; i++) {
      lua_pushinteger(L, b->res.state[i]);
      lua_rawseti(L, 4, i + 1);
    }
  if (lua_istable(L, 5))
    for (i = 0; i < p->nlets; i++) {
      lua_pushnumber(L, (lua_Number)b->res.lets[i]);
      lua_rawseti(L, 5, i + 1);
    }
  if (lua_istable(L, 6))
    for (i = 0; i < p->nsubtypes; i++) {
      lua_pushnumber(L, (lua_Number)b->res.score[i]);
      lua_rawseti(L, 6, i + 1);
    }
  lua_pushinteger(L, b->res.type + 1);
  lua_pushnumber(L, (lua_Number)b->res.best);
  return 2;
}

/* program:hash() -> 16 hex digits (FNV-1a 64 of the program bytes) */
static int vm_hash(lua_State *L) {
  vm_box *b = vm_check(L);
  char buf[17];
  snprintf(buf, sizeof buf, "%016llx", (unsigned long long)b->p->hash);
  lua_pushstring(L, buf);
  return 1;
}

/* core.term_key(text) -> the key the term map and the record logic use
 * (termmap.h cal_key_normalize), "" when empty or too long */
static int l_term_key(lua_State *L) {
  size_t n;
  const char *s = luaL_checklstring(L, 1, &n);
  char out[CAL_KEY_MAX];
  size_t k = cal_key_normalize(s, n, out);
  lua_pushlstring(L, out, k);
  return 1;
}

/* core.vocab_key(text) -> the vocabulary's normalization key (vocabkey.h;
 * calcinosis.vocab `key`) */
static int l_vocab_key(lua_State *L) {
  size_t n, k;
  const char *s = luaL_checklstring(L, 1, &n);
  char small[2 * 256], *out = small;
  if (n >= 256) out = (char *)lua_newuserdatauv(L, 2 * (n + 1), 0);
  k = cal_vocab_key(s, n, out, out + n + 1);
  lua_pushlstring(L, out, k);
  return 1;
}

/* core.quantity(text) -> value, unit text, comparator | nil, message: a
 * quantity split as the record logic splits a lab cell (record.h
 * cal_quantity_split); the unit is not checked. */
static int l_quantity(lua_State *L) {
  size_t n, cmplen, a, b;
  const char *s = luaL_checklstring(L, 1, &n), *p = s, *u;
  double v;
  size_t ul;
  cal_trim(&p, &n);
  if (n == 0) { lua_pushnil(L); lua_pushliteral(L, "empty quantity"); return 2; }
  if (!cal_quantity_split(p, n, &v, &cmplen, &a, &b)) {
    lua_pushnil(L);
    lua_pushfstring(L, "'%s' is not a number with a unit", s);
    return 2;
  }
  u = p + b;
  ul = n - b;
  while (ul > 0 && *u == ' ') { u++; ul--; }
  if (ul > 0 && ((u[0] >= '0' && u[0] <= '9') || u[0] == '.' || u[0] == ',')) {
    lua_pushnil(L);
    lua_pushfstring(L, "'%s' is not a number with a unit (decimal comma or stray digits?)", s);
    return 2;
  }
  if (!isfinite(v)) {
    lua_pushnil(L);
    lua_pushfstring(L, "'%s' is not a finite number", s);
    return 2;
  }
  lua_pushnumber(L, (lua_Number)v);
  lua_pushlstring(L, u, ul);
  if (cmplen) lua_pushlstring(L, p, cmplen); else lua_pushnil(L);
  return 3;
}

/* core.hash(bytes) -> 16 hex digits (FNV-1a 64, as program:hash()) */
static int l_hash(lua_State *L) {
  size_t n;
  const char *s = luaL_checklstring(L, 1, &n);
  char buf[17];
  snprintf(buf, sizeof buf, "%016llx", (unsigned long long)cal_fnv1a64(CAL_FNV_OFFSET, s, n));
  lua_pushstring(L, buf);
  return 1;
}

/* core.quick_hash(bytes) -> 16 hex digits: a 64-bit hash of 8 bytes a step
 * (cal_hash_bytes, as the term maps'), several times faster than core.hash
 * and not the same value; for telling whether a file changed (the module
 * cache of calcinosis.loader), not for anything shown as a hash */
static int l_quick_hash(lua_State *L) {
  size_t n;
  const char *s = luaL_checklstring(L, 1, &n);
  char buf[17];
  snprintf(buf, sizeof buf, "%016llx", (unsigned long long)cal_hash_bytes(s, n));
  lua_pushstring(L, buf);
  return 1;
}

/* program:info() -> table of counts */
static int vm_info(lua_State *L) {
  vm_box *b = vm_check(L);
  const cal_program *p = b->p;
  lua_createtable(L, 0, 8);
  lua_pushinteger(L, p->nvars); lua_setfield(L, -2, "vars");
  lua_pushinteger(L, p->nlets); lua_setfield(L, -2, "lets");
  lua_pushinteger(L, p->nconsts); lua_setfield(L, -2, "consts");
  lua_pushinteger(L, p->nsets); lua_setfield(L, -2, "sets");
  lua_pushinteger(L, p->term_words); lua_setfield(L, -2, "term_words");
  lua_pushinteger(L, p->nrules); lua_setfield(L, -2, "rules");
  lua_pushinteger(L, p->nsubtypes); lua_setfield(L, -2, "subtypes");
  lua_pushinteger(L, (lua_Integer)p->ncode); lua_setfield(L, -2, "code");
  return 1;
}

/* program:disasm() -> readable listing of the code */
static int vm_disasm(lua_State *L) {
  vm_box *b = vm_check(L);
  const cal_program *p = b->p;
  luaL_Buffer buf;
  uint32_t pc;
  char line[64];
  luaL_buffinit(L, &buf);
  for (pc = 0; pc < p->ncode; pc++) {
    unsigned op = CAL_INSTR_OP(p->code[pc]);
    snprintf(line, sizeof line, "%5lu  %-6s %lu\n", (unsigned long)pc, cal_vm_opname(op),
             (unsigned long)CAL_INSTR_ARG(p->code[pc]));
    luaL_addstring(&buf, line);
  }
  luaL_pushresult(&buf);
  return 1;
}

/* ---- memory guard for sandboxed ruleset loads ----
 * Wraps the state's allocator so that the memory allocated while the guard
 * is on cannot exceed a limit: an allocation over the limit fails, and Lua
 * raises "not enough memory" (after an emergency collection). This bounds
 * single operations (a huge concatenation) that no hook can interrupt. The
 * guard lives in a userdata anchored in the registry while it is installed. */
typedef struct {
  lua_Alloc f;
  void *ud;
  size_t used, limit;
} vm_guard;

#define VM_GUARD_KEY "calcinosis.memguard"

static void *vm_guard_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  vm_guard *g = (vm_guard *)ud;
  size_t old = ptr ? osize : 0;
  void *r;
  if (nsize > old && (nsize - old > g->limit || g->used > g->limit - (nsize - old)))
    return NULL;
  r = g->f(g->ud, ptr, osize, nsize);
  if (r || nsize == 0) {
    g->used = g->used > old ? g->used - old : 0; /* blocks from before the guard */
    g->used += nsize;
  }
  return r;
}

/* core.vm_memguard(limit_bytes) installs the guard; core.vm_memguard()
 * removes it. Returns the bytes used under the guard (before removal). */
static int vm_memguard(lua_State *L) {
  void *ud;
  lua_Alloc f = lua_getallocf(L, &ud);
  if (lua_isnoneornil(L, 1)) {
    lua_Integer used = 0;
    if (f == vm_guard_alloc) {
      vm_guard *g = (vm_guard *)ud;
      used = (lua_Integer)g->used;
      lua_setallocf(L, g->f, g->ud);
      lua_pushnil(L);
      lua_setfield(L, LUA_REGISTRYINDEX, VM_GUARD_KEY);
    }
    lua_pushinteger(L, used);
    return 1;
  } else {
    lua_Integer limit = luaL_checkinteger(L, 1);
    vm_guard *g;
    luaL_argcheck(L, limit > 0, 1, "limit must be positive");
    if (f == vm_guard_alloc) return luaL_error(L, "a memory guard is already installed");
    g = (vm_guard *)lua_newuserdatauv(L, sizeof(vm_guard), 0);
    g->f = f;
    g->ud = ud;
    g->used = 0;
    g->limit = (size_t)limit;
    lua_setfield(L, LUA_REGISTRYINDEX, VM_GUARD_KEY);
    lua_setallocf(L, vm_guard_alloc, g);
    lua_pushinteger(L, 0);
    return 1;
  }
}

static const luaL_Reg vm_methods[] = {
  {"run", vm_run},
  {"hash", vm_hash},
  {"info", vm_info},
  {"disasm", vm_disasm},
  {NULL, NULL}
};

static const luaL_Reg vm_funcs[] = {
  {"vm_load", vm_load},
  {"vm_memguard", vm_memguard},
  {NULL, NULL}
};

static void register_vm(lua_State *L) {
  if (luaL_newmetatable(L, VM_MT)) {
    luaL_newlib(L, vm_methods);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, vm_gc);
    lua_setfield(L, -2, "__gc");
    lua_pushliteral(L, "locked");
    lua_setfield(L, -2, "__metatable");
  }
  lua_pop(L, 1);
}
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

/* core.kdigo(egfr [, round_first]) -> index, label, band | nil */
static int l_kdigo(lua_State *L) {
  int st = cal_kdigo_stage(opt_num(L, 1), lua_toboolean(L, 2));
  if (st == 0) return 0;
  lua_pushinteger(L, st);
  lua_pushstring(L, cal_kdigo_label(st));
  lua_pushstring(L, cal_kdigo_band(st));
  return 3;
}

/* core.kdigo_stage(index) -> label, band | nil */
static int l_kdigo_stage(lua_State *L) {
  lua_Integer st = luaL_checkinteger(L, 1);
  if (st < 1 || st > 6) return 0;
  lua_pushstring(L, cal_kdigo_label((int)st));
  lua_pushstring(L, cal_kdigo_band((int)st));
  return 2;
}

/* core.analyte_index(name) -> 0-based index in the core's analyte table | nil */
/* core.na_default() -> the default missing-value codes (record.c) */
static int l_na_default(lua_State *L) {
  const char *const *na = cal_record_na_default();
  int i;
  lua_newtable(L);
  for (i = 0; na[i]; i++) {
    lua_pushstring(L, na[i]);
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

/* core.choose_dated(lists [, index_date [, window]]) -> { [analyte] = i | false }, { problem, ... }
 * lists: { [analyte] = { date | false, ... } }, the dates of each analyte's
 * values in the order read (a date text, ISO 8601 or HL7 TS; anything else
 * is undated). Per analyte, the value to keep (dates.c: cal_date_choose,
 * the one nearest index_date, by default the latest; on a tie the later in
 * the list), or false when it lies outside the window from the index date
 * (by default from the record's latest kept date), with its problem. The
 * readers written in Lua (HL7 v2, lab text) choose their values here, as
 * the FHIR and long-format readers do in C. A bad index_date or window
 * raises (the commands check them first: core.date, core.window). */
static int l_choose_dated(lua_State *L) {
  double index = NAN, window = NAN, kept[CAL_REC_MAX_ANALYTES], day[CAL_REC_MAX_ANALYTES], ref;
  size_t pick[CAL_REC_MAX_ANALYTES], na = cal_analyte_count(), k, nk = 0, n;
  int has[CAL_REC_MAX_ANALYTES], np = 0;
  const char *s;
  luaL_checktype(L, 1, LUA_TTABLE);
  if (!lua_isnoneornil(L, 2)) {
    s = luaL_checklstring(L, 2, &n);
    if (!cal_date_parse(s, n, &index)) return luaL_argerror(L, 2, "not a date");
  }
  if (!lua_isnoneornil(L, 3)) {
    s = luaL_checklstring(L, 3, &n);
    if (!cal_window_parse(s, n, &window)) return luaL_argerror(L, 3, "not a length of time");
  }
  if (na > CAL_REC_MAX_ANALYTES) na = CAL_REC_MAX_ANALYTES;
  for (k = 0; k < na; k++) {
    size_t i, len;
    double *days;
    has[k] = 0;
    lua_getfield(L, 1, cal_analyte_at(k)->name);
    if (!lua_istable(L, -1) || (len = (size_t)lua_rawlen(L, -1)) == 0) {
      lua_pop(L, 1);
      continue;
    }
    days = (double *)lua_newuserdatauv(L, len * sizeof *days, 0);
    for (i = 0; i < len; i++) {
      lua_rawgeti(L, -2, (lua_Integer)i + 1);
      days[i] = NAN;
      if (lua_type(L, -1) == LUA_TSTRING) {
        s = lua_tolstring(L, -1, &n);
        if (!cal_date_parse(s, n, &days[i])) days[i] = NAN;
      }
      lua_pop(L, 1);
    }
    pick[k] = cal_date_choose(days, len, index);
    day[k] = kept[nk++] = days[pick[k]];
    has[k] = 1;
    lua_pop(L, 2);
  }
  ref = cal_date_reference(kept, nk, index);
  lua_newtable(L);
  lua_newtable(L);
  for (k = 0; k < na; k++) {
    if (!has[k]) continue;
    if (cal_date_in_window(day[k], ref, window)) {
      lua_pushinteger(L, (lua_Integer)pick[k] + 1);
    } else {
      char m[200];
      cal_date_window_problem(m, sizeof m, cal_analyte_at(k)->name, day[k], ref, window);
      lua_pushstring(L, m);
      lua_rawseti(L, -2, ++np);
      lua_pushboolean(L, 0);
    }
    lua_setfield(L, -3, cal_analyte_at(k)->name);
  }
  return 2;
}

/* core.column_names() -> the header names the reader knows (record.c):
 * the non-lab columns, then each analyte's name and aliases */
static int l_column_names(lua_State *L) {
  size_t i;
  const char *s;
  lua_newtable(L);
  for (i = 0; (s = cal_record_known_name(i)) != NULL; i++) {
    lua_pushstring(L, s);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  return 1;
}

/* core.column_role(header) -> the role the reader gives a CSV header
 * ("id", "age", "sex", "species", "height", "lab", "unit", "findings",
 * "sites") and, for a lab or unit column, the analyte; nil when the column
 * would be ignored */
static int l_column_role(lua_State *L) {
  static const char *const roles[] = {NULL, "id", "age", "sex", "species", "height", "lab", "unit", "findings",
                                      "sites"};
  size_t n;
  const char *h = luaL_checklstring(L, 1, &n);
  cal_field f;
  cal_record_layout lay;
  int role, analyte;
  f.ptr = h;
  f.len = n;
  if (!cal_record_layout_init(&lay, &f, 1, NULL, 0)) return luaL_error(L, "out of memory");
  role = lay.cols[0].role;
  analyte = lay.cols[0].analyte;
  cal_record_layout_free(&lay);
  if (role <= 0 || role >= (int)(sizeof roles / sizeof roles[0])) return 0;
  lua_pushstring(L, roles[role]);
  if (analyte >= 0) {
    lua_pushstring(L, cal_analyte_at((size_t)analyte)->name);
    return 2;
  }
  return 1;
}

static int l_analyte_index(lua_State *L) {
  size_t n, i;
  const char *s = luaL_checklstring(L, 1, &n);
  const cal_analyte *a = cal_analyte_find(s, n);
  if (!a) return 0;
  for (i = 0; i < cal_analyte_count(); i++)
    if (cal_analyte_at(i) == a) { lua_pushinteger(L, (lua_Integer)i); return 1; }
  return 0;
}

/* ---- CSV reader for Lua (long format, tests) ---- */

#define CSV_MT "calcinosis.csv"

typedef struct {
  cal_csv *r;
  FILE *f;
} csv_box;

/* core.csv_open(path | nil [, delimiter]) -> reader | nil, message
 * reader:next() -> fields (list of strings), line, problem | nil at end
 * reader:close() */
static int l_csv_open(lua_State *L) {
  const char *path = luaL_optstring(L, 1, NULL);
  const char *d = luaL_optstring(L, 2, ",");
  csv_box *b = (csv_box *)lua_newuserdatauv(L, sizeof *b, 0);
  b->r = NULL;
  b->f = NULL;
  luaL_setmetatable(L, CSV_MT);
  if (path && strcmp(path, "-") != 0) {
    char e[512];
    b->f = cal_input_open(path, e, sizeof e);
    if (!b->f) {
      lua_pushnil(L);
      lua_pushstring(L, e);
      return 2;
    }
    b->r = cal_csv_open_file(b->f, d[0] ? d[0] : ',');
  } else {
    b->r = cal_csv_open_fd(0, d[0] ? d[0] : ',');
  }
  if (!b->r) return push_fail(L, "cannot start the CSV reader (bad delimiter?)");
  return 1;
}

static int csv_next(lua_State *L) {
  csv_box *b = (csv_box *)luaL_checkudata(L, 1, CSV_MT);
  const cal_field *f;
  size_t n, i;
  int rc;
  const char *problem;
  if (!b->r) return 0;
  rc = cal_csv_next(b->r, &f, &n);
  if (rc == 0) return 0;
  if (rc < 0) return luaL_error(L, "read error after line %d", (int)cal_csv_line(b->r));
  lua_createtable(L, (int)n, 0);
  for (i = 0; i < n; i++) {
    lua_pushlstring(L, f[i].ptr, f[i].len);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  lua_pushinteger(L, (lua_Integer)cal_csv_line(b->r));
  problem = cal_csv_problem(b->r);
  if (problem) lua_pushstring(L, problem);
  else lua_pushnil(L);
  return 3;
}

static int csv_close(lua_State *L) {
  csv_box *b = (csv_box *)luaL_checkudata(L, 1, CSV_MT);
  cal_csv_close(b->r);
  b->r = NULL;
  if (b->f) fclose(b->f);
  b->f = NULL;
  return 0;
}

static void register_csv(lua_State *L) {
  static const luaL_Reg m[] = {{"next", csv_next}, {"close", csv_close}, {NULL, NULL}};
  if (luaL_newmetatable(L, CSV_MT)) {
    luaL_newlib(L, m);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, csv_close);
    lua_setfield(L, -2, "__gc");
  }
  lua_pop(L, 1);
}

/* core.isatty(fd) -> boolean (progress lines only on a terminal) */
static int l_isatty(lua_State *L) {
  int fd = (int)luaL_checkinteger(L, 1);
  lua_pushboolean(L, isatty(fd));
  return 1;
}

/* core.file_kind(path) -> "regular", "directory", "fifo", "char",
 * "block", "socket" or "other" (stat, without opening: opening a FIFO
 * would block, and reading it takes its data), or nil, message. */
static int l_file_kind(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  struct stat st;
  const char *k;
  if (stat(path, &st) != 0) {
    lua_pushnil(L);
    lua_pushfstring(L, "%s: %s", path, strerror(errno));
    return 2;
  }
  k = S_ISREG(st.st_mode) ? "regular" : S_ISDIR(st.st_mode) ? "directory" : S_ISFIFO(st.st_mode) ? "fifo"
    : S_ISCHR(st.st_mode) ? "char" : S_ISBLK(st.st_mode) ? "block" : S_ISSOCK(st.st_mode) ? "socket" : "other";
  lua_pushstring(L, k);
  return 1;
}

/* core.vm_run_batch(program, vars_rows, terms_rows) -> list of
 * { type =, best =, state = {...}, lets = {...} }: the batch interpreter
 * over the given rows (vars_rows[i] as program:run's vars, terms_rows[i]
 * as its terms), for tests that compare it with program:run. */
static int l_vm_run_batch(lua_State *L) {
  vm_box *box = (vm_box *)luaL_checkudata(L, 1, VM_MT);
  const cal_program *p;
  cal_vm_batch *b;
  size_t n, i, k, start;
  const size_t chunk = 7; /* a few rows per run, so that several runs are needed */
  luaL_checktype(L, 2, LUA_TTABLE);
  luaL_checktype(L, 3, LUA_TTABLE);
  if (!box->p) return luaL_error(L, "program has been freed");
  p = box->p;
  n = (size_t)lua_rawlen(L, 2);
  b = cal_vm_batch_new(p);
  if (!b) return luaL_error(L, "out of memory");
  lua_createtable(L, (int)n, 0);
  for (start = 0; start < n; start += chunk) {
    size_t m = n - start < chunk ? n - start : chunk;
    for (i = 0; i < m; i++) {
      lua_Integer t, nt;
      lua_rawgeti(L, 2, (lua_Integer)start + (lua_Integer)i + 1);
      for (k = 0; k < p->nvars; k++) {
        int isnum;
        lua_Number v;
        lua_rawgeti(L, -1, (lua_Integer)k + 1);
        v = lua_tonumberx(L, -1, &isnum);
        b->vars[k * b->cap + i] = isnum ? (double)v : NAN;
        lua_pop(L, 1);
      }
      lua_pop(L, 1);
      memset(b->terms + i * b->tw, 0, b->tw * sizeof(uint64_t));
      lua_rawgeti(L, 3, (lua_Integer)start + (lua_Integer)i + 1);
      nt = lua_istable(L, -1) ? (lua_Integer)lua_rawlen(L, -1) : 0;
      for (t = 1; t <= nt; t++) {
        lua_Integer id;
        int isnum;
        lua_rawgeti(L, -1, t);
        id = lua_tointegerx(L, -1, &isnum);
        lua_pop(L, 1);
        if (isnum && id >= 0 && id < (lua_Integer)p->term_words * 64)
          b->terms[i * b->tw + (size_t)id / 64] |= (uint64_t)1 << (id % 64);
      }
      lua_pop(L, 1);
    }
    cal_vm_run_batch(p, b, m);
    for (i = 0; i < m; i++) {
      lua_createtable(L, 0, 4);
      lua_pushinteger(L, b->type[i] + 1);
      lua_setfield(L, -2, "type");
      lua_pushnumber(L, b->best[i]);
      lua_setfield(L, -2, "best");
      lua_createtable(L, p->nrules, 0);
      for (k = 0; k < p->nrules; k++) {
        lua_pushinteger(L, cal_vm_state(b->value[k * b->cap + i]));
        lua_rawseti(L, -2, (lua_Integer)k + 1);
      }
      lua_setfield(L, -2, "state");
      lua_createtable(L, p->nlets, 0);
      for (k = 0; k < p->nlets; k++) {
        lua_pushnumber(L, b->lets[k * b->cap + i]);
        lua_rawseti(L, -2, (lua_Integer)k + 1);
      }
      lua_setfield(L, -2, "lets");
      lua_rawseti(L, -2, (lua_Integer)start + (lua_Integer)i + 1);
    }
  }
  cal_vm_batch_free(b);
  return 1;
}

/* core.stdout_error() -> nil when everything written to the C stdout (which
 * io.stdout writes through) reached it, else the reason: flushes, then
 * reads the stream's sticky error flag, so that a write that failed
 * before (a full buffer sent to a full disk) is not missed. Clears it. */
static int l_stdout_error(lua_State *L) {
  int e = 0;
  errno = 0;
  if (fflush(stdout) != 0) e = errno;
  if (!e && !ferror(stdout)) return 0;
  clearerr(stdout);
  lua_pushstring(L, e ? strerror(e) : "write error");
  return 1;
}

/* core.csv_field(s) -> s as one CSV field: the output's quoting
 * (cal_csv_quote), for the Lua writers of CSV. */
static int l_csv_field(lua_State *L) {
  size_t n;
  const char *s = luaL_checklstring(L, 1, &n);
  char *w;
  if (n > (((size_t)-1) - 2) / 2) return luaL_error(L, "core.csv_field: string too long");
  w = (char *)lua_newuserdatauv(L, 2 * n + 2, 0); /* collected with the rest */
  lua_pushlstring(L, w, cal_csv_quote(w, s, n));
  return 1;
}

/* the spelling pairs of a Lua list { { us, gb }, ... } (calcinosis.lexicon
 * spellings), pointing into the strings of that list (kept on the stack) */
#define SPELLING_MAX 64
static size_t spelling_pairs(lua_State *L, int idx, cal_spelling *pairs) {
  size_t i, n;
  luaL_checktype(L, idx, LUA_TTABLE);
  n = (size_t)lua_rawlen(L, idx);
  if (n > SPELLING_MAX) luaL_error(L, "more than %d spelling pairs", SPELLING_MAX);
  for (i = 0; i < n; i++) {
    lua_rawgeti(L, idx, (lua_Integer)i + 1);
    luaL_checktype(L, -1, LUA_TTABLE);
    lua_rawgeti(L, -1, 1);
    lua_rawgeti(L, -2, 2);
    pairs[i].us = luaL_checklstring(L, -2, &pairs[i].us_n);
    pairs[i].gb = luaL_checklstring(L, -1, &pairs[i].gb_n);
    if (pairs[i].us_n == 0 || pairs[i].gb_n == 0) luaL_error(L, "spelling pair %d: an empty form", (int)i + 1);
    lua_pop(L, 3); /* the strings stay alive in the list at idx */
  }
  return n;
}

typedef struct {
  lua_State *L;
  lua_Integer n;
} key_list;

static void push_key(void *ud, const char *s, size_t n) {
  key_list *k = (key_list *)ud;
  lua_pushlstring(k->L, s, n);
  lua_rawseti(k->L, -2, ++k->n);
}

typedef int (*key_maker)(const char *, size_t, const cal_spelling *, size_t, cal_key_emit, void *);

/* the list of keys make gives for (key, pairs) at 1, 2 */
static int push_made_keys(lua_State *L, key_maker make) {
  size_t n, np;
  const char *s = luaL_checklstring(L, 1, &n);
  cal_spelling pairs[SPELLING_MAX];
  key_list k;
  np = spelling_pairs(L, 2, pairs);
  lua_createtable(L, 6, 0);
  k.L = L, k.n = 0;
  if (make(s, n, pairs, np, push_key, &k) != 0) return luaL_error(L, "not enough memory");
  return 1;
}

/* core.spelling_variants(key, pairs) -> list (spelling.h) */
static int l_spelling_variants(lua_State *L) { return push_made_keys(L, cal_spelling_variants); }

/* core.lexicon_keys(key, pairs) -> list: every key of a base key (spelling.h) */
static int l_lexicon_keys(lua_State *L) { return push_made_keys(L, cal_lexicon_keys); }

/* core.lexicon_forms(texts, pairs) -> keys, counts: the lexicon keys
 * (cal_lexicon_keys) of the vocabulary key (cal_vocab_key) of each text
 * of the list, all in one list, and how many each text gave (0 for a
 * text whose key is empty): what calcinosis.lexicon `keys_of` gives for
 * each text with calcinosis.vocab `key`, the pairs read once. */
static int l_lexicon_forms(lua_State *L) {
  size_t np, i, nt;
  cal_spelling pairs[SPELLING_MAX];
  key_list k;
  luaL_checktype(L, 1, LUA_TTABLE);
  np = spelling_pairs(L, 2, pairs);
  nt = (size_t)lua_rawlen(L, 1);
  lua_createtable(L, (int)(2 * nt), 0); /* 3: the keys */
  lua_createtable(L, (int)nt, 0);       /* 4: the counts */
  k.L = L, k.n = 0;
  for (i = 1; i <= nt; i++) {
    size_t n, kn;
    const char *s;
    char small[2 * 256], *key = small;
    lua_Integer before = k.n;
    lua_rawgeti(L, 1, (lua_Integer)i);
    s = lua_tolstring(L, -1, &n);
    if (!s) return luaL_error(L, "texts[%d]: a string expected, got %s", (int)i, luaL_typename(L, -1));
    if (n >= 256) key = (char *)lua_newuserdatauv(L, 2 * (n + 1), 0);
    kn = cal_vocab_key(s, n, key, key + n + 1);
    lua_pushvalue(L, 3); /* push_key appends to the table on top */
    if (kn && cal_lexicon_keys(key, kn, pairs, np, push_key, &k) != 0) return luaL_error(L, "not enough memory");
    lua_settop(L, 4);
    lua_pushinteger(L, k.n - before);
    lua_rawseti(L, 4, (lua_Integer)i);
  }
  return 2;
}

/* core.number_variant(key) -> the plural or singular of its last word, or nil */
static int l_number_variant(lua_State *L) {
  size_t n, m;
  const char *s = luaL_checklstring(L, 1, &n);
  char *out;
  if (n > (((size_t)-1) - 3)) return luaL_error(L, "core.number_variant: string too long");
  out = (char *)lua_newuserdatauv(L, n + 3, 0);
  m = cal_number_variant(s, n, out);
  if (m == 0) lua_pushnil(L);
  else lua_pushlstring(L, out, m);
  return 1;
}

static const luaL_Reg core_funcs[] = {
  {"csv_field", l_csv_field},
  {"stdout_error", l_stdout_error},
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
  {"kdigo_stage", l_kdigo_stage},
  {"vm_run_batch", l_vm_run_batch},
  {"csv_open", l_csv_open},
  {"isatty", l_isatty},
  {"file_kind", l_file_kind},
  {"analyte_index", l_analyte_index},
  {"na_default", l_na_default},
  {"column_names", l_column_names},
  {"choose_dated", l_choose_dated},
  {"column_role", l_column_role},
  {"hash", l_hash},
  {"quick_hash", l_quick_hash},
  {"term_key", l_term_key},
  {"vocab_key", l_vocab_key},
  {"spelling_variants", l_spelling_variants},
  {"number_variant", l_number_variant},
  {"lexicon_keys", l_lexicon_keys},
  {"lexicon_forms", l_lexicon_forms},
  {"quantity", l_quantity},
  {NULL, NULL}
};

/* The C lists the Lua side reads, defined once (slots.h, cohort.h, vm.h,
 * derived.h, record.h). */
/* The build's revision: `git describe --always --dirty` of the checkout it
 * was built from, which the Makefile writes into a generated revision.h
 * (-DCAL_HAVE_REVISION); "" when built otherwise (not a checkout). */
#ifdef CAL_HAVE_REVISION
#include "revision.h"
#endif
#ifndef CAL_REVISION
#define CAL_REVISION ""
#endif

#define CAL_PUSH_NAME_(name, str) lua_pushinteger(L, k++); lua_setfield(L, -2, str);
static void export_constants(lua_State *L) {
  int k;
  unsigned i;
  lua_newtable(L);
  k = 0;
  CAL_SLOT_KINDS(CAL_PUSH_NAME_)
  lua_setfield(L, -2, "SLOT");
  lua_newtable(L);
  k = 0;
  CAL_COL_KINDS(CAL_PUSH_NAME_)
  lua_setfield(L, -2, "COL");
  lua_newtable(L);
  for (i = 0; i < CAL_OP_COUNT_; i++) {
    lua_pushinteger(L, (lua_Integer)i);
    lua_setfield(L, -2, cal_vm_opname(i));
  }
  lua_setfield(L, -2, "OP");
  lua_newtable(L);
  for (i = 0; i < CAL_OP_COUNT_; i++) {
    lua_createtable(L, 2, 0);
    lua_pushinteger(L, cal_vm_op_pops(i)); lua_rawseti(L, -2, 1);
    lua_pushinteger(L, cal_vm_op_pushes(i)); lua_rawseti(L, -2, 2);
    lua_setfield(L, -2, cal_vm_opname(i));
  }
  lua_setfield(L, -2, "OP_EFFECT");
  lua_pushinteger(L, CAL_VM_STACK); lua_setfield(L, -2, "VM_STACK");
  lua_createtable(L, 0, 3);
  lua_pushinteger(L, CAL_CA_COMMON); lua_setfield(L, -2, "common");
  lua_pushinteger(L, CAL_CA_PAYNE); lua_setfield(L, -2, "payne");
  lua_pushinteger(L, CAL_CA_SI); lua_setfield(L, -2, "si");
  lua_setfield(L, -2, "CA_VARIANT");
  lua_createtable(L, 0, 3);
  lua_pushinteger(L, CAL_SPECIES_HUMAN); lua_setfield(L, -2, "human");
  lua_pushinteger(L, CAL_SPECIES_DOG); lua_setfield(L, -2, "dog");
  lua_pushinteger(L, CAL_SPECIES_CAT); lua_setfield(L, -2, "cat");
  lua_setfield(L, -2, "SPECIES");
  lua_createtable(L, 0, 5);
  lua_pushinteger(L, -2); lua_setfield(L, -2, "critical_low");
  lua_pushinteger(L, -1); lua_setfield(L, -2, "low");
  lua_pushinteger(L, 0); lua_setfield(L, -2, "normal");
  lua_pushinteger(L, 1); lua_setfield(L, -2, "high");
  lua_pushinteger(L, 2); lua_setfield(L, -2, "critical_high");
  lua_setfield(L, -2, "FLAG");
  lua_pushstring(L, CAL_REVISION); lua_setfield(L, -2, "REVISION");
}
#undef CAL_PUSH_NAME_

int luaopen_calcinosis_core(lua_State *L);
int luaopen_calcinosis_core(lua_State *L) {
  luaL_newlib(L, core_funcs);
  luaL_setfuncs(L, vm_funcs, 0);
  register_vm(L);
  register_csv(L);
  lcal_open_engine(L);
  lcal_open_explain(L);
  export_constants(L);
  return 1;
}
