/*
 * explain.h - why a fired rule fired, computed by the engine: the reasons
 * of a rule (the comparisons and set tests that were true, with the actual
 * values and units, "corrected calcium 11.20 mg/dL > 10.5 mg/dL") rendered
 * from the values of its operands.
 *
 * Pure C99, no Lua. The rule compiler (lua/calcinosis/rules/compiler.lua,
 * with lua/calcinosis/rules/explain.lua) writes, besides the decision
 * program, the explanation of a ruleset in two parts:
 *
 *   - operand programs: ordinary VM programs (src/vm.h, loaded and verified
 *     by cal_vm_load) whose lets are the operands the explanations show (the
 *     two sides of each comparison, the three of `between`, the conditions
 *     of `or` and `if` that choose what is shown), no rules, and as inputs
 *     the decision program's slots followed by its let values (so operand
 *     k of program j is let k - j * CAL_VM_MAX_LETS);
 *   - templates: these bytes, read by cal_explain_load, which checks every
 *     size and index against the operand programs.
 *
 * Template bytes (little-endian, no padding):
 *
 *   header  "CALX" u32 version(=1) u32 nslots u32 nlets u32 nops
 *           u32 nrules u32 nnodes u32 nstrs u32 nterms u32 npool
 *   rules   nrules x (u32 first node, u32 node count)
 *   nodes   nnodes x (u32 kind, u32 a, u32 b, u32 c)   kinds below
 *   strs    nstrs x (u32 offset, u32 length) into the pool
 *   terms   nterms x u32 string: the name shown of each term id
 *   pool    npool bytes
 *
 * nslots and nlets are those of the decision program; every operand program
 * has nslots + nlets inputs, and nops is the sum of their lets. A rule's
 * nodes build its reasons one after another: TEXT, NUM and SET append to
 * the reason being built, END ends it (kept unless the rule already has
 * the same text), GUARD skips the c nodes after it unless operand a equals
 * b (an `or` side or an `if` branch that was not what made the rule fire).
 */
#ifndef CALCINOSIS_EXPLAIN_H
#define CALCINOSIS_EXPLAIN_H

#include <stddef.h>
#include <stdint.h>

#include "cal.h"
#include "vm.h"

CAL_HIDDEN_BEGIN

#define CAL_EXPLAIN_VERSION 1
#define CAL_EXPLAIN_HEADER_SIZE 40
#define CAL_EXPLAIN_MAX_PROGRAMS 64 /* operands: at most 64 * CAL_VM_MAX_LETS */

/* Node kinds: X(NAME, value), the one list (exported at luaopen as
 * core.EXPLAIN, which the rule compiler writes them with). */
#define CAL_EXPLAIN_NODES(X)                                                         \
  X(TEXT, 1)  /* a = string */                                                       \
  X(NUM, 2)   /* a = operand, b = 1: a whole number shown without decimals,        \
                 c = string after the value (its unit); "missing" when NaN,        \
                 then without c */                                                 \
  X(SET, 3)   /* a = set of the operand programs, b = string (kind), c = string    \
                 (tail): kind, "s" when more than one, " ", the names of the       \
                 set's present terms joined by ", ", tail */                       \
  X(END, 4)   /* the reason is complete */                                         \
  X(GUARD, 5) /* a = operand, b = wanted value (0 or 1), c = nodes skipped when    \
                 the operand is not that value */

#define CAL_EXPLAIN_ENUM_(name, value) CAL_EXPLAIN_##name = (value),
enum { CAL_EXPLAIN_NODES(CAL_EXPLAIN_ENUM_) CAL_EXPLAIN_KINDS_END_ };
#undef CAL_EXPLAIN_ENUM_

typedef struct cal_explain cal_explain;

/* The reasons of one rule: reason i is text[start[i] .. start[i + 1]). */
typedef struct {
  char *text;
  size_t len, cap;
  size_t *start; /* n + 1 entries */
  size_t n, ncap;
} cal_explain_out;

/* Reads template bytes, checked against the operand programs progs[0 ..
 * nprogs) (made by cal_vm_load, in operand order; they must outlive the
 * result). Returns NULL with a message in err on any problem (never reads
 * outside [bytes, bytes + len)). Free with cal_explain_free. */
cal_explain *cal_explain_load(const void *bytes, size_t len, const cal_program *const *progs, size_t nprogs,
                              char *err, size_t errlen);
void cal_explain_free(cal_explain *x);

size_t cal_explain_nrules(const cal_explain *x);
size_t cal_explain_nslots(const cal_explain *x);
size_t cal_explain_nlets(const cal_explain *x);
size_t cal_explain_nops(const cal_explain *x);

/* Computes every operand of one patient into ops (nops doubles): vars are
 * the decision program's input slots (nslots), lets its let values (nlets),
 * terms its present terms (at least the programs' term_words words).
 * in (nslots + nlets doubles) and res are scratch. Allocates nothing. */
void cal_explain_operands(const cal_explain *x, const double *vars, const double *lets, const uint64_t *terms,
                          double *in, cal_vm_result *res, double *ops);

/* The reasons of rule `rule` (< nrules; it fired) from the operands and the
 * present terms, into out (emptied first; its buffers grow as needed).
 * Returns 0, or -1 when out of memory. */
int cal_explain_rule(const cal_explain *x, size_t rule, const double *ops, const uint64_t *terms,
                     cal_explain_out *out);

void cal_explain_out_free(cal_explain_out *out);

CAL_HIDDEN_END

#endif
