/*
 * vm.c - rule VM: loader, verifier, interpreter. See vm.h for the format.
 */
#include "vm.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const opnames[CAL_OP_COUNT_] = {
  "CONST", "VAR", "LET", "COUNT", "ISNUM", "NOT", "NEG", "ABS",
  "ADD", "SUB", "MUL", "DIV", "POW", "MIN", "MAX",
  "LT", "LE", "GT", "GE", "EQ", "NE", "AND", "OR", "SEL",
  "ANDJ", "ORJ", "RET"
};

/* pops and pushes of each opcode */
static const unsigned char op_pops[CAL_OP_COUNT_] = {
  0, 0, 0, 0, 1, 1, 1, 1,
  2, 2, 2, 2, 2, 2, 2,
  2, 2, 2, 2, 2, 2, 2, 2, 3,
  1, 1, 1
};
static const unsigned char op_pushes[CAL_OP_COUNT_] = {
  1, 1, 1, 1, 1, 1, 1, 1,
  1, 1, 1, 1, 1, 1, 1,
  1, 1, 1, 1, 1, 1, 1, 1, 1,
  1, 1, 0
};

const char *cal_vm_opname(unsigned op) {
  return op < CAL_OP_COUNT_ ? opnames[op] : "?";
}

uint64_t cal_fnv1a64(uint64_t h, const void *bytes, size_t len) {
  const unsigned char *b = (const unsigned char *)bytes;
  size_t i;
  for (i = 0; i < len; i++) {
    h ^= b[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

static int fail(char *err, size_t errlen, const char *fmt, ...) {
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
    fail(err, errlen, "program too short for a header (%lu bytes)", (unsigned long)len);
    return NULL;
  }
  if (memcmp(r.b, "CALV", 4) != 0) {
    fail(err, errlen, "bad program magic");
    return NULL;
  }
  r.pos = 4;
  version = rd_u16(&r);
  if (version != CAL_VM_VERSION) {
    fail(err, errlen, "unsupported program version %u", (unsigned)version);
    return NULL;
  }
  if (rd_u16(&r) != 0) {
    fail(err, errlen, "unknown program flags");
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
    fail(err, errlen, "program exceeds a limit (lets %u, rules %u, subtypes %u, term words %u, code %lu)",
         (unsigned)h.nlets, (unsigned)h.nrules, (unsigned)h.nsubtypes,
         (unsigned)h.term_words, (unsigned long)h.ncode);
    return NULL;
  }
  need = (size_t)h.nconsts * 8 + (size_t)h.nsets * h.term_words * 8 + (size_t)h.ncode * 4 +
         (size_t)h.nlets * 8 + (size_t)h.nrules * 18 + (size_t)h.nmeta;
  if (len - CAL_VM_HEADER_SIZE != need) {
    fail(err, errlen, "program size %lu does not match its header (expected %lu)",
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
    fail(err, errlen, "out of memory loading a program");
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
  if (!cal_vm_verify(p, err, errlen)) {
    free(mem);
    return NULL;
  }
  if (!build_fast(p)) {
    free(mem);
    fail(err, errlen, "out of memory loading a program");
    return NULL;
  }
  return p;
}

void cal_vm_free(cal_program *p) {
  if (p) {
    free((void *)p->fast);
    free((void *)p->fast_start);
    free((void *)p->fast_batch);
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
    return fail(err, errlen, "%s %u: code range [%lu, +%lu) outside the code (%lu)", kind, idx,
                (unsigned long)start, (unsigned long)len, (unsigned long)p->ncode);
  end = start + len;
  for (pc = start; pc < end; pc++) depth_at[pc] = -1;
  for (pc = start; pc < end; pc++) {
    uint32_t ins = p->code[pc];
    unsigned op = CAL_INSTR_OP(ins);
    uint32_t arg = CAL_INSTR_ARG(ins);
    if (op >= CAL_OP_COUNT_)
      return fail(err, errlen, "%s %u, pc %lu: bad opcode %u", kind, idx, (unsigned long)pc, op);
    if (depth_at[pc] >= 0 && depth_at[pc] != depth)
      return fail(err, errlen, "%s %u, pc %lu: stack depth %d here but %d from a jump", kind, idx,
                  (unsigned long)pc, depth, (int)depth_at[pc]);
    switch (op) {
      case CAL_OP_CONST:
        if (arg >= p->nconsts)
          return fail(err, errlen, "%s %u, pc %lu: constant %lu out of range (%u)", kind, idx,
                      (unsigned long)pc, (unsigned long)arg, (unsigned)p->nconsts);
        break;
      case CAL_OP_VAR:
        if (arg >= p->nvars)
          return fail(err, errlen, "%s %u, pc %lu: slot %lu out of range (%u)", kind, idx,
                      (unsigned long)pc, (unsigned long)arg, (unsigned)p->nvars);
        break;
      case CAL_OP_LET:
        if (arg >= max_let)
          return fail(err, errlen, "%s %u, pc %lu: let %lu not available here (%u)", kind, idx,
                      (unsigned long)pc, (unsigned long)arg, max_let);
        break;
      case CAL_OP_COUNT:
        if (arg >= p->nsets)
          return fail(err, errlen, "%s %u, pc %lu: set %lu out of range (%u)", kind, idx,
                      (unsigned long)pc, (unsigned long)arg, (unsigned)p->nsets);
        break;
      case CAL_OP_ANDJ:
      case CAL_OP_ORJ:
        if (arg <= pc || arg >= end)
          return fail(err, errlen, "%s %u, pc %lu: jump target %lu not forward inside the block", kind,
                      idx, (unsigned long)pc, (unsigned long)arg);
        break;
      case CAL_OP_RET:
        if (pc != end - 1)
          return fail(err, errlen, "%s %u, pc %lu: RET before the end of the block", kind, idx,
                      (unsigned long)pc);
        if (depth != 1)
          return fail(err, errlen, "%s %u: block leaves %d values, not 1", kind, idx, depth);
        break;
      default:
        if (arg != 0)
          return fail(err, errlen, "%s %u, pc %lu: %s takes no operand", kind, idx,
                      (unsigned long)pc, opnames[op]);
        break;
    }
    if (depth < op_pops[op])
      return fail(err, errlen, "%s %u, pc %lu: stack underflow in %s", kind, idx,
                  (unsigned long)pc, opnames[op]);
    depth = depth - op_pops[op] + op_pushes[op];
    if (depth > CAL_VM_STACK)
      return fail(err, errlen, "%s %u, pc %lu: stack overflow (max %d)", kind, idx,
                  (unsigned long)pc, CAL_VM_STACK);
    if (op == CAL_OP_ANDJ || op == CAL_OP_ORJ) {
      if (depth_at[arg] >= 0 && depth_at[arg] != depth)
        return fail(err, errlen, "%s %u, pc %lu: jumps disagree on stack depth", kind, idx,
                    (unsigned long)pc);
      depth_at[arg] = (short)depth;
    }
  }
  if (CAL_INSTR_OP(p->code[end - 1]) != CAL_OP_RET)
    return fail(err, errlen, "%s %u: block does not end with RET", kind, idx);
  return 1;
}

int cal_vm_verify(const cal_program *p, char *err, size_t errlen) {
  short *depth_at;
  unsigned i;
  int ok = 1;
  if (!p) return fail(err, errlen, "no program");
  if (p->nlets > CAL_VM_MAX_LETS || p->nrules > CAL_VM_MAX_RULES ||
      p->nsubtypes > CAL_VM_MAX_SUBTYPES || p->nsubtypes == 0 ||
      p->term_words > CAL_VM_MAX_TERM_WORDS || p->ncode > CAL_VM_MAX_CODE)
    return fail(err, errlen, "program counts out of limits");
  if (p->tie_policy > CAL_TIE_INDETERMINATE)
    return fail(err, errlen, "unknown tie policy %u", (unsigned)p->tie_policy);
  if (isnan(p->indeterminate_at_most))
    return fail(err, errlen, "indeterminate threshold is NaN");
  if ((p->nconsts && !p->consts) || (p->nsets && p->term_words && !p->sets) ||
      (p->ncode && !p->code) || (p->nlets && !p->lets) || (p->nrules && !p->rules))
    return fail(err, errlen, "program arrays missing");
  for (i = 0; i < p->nrules; i++) {
    if (p->rules[i].subtype >= p->nsubtypes)
      return fail(err, errlen, "rule %u: subtype %u out of range (%u)", i,
                  (unsigned)p->rules[i].subtype, (unsigned)p->nsubtypes);
    if (!isfinite(p->rules[i].weight))
      return fail(err, errlen, "rule %u: weight is not a finite number", i);
  }
  if (p->ncode == 0) {
    if (p->nlets || p->nrules) return fail(err, errlen, "program has blocks but no code");
    return 1;
  }
  depth_at = (short *)malloc(sizeof(short) * p->ncode);
  if (!depth_at) return fail(err, errlen, "out of memory verifying a program");
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
 * be a jump target):
 *   X CONST CMP [RET]      X in VAR/LET/COUNT, CMP in LT..NE  -> FX_CMPK[_RET]
 *   X Y CMP [RET]          X, Y in VAR/LET/COUNT              -> FX_CMP2[_RET]
 *   X CONST CONST SEL      X in VAR/LET/COUNT                  -> FX_SELK
 *   CONST NEG                                                  -> FX_CONST (negated)
 *   X CONST GE X CONST LE AND   (the same X)                   -> FX_BETWEENK
 * A block that is one FX_CMPK_RET or FX_CMP2_RET is run by cal_vm_run
 * without entering the dispatch loop.
 * Every fused instruction computes exactly what the sequence computes, with
 * the same stack effect, so the verifier's guarantees carry over. Jump
 * targets are renumbered. */

enum {
  FX_CONST = CAL_OP_COUNT_ + 1, FX_CMPK, FX_CMPK_RET, FX_CMP2, FX_CMP2_RET, FX_SELK, FX_BETWEENK
};

typedef struct {
  unsigned char op, sub, ka, kb; /* sub: comparison opcode; ka, kb: source kinds */
  uint32_t a, b;                 /* operand indices (or jump target) */
  double k, k2;                  /* inline constants */
} fx;

static int is_src(unsigned op) { return op == CAL_OP_VAR || op == CAL_OP_LET || op == CAL_OP_COUNT; }
static int is_cmp(unsigned op) { return op >= CAL_OP_LT && op <= CAL_OP_NE; }

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

static int build_fast(cal_program *p) {
  uint32_t nblocks = (uint32_t)p->nlets + p->nrules, bi, i;
  fx *out = (fx *)malloc(sizeof(fx) * (p->ncode ? p->ncode : 1));
  uint32_t *starts = (uint32_t *)malloc(sizeof(uint32_t) * (nblocks ? nblocks : 1));
  uint32_t *map = (uint32_t *)malloc(sizeof(uint32_t) * (p->ncode + 1));
  unsigned char *target = (unsigned char *)calloc(p->ncode + 1, 1);
  uint32_t n = 0;
  if (!out || !starts || !map || !target) {
    free(out); free(starts); free(map); free(target);
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
    starts[bi] = n;
    while (pc < end) {
      const uint32_t *c = p->code + pc;
      unsigned op0 = CAL_INSTR_OP(c[0]);
      uint32_t left = end - pc;
      fx *f = &out[n];
      memset(f, 0, sizeof *f);
      map[pc] = n;
      if (left >= 7 && is_src(op0) && CAL_INSTR_OP(c[1]) == CAL_OP_CONST && CAL_INSTR_OP(c[2]) == CAL_OP_GE &&
          c[3] == c[0] && CAL_INSTR_OP(c[4]) == CAL_OP_CONST && CAL_INSTR_OP(c[5]) == CAL_OP_LE &&
          CAL_INSTR_OP(c[6]) == CAL_OP_AND && !target[pc + 1] && !target[pc + 2] && !target[pc + 3] &&
          !target[pc + 4] && !target[pc + 5] && !target[pc + 6]) {
        /* x >= k and x <= k2: unknown when x is missing, as the sequence */
        f->op = FX_BETWEENK;
        f->ka = (unsigned char)op0;
        f->a = CAL_INSTR_ARG(c[0]);
        f->k = p->consts[CAL_INSTR_ARG(c[1])];
        f->k2 = p->consts[CAL_INSTR_ARG(c[4])];
        for (i = 1; i < 7; i++) map[pc + i] = n;
        pc += 7;
      } else if (left >= 3 && is_src(op0) && !target[pc + 1] && !target[pc + 2] &&
          is_cmp(CAL_INSTR_OP(c[2])) &&
          (CAL_INSTR_OP(c[1]) == CAL_OP_CONST || is_src(CAL_INSTR_OP(c[1])))) {
        int ret = left >= 4 && CAL_INSTR_OP(c[3]) == CAL_OP_RET && !target[pc + 3];
        int konst = CAL_INSTR_OP(c[1]) == CAL_OP_CONST;
        f->op = (unsigned char)(konst ? (ret ? FX_CMPK_RET : FX_CMPK) : (ret ? FX_CMP2_RET : FX_CMP2));
        f->sub = (unsigned char)CAL_INSTR_OP(c[2]);
        f->ka = (unsigned char)op0;
        f->a = CAL_INSTR_ARG(c[0]);
        if (konst) f->k = p->consts[CAL_INSTR_ARG(c[1])];
        else { f->kb = (unsigned char)CAL_INSTR_OP(c[1]); f->b = CAL_INSTR_ARG(c[1]); }
        map[pc + 1] = map[pc + 2] = n;
        if (ret) map[pc + 3] = n;
        pc += ret ? 4u : 3u;
      } else if (left >= 4 && is_src(op0) && CAL_INSTR_OP(c[1]) == CAL_OP_CONST &&
                 CAL_INSTR_OP(c[2]) == CAL_OP_CONST && CAL_INSTR_OP(c[3]) == CAL_OP_SEL &&
                 !target[pc + 1] && !target[pc + 2] && !target[pc + 3]) {
        f->op = FX_SELK;
        f->ka = (unsigned char)op0;
        f->a = CAL_INSTR_ARG(c[0]);
        f->k = p->consts[CAL_INSTR_ARG(c[1])];
        f->k2 = p->consts[CAL_INSTR_ARG(c[2])];
        map[pc + 1] = map[pc + 2] = map[pc + 3] = n;
        pc += 4;
      } else if (op0 == CAL_OP_CONST) {
        f->op = FX_CONST;
        f->k = p->consts[CAL_INSTR_ARG(c[0])];
        if (left >= 2 && CAL_INSTR_OP(c[1]) == CAL_OP_NEG && !target[pc + 1]) {
          f->k = -f->k;
          map[pc + 1] = n;
          pc += 2;
        } else {
          pc += 1;
        }
      } else {
        f->op = (unsigned char)op0;
        f->a = CAL_INSTR_ARG(c[0]);
        pc += 1;
      }
      n++;
    }
    map[end] = n;
    /* renumber the jumps of this block */
    for (i = first; i < n; i++)
      if (out[i].op == CAL_OP_ANDJ || out[i].op == CAL_OP_ORJ) out[i].a = map[out[i].a];
  }
  free(map);
  free(target);
  p->fast = out;
  p->fast_start = starts;
  {
    unsigned char *ok = (unsigned char *)malloc(nblocks ? nblocks : 1);
    if (!ok) return 0;
    for (bi = 0; bi < nblocks; bi++) ok[bi] = (unsigned char)batchable(p, bi);
    p->fast_batch = ok;
  }
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

static int popcount64(uint64_t x) {
#if defined(__GNUC__) || defined(__clang__)
  return __builtin_popcountll(x);
#else
  int n = 0;
  while (x) {
    x &= x - 1;
    n++;
  }
  return n;
#endif
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

/* The stack operations both interpreters share (they use st and sp). */
#define STACK_OPS \
      case CAL_OP_ISNUM: st[sp - 1] = isnan(st[sp - 1]) ? 0.0 : 1.0; break; \
      case CAL_OP_NOT: \
        if (!isnan(st[sp - 1])) st[sp - 1] = st[sp - 1] == 0 ? 1.0 : 0.0; \
        break; \
      case CAL_OP_NEG: st[sp - 1] = -st[sp - 1]; break; \
      case CAL_OP_ABS: st[sp - 1] = fabs(st[sp - 1]); break; \
      case CAL_OP_ADD: ARITH(a_ + b_); break; \
      case CAL_OP_SUB: ARITH(a_ - b_); break; \
      case CAL_OP_MUL: ARITH(a_ * b_); break; \
      case CAL_OP_DIV: ARITH(a_ / b_); break; \
      case CAL_OP_POW: ARITH((isnan(a_) || isnan(b_)) ? NAN : pow(a_, b_)); break; \
      case CAL_OP_MIN: ARITH((isnan(a_) || isnan(b_)) ? NAN : (b_ < a_ ? b_ : a_)); break; \
      case CAL_OP_MAX: ARITH((isnan(a_) || isnan(b_)) ? NAN : (b_ > a_ ? b_ : a_)); break; \
      case CAL_OP_LT: CMP(a_ < b_); break; \
      case CAL_OP_LE: CMP(a_ <= b_); break; \
      case CAL_OP_GT: CMP(a_ > b_); break; \
      case CAL_OP_GE: CMP(a_ >= b_); break; \
      case CAL_OP_EQ: CMP(a_ == b_); break; \
      case CAL_OP_NE: CMP(a_ != b_); break; \
      case CAL_OP_AND: ARITH(truth_and(a_, b_)); break; \
      case CAL_OP_OR: ARITH(truth_or(a_, b_)); break; \
      case CAL_OP_SEL: { \
        double b = st[--sp], a = st[--sp], c = st[sp - 1]; \
        if (isnan(c)) st[sp - 1] = (a == b) ? a : NAN; \
        else st[sp - 1] = c != 0 ? a : b; \
        break; \
      }


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
      case CAL_OP_CONST: st[sp++] = p->consts[f->a]; break;
      case CAL_OP_VAR: st[sp++] = vars[f->a]; break;
      case CAL_OP_LET: st[sp++] = lets[f->a]; break;
      case CAL_OP_COUNT: st[sp++] = fx_src(CAL_OP_COUNT, f->a, p, vars, terms, lets); break;
      STACK_OPS
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
 * The same fast code run over up to b->cap patients at a time, one
 * instruction over all of them before the next: a column per stack slot. */

cal_vm_batch *cal_vm_batch_new(const cal_program *p, size_t cap) {
  cal_vm_batch *b = (cal_vm_batch *)calloc(1, sizeof *b);
  size_t tw = p->term_words ? p->term_words : 1;
  if (!b) return NULL;
  if (cap == 0) cap = CAL_VM_BATCH;
  b->cap = cap;
  b->tw = tw;
  b->vars = (double *)malloc(sizeof(double) * cap * (p->nvars ? p->nvars : 1));
  b->terms = (uint64_t *)calloc(cap * tw, sizeof(uint64_t));
  b->lets = (double *)malloc(sizeof(double) * cap * (p->nlets ? p->nlets : 1));
  b->state = (unsigned char *)malloc(cap * (p->nrules ? p->nrules : 1));
  b->score = (double *)malloc(sizeof(double) * cap * (p->nsubtypes ? p->nsubtypes : 1));
  b->type = (int *)malloc(sizeof(int) * cap);
  b->best = (double *)malloc(sizeof(double) * cap);
  /* CAL_VM_STACK columns, one for an operand computed past the top, one for results */
  b->stack = (double *)malloc(sizeof(double) * cap * (CAL_VM_STACK + 2));
  b->row_vars = (double *)malloc(sizeof(double) * (p->nvars ? p->nvars : 1));
  b->row_lets = (double *)malloc(sizeof(double) * (p->nlets ? p->nlets : 1));
  if (!b->vars || !b->terms || !b->lets || !b->state || !b->score || !b->type || !b->best ||
      !b->stack || !b->row_vars || !b->row_lets) {
    cal_vm_batch_free(b);
    return NULL;
  }
  return b;
}

void cal_vm_batch_free(cal_vm_batch *b) {
  if (!b) return;
  free(b->vars); free(b->terms); free(b->lets); free(b->state); free(b->score);
  free(b->type); free(b->best); free(b->stack); free(b->row_vars); free(b->row_lets);
  free(b);
}

/* The column of a source operand; COUNT is computed into tmp. */
static const double *batch_src(const cal_program *p, const cal_vm_batch *b, size_t n, unsigned kind,
                               uint32_t a, double *tmp) {
  size_t i;
  if (kind == CAL_OP_VAR) return b->vars + (size_t)a * b->cap;
  if (kind == CAL_OP_LET) return b->lets + (size_t)a * b->cap;
  {
    const uint64_t *set = p->sets + (size_t)a * p->term_words;
    for (i = 0; i < n; i++) {
      const uint64_t *t = b->terms + i * b->tw;
      int c = 0;
      unsigned w;
      for (w = 0; w < p->term_words; w++) c += popcount64(set[w] & t[w]);
      tmp[i] = (double)c;
    }
    return tmp;
  }
}

/* d[i] = x[i] OP y (y a constant, or y[i]); NaN when either is NaN. */
#define CMPLOOP(OPX, YI) \
  for (i = 0; i < n; i++) { double a_ = x[i], b_ = (YI); \
    d[i] = (isnan(a_) || isnan(b_)) ? NAN : ((a_ OPX b_) ? 1.0 : 0.0); }
#define CMPSWITCH(sub, YI) \
  switch (sub) { \
    case CAL_OP_LT: CMPLOOP(<, YI) break; \
    case CAL_OP_LE: CMPLOOP(<=, YI) break; \
    case CAL_OP_GT: CMPLOOP(>, YI) break; \
    case CAL_OP_GE: CMPLOOP(>=, YI) break; \
    case CAL_OP_EQ: CMPLOOP(==, YI) break; \
    default: CMPLOOP(!=, YI) break; \
  }

#define BCOL(k) (b->stack + (size_t)(k) * cap)
#define BUN(expr) do { double *x_ = BCOL(sp - 1); size_t i_; \
  for (i_ = 0; i_ < n; i_++) { double a_ = x_[i_]; x_[i_] = (expr); } } while (0)
#define BBIN(expr) do { double *x_ = BCOL(sp - 2); const double *y_ = BCOL(sp - 1); size_t i_; \
  for (i_ = 0; i_ < n; i_++) { double a_ = x_[i_], b_ = y_[i_]; x_[i_] = (expr); } sp--; } while (0)
#define BCMP(cond) BBIN((isnan(a_) || isnan(b_)) ? NAN : ((cond) ? 1.0 : 0.0))

static void batch_block(const cal_program *p, cal_vm_batch *b, size_t n, uint32_t pc, double *out) {
  const fx *code = (const fx *)p->fast;
  size_t cap = b->cap, i;
  int sp = 0;
  for (;;) {
    const fx *f = &code[pc];
    switch (f->op) {
      case FX_CONST: { double *d = BCOL(sp++); for (i = 0; i < n; i++) d[i] = f->k; break; }
      case FX_CMPK:
      case FX_CMPK_RET: {
        double *d = f->op == FX_CMPK ? BCOL(sp) : out;
        const double *x = batch_src(p, b, n, f->ka, f->a, d);
        const double k = f->k;
        CMPSWITCH(f->sub, k)
        if (f->op == FX_CMPK_RET) return;
        sp++;
        break;
      }
      case FX_CMP2:
      case FX_CMP2_RET: {
        double *d = f->op == FX_CMP2 ? BCOL(sp) : out;
        const double *x = batch_src(p, b, n, f->ka, f->a, d);
        const double *y = batch_src(p, b, n, f->kb, f->b, BCOL(sp + 1));
        CMPSWITCH(f->sub, y[i])
        if (f->op == FX_CMP2_RET) return;
        sp++;
        break;
      }
      case FX_SELK: {
        double *d = BCOL(sp);
        const double *c = batch_src(p, b, n, f->ka, f->a, d);
        for (i = 0; i < n; i++) {
          double v = c[i];
          d[i] = isnan(v) ? ((f->k == f->k2) ? f->k : NAN) : (v != 0 ? f->k : f->k2);
        }
        sp++;
        break;
      }
      case FX_BETWEENK: {
        double *d = BCOL(sp);
        const double *x = batch_src(p, b, n, f->ka, f->a, d);
        const double lo = f->k, hi = f->k2;
        if (isnan(lo) || isnan(hi)) {
          for (i = 0; i < n; i++) d[i] = truth_and(fx_cmp(CAL_OP_GE, x[i], lo), fx_cmp(CAL_OP_LE, x[i], hi));
        } else {
          for (i = 0; i < n; i++) {
            double v = x[i];
            d[i] = isnan(v) ? NAN : ((v >= lo && v <= hi) ? 1.0 : 0.0);
          }
        }
        sp++;
        break;
      }
      case CAL_OP_CONST: { double *d = BCOL(sp++); for (i = 0; i < n; i++) d[i] = p->consts[f->a]; break; }
      case CAL_OP_VAR:
      case CAL_OP_LET:
        memcpy(BCOL(sp), batch_src(p, b, n, f->op, f->a, NULL), n * sizeof(double));
        sp++;
        break;
      case CAL_OP_COUNT: batch_src(p, b, n, CAL_OP_COUNT, f->a, BCOL(sp)); sp++; break;
      case CAL_OP_ISNUM: BUN(isnan(a_) ? 0.0 : 1.0); break;
      case CAL_OP_NOT: BUN(isnan(a_) ? a_ : (a_ == 0 ? 1.0 : 0.0)); break;
      case CAL_OP_NEG: BUN(-a_); break;
      case CAL_OP_ABS: BUN(fabs(a_)); break;
      case CAL_OP_ADD: BBIN(a_ + b_); break;
      case CAL_OP_SUB: BBIN(a_ - b_); break;
      case CAL_OP_MUL: BBIN(a_ * b_); break;
      case CAL_OP_DIV: BBIN(a_ / b_); break;
      case CAL_OP_POW: BBIN((isnan(a_) || isnan(b_)) ? NAN : pow(a_, b_)); break;
      case CAL_OP_MIN: BBIN((isnan(a_) || isnan(b_)) ? NAN : (b_ < a_ ? b_ : a_)); break;
      case CAL_OP_MAX: BBIN((isnan(a_) || isnan(b_)) ? NAN : (b_ > a_ ? b_ : a_)); break;
      case CAL_OP_LT: BCMP(a_ < b_); break;
      case CAL_OP_LE: BCMP(a_ <= b_); break;
      case CAL_OP_GT: BCMP(a_ > b_); break;
      case CAL_OP_GE: BCMP(a_ >= b_); break;
      case CAL_OP_EQ: BCMP(a_ == b_); break;
      case CAL_OP_NE: BCMP(a_ != b_); break;
      case CAL_OP_AND: BBIN(truth_and(a_, b_)); break;
      case CAL_OP_OR: BBIN(truth_or(a_, b_)); break;
      case CAL_OP_SEL: {
        double *c = BCOL(sp - 3);
        const double *x = BCOL(sp - 2), *y = BCOL(sp - 1);
        for (i = 0; i < n; i++) {
          double a = x[i], bb = y[i], cc = c[i];
          c[i] = isnan(cc) ? ((a == bb) ? a : NAN) : (cc != 0 ? a : bb);
        }
        sp -= 2;
        break;
      }
      case CAL_OP_ANDJ:
      case CAL_OP_ORJ:
        break; /* batchable blocks compute the skipped code instead (see batchable) */
      case CAL_OP_RET: memcpy(out, BCOL(sp - 1), n * sizeof(double)); return;
      default: for (i = 0; i < n; i++) out[i] = NAN; return;
    }
    pc++;
  }
}

/* A block that cannot run in batches runs row by row. */
static void rows_block(const cal_program *p, cal_vm_batch *b, size_t n, uint32_t bi, double *out) {
  size_t i, k, cap = b->cap;
  unsigned nl = bi < p->nlets ? bi : p->nlets;
  for (i = 0; i < n; i++) {
    for (k = 0; k < p->nvars; k++) b->row_vars[k] = b->vars[k * cap + i];
    for (k = 0; k < nl; k++) b->row_lets[k] = b->lets[k * cap + i];
    out[i] = run_fast(p, b->row_vars, b->terms + i * b->tw, b->row_lets, p->fast_start[bi]);
  }
}

void cal_vm_run_batch(const cal_program *p, cal_vm_batch *b, size_t n) {
  size_t i, cap = b->cap;
  unsigned r, s, ns = p->nsubtypes;
  double *tmp = BCOL(CAL_VM_STACK + 1);
  if (n > cap) n = cap;
  for (r = 0; r < p->nlets; r++) {
    double *out = b->lets + (size_t)r * cap;
    if (p->fast_batch[r]) batch_block(p, b, n, p->fast_start[r], out);
    else rows_block(p, b, n, r, out);
  }
  for (s = 0; s < ns; s++) for (i = 0; i < n; i++) b->score[s * cap + i] = 0;
  for (r = 0; r < p->nrules; r++) {
    uint32_t bi = p->nlets + r;
    unsigned char *st = b->state + (size_t)r * cap;
    double *sc = b->score + (size_t)p->rules[r].subtype * cap, w = p->rules[r].weight;
    if (p->fast_batch[bi]) batch_block(p, b, n, p->fast_start[bi], tmp);
    else rows_block(p, b, n, bi, tmp);
    for (i = 0; i < n; i++) { /* branch-free: CAL_FALSE 0, CAL_TRUE 1, CAL_UNKNOWN 2 */
      double v = tmp[i];
      int un = v != v, tr = (v == v) & (v != 0.0);
      st[i] = (unsigned char)(un * CAL_UNKNOWN + tr * CAL_TRUE);
      sc[i] += w * (double)tr;
    }
  }
  for (i = 0; i < n; i++) {
    double best = ns ? b->score[i] : 0;
    int type = 0;
    unsigned ntop = 0;
    for (s = 1; s < ns; s++)
      if (b->score[s * cap + i] > best) { best = b->score[s * cap + i]; type = (int)s; }
    for (s = 0; s < ns; s++) if (b->score[s * cap + i] == best) ntop++;
    if (ns == 0 || best <= p->indeterminate_at_most || (p->tie_policy == CAL_TIE_INDETERMINATE && ntop > 1)) {
      b->type[i] = CAL_INDETERMINATE;
      b->best[i] = 0;
    } else {
      b->type[i] = type;
      b->best[i] = best;
    }
  }
}
