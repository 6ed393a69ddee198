/*
 * vm.c - rule VM: loader, verifier, interpreter. See vm.h for the format.
 */
#include "vm.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OP_NAME_(name, pops, pushes) #name,
#define OP_POPS_(name, pops, pushes) pops,
#define OP_PUSHES_(name, pops, pushes) pushes,
static const char *const opnames[CAL_OP_COUNT_] = {CAL_VM_OPS(OP_NAME_)};
/* pops and pushes of each opcode */
static const unsigned char op_pops[CAL_OP_COUNT_] = {CAL_VM_OPS(OP_POPS_)};
static const unsigned char op_pushes[CAL_OP_COUNT_] = {CAL_VM_OPS(OP_PUSHES_)};
#undef OP_NAME_
#undef OP_POPS_
#undef OP_PUSHES_

const char *cal_vm_opname(unsigned op) {
  return op < CAL_OP_COUNT_ ? opnames[op] : "?";
}

int cal_vm_op_pops(unsigned op) { return op < CAL_OP_COUNT_ ? op_pops[op] : 0; }
int cal_vm_op_pushes(unsigned op) { return op < CAL_OP_COUNT_ ? op_pushes[op] : 0; }

uint64_t cal_fnv1a64(uint64_t h, const void *bytes, size_t len) {
  const unsigned char *b = (const unsigned char *)bytes;
  size_t i;
  for (i = 0; i < len; i++) {
    h ^= b[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

int cal_vm_fail(char *err, size_t errlen, const char *fmt, ...) {
  if (err && errlen > 0) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
  }
  return 0;
}

/* ---- little-endian readers over a bounded buffer ---- */

typedef struct {
  const unsigned char *b;
  size_t len, pos;
} reader;

static int rd_has(const reader *r, size_t n) { return r->len - r->pos >= n; }

static uint16_t rd_u16(reader *r) {
  const unsigned char *b = r->b + r->pos;
  r->pos += 2;
  return (uint16_t)(b[0] | (b[1] << 8));
}

static uint32_t rd_u32(reader *r) {
  const unsigned char *b = r->b + r->pos;
  r->pos += 4;
  return (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) |
         ((uint32_t)b[3] << 24);
}

static uint64_t rd_u64(reader *r) {
  uint64_t lo = rd_u32(r);
  uint64_t hi = rd_u32(r);
  return lo | (hi << 32);
}

static double rd_f64(reader *r) {
  uint64_t u = rd_u64(r);
  double d;
  memcpy(&d, &u, sizeof d);
  return d;
}

static size_t align8(size_t n) { return (n + 7u) & ~(size_t)7u; }

static int build_fast(cal_program *p);

cal_program *cal_vm_load(const void *bytes, size_t len, char *err, size_t errlen) {
  reader r;
  cal_program h, *p;
  size_t need, off_consts, off_sets, off_code, off_lets, off_rules, off_meta, total;
  unsigned char *mem;
  uint32_t i;
  uint16_t version;

  memset(&h, 0, sizeof h);
  r.b = (const unsigned char *)bytes;
  r.len = bytes ? len : 0;
  r.pos = 0;
  if (!rd_has(&r, CAL_VM_HEADER_SIZE)) {
    cal_vm_fail(err, errlen, "program too short for a header (%lu bytes)", (unsigned long)len);
    return NULL;
  }
  if (memcmp(r.b, "CALV", 4) != 0) {
    cal_vm_fail(err, errlen, "bad program magic");
    return NULL;
  }
  r.pos = 4;
  version = rd_u16(&r);
  if (version != CAL_VM_VERSION) {
    cal_vm_fail(err, errlen, "unsupported program version %u", (unsigned)version);
    return NULL;
  }
  if (rd_u16(&r) != 0) {
    cal_vm_fail(err, errlen, "unknown program flags");
    return NULL;
  }
  h.nvars = rd_u16(&r);
  h.nlets = rd_u16(&r);
  h.nconsts = rd_u16(&r);
  h.nsets = rd_u16(&r);
  h.term_words = rd_u16(&r);
  h.nrules = rd_u16(&r);
  h.nsubtypes = rd_u16(&r);
  h.tie_policy = rd_u16(&r);
  h.ncode = rd_u32(&r);
  h.indeterminate_at_most = rd_f64(&r);
  h.nmeta = rd_u32(&r);
  /* limits first, so that the sizes below cannot overflow */
  if (h.nlets > CAL_VM_MAX_LETS || h.nrules > CAL_VM_MAX_RULES ||
      h.nsubtypes > CAL_VM_MAX_SUBTYPES || h.term_words > CAL_VM_MAX_TERM_WORDS ||
      h.ncode > CAL_VM_MAX_CODE) {
    cal_vm_fail(err, errlen, "program exceeds a limit (lets %u, rules %u, subtypes %u, term words %u, code %lu)",
         (unsigned)h.nlets, (unsigned)h.nrules, (unsigned)h.nsubtypes,
         (unsigned)h.term_words, (unsigned long)h.ncode);
    return NULL;
  }
  need = (size_t)h.nconsts * 8 + (size_t)h.nsets * h.term_words * 8 + (size_t)h.ncode * 4 +
         (size_t)h.nlets * 8 + (size_t)h.nrules * 18 + (size_t)h.nmeta;
  if (len - CAL_VM_HEADER_SIZE != need) {
    cal_vm_fail(err, errlen, "program size %lu does not match its header (expected %lu)",
         (unsigned long)len, (unsigned long)(need + CAL_VM_HEADER_SIZE));
    return NULL;
  }
  off_consts = align8(sizeof(cal_program));
  off_sets = off_consts + (size_t)h.nconsts * sizeof(double);
  off_code = off_sets + (size_t)h.nsets * h.term_words * sizeof(uint64_t);
  off_lets = align8(off_code + (size_t)h.ncode * sizeof(uint32_t));
  off_rules = align8(off_lets + (size_t)h.nlets * sizeof(cal_block));
  off_meta = off_rules + (size_t)h.nrules * sizeof(cal_rule);
  total = off_meta + h.nmeta + 1;
  mem = (unsigned char *)malloc(total);
  if (!mem) {
    cal_vm_fail(err, errlen, "out of memory loading a program");
    return NULL;
  }
  p = (cal_program *)(void *)mem;
  *p = h;
  {
    double *consts = (double *)(void *)(mem + off_consts);
    uint64_t *sets = (uint64_t *)(void *)(mem + off_sets);
    uint32_t *code = (uint32_t *)(void *)(mem + off_code);
    cal_block *lets = (cal_block *)(void *)(mem + off_lets);
    cal_rule *rules = (cal_rule *)(void *)(mem + off_rules);
    unsigned char *meta = mem + off_meta;
    size_t nwords = (size_t)h.nsets * h.term_words;
    for (i = 0; i < h.nconsts; i++) consts[i] = rd_f64(&r);
    for (i = 0; i < nwords; i++) sets[i] = rd_u64(&r);
    for (i = 0; i < h.ncode; i++) code[i] = rd_u32(&r);
    for (i = 0; i < h.nlets; i++) {
      lets[i].start = rd_u32(&r);
      lets[i].len = rd_u32(&r);
    }
    for (i = 0; i < h.nrules; i++) {
      rules[i].start = rd_u32(&r);
      rules[i].len = rd_u32(&r);
      rules[i].subtype = rd_u16(&r);
      rules[i].weight = rd_f64(&r);
    }
    memcpy(meta, r.b + r.pos, h.nmeta);
    meta[h.nmeta] = 0;
    p->consts = consts;
    p->sets = sets;
    p->code = code;
    p->lets = lets;
    p->rules = rules;
    p->meta = meta;
  }
  p->hash = cal_fnv1a64(CAL_FNV_OFFSET, bytes, len);
  p->fast = NULL;
  p->fast_start = NULL;
  p->fast_batch = NULL;
  p->fast_pow = NULL;
  if (!cal_vm_verify(p, err, errlen)) {
    free(mem);
    return NULL;
  }
  if (!build_fast(p)) {
    free(mem);
    cal_vm_fail(err, errlen, "out of memory loading a program");
    return NULL;
  }
  return p;
}

void cal_vm_free(cal_program *p) {
  if (p) {
    free((void *)p->fast);
    free((void *)p->fast_start);
    free((void *)p->fast_batch);
    free((void *)p->fast_pow);
  }
  free(p);
}

/* Verify one block of code. depth_at is scratch of p->ncode shorts where
 * jumps record the depth expected at their target (-1 = none yet). */
static int verify_block(const cal_program *p, const char *kind, unsigned idx,
                        uint32_t start, uint32_t len, unsigned max_let,
                        short *depth_at, char *err, size_t errlen) {
  uint32_t pc, end;
  int depth = 0;
  if (len == 0 || start > p->ncode || len > p->ncode - start)
    return cal_vm_fail(err, errlen, "%s %u: code range [%lu, +%lu) outside the code (%lu)", kind, idx,
                (unsigned long)start, (unsigned long)len, (unsigned long)p->ncode);
  end = start + len;
  for (pc = start; pc < end; pc++) depth_at[pc] = -1;
  for (pc = start; pc < end; pc++) {
    uint32_t ins = p->code[pc];
    unsigned op = CAL_INSTR_OP(ins);
    uint32_t arg = CAL_INSTR_ARG(ins);
    if (op >= CAL_OP_COUNT_)
      return cal_vm_fail(err, errlen, "%s %u, pc %lu: bad opcode %u", kind, idx, (unsigned long)pc, op);
    if (depth_at[pc] >= 0 && depth_at[pc] != depth)
      return cal_vm_fail(err, errlen, "%s %u, pc %lu: stack depth %d here but %d from a jump", kind, idx,
                  (unsigned long)pc, depth, (int)depth_at[pc]);
    switch (op) {
      case CAL_OP_CONST:
        if (arg >= p->nconsts)
          return cal_vm_fail(err, errlen, "%s %u, pc %lu: constant %lu out of range (%u)", kind, idx,
                      (unsigned long)pc, (unsigned long)arg, (unsigned)p->nconsts);
        break;
      case CAL_OP_VAR:
        if (arg >= p->nvars)
          return cal_vm_fail(err, errlen, "%s %u, pc %lu: slot %lu out of range (%u)", kind, idx,
                      (unsigned long)pc, (unsigned long)arg, (unsigned)p->nvars);
        break;
      case CAL_OP_LET:
        if (arg >= max_let)
          return cal_vm_fail(err, errlen, "%s %u, pc %lu: let %lu not available here (%u)", kind, idx,
                      (unsigned long)pc, (unsigned long)arg, max_let);
        break;
      case CAL_OP_COUNT:
        if (arg >= p->nsets)
          return cal_vm_fail(err, errlen, "%s %u, pc %lu: set %lu out of range (%u)", kind, idx,
                      (unsigned long)pc, (unsigned long)arg, (unsigned)p->nsets);
        break;
      case CAL_OP_ANDJ:
      case CAL_OP_ORJ:
        if (arg <= pc || arg >= end)
          return cal_vm_fail(err, errlen, "%s %u, pc %lu: jump target %lu not forward inside the block", kind,
                      idx, (unsigned long)pc, (unsigned long)arg);
        break;
      case CAL_OP_RET:
        if (pc != end - 1)
          return cal_vm_fail(err, errlen, "%s %u, pc %lu: RET before the end of the block", kind, idx,
                      (unsigned long)pc);
        if (depth != 1)
          return cal_vm_fail(err, errlen, "%s %u: block leaves %d values, not 1", kind, idx, depth);
        break;
      default:
        if (arg != 0)
          return cal_vm_fail(err, errlen, "%s %u, pc %lu: %s takes no operand", kind, idx,
                      (unsigned long)pc, opnames[op]);
        break;
    }
    if (depth < op_pops[op])
      return cal_vm_fail(err, errlen, "%s %u, pc %lu: stack underflow in %s", kind, idx,
                  (unsigned long)pc, opnames[op]);
    depth = depth - op_pops[op] + op_pushes[op];
    if (depth > CAL_VM_STACK)
      return cal_vm_fail(err, errlen, "%s %u, pc %lu: stack overflow (max %d)", kind, idx,
                  (unsigned long)pc, CAL_VM_STACK);
    if (op == CAL_OP_ANDJ || op == CAL_OP_ORJ) {
      if (depth_at[arg] >= 0 && depth_at[arg] != depth)
        return cal_vm_fail(err, errlen, "%s %u, pc %lu: jumps disagree on stack depth", kind, idx,
                    (unsigned long)pc);
      depth_at[arg] = (short)depth;
    }
  }
  if (CAL_INSTR_OP(p->code[end - 1]) != CAL_OP_RET)
    return cal_vm_fail(err, errlen, "%s %u: block does not end with RET", kind, idx);
  return 1;
}

int cal_vm_verify(const cal_program *p, char *err, size_t errlen) {
  short *depth_at;
  unsigned i;
  int ok = 1;
  if (!p) return cal_vm_fail(err, errlen, "no program");
  if (p->nlets > CAL_VM_MAX_LETS || p->nrules > CAL_VM_MAX_RULES ||
      p->nsubtypes > CAL_VM_MAX_SUBTYPES || p->nsubtypes == 0 ||
      p->term_words > CAL_VM_MAX_TERM_WORDS || p->ncode > CAL_VM_MAX_CODE)
    return cal_vm_fail(err, errlen, "program counts out of limits");
  if (p->tie_policy > CAL_TIE_INDETERMINATE)
    return cal_vm_fail(err, errlen, "unknown tie policy %u", (unsigned)p->tie_policy);
  if (isnan(p->indeterminate_at_most))
    return cal_vm_fail(err, errlen, "indeterminate threshold is NaN");
  if ((p->nconsts && !p->consts) || (p->nsets && p->term_words && !p->sets) ||
      (p->ncode && !p->code) || (p->nlets && !p->lets) || (p->nrules && !p->rules))
    return cal_vm_fail(err, errlen, "program arrays missing");
  for (i = 0; i < p->nrules; i++) {
    if (p->rules[i].subtype >= p->nsubtypes)
      return cal_vm_fail(err, errlen, "rule %u: subtype %u out of range (%u)", i,
                  (unsigned)p->rules[i].subtype, (unsigned)p->nsubtypes);
    if (!isfinite(p->rules[i].weight))
      return cal_vm_fail(err, errlen, "rule %u: weight is not a finite number", i);
  }
  if (p->ncode == 0) {
    if (p->nlets || p->nrules) return cal_vm_fail(err, errlen, "program has blocks but no code");
    return 1;
  }
  /* every instruction, inside a block or not: a known opcode, and a jump
   * target inside the code (build_fast marks the targets of all of them) */
  for (i = 0; i < p->ncode; i++) {
    unsigned op = CAL_INSTR_OP(p->code[i]);
    if (op >= CAL_OP_COUNT_) return cal_vm_fail(err, errlen, "pc %u: bad opcode %u", i, op);
    if ((op == CAL_OP_ANDJ || op == CAL_OP_ORJ) && CAL_INSTR_ARG(p->code[i]) > p->ncode)
      return cal_vm_fail(err, errlen, "pc %u: jump target %lu outside the code", i,
                  (unsigned long)CAL_INSTR_ARG(p->code[i]));
  }
  depth_at = (short *)malloc(sizeof(short) * p->ncode);
  if (!depth_at) return cal_vm_fail(err, errlen, "out of memory verifying a program");
  for (i = 0; ok && i < p->nlets; i++)
    ok = verify_block(p, "let", i, p->lets[i].start, p->lets[i].len, i, depth_at, err, errlen);
  for (i = 0; ok && i < p->nrules; i++)
    ok = verify_block(p, "rule", i, p->rules[i].start, p->rules[i].len, p->nlets, depth_at, err,
                      errlen);
  free(depth_at);
  return ok;
}


/* ---- fast code ----
 *
 * After verification, each block is translated into an array of fx
 * instructions: the same operations with constants inlined, and these
 * sequences fused into one instruction (none of their inner instructions may
 * be a jump target). K is a constant operand: CONST, or CONST NEG (folded).
 *   X K CMP [RET]          X in VAR/LET/COUNT, CMP in LT..NE  -> FX_CMPK[_RET]
 *   X Y CMP [RET]          X, Y in VAR/LET/COUNT              -> FX_CMP2[_RET]
 *   X K K SEL              X in VAR/LET/COUNT                  -> FX_SELK
 *   X K GE X K LE AND      (the same X)                        -> FX_BETWEENK
 *   K Y OP                 Y in VAR/LET/COUNT, OP in ADD..MAX  -> FX_KARITH
 *   K OP                   OP in ADD..MAX (top OP k)           -> FX_ARITHK
 *   K                                                          -> FX_CONST
 * An FX_KARITH with POW (k ^ y, as in 0.9938 ^ age) gets a table of
 * k ^ 0..255 made with the same function, which batches use for integer y.
 * A block that is one FX_CMPK_RET or FX_CMP2_RET is run by cal_vm_run
 * without entering the dispatch loop.
 * Every fused instruction computes exactly what the sequence computes, with
 * the same stack effect, so the verifier's guarantees carry over. Jump
 * targets are renumbered. */

enum {
  FX_CONST = CAL_OP_COUNT_ + 1, FX_CMPK, FX_CMPK_RET, FX_CMP2, FX_CMP2_RET, FX_SELK, FX_BETWEENK,
  FX_ARITHK, FX_KARITH
};

typedef struct {
  unsigned char op, sub, ka, kb; /* sub: comparison or arithmetic opcode; ka, kb: source kinds */
  uint32_t a, b;                 /* operand indices (or jump target) */
  double k, k2;                  /* inline constants */
} fx;

static int is_src(unsigned op) { return op == CAL_OP_VAR || op == CAL_OP_LET || op == CAL_OP_COUNT; }
static int is_cmp(unsigned op) { return op >= CAL_OP_LT && op <= CAL_OP_NE; }
static int is_arith(unsigned op) { return op >= CAL_OP_ADD && op <= CAL_OP_MAX; }

/* A block can run in batches, ignoring its short-circuit jumps, when every
 * ANDJ (ORJ) jumps to just after an AND (OR) that combines the value it
 * tested with what the skipped code computed, and the skipped code never
 * touches that value (its depth stays above it). Running the skipped code
 * then gives and(0, b) = 0 (or(true, b) = 1): what the jump leaves. */
static int batchable(const cal_program *p, uint32_t bi) {
  const cal_block *blk = bi < p->nlets ? &p->lets[bi] : NULL;
  uint32_t start = blk ? blk->start : p->rules[bi - p->nlets].start;
  uint32_t len = blk ? blk->len : p->rules[bi - p->nlets].len;
  uint32_t pc, q;
  int depth = 0;
  short dep[4096];
  if (len > 4096) return 0;
  for (pc = start; pc < start + len; pc++) {
    unsigned op = CAL_INSTR_OP(p->code[pc]);
    dep[pc - start] = (short)depth; /* depth before the instruction */
    depth = depth - op_pops[op] + op_pushes[op];
  }
  for (pc = start; pc < start + len; pc++) {
    unsigned op = CAL_INSTR_OP(p->code[pc]);
    uint32_t t = CAL_INSTR_ARG(p->code[pc]);
    int d;
    if (op != CAL_OP_ANDJ && op != CAL_OP_ORJ) continue;
    d = dep[pc - start]; /* the tested value sits at depth d - 1 (0-based) */
    if (t < pc + 2 || CAL_INSTR_OP(p->code[t - 1]) != (op == CAL_OP_ANDJ ? CAL_OP_AND : CAL_OP_OR)) return 0;
    if (dep[t - 1 - start] != d + 1) return 0;
    for (q = pc + 1; q < t - 1; q++) {
      unsigned o = CAL_INSTR_OP(p->code[q]);
      if (dep[q - start] - op_pops[o] < d) return 0;
    }
  }
  return 1;
}

/* The matcher of build_fast: a cursor over one block's code. */
typedef struct {
  const cal_program *p;
  uint32_t end;
} matcher;

static unsigned m_op_at(const matcher *m, uint32_t q) {
  return q < m->end ? CAL_INSTR_OP(m->p->code[q]) : CAL_OP_COUNT_;
}

/* A source operand at *q (VAR, LET or COUNT). */
static int m_src(const matcher *m, uint32_t *q, unsigned char *kind, uint32_t *arg) {
  unsigned op = m_op_at(m, *q);
  if (!is_src(op)) return 0;
  *kind = (unsigned char)op;
  *arg = CAL_INSTR_ARG(m->p->code[*q]);
  (*q)++;
  return 1;
}

/* A constant operand at *q: CONST, or CONST NEG. */
static int m_konst(const matcher *m, uint32_t *q, double *k) {
  if (m_op_at(m, *q) != CAL_OP_CONST) return 0;
  *k = m->p->consts[CAL_INSTR_ARG(m->p->code[*q])];
  (*q)++;
  if (m_op_at(m, *q) == CAL_OP_NEG) {
    *k = -*k;
    (*q)++;
  }
  return 1;
}

/* One instruction of the given kind at *q; returns its opcode (0 if none). */
static unsigned m_one(const matcher *m, uint32_t *q, int (*is)(unsigned)) {
  unsigned op = m_op_at(m, *q);
  if (op >= CAL_OP_COUNT_ || !is(op)) return 0;
  (*q)++;
  return op;
}

static int is_ge(unsigned op) { return op == CAL_OP_GE; }
static int is_le(unsigned op) { return op == CAL_OP_LE; }
static int is_and(unsigned op) { return op == CAL_OP_AND; }
static int is_sel(unsigned op) { return op == CAL_OP_SEL; }
static int is_ret(unsigned op) { return op == CAL_OP_RET; }

/* No jump lands strictly inside [from, to). */
static int no_target(const unsigned char *target, uint32_t from, uint32_t to) {
  uint32_t i;
  for (i = from + 1; i < to; i++)
    if (target[i]) return 0;
  return 1;
}

/* Matches a fused sequence at pc into *f; returns its end (pc if none). */
static uint32_t match_fused(const matcher *m, const unsigned char *target, uint32_t pc, fx *f) {
  uint32_t q, q2;
  unsigned char kx, ky;
  uint32_t ax, ay;
  double k1, k2;
  unsigned op;
  /* X K GE X K LE AND */
  q = pc;
  if (m_src(m, &q, &kx, &ax) && m_konst(m, &q, &k1) && m_one(m, &q, is_ge) && m_src(m, &q, &ky, &ay) &&
      ky == kx && ay == ax && m_konst(m, &q, &k2) && m_one(m, &q, is_le) && m_one(m, &q, is_and) &&
      no_target(target, pc, q)) {
    f->op = FX_BETWEENK; f->ka = kx; f->a = ax; f->k = k1; f->k2 = k2;
    return q;
  }
  /* X K CMP [RET], X Y CMP [RET] */
  q = pc;
  if (m_src(m, &q, &kx, &ax)) {
    int konst = m_konst(m, &q, &k1);
    if ((konst || m_src(m, &q, &ky, &ay)) && (op = m_one(m, &q, is_cmp)) != 0 && no_target(target, pc, q)) {
      int ret;
      q2 = q;
      ret = m_one(m, &q2, is_ret) && !target[q];
      if (ret) q = q2;
      f->op = (unsigned char)(konst ? (ret ? FX_CMPK_RET : FX_CMPK) : (ret ? FX_CMP2_RET : FX_CMP2));
      f->sub = (unsigned char)op;
      f->ka = kx; f->a = ax;
      if (konst) f->k = k1;
      else { f->kb = ky; f->b = ay; }
      return q;
    }
  }
  /* X K K SEL */
  q = pc;
  if (m_src(m, &q, &kx, &ax) && m_konst(m, &q, &k1) && m_konst(m, &q, &k2) && m_one(m, &q, is_sel) &&
      no_target(target, pc, q)) {
    f->op = FX_SELK; f->ka = kx; f->a = ax; f->k = k1; f->k2 = k2;
    return q;
  }
  /* K Y OP, K OP, K */
  q = pc;
  if (m_konst(m, &q, &k1)) {
    q2 = q;
    if (m_src(m, &q2, &ky, &ay) && (op = m_one(m, &q2, is_arith)) != 0 && no_target(target, pc, q2)) {
      f->op = FX_KARITH; f->sub = (unsigned char)op; f->ka = ky; f->a = ay; f->k = k1;
      return q2;
    }
    q2 = q;
    if ((op = m_one(m, &q2, is_arith)) != 0 && no_target(target, pc, q2)) {
      f->op = FX_ARITHK; f->sub = (unsigned char)op; f->k = k1;
      return q2;
    }
    if (!no_target(target, pc, q)) q = pc + 1; /* a jump lands on the NEG */
    f->op = FX_CONST;
    f->k = m->p->consts[CAL_INSTR_ARG(m->p->code[pc])];
    if (q == pc + 2) f->k = -f->k;
    return q;
  }
  return pc;
}

#define POW_TAB 256
static inline double fx_arith(unsigned op, double a, double b);

static int build_fast(cal_program *p) {
  uint32_t nblocks = (uint32_t)p->nlets + p->nrules, bi, i;
  /* blocks may share code (the verifier allows it): room for every block's own */
  size_t room = 1;
  fx *out;
  for (bi = 0; bi < nblocks; bi++) room += bi < p->nlets ? p->lets[bi].len : p->rules[bi - p->nlets].len;
  out = (fx *)malloc(sizeof(fx) * room);
  uint32_t *starts = (uint32_t *)malloc(sizeof(uint32_t) * (nblocks ? nblocks : 1));
  uint32_t *map = (uint32_t *)malloc(sizeof(uint32_t) * (p->ncode + 1));
  unsigned char *target = (unsigned char *)calloc(p->ncode + 1, 1);
  unsigned char *ok = (unsigned char *)malloc(nblocks ? nblocks : 1);
  uint32_t n = 0;
  if (!out || !starts || !map || !target || !ok) {
    free(out); free(starts); free(map); free(target); free(ok);
    return 0;
  }
  for (i = 0; i < p->ncode; i++) {
    unsigned op = CAL_INSTR_OP(p->code[i]);
    if (op == CAL_OP_ANDJ || op == CAL_OP_ORJ) target[CAL_INSTR_ARG(p->code[i])] = 1;
  }
  for (bi = 0; bi < nblocks; bi++) {
    const cal_block *blk = bi < p->nlets ? &p->lets[bi] : NULL;
    uint32_t start = blk ? blk->start : p->rules[bi - p->nlets].start;
    uint32_t len = blk ? blk->len : p->rules[bi - p->nlets].len;
    uint32_t end = start + len, pc = start, first = n;
    matcher m;
    m.p = p;
    m.end = end;
    starts[bi] = n;
    while (pc < end) {
      fx *f = &out[n];
      uint32_t q;
      memset(f, 0, sizeof *f);
      q = match_fused(&m, target, pc, f);
      if (q == pc) {
        f->op = (unsigned char)CAL_INSTR_OP(p->code[pc]);
        f->a = CAL_INSTR_ARG(p->code[pc]);
        q = pc + 1;
      }
      for (; pc < q; pc++) map[pc] = n;
      n++;
    }
    map[end] = n;
    /* renumber the jumps of this block */
    for (i = first; i < n; i++)
      if (out[i].op == CAL_OP_ANDJ || out[i].op == CAL_OP_ORJ) out[i].a = map[out[i].a];
  }
  free(map);
  free(target);
  for (bi = 0; bi < nblocks; bi++) ok[bi] = (unsigned char)batchable(p, bi);
  {
    uint32_t npow = 0, j;
    double *tab;
    for (i = 0; i < n; i++) npow += out[i].op == FX_KARITH && out[i].sub == CAL_OP_POW;
    tab = (double *)malloc(sizeof(double) * POW_TAB * (npow ? npow : 1));
    if (!tab) {
      free(out); free(starts); free(ok);
      return 0;
    }
    npow = 0;
    for (i = 0; i < n; i++) {
      if (out[i].op != FX_KARITH || out[i].sub != CAL_OP_POW) continue;
      out[i].b = npow;
      for (j = 0; j < POW_TAB; j++) tab[npow * POW_TAB + j] = fx_arith(CAL_OP_POW, out[i].k, (double)j);
      npow++;
    }
    p->fast_pow = tab;
  }
  p->fast = out;
  p->fast_start = starts;
  p->fast_batch = ok;
  return 1;
}

/* ---- interpreter ---- */

static double truth_and(double a, double b) {
  if (a == 0 || b == 0) return 0;
  if (isnan(a) || isnan(b)) return NAN;
  return 1;
}

static double truth_or(double a, double b) {
  if ((a != 0 && !isnan(a)) || (b != 0 && !isnan(b))) return 1;
  if (isnan(a) || isnan(b)) return NAN;
  return 0;
}

/* Bits set in x (SWAR: no library call where the CPU baseline lacks popcnt). */
static inline int popcount64(uint64_t x) {
  x = x - ((x >> 1) & 0x5555555555555555ULL);
  x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
  x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
  return (int)((x * 0x0101010101010101ULL) >> 56);
}

/* An arithmetic result that is not finite (a division by 0, an overflow)
 * is unknown: NaN. Inputs and constants are finite (the readers and the
 * compiler refuse others), so only arithmetic makes infinities, and
 * `calcium / 0 > 1` is unknown, not true. (r - r is 0 for a finite r, NaN
 * for an infinite or NaN one; a plain compare, so the loops still vectorise.) */
#define FINITE_OR_NAN(r) ((r) - (r) == 0.0 ? (r) : NAN)

static inline double fx_arith(unsigned op, double a, double b) {
  double r;
  switch (op) {
    case CAL_OP_ADD: r = a + b; break;
    case CAL_OP_SUB: r = a - b; break;
    case CAL_OP_MUL: r = a * b; break;
    case CAL_OP_DIV: r = a / b; break;
    case CAL_OP_POW: r = (isnan(a) || isnan(b)) ? NAN : pow(a, b); break;
    case CAL_OP_MIN: return (isnan(a) || isnan(b)) ? NAN : (b < a ? b : a);
    default: return (isnan(a) || isnan(b)) ? NAN : (b > a ? b : a);
  }
  return FINITE_OR_NAN(r);
}

#define CMP(expr) \
  do { \
    double b_ = st[--sp], a_ = st[sp - 1]; \
    st[sp - 1] = (isnan(a_) || isnan(b_)) ? NAN : ((expr) ? 1.0 : 0.0); \
  } while (0)

#define ARITH(expr) \
  do { \
    double b_ = st[--sp], a_ = st[sp - 1]; \
    st[sp - 1] = (expr); \
  } while (0)

static inline double fx_src(unsigned kind, uint32_t a, const cal_program *p, const double *vars,
                     const uint64_t *terms, const double *lets) {
  if (kind == CAL_OP_VAR) return vars[a];
  if (kind == CAL_OP_LET) return lets[a];
  {
    const uint64_t *set = p->sets + (size_t)a * p->term_words;
    int n = 0;
    unsigned w;
    for (w = 0; w < p->term_words; w++) n += popcount64(set[w] & terms[w]);
    return (double)n;
  }
}

static inline double fx_cmp(unsigned op, double a, double b) {
  if (isnan(a) || isnan(b)) return NAN;
  switch (op) {
    case CAL_OP_LT: return a < b ? 1.0 : 0.0;
    case CAL_OP_LE: return a <= b ? 1.0 : 0.0;
    case CAL_OP_GT: return a > b ? 1.0 : 0.0;
    case CAL_OP_GE: return a >= b ? 1.0 : 0.0;
    case CAL_OP_EQ: return a == b ? 1.0 : 0.0;
    default: return a != b ? 1.0 : 0.0;
  }
}

/* The analyzer cannot see that cal_vm_verify proved every block's stack depths
 * (no underflow, no overflow, a value under every pop: vm.c, verify_block), so it
 * reads each pop as uninitialised or out of bounds; ASan runs and fuzz_vm check it. */
/* NOLINTBEGIN(clang-analyzer-core.uninitialized.Assign,clang-analyzer-core.CallAndMessage,clang-analyzer-core.UndefinedBinaryOperatorResult,clang-analyzer-core.uninitialized.UndefReturn) */
static double run_fast(const cal_program *p, const double *vars, const uint64_t *terms,
                       const double *lets, uint32_t pc) {
  const fx *code = (const fx *)p->fast;
  double st[CAL_VM_STACK];
  int sp = 0;
  for (;;) {
    const fx *f = &code[pc];
    switch (f->op) {
      case FX_CONST: st[sp++] = f->k; break;
      case FX_CMPK: st[sp++] = fx_cmp(f->sub, fx_src(f->ka, f->a, p, vars, terms, lets), f->k); break;
      case FX_CMPK_RET: return fx_cmp(f->sub, fx_src(f->ka, f->a, p, vars, terms, lets), f->k);
      case FX_CMP2:
        st[sp++] = fx_cmp(f->sub, fx_src(f->ka, f->a, p, vars, terms, lets),
                          fx_src(f->kb, f->b, p, vars, terms, lets));
        break;
      case FX_CMP2_RET:
        return fx_cmp(f->sub, fx_src(f->ka, f->a, p, vars, terms, lets),
                      fx_src(f->kb, f->b, p, vars, terms, lets));
      case FX_BETWEENK: {
        double x = fx_src(f->ka, f->a, p, vars, terms, lets);
        /* NaN bounds keep the sequence's semantics: and(x >= k, x <= k2) */
        st[sp++] = truth_and(fx_cmp(CAL_OP_GE, x, f->k), fx_cmp(CAL_OP_LE, x, f->k2));
        break;
      }
      case FX_SELK: {
        double c = fx_src(f->ka, f->a, p, vars, terms, lets);
        if (isnan(c)) st[sp++] = (f->k == f->k2) ? f->k : NAN;
        else st[sp++] = c != 0 ? f->k : f->k2;
        break;
      }
      case FX_ARITHK: st[sp - 1] = fx_arith(f->sub, st[sp - 1], f->k); break;
      case FX_KARITH: st[sp++] = fx_arith(f->sub, f->k, fx_src(f->ka, f->a, p, vars, terms, lets)); break;
      case CAL_OP_CONST: st[sp++] = p->consts[f->a]; break;
      case CAL_OP_VAR: st[sp++] = vars[f->a]; break;
      case CAL_OP_LET: st[sp++] = lets[f->a]; break;
      case CAL_OP_COUNT: st[sp++] = fx_src(CAL_OP_COUNT, f->a, p, vars, terms, lets); break;
      case CAL_OP_ISNUM: st[sp - 1] = isnan(st[sp - 1]) ? 0.0 : 1.0; break;
      case CAL_OP_NOT:
        if (!isnan(st[sp - 1])) st[sp - 1] = st[sp - 1] == 0 ? 1.0 : 0.0;
        break;
      case CAL_OP_NEG: st[sp - 1] = -st[sp - 1]; break;
      case CAL_OP_ABS: st[sp - 1] = fabs(st[sp - 1]); break;
      case CAL_OP_ADD: case CAL_OP_SUB: case CAL_OP_MUL: case CAL_OP_DIV:
      case CAL_OP_POW: case CAL_OP_MIN: case CAL_OP_MAX:
        ARITH(fx_arith(f->op, a_, b_));
        break;
      case CAL_OP_LT: CMP(a_ < b_); break;
      case CAL_OP_LE: CMP(a_ <= b_); break;
      case CAL_OP_GT: CMP(a_ > b_); break;
      case CAL_OP_GE: CMP(a_ >= b_); break;
      case CAL_OP_EQ: CMP(a_ == b_); break;
      case CAL_OP_NE: CMP(a_ != b_); break;
      case CAL_OP_AND: ARITH(truth_and(a_, b_)); break;
      case CAL_OP_OR: ARITH(truth_or(a_, b_)); break;
      case CAL_OP_SEL: {
        double b = st[--sp], a = st[--sp], c = st[sp - 1];
        if (isnan(c)) st[sp - 1] = (a == b) ? a : NAN;
        else st[sp - 1] = c != 0 ? a : b;
        break;
      }
      case CAL_OP_ANDJ: /* a false left operand decides: leave and(a, _) = 0 */
        if (st[sp - 1] == 0) { st[sp - 1] = 0.0; pc = f->a; continue; }
        break;
      case CAL_OP_ORJ: /* a true left operand decides: leave or(a, _) = 1 */
        if (st[sp - 1] != 0 && !isnan(st[sp - 1])) { st[sp - 1] = 1.0; pc = f->a; continue; }
        break;
      case CAL_OP_RET: return st[sp - 1];
      default: return NAN;
    }
    pc++;
  }
}
/* NOLINTEND(clang-analyzer-core.uninitialized.Assign,clang-analyzer-core.CallAndMessage,clang-analyzer-core.UndefinedBinaryOperatorResult,clang-analyzer-core.uninitialized.UndefReturn) */

int cal_vm_run(const cal_program *p, const double *vars, const uint64_t *terms,
               cal_vm_result *out) {
  unsigned i, n = p->nsubtypes, ntop = 0;
  double best;
  int type = 0;
  for (i = 0; i < p->nlets; i++) out->lets[i] = run_fast(p, vars, terms, out->lets, p->fast_start[i]);
  for (i = 0; i < n; i++) out->score[i] = 0;
  for (i = 0; i < p->nrules; i++) {
    const cal_rule *r = &p->rules[i];
    const fx *f = (const fx *)p->fast + p->fast_start[p->nlets + i];
    double v;
    if (f->op == FX_CMPK_RET) v = fx_cmp(f->sub, fx_src(f->ka, f->a, p, vars, terms, out->lets), f->k);
    else if (f->op == FX_CMP2_RET)
      v = fx_cmp(f->sub, fx_src(f->ka, f->a, p, vars, terms, out->lets),
                 fx_src(f->kb, f->b, p, vars, terms, out->lets));
    else v = run_fast(p, vars, terms, out->lets, p->fast_start[p->nlets + i]);
    if (isnan(v)) {
      out->state[i] = CAL_UNKNOWN;
    } else if (v != 0) {
      out->state[i] = CAL_TRUE;
      out->score[r->subtype] += r->weight;
    } else {
      out->state[i] = CAL_FALSE;
    }
  }
  best = out->score[0];
  for (i = 1; i < n; i++)
    if (out->score[i] > best) {
      best = out->score[i];
      type = (int)i;
    }
  for (i = 0; i < n; i++)
    if (out->score[i] == best) ntop++;
  if (best <= p->indeterminate_at_most || (p->tie_policy == CAL_TIE_INDETERMINATE && ntop > 1)) {
    out->type = CAL_INDETERMINATE;
    out->best = 0;
  } else {
    out->type = type;
    out->best = best;
  }
  return out->type;
}

/* ---- batches ----
 * The same fast code run over CAL_VM_BATCH patients at a time, one
 * instruction over all of them before the next. Each stack slot holds a
 * pointer to a column: an input or let column as it is, or one of the two
 * scratch columns of its depth. An instruction writes its result into the
 * scratch column of its depth that none of its operands occupies, so no
 * kernel below ever writes a column it reads, and each is a fixed-length,
 * branch-free loop over restrict-qualified columns: compilers vectorize
 * them. Every kernel computes every row (rows past n hold the values of an
 * earlier batch, or the zeros the columns start with). */

/* The batch kernels are plain loops over columns of doubles. On x86-64
 * with GCC or Clang, run_batch (every kernel inlined) is built twice, for
 * AVX2 (4 doubles per instruction) and for the baseline (SSE2), and
 * cal_vm_run_batch runs the one the processor has: the same C and the
 * same IEEE operations (no FMA: AVX2 does not bring it, and C99 mode does
 * not contract), so the same bits. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(CAL_VM_NO_AVX2)
#define CAL_VM_AVX2 1
#define CAL_VM_BODY static inline __attribute__((always_inline))
#else
#define CAL_VM_BODY static
#endif

#define NB CAL_VM_BATCH
#define LOOP for (i = 0; i < NB; i++)

/* A scratch column of a depth (which = 0 or 1). */
#define SCR(depth, which) (b->stack + ((size_t)(depth) * 2u + (which)) * NB)

cal_vm_batch *cal_vm_batch_new(const cal_program *p) {
  cal_vm_batch *b = (cal_vm_batch *)calloc(1, sizeof *b);
  size_t tw = p->term_words ? p->term_words : 1;
  size_t cap = NB;
  if (!b) return NULL;
  b->cap = cap;
  b->tw = tw;
  /* zeroed: rows past n are computed too, so they must hold defined values */
  b->vars = (double *)calloc(cap * (p->nvars ? p->nvars : 1), sizeof(double));
  b->terms = (uint64_t *)calloc(cap * tw, sizeof(uint64_t));
  b->lets = (double *)calloc(cap * (p->nlets ? p->nlets : 1), sizeof(double));
  b->value = (double *)calloc(cap * (p->nrules ? p->nrules : 1), sizeof(double));
  b->fired = (uint64_t *)calloc(cap * (p->nrules / CAL_VM_FIRED_BITS + 1u), sizeof(uint64_t));
  b->score = (double *)calloc(cap * (p->nsubtypes ? p->nsubtypes : 1), sizeof(double));
  b->type = (int *)calloc(cap, sizeof(int));
  b->best = (double *)calloc(cap, sizeof(double));
  /* two scratch columns per depth 0..CAL_VM_STACK */
  b->stack = (double *)calloc(cap * 2 * (CAL_VM_STACK + 2), sizeof(double));
  b->row_vars = (double *)calloc(p->nvars ? p->nvars : 1, sizeof(double));
  b->row_lets = (double *)calloc(p->nlets ? p->nlets : 1, sizeof(double));
  b->pow_memo = (cal_vm_pow_entry *)malloc(CAL_VM_POW_MEMO * sizeof *b->pow_memo);
  if (b->pow_memo) cal_vm_pow_memo_init(b->pow_memo);
  if (!b->pow_memo || !b->vars || !b->terms || !b->lets || !b->value || !b->fired || !b->score || !b->type || !b->best ||
      !b->stack || !b->row_vars || !b->row_lets) {
    cal_vm_batch_free(b);
    return NULL;
  }
  return b;
}

void cal_vm_batch_free(cal_vm_batch *b) {
  if (!b) return;
  free(b->vars); free(b->terms); free(b->lets); free(b->value); free(b->fired); free(b->score);
  free(b->type); free(b->best); free(b->stack); free(b->row_vars); free(b->row_lets);
  free(b->pow_memo);
  free(b);
}

/* d = number of a row's terms in set a */
static void k_count(const cal_program *p, const cal_vm_batch *b, uint32_t a, double *restrict d) {
  const uint64_t *set = p->sets + (size_t)a * p->term_words;
  const uint64_t *restrict t = b->terms;
  size_t i, tw = b->tw;
  if (p->term_words == 1) {
    uint64_t s = set[0];
    LOOP d[i] = (double)popcount64(t[i] & s);
    return;
  }
  LOOP {
    int c = 0;
    unsigned w;
    for (w = 0; w < p->term_words; w++) c += popcount64(set[w] & t[i * tw + w]);
    d[i] = (double)c;
  }
}

/* d = 1 when a row has a term of set a (none = 0), else 0 (none = 1) */
CAL_VM_BODY void k_any(const cal_program *p, const cal_vm_batch *b, uint32_t a, int none, double *restrict d) {
  const uint64_t *set = p->sets + (size_t)a * p->term_words;
  const uint64_t *restrict t = b->terms;
  const uint64_t flip = none ? 1u : 0u;
  size_t i, tw = b->tw;
  /* branch-free: whether a row has a term is as good as random */
  if (p->term_words == 1) {
    uint64_t s = set[0];
    const double yes = none ? 0.0 : 1.0, no = none ? 1.0 : 0.0;
    LOOP d[i] = (t[i] & s) != 0 ? yes : no;
    return;
  }
  LOOP {
    uint64_t c = 0;
    unsigned w;
    for (w = 0; w < p->term_words; w++) c |= set[w] & t[i * tw + w];
    d[i] = (double)((uint64_t)(c != 0) ^ flip);
  }
}

/* The column of a source operand; COUNT is computed into tmp. */
static const double *b_src(const cal_program *p, const cal_vm_batch *b, unsigned kind, uint32_t a,
                           double *tmp) {
  if (kind == CAL_OP_VAR) return b->vars + (size_t)a * NB;
  if (kind == CAL_OP_LET) return b->lets + (size_t)a * NB;
  k_count(p, b, a, tmp);
  return tmp;
}

static void k_fill(double *restrict d, double k) {
  size_t i;
  LOOP d[i] = k;
}

/* d = x OP y: NaN when either is NaN, else 1 or 0 */
#define K_CMP_LOOP(OPX, AI, BI) \
  LOOP { double a_ = (AI), b_ = (BI); double r_ = (a_ OPX b_) ? 1.0 : 0.0; \
         d[i] = (a_ != a_ || b_ != b_) ? NAN : r_; }
#define K_CMP_SWITCH(AI, BI) \
  switch (op) { \
    case CAL_OP_LT: K_CMP_LOOP(<, AI, BI) break; \
    case CAL_OP_LE: K_CMP_LOOP(<=, AI, BI) break; \
    case CAL_OP_GT: K_CMP_LOOP(>, AI, BI) break; \
    case CAL_OP_GE: K_CMP_LOOP(>=, AI, BI) break; \
    case CAL_OP_EQ: K_CMP_LOOP(==, AI, BI) break; \
    default: K_CMP_LOOP(!=, AI, BI) break; \
  }

static void k_cmp(unsigned op, double *restrict d, const double *restrict x, const double *restrict y) {
  size_t i;
  K_CMP_SWITCH(x[i], y[i])
}

static void k_cmpk(unsigned op, double *restrict d, const double *restrict x, double k) {
  size_t i;
  K_CMP_SWITCH(x[i], k)
}

/* d = a OP b with the interpreter's NaN rules (fx_arith) */
#define K_NAN2(expr) { double r_ = (expr); d[i] = (a_ != a_ || b_ != b_) ? NAN : r_; }
#define K_ARITH_SWITCH(AI, BI) \
  switch (op) { \
    case CAL_OP_ADD: LOOP { double a_ = (AI), b_ = (BI), r_ = a_ + b_; d[i] = FINITE_OR_NAN(r_); } break; \
    case CAL_OP_SUB: LOOP { double a_ = (AI), b_ = (BI), r_ = a_ - b_; d[i] = FINITE_OR_NAN(r_); } break; \
    case CAL_OP_MUL: LOOP { double a_ = (AI), b_ = (BI), r_ = a_ * b_; d[i] = FINITE_OR_NAN(r_); } break; \
    case CAL_OP_DIV: LOOP { double a_ = (AI), b_ = (BI), r_ = a_ / b_; d[i] = FINITE_OR_NAN(r_); } break; \
    case CAL_OP_POW: /* the memo's (pow(1, y), the half of the eGFR powers whose base is 1: a hit, no branch on it) */ \
      LOOP { double a_ = (AI), b_ = (BI), p_ = cal_vm_pow_memo(pm, a_, b_); \
             K_NAN2(FINITE_OR_NAN(p_)) } break; \
    case CAL_OP_MIN: LOOP { double a_ = (AI), b_ = (BI); K_NAN2(b_ < a_ ? b_ : a_) } break; \
    default: LOOP { double a_ = (AI), b_ = (BI); K_NAN2(b_ > a_ ? b_ : a_) } break; \
  }

static void k_arith(unsigned op, double *restrict d, const double *restrict x, const double *restrict y,
                    cal_vm_pow_entry *pm) {
  size_t i;
  K_ARITH_SWITCH(x[i], y[i])
}

static void k_arithk(unsigned op, double *restrict d, const double *restrict x, double k,
                     cal_vm_pow_entry *pm) {
  size_t i;
  K_ARITH_SWITCH(x[i], k)
}

static void k_karith(unsigned op, double *restrict d, double k, const double *restrict y,
                     cal_vm_pow_entry *pm) {
  size_t i;
  K_ARITH_SWITCH(k, y[i])
}

/* d = k ^ y, from the table of k ^ 0..255 when y is one of those integers */
static void k_powk(double *restrict d, double k, const double *restrict tab, const double *restrict y,
                   cal_vm_pow_entry *pm) {
  size_t i;
  LOOP {
    double b_ = y[i], r_;
    if (b_ >= 0 && b_ < POW_TAB && b_ == (double)(int)b_) r_ = tab[(int)b_];
    else r_ = (k != k || b_ != b_) ? NAN : cal_vm_pow_memo(pm, k, b_);
    d[i] = FINITE_OR_NAN(r_);
  }
}

static void k_unary(unsigned op, double *restrict d, const double *restrict x) {
  size_t i;
  switch (op) {
    case CAL_OP_ISNUM: LOOP { double a = x[i]; d[i] = a != a ? 0.0 : 1.0; } break;
    case CAL_OP_NOT: LOOP { double a = x[i]; double r = a == 0 ? 1.0 : 0.0; d[i] = a != a ? a : r; } break;
    case CAL_OP_NEG: LOOP d[i] = -x[i]; break;
    default: LOOP d[i] = fabs(x[i]); break;
  }
}

/* Kleene and / or over 0, 1, NaN (any other number counts as true) */
static void k_and(double *restrict d, const double *restrict x, const double *restrict y) {
  size_t i;
  LOOP {
    double a = x[i], c = y[i];
    double r = (a != a || c != c) ? NAN : 1.0;
    d[i] = (a == 0 || c == 0) ? 0.0 : r;
  }
}

static void k_or(double *restrict d, const double *restrict x, const double *restrict y) {
  size_t i;
  LOOP {
    double a = x[i], c = y[i];
    double r = (a != a || c != c) ? NAN : 0.0;
    d[i] = ((a != 0 && a == a) || (c != 0 && c == c)) ? 1.0 : r;
  }
}

static void k_sel(double *restrict d, const double *restrict c, const double *restrict x,
                  const double *restrict y) {
  size_t i;
  LOOP {
    double cc = c[i], a = x[i], bb = y[i];
    double un = a == bb ? a : NAN, r = cc != 0 ? a : bb;
    d[i] = cc != cc ? un : r;
  }
}

static void k_selk(double *restrict d, const double *restrict c, double k, double k2) {
  size_t i;
  const double un = k == k2 ? k : NAN;
  LOOP {
    double cc = c[i];
    double r = cc != 0 ? k : k2;
    d[i] = cc != cc ? un : r;
  }
}

static void k_between(double *restrict d, const double *restrict x, double lo, double hi) {
  size_t i;
  if (isnan(lo) || isnan(hi)) {
    LOOP d[i] = truth_and(fx_cmp(CAL_OP_GE, x[i], lo), fx_cmp(CAL_OP_LE, x[i], hi));
    return;
  }
  LOOP {
    double v = x[i];
    double r = ((v >= lo) & (v <= hi)) ? 1.0 : 0.0;
    d[i] = v != v ? NAN : r;
  }
}

/* The scratch column of depth sp that x does not occupy. */
static double *pick(const cal_vm_batch *b, int depth, const double *x) {
  double *c = SCR(depth, 0);
  return c == x ? SCR(depth, 1) : c;
}

/* NOLINTBEGIN(clang-analyzer-core.CallAndMessage,clang-analyzer-core.UndefinedBinaryOperatorResult): stack depths as in run_fast */
/* The column an operation on the n operands at sv[depth..] writes: the
 * block's out when the next is its RET and out is none of them (then RET
 * copies nothing), else as pick. */
static double *pick_ret(const cal_vm_batch *b, const fx *f, double *out, int depth, const double *const *sv, int n) {
  int k;
  if (f[1].op != CAL_OP_RET) return pick(b, depth, sv[depth]);
  for (k = 0; k < n; k++)
    if (sv[depth + k] == out) return pick(b, depth, sv[depth]);
  return out;
}

/* The same for an operation on one column x that writes at stack depth sp. */
static double *scr_ret(const cal_vm_batch *b, const fx *f, double *out, int sp, const double *x) {
  return f[1].op == CAL_OP_RET && x != out ? out : SCR(sp, 1);
}

static void batch_block(const cal_program *p, cal_vm_batch *b, uint32_t pc, double *out) {
  const fx *code = (const fx *)p->fast;
  const double *sv[CAL_VM_STACK + 1];
  int sp = 0;
  for (;;) {
    const fx *f = &code[pc];
    switch (f->op) {
      case FX_CONST: {
        double *d = SCR(sp, 0);
        k_fill(d, f->k);
        sv[sp++] = d;
        break;
      }
      case CAL_OP_CONST: {
        double *d = SCR(sp, 0);
        k_fill(d, p->consts[f->a]);
        sv[sp++] = d;
        break;
      }
      case FX_CMPK:
      case FX_CMPK_RET: {
        double *d = f->op == FX_CMPK ? SCR(sp, 1) : out;
        unsigned sub = f->sub;
        if (f->ka == CAL_OP_COUNT && f->k == 0 &&
            (sub == CAL_OP_GT || sub == CAL_OP_NE || sub == CAL_OP_EQ || sub == CAL_OP_LE)) {
          /* any / no term of a set: a count is never NaN */
          k_any(p, b, f->a, sub == CAL_OP_EQ || sub == CAL_OP_LE, d);
        } else {
          k_cmpk(sub, d, b_src(p, b, f->ka, f->a, SCR(sp, 0)), f->k);
        }
        if (f->op == FX_CMPK_RET) return;
        sv[sp++] = d;
        break;
      }
      case FX_CMP2:
      case FX_CMP2_RET: {
        double *d = f->op == FX_CMP2 ? SCR(sp, 1) : out;
        const double *x = b_src(p, b, f->ka, f->a, SCR(sp, 0));
        const double *y = b_src(p, b, f->kb, f->b, SCR(sp + 1, 0));
        k_cmp(f->sub, d, x, y);
        if (f->op == FX_CMP2_RET) return;
        sv[sp++] = d;
        break;
      }
      case FX_SELK: {
        const double *x = b_src(p, b, f->ka, f->a, SCR(sp, 0));
        double *d = scr_ret(b, f, out, sp, x);
        k_selk(d, x, f->k, f->k2);
        sv[sp++] = d;
        break;
      }
      case FX_BETWEENK: {
        const double *x = b_src(p, b, f->ka, f->a, SCR(sp, 0));
        double *d = scr_ret(b, f, out, sp, x);
        k_between(d, x, f->k, f->k2);
        sv[sp++] = d;
        break;
      }
      case FX_ARITHK: {
        double *d = pick_ret(b, f, out, sp - 1, sv, 1);
        k_arithk(f->sub, d, sv[sp - 1], f->k, b->pow_memo);
        sv[sp - 1] = d;
        break;
      }
      case FX_KARITH: {
        const double *y = b_src(p, b, f->ka, f->a, SCR(sp, 0));
        double *d = scr_ret(b, f, out, sp, y);
        if (f->sub == CAL_OP_POW) k_powk(d, f->k, p->fast_pow + (size_t)f->b * POW_TAB, y, b->pow_memo);
        else k_karith(f->sub, d, f->k, y, b->pow_memo);
        sv[sp++] = d;
        break;
      }
      case CAL_OP_VAR: sv[sp++] = b->vars + (size_t)f->a * NB; break;
      case CAL_OP_LET: sv[sp++] = b->lets + (size_t)f->a * NB; break;
      case CAL_OP_COUNT: {
        double *d = SCR(sp, 0);
        k_count(p, b, f->a, d);
        sv[sp++] = d;
        break;
      }
      case CAL_OP_ISNUM: case CAL_OP_NOT: case CAL_OP_NEG: case CAL_OP_ABS: {
        double *d = pick_ret(b, f, out, sp - 1, sv, 1);
        k_unary(f->op, d, sv[sp - 1]);
        sv[sp - 1] = d;
        break;
      }
      case CAL_OP_ADD: case CAL_OP_SUB: case CAL_OP_MUL: case CAL_OP_DIV:
      case CAL_OP_POW: case CAL_OP_MIN: case CAL_OP_MAX: {
        double *d = pick_ret(b, f, out, sp - 2, sv, 2);
        k_arith(f->op, d, sv[sp - 2], sv[sp - 1], b->pow_memo);
        sv[sp - 2] = d;
        sp--;
        break;
      }
      case CAL_OP_LT: case CAL_OP_LE: case CAL_OP_GT: case CAL_OP_GE: case CAL_OP_EQ: case CAL_OP_NE: {
        double *d = pick_ret(b, f, out, sp - 2, sv, 2);
        k_cmp(f->op, d, sv[sp - 2], sv[sp - 1]);
        sv[sp - 2] = d;
        sp--;
        break;
      }
      case CAL_OP_AND:
      case CAL_OP_OR: {
        double *d = pick_ret(b, f, out, sp - 2, sv, 2);
        if (f->op == CAL_OP_AND) k_and(d, sv[sp - 2], sv[sp - 1]);
        else k_or(d, sv[sp - 2], sv[sp - 1]);
        sv[sp - 2] = d;
        sp--;
        break;
      }
      case CAL_OP_SEL: {
        double *d = pick_ret(b, f, out, sp - 3, sv, 3);
        k_sel(d, sv[sp - 3], sv[sp - 2], sv[sp - 1]);
        sv[sp - 3] = d;
        sp -= 2;
        break;
      }
      case CAL_OP_ANDJ:
      case CAL_OP_ORJ:
        break; /* batchable blocks compute the skipped code instead (see batchable) */
      case CAL_OP_RET:
        if (sv[sp - 1] != out) memcpy(out, sv[sp - 1], NB * sizeof(double));
        return;
      default:
        k_fill(out, NAN);
        return;
    }
    pc++;
  }
}
/* NOLINTEND(clang-analyzer-core.CallAndMessage,clang-analyzer-core.UndefinedBinaryOperatorResult) */

/* A block that cannot run in batches runs row by row. */
static void rows_block(const cal_program *p, cal_vm_batch *b, size_t n, uint32_t bi, double *out) {
  size_t i, k;
  unsigned nl = bi < p->nlets ? bi : p->nlets;
  for (i = 0; i < n; i++) {
    for (k = 0; k < p->nvars; k++) b->row_vars[k] = b->vars[k * NB + i];
    for (k = 0; k < nl; k++) b->row_lets[k] = b->lets[k * NB + i];
    out[i] = run_fast(p, b->row_vars, b->terms + i * b->tw, b->row_lets, p->fast_start[bi]);
  }
}

/* A rule's column of values into its subtype's scores and its fired bit,
 * a power of two added to fd (exact below 2^53): the same vectorized form. */
#if defined(__GNUC__) || defined(__clang__)
/* (in one loop by GCC's vectors, 4 doubles: a mask of the true values
 * selects w and bit, or +0.0, the same bits as the choice below; the
 * compiler does not vectorize the choice into two columns itself) */
typedef double k_v4d __attribute__((vector_size(32)));
typedef long long k_v4l __attribute__((vector_size(32)));
static void k_rule(double *restrict sc, double *restrict fd, const double *restrict v, double w, double bit) {
  size_t i;
  const k_v4d wv = {w, w, w, w}, bv = {bit, bit, bit, bit}, zero = {0.0, 0.0, 0.0, 0.0};
  for (i = 0; i < NB; i += 4) {
    k_v4d x, s, f;
    k_v4l m;
    memcpy(&x, v + i, sizeof x);
    memcpy(&s, sc + i, sizeof s);
    memcpy(&f, fd + i, sizeof f);
    m = (x == x) & (x != zero);
    s += (k_v4d)((k_v4l)wv & m);
    f += (k_v4d)((k_v4l)bv & m);
    memcpy(sc + i, &s, sizeof s);
    memcpy(fd + i, &f, sizeof f);
  }
}
#else
static void k_rule(double *restrict sc, double *restrict fd, const double *restrict v, double w, double bit) {
  size_t i;
  LOOP { double x = v[i]; sc[i] += (x == x && x != 0.0) ? w : 0.0; }
  LOOP { double x = v[i]; fd[i] += (x == x && x != 0.0) ? bit : 0.0; }
}
#endif

/* best = max(best, sc), td = s where sc is the greater (the first in order
 * wins ties). Without a branch on the comparison, which is as good as
 * random: td is chosen by a mask of bits, best by a maximum (in a loop of
 * its own, after td has read the old best). */
#if defined(__GNUC__) || defined(__clang__)
/* (one loop of GCC's vectors: the mask of sc > best chooses both) */
static void k_max(double *restrict best, double *restrict td, const double *restrict sc, double s) {
  size_t i;
  const k_v4d sv = {s, s, s, s};
  for (i = 0; i < NB; i += 4) {
    k_v4d x, bb, t;
    k_v4l m;
    memcpy(&x, sc + i, sizeof x);
    memcpy(&bb, best + i, sizeof bb);
    memcpy(&t, td + i, sizeof t);
    m = x > bb;
    t = (k_v4d)(((k_v4l)sv & m) | ((k_v4l)t & ~m));
    bb = (k_v4d)(((k_v4l)x & m) | ((k_v4l)bb & ~m));
    memcpy(td + i, &t, sizeof t);
    memcpy(best + i, &bb, sizeof bb);
  }
}
#else
static void k_max(double *restrict best, double *restrict td, const double *restrict sc, double s) {
  size_t i;
  uint64_t sb;
  memcpy(&sb, &s, sizeof sb);
  LOOP {
    uint64_t t, m = (uint64_t)0 - (uint64_t)(sc[i] > best[i]);
    memcpy(&t, &td[i], sizeof t);
    t = (sb & m) | (t & ~m);
    memcpy(&td[i], &t, sizeof t);
  }
  LOOP {
    double x = sc[i], bb = best[i];
    best[i] = x > bb ? x : bb;
  }
}
#endif


CAL_VM_BODY void run_batch(const cal_program *p, cal_vm_batch *b, size_t n) {
  size_t i;
  unsigned r, s, ns = p->nsubtypes;
  double zero;
  if (n > NB) n = NB;
  for (r = 0; r < p->nlets; r++) {
    double *out = b->lets + (size_t)r * NB;
    if (p->fast_batch[r]) batch_block(p, b, p->fast_start[r], out);
    else rows_block(p, b, n, r, out);
  }
  /* zeros from a volatile: a constant 0 makes the compiler call memset for
   * these columns (10 KB at once for 5 subtypes), whose rep stosb costs
   * more than the loop's vector stores (and valgrind counts every byte) */
  {
    volatile double vzero = 0.0;
    zero = vzero;
  }
  for (s = 0; s < ns; s++) k_fill(b->score + (size_t)s * NB, zero);
  /* fired bits: a column of doubles per word (scratch past the stack) */
  for (r = 0; r < p->nrules; r++) {
    uint32_t bi = p->nlets + r, word = r / CAL_VM_FIRED_BITS;
    double *out = b->value + (size_t)r * NB, *fd = SCR(CAL_VM_STACK + 1, 0);
    if (r % CAL_VM_FIRED_BITS == 0) k_fill(fd, zero);
    if (p->fast_batch[bi]) batch_block(p, b, p->fast_start[bi], out);
    else rows_block(p, b, n, bi, out);
    k_rule(b->score + (size_t)p->rules[r].subtype * NB, fd, out, p->rules[r].weight,
           (double)((uint64_t)1 << (r % CAL_VM_FIRED_BITS)));
    if (r % CAL_VM_FIRED_BITS == CAL_VM_FIRED_BITS - 1 || r + 1 == p->nrules) {
      uint64_t *fw = b->fired + (size_t)word * NB;
      LOOP fw[i] = (uint64_t)fd[i];
    }
  }
  /* the winner of each row, subtype by subtype over all rows (no branches) */
  {
    double *best = b->best;
    int *type = b->type;
    const double floor_ = p->indeterminate_at_most;
    if (ns == 0) {
      for (i = 0; i < n; i++) { type[i] = CAL_INDETERMINATE; best[i] = 0; }
      return;
    }
    double *td = SCR(CAL_VM_STACK + 1, 1); /* the type as a double: loops of one width vectorize */
    memcpy(best, b->score, NB * sizeof(double));
    k_fill(td, zero);
    for (s = 1; s < ns; s++) {
      const double *sc = b->score + (size_t)s * NB;
      k_max(best, td, sc, (double)s);
    }
    LOOP type[i] = (int)td[i];
    if (p->tie_policy == CAL_TIE_INDETERMINATE) {
      for (i = 0; i < n; i++) {
        unsigned ntop = 0;
        for (s = 0; s < ns; s++) ntop += b->score[(size_t)s * NB + i] == best[i];
        if (ntop > 1) type[i] = -2; /* a tie: made indeterminate below */
      }
    }
    LOOP {
      int ind = (best[i] <= floor_) | (type[i] == -2);
      type[i] = ind ? CAL_INDETERMINATE : type[i];
      best[i] = ind ? 0.0 : best[i];
    }
  }
}

#ifdef CAL_VM_AVX2
__attribute__((flatten, target("avx2"))) static void run_batch_avx2(const cal_program *p, cal_vm_batch *b, size_t n) {
  run_batch(p, b, n);
}

__attribute__((flatten)) static void run_batch_base(const cal_program *p, cal_vm_batch *b, size_t n) {
  run_batch(p, b, n);
}

void cal_vm_run_batch(const cal_program *p, cal_vm_batch *b, size_t n) {
  if (__builtin_cpu_supports("avx2")) run_batch_avx2(p, b, n);
  else run_batch_base(p, b, n);
}

void cal_vm_run_batch_baseline(const cal_program *p, cal_vm_batch *b, size_t n) { run_batch_base(p, b, n); }
#else
void cal_vm_run_batch(const cal_program *p, cal_vm_batch *b, size_t n) { run_batch(p, b, n); }
void cal_vm_run_batch_baseline(const cal_program *p, cal_vm_batch *b, size_t n) { run_batch(p, b, n); }
#endif
