/*
 * lcal_explain.c - the binding of src/explain.c: core.explainer(templates,
 * programs) and explainer:reasons(vars, lets, terms, states), the reasons
 * of the rules that fired (lua/calcinosis/result.lua shows them as `why`).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "explain.h"
#include "lcal.h"

#define EXPLAINER_MT "calcinosis.explainer"

/* The templates plus the scratch a patient's reasons are rendered in:
 * userdata whose user value is the list of operand programs (kept alive). */
typedef struct {
  cal_explain *x;
  cal_explain_out out;
  cal_vm_result res;
  uint64_t terms[CAL_VM_MAX_TERM_WORDS];
  double *in, *ops, *vars, *lets;
} explainer_box;

static explainer_box *check_explainer(lua_State *L) {
  explainer_box *b = (explainer_box *)luaL_checkudata(L, 1, EXPLAINER_MT);
  if (!b->x) luaL_error(L, "explainer has been freed");
  return b;
}

const cal_explain *lcal_check_explainer(lua_State *L, int i, const char *what) {
  explainer_box *b = (explainer_box *)luaL_testudata(L, i, EXPLAINER_MT);
  if (!b) { luaL_error(L, "%s must be an explainer (calcinosis.explainer)", what); return NULL; } /* (does not return) */
  if (!b->x) luaL_error(L, "%s has been freed", what);
  return b->x;
}

static int explainer_gc(lua_State *L) {
  explainer_box *b = (explainer_box *)luaL_checkudata(L, 1, EXPLAINER_MT);
  cal_explain_free(b->x);
  b->x = NULL;
  cal_explain_out_free(&b->out);
  free(b->in);
  b->in = NULL;
  return 0;
}

/* core.explainer(templates, { program, ... }) -> explainer | nil, message */
static int l_explainer(lua_State *L) {
  size_t len, n, k, nin, nops;
  const char *s = luaL_checklstring(L, 1, &len);
  const cal_program *progs[CAL_EXPLAIN_MAX_PROGRAMS];
  char err[256];
  explainer_box *b;
  cal_explain *x;
  luaL_checktype(L, 2, LUA_TTABLE);
  n = (size_t)lua_rawlen(L, 2);
  if (n > CAL_EXPLAIN_MAX_PROGRAMS) return luaL_error(L, "explainer: at most %d operand programs", CAL_EXPLAIN_MAX_PROGRAMS);
  for (k = 0; k < n; k++) {
    lua_rawgeti(L, 2, (lua_Integer)k + 1);
    progs[k] = lcal_check_program(L, -1, "explainer: an operand program");
    lua_pop(L, 1);
  }
  x = cal_explain_load(s, len, progs, n, err, sizeof err);
  if (!x) {
    lua_pushnil(L);
    lua_pushstring(L, err);
    return 2;
  }
  b = (explainer_box *)lua_newuserdatauv(L, sizeof *b, 1);
  memset(b, 0, sizeof *b);
  b->x = x;
  luaL_setmetatable(L, EXPLAINER_MT);
  nin = cal_explain_nslots(x) + cal_explain_nlets(x);
  nops = cal_explain_nops(x);
  /* in, ops, then the vars and lets read from Lua (each at least 1) */
  b->in = (double *)malloc((nin + 1 + nops + 1 + nin + 1) * sizeof(double));
  if (!b->in) return luaL_error(L, "out of memory");
  b->ops = b->in + nin + 1;
  b->vars = b->ops + nops + 1;
  b->lets = b->vars + cal_explain_nslots(x);
  lua_pushvalue(L, 2);
  lua_setiuservalue(L, -2, 1);
  return 1;
}

static void read_doubles(lua_State *L, int t, double *v, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) {
    int isnum;
    lua_Number d;
    lua_rawgeti(L, t, (lua_Integer)i + 1);
    d = lua_tonumberx(L, -1, &isnum);
    v[i] = isnum ? (double)d : NAN;
    lua_pop(L, 1);
  }
}

/* explainer:reasons(vars, lets, terms, states) -> { [rule] = { reason, ... } }
 * vars: the decision program's slot values (1-based; nil or NaN missing);
 * lets: its let values; terms: the present term ids (0-based); states: the
 * rule states (1 = fired). Only the rules that fired have an entry. */
static int explainer_reasons(lua_State *L) {
  explainer_box *b = check_explainer(L);
  size_t nr = cal_explain_nrules(b->x), r, i;
  lua_Integer n, k;
  int ops_done = 0;
  luaL_checktype(L, 2, LUA_TTABLE);
  luaL_checktype(L, 3, LUA_TTABLE);
  luaL_checktype(L, 4, LUA_TTABLE);
  luaL_checktype(L, 5, LUA_TTABLE);
  lua_newtable(L);
  for (r = 0; r < nr; r++) {
    lua_rawgeti(L, 5, (lua_Integer)r + 1);
    k = lua_tointeger(L, -1);
    lua_pop(L, 1);
    if (k != 1) continue;
    if (!ops_done) {
      read_doubles(L, 2, b->vars, cal_explain_nslots(b->x));
      read_doubles(L, 3, b->lets, cal_explain_nlets(b->x));
      memset(b->terms, 0, sizeof b->terms);
      n = (lua_Integer)lua_rawlen(L, 4);
      for (k = 1; k <= n; k++) {
        int isnum;
        lua_Integer t;
        lua_rawgeti(L, 4, k);
        t = lua_tointegerx(L, -1, &isnum);
        lua_pop(L, 1);
        if (isnum && t >= 0 && t < (lua_Integer)CAL_VM_MAX_TERM_WORDS * 64) b->terms[t / 64] |= (uint64_t)1 << (t % 64);
      }
      cal_explain_operands(b->x, b->vars, b->lets, b->terms, b->in, &b->res, b->ops);
      ops_done = 1;
    }
    if (cal_explain_rule(b->x, r, b->ops, b->terms, &b->out) < 0) return luaL_error(L, "out of memory");
    lua_createtable(L, (int)b->out.n, 0);
    for (i = 0; i < b->out.n; i++) {
      lua_pushlstring(L, b->out.text + b->out.start[i], b->out.start[i + 1] - b->out.start[i]);
      lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_rawseti(L, -2, (lua_Integer)r + 1);
  }
  return 1;
}

static const luaL_Reg explainer_methods[] = {
  {"reasons", explainer_reasons},
  {NULL, NULL}
};

void lcal_open_explain(lua_State *L) {
  if (luaL_newmetatable(L, EXPLAINER_MT)) {
    lua_newtable(L);
    luaL_setfuncs(L, explainer_methods, 0);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, explainer_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_pop(L, 1);
  lua_pushcfunction(L, l_explainer);
  lua_setfield(L, -2, "explainer");
#define CAL_PUSH_KIND_(name, value) lua_pushinteger(L, value); lua_setfield(L, -2, #name);
  lua_createtable(L, 0, 5);
  CAL_EXPLAIN_NODES(CAL_PUSH_KIND_)
#undef CAL_PUSH_KIND_
  lua_pushinteger(L, CAL_EXPLAIN_VERSION); lua_setfield(L, -2, "VERSION");
  lua_pushinteger(L, CAL_VM_MAX_LETS); lua_setfield(L, -2, "OPS_PER_PROGRAM");
  lua_setfield(L, -2, "EXPLAIN");
}
