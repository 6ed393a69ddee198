/*
 * vm.h - the calcinosis rule VM: program format, verifier and interpreter.
 *
 * Pure C99, no Lua. A program is produced by the rule compiler
 * (lua/calcinosis/rules/compiler.lua) as a little-endian byte string, loaded
 * with cal_vm_load (which copies it into one aligned allocation and checks
 * every size and index), verified with cal_vm_verify, then run any number of
 * times with cal_vm_run, which allocates nothing and trusts the program.
 *
 * Values are doubles. A number that is NaN is missing; a truth value is 1
 * (true), 0 (false) or NaN (unknown); any other non-NaN number counts as true.
 * Logic is Kleene's three-valued logic.
 *
 * Byte format (all little-endian, no padding):
 *
 *   header  "CALV" u16 version(=1) u16 flags(=0)
 *           u16 nvars u16 nlets u16 nconsts u16 nsets u16 term_words
 *           u16 nrules u16 nsubtypes u16 tie_policy u32 ncode
 *           f64 indeterminate_at_most u32 nmeta
 *   consts  nconsts x f64
 *   sets    nsets x term_words x u64   (bitsets over term ids)
 *   code    ncode x u32                (op = low 8 bits, arg = high 24 bits)
 *   lets    nlets x (u32 start, u32 len)
 *   rules   nrules x (u32 start, u32 len, u16 subtype, f64 weight)
 *   meta    nmeta bytes                (ignored by the VM; part of the hash)
 *
 * The meta bytes written by the rule compiler are records separated by 0x1e,
 * each of fields separated by 0x1f, the first field naming the record:
 *   name <ruleset name>          version <version>
 *   subtype <name>  (one per subtype, in index order = tie order)
 *   label <type when indeterminate>
 *   slot <kind> <name>   (one per input slot, in slot order; kind is value,
 *                         age, ckd_stage, sex (name female/male: 1/0) or
 *                         flag (-2 critical low, -1 low, 0 normal, 1 high,
 *                         2 critical high))
 *   term <finding|site> <term>   (one per term id, in id order)
 *   let <name> <unit> <expression>   (in let order)
 *   rule <id> <subtype> <condition> <sentence> <source>   (in rule order)
 * Values of slots are in the canonical unit of the analyte (see
 * calcinosis.analyte; age in years), NaN when missing.
 *
 * Each let or rule is a block of code that leaves exactly one value and ends
 * with RET. Lets run first, in order; let i may read lets 0..i-1, rules may
 * read every let. Jumps (ANDJ, ORJ) are forward only and stay inside their
 * block, so every block terminates in at most len steps.
 */
#ifndef CALCINOSIS_VM_H
#define CALCINOSIS_VM_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cal.h"

/* Internal to the module: not exported from the shared library, so calls
 * between the C files are direct. */
#if defined(__GNUC__) && !defined(_WIN32)
#pragma GCC visibility push(hidden)
#endif

#define CAL_VM_VERSION 1
#define CAL_VM_STACK 64          /* max operand stack depth */
#define CAL_VM_MAX_RULES 1024
#define CAL_VM_MAX_LETS 256
#define CAL_VM_MAX_SUBTYPES 16
#define CAL_VM_MAX_TERM_WORDS 16 /* up to 1024 distinct terms */
#define CAL_VM_MAX_CODE 1000000
#define CAL_VM_HEADER_SIZE 40

/* Rule states in cal_vm_result.state. */
#define CAL_FALSE 0
#define CAL_TRUE 1
#define CAL_UNKNOWN 2

/* Tie policies. */
#define CAL_TIE_ORDER 0        /* tie goes to the first subtype in order */
#define CAL_TIE_INDETERMINATE 1 /* a tie for the top score is indeterminate */

/* type = CAL_INDETERMINATE when no subtype wins. */
#define CAL_INDETERMINATE (-1)

/* Opcodes: X(NAME, pops, pushes), the one list (ORDER OP): the enum, the
 * names, the stack effects the verifier checks, and (exported at luaopen
 * as core.OP and core.OP_EFFECT) the compiler's opcodes come from it. */
#define CAL_VM_OPS(X)                                                              \
  X(CONST, 0, 1) /* arg = const index */                                           \
  X(VAR, 0, 1)   /* arg = input slot */                                            \
  X(LET, 0, 1)   /* arg = let index */                                             \
  X(COUNT, 0, 1) /* arg = set index: number of terms present in the set */         \
  X(ISNUM, 1, 1) /* 1 if not NaN else 0 */                                         \
  X(NOT, 1, 1)   /* Kleene not */                                                  \
  X(NEG, 1, 1)                                                                     \
  X(ABS, 1, 1)                                                                     \
  X(ADD, 2, 1)                                                                     \
  X(SUB, 2, 1)                                                                     \
  X(MUL, 2, 1)                                                                     \
  X(DIV, 2, 1)                                                                     \
  X(POW, 2, 1)                                                                     \
  X(MIN, 2, 1)   /* NaN if either is NaN */                                        \
  X(MAX, 2, 1)                                                                     \
  X(LT, 2, 1)    /* NaN (unknown) if either is NaN, else 0/1 */                    \
  X(LE, 2, 1)                                                                      \
  X(GT, 2, 1)                                                                      \
  X(GE, 2, 1)                                                                      \
  X(EQ, 2, 1)                                                                      \
  X(NE, 2, 1)                                                                      \
  X(AND, 2, 1)   /* Kleene and */                                                  \
  X(OR, 2, 1)    /* Kleene or */                                                   \
  X(SEL, 3, 1)   /* c a b -> if c then a else b; unknown c gives a when a == b, else NaN */ \
  X(ANDJ, 1, 1)  /* arg = target: if top is false jump (top stays) */              \
  X(ORJ, 1, 1)   /* arg = target: if top is true jump (top stays) */               \
  X(RET, 1, 0)   /* end of block; depth must be exactly 1 */

#define CAL_OP_ENUM_(name, pops, pushes) CAL_OP_##name,
typedef enum { CAL_VM_OPS(CAL_OP_ENUM_) CAL_OP_COUNT_ /* number of opcodes */ } cal_op;
#undef CAL_OP_ENUM_

#define CAL_INSTR(op, arg) ((uint32_t)(op) | ((uint32_t)(arg) << 8))
#define CAL_INSTR_OP(i) ((i) & 0xffu)
#define CAL_INSTR_ARG(i) ((i) >> 8)

typedef struct {
  uint32_t start, len;
} cal_block;

typedef struct {
  uint32_t start, len;
  uint16_t subtype;
  double weight;
} cal_rule;

typedef struct {
  uint16_t nvars, nlets, nconsts, nsets, term_words, nrules, nsubtypes;
  uint16_t tie_policy;
  uint32_t ncode, nmeta;
  double indeterminate_at_most; /* type is indeterminate when best <= this */
  const double *consts;
  const uint64_t *sets;         /* nsets * term_words words */
  const uint32_t *code;
  const cal_block *lets;
  const cal_rule *rules;
  const unsigned char *meta;
  uint64_t hash;                /* FNV-1a 64 of the loaded bytes (0 if built by hand) */
  /* Built by cal_vm_load after verification: the same code with common
   * sequences fused and constants inlined (see vm.c, "fast code"), which is
   * what cal_vm_run executes. cal_vm_load is the only way to make a
   * runnable program. */
  const void *fast;
  const uint32_t *fast_start;   /* nlets + nrules entry points into fast */
  const unsigned char *fast_batch; /* per block: 1 when it can run in batches */
  const double *fast_pow;       /* k ^ 0..255 for each FX_KARITH with POW (see vm.c) */
} cal_program;

typedef struct {
  int type;                               /* subtype index or CAL_INDETERMINATE */
  double best;                            /* winning score (0 if indeterminate) */
  double score[CAL_VM_MAX_SUBTYPES];
  double lets[CAL_VM_MAX_LETS];           /* value of every let (NaN = missing) */
  unsigned char state[CAL_VM_MAX_RULES];  /* CAL_FALSE / CAL_TRUE / CAL_UNKNOWN */
} cal_vm_result;

/* FNV-1a 64 over bytes, continuing from h (start with CAL_FNV_OFFSET). */
#define CAL_FNV_OFFSET 0xcbf29ce484222325ULL
uint64_t cal_fnv1a64(uint64_t h, const void *bytes, size_t len);

/* Decode a program from bytes into one malloc'd block (free with
 * cal_vm_free), then verify it. Returns NULL and writes a message to err
 * on any problem. Never reads outside [bytes, bytes+len). */
cal_program *cal_vm_load(const void *bytes, size_t len, char *err, size_t errlen);

/* The message of a rejected load (fmt, as printf) into err (errlen bytes,
 * none when err is NULL); returns 0. Shared by the loaders of verified
 * bytes (cal_vm_load, cal_explain_load). */
int cal_vm_fail(char *err, size_t errlen, const char *fmt, ...) CAL_PRINTF(3, 4);
void cal_vm_free(cal_program *p);

/* Check everything the interpreter relies on: counts within limits, opcodes,
 * operand indices, jump targets (forward, inside the block), stack depth,
 * block bounds and RET, rule subtypes and weights. Returns 1 if the program
 * is safe to run, else 0 with a message in err. Allocates a scratch array. */
int cal_vm_verify(const cal_program *p, char *err, size_t errlen);

/* Run a program made by cal_vm_load on one patient. vars has p->nvars doubles (NaN =
 * missing); terms has p->term_words words (bit t set = term t present).
 * Fills *out. No allocation; returns out->type. */
int cal_vm_run(const cal_program *p, const double *vars, const uint64_t *terms,
               cal_vm_result *out);

/* Batches: the program run over CAL_VM_BATCH patients at a time, one
 * instruction over all of them before the next (much less dispatch per
 * patient, and loops the compiler vectorizes). The caller fills vars
 * (column per slot: vars[slot * cap + row]) and terms (row by row:
 * terms[row * tw + word]), calls cal_vm_run_batch, and reads type, best,
 * the value of each rule (value[rule * cap + row], whose state
 * cal_vm_state gives; fired has the rules that fired as bits), score and
 * lets (lets[let * cap + row]). Same results as cal_vm_run for every row. */
#define CAL_VM_BATCH 256
#define CAL_VM_FIRED_BITS 52  /* rules per word of fired bits (summed exactly as doubles) */

/* A memo of pow(a, b) by the bits of a and b, for the batch kernels: a
 * cohort repeats a few bases and exponents (eGFR: creatinine / 0.7 or 0.9,
 * to a constant power), and a lookup costs a tenth of a call. Direct-mapped;
 * an entry holds a, b and pow(a, b) as computed (every entry starts as
 * 0 ^ 0 = 1), so a hit gives the bits a call gives. */
#define CAL_VM_POW_MEMO_BITS 13
#define CAL_VM_POW_MEMO (1u << CAL_VM_POW_MEMO_BITS) /* entries */
typedef struct {
  uint64_t a, b; /* the bits of the arguments */
  double r;      /* pow(a, b) */
} cal_vm_pow_entry;

/* Sets every entry to 0 ^ 0 = 1. */
static inline void cal_vm_pow_memo_init(cal_vm_pow_entry *m) {
  size_t i;
  for (i = 0; i < CAL_VM_POW_MEMO; i++) { m[i].a = 0; m[i].b = 0; m[i].r = 1.0; }
}

/* pow(a, b), the same bits, from the memo m when it holds a and b. */
static inline double cal_vm_pow_memo(cal_vm_pow_entry *m, double a, double b) {
  uint64_t ua, ub, h;
  cal_vm_pow_entry *e;
  memcpy(&ua, &a, sizeof ua);
  memcpy(&ub, &b, sizeof ub);
  h = (ua ^ (ub * 0x9e3779b97f4a7c15ULL)) * 0xff51afd7ed558ccdULL;
  e = &m[h >> (64 - CAL_VM_POW_MEMO_BITS)];
  if (e->a != ua || e->b != ub) {
    e->a = ua;
    e->b = ub;
    e->r = pow(a, b);
  }
  return e->r;
}

typedef struct {
  size_t cap, tw;           /* rows (always CAL_VM_BATCH); term words per row (>= 1) */
  double *vars;             /* nvars columns */
  uint64_t *terms;          /* cap rows of tw words */
  double *lets;             /* nlets columns */
  double *value;            /* nrules columns: the value of each rule's condition */
  uint64_t *fired;          /* per CAL_VM_FIRED_BITS rules, a column of words: bit
                               r % CAL_VM_FIRED_BITS of fired[(r / CAL_VM_FIRED_BITS)
                               * cap + row] is set when rule r fired */
  double *score;            /* nsubtypes columns */
  int *type;                /* per row: subtype or CAL_INDETERMINATE */
  double *best;             /* per row */
  double *stack;            /* scratch */
  double *row_vars, *row_lets; /* scratch for blocks run row by row */
  cal_vm_pow_entry *pow_memo;  /* CAL_VM_POW_MEMO entries */
} cal_vm_batch;

/* Allocates the buffers of a batch for a program, zeroed. */
cal_vm_batch *cal_vm_batch_new(const cal_program *p);
void cal_vm_batch_free(cal_vm_batch *b);
/* The state of a rule's value: CAL_TRUE, CAL_FALSE or CAL_UNKNOWN (NaN). */
#define cal_vm_state(v) ((v) != (v) ? CAL_UNKNOWN : (v) != 0 ? CAL_TRUE : CAL_FALSE)

/* Runs the first n rows (n <= cap); type and best are set for those rows
 * only. The other columns are computed for every row, so rows past n must
 * hold defined values (what an earlier batch left, or the initial zeros).
 * Allocates nothing. */
void cal_vm_run_batch(const cal_program *p, cal_vm_batch *b, size_t n);
/* The same, always built for the processor baseline (on x86-64 with GCC
 * or Clang cal_vm_run_batch runs an AVX2 build where the processor has
 * AVX2); for the tests, which check that the two give the same bits. */
void cal_vm_run_batch_baseline(const cal_program *p, cal_vm_batch *b, size_t n);

/* Name of an opcode (for disassembly), or "?"; its stack effect (0 for an
 * unknown opcode). */
const char *cal_vm_opname(unsigned op);
int cal_vm_op_pops(unsigned op);
int cal_vm_op_pushes(unsigned op);

#if defined(__GNUC__) && !defined(_WIN32)
#pragma GCC visibility pop
#endif
#endif
