/*
 * lcal.h - what the binding files (lcal*.c, the only files that include Lua
 * headers) share: argument and field checks in one place (as luaposix's
 * _helpers.c), and the program userdata.
 */
#ifndef CALCINOSIS_LCAL_H
#define CALCINOSIS_LCAL_H

#include "cal.h"
#include "compat.h"
#include "vm.h"
#include "explain.h"

CAL_HIDDEN_BEGIN

/* Raises "<what>: unknown key 'k' (did you mean 'x'?)" for a string key of
 * the table at t not in `allowed` (NULL-terminated), or a key that is not a
 * string. */
void lcal_check_keys(lua_State *L, int t, const char *const *allowed, const char *what);

/* Fields of the table at t; nil gives the default (NaN for numbers, NULL for
 * strings); a value of the wrong type raises, naming the field. */
int lcal_field_int(lua_State *L, int t, const char *k, int dflt);
double lcal_field_num(lua_State *L, int t, const char *k);
const char *lcal_field_str(lua_State *L, int t, const char *k);
int lcal_field_bool(lua_State *L, int t, const char *k, int dflt);

/* The program of the "calcinosis.program" userdata at i (raises, naming
 * `what`, when it is not one). */
const cal_program *lcal_check_program(lua_State *L, int i, const char *what);

/* Registers core.plan and the plan and rows metatables (lcal_engine.c). */
void lcal_open_engine(lua_State *L);

/* Registers core.explainer, core.EXPLAIN and the explainer metatable (lcal_explain.c). */
void lcal_open_explain(lua_State *L);

/* The templates of the "calcinosis.explainer" userdata at i (a ruleset's
 * `explainer`), for a binding that renders reasons in C (raises, naming
 * `what`, when it is not one). The userdata keeps its operand programs. */
const cal_explain *lcal_check_explainer(lua_State *L, int i, const char *what);

CAL_HIDDEN_END

#endif
