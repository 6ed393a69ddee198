/*
 * lcal.h - what the binding files (lcal*.c, the only files that include Lua
 * headers) share: argument and field checks in one place (as luaposix's
 * _helpers.c), and the program userdata.
 */
#ifndef CALCINOSIS_LCAL_H
#define CALCINOSIS_LCAL_H

#include <stddef.h>

#include "cal.h"
#include "compat.h"
#include "ndjson.h"
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

/* A growable byte buffer (no allocation per record once it is big enough;
 * freed by its owner with free(p)). */
typedef struct {
  char *p;
  size_t len, cap;
} lcal_buf;

/* lcal_patient.c: the NDJSON text of the patient table at idx, in j (what
 * plan:patient_json returns); the patient table at idx read into the
 * fields of j as that text would be (see ndjson.h; the values read stay on
 * the stack: the caller resets the top once the record is read). */
void lcal_patient_json(lua_State *L, lcal_buf *j, int idx);
/* given (a stack index, or 0): the first of LCAL_GIVEN_SLOTS slots the
 * caller reserved, where the reader puts, for each analyte a whose lab it
 * read (the first key in the order it reads them, sorted), the key at
 * given + 3a and the value as given at given + 3a + 1: the value itself,
 * or for a table its value (.value or [1]) with its unit (.unit or [2]) at
 * given + 3a + 2; given_set[a] is set to 1 (the caller clears it). */
#define LCAL_GIVEN_SLOTS (3 * CAL_REC_MAX_ANALYTES)
void lcal_read_patient(lua_State *L, cal_ndjson *j, int idx, int given, unsigned char *given_set);
/* An integer as text; its length. */
size_t lcal_int_text(char *buf, long long x);

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
