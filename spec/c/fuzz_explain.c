/*
 * fuzz_explain.c - libFuzzer target for the explanations of fired rules
 * (src/explain.c): the template loader on any bytes, checked against an
 * operand program that the VM loader accepted, and, for templates it
 * accepts, the operands and the reasons of every rule. Built and run by
 * `make fuzz` (spec/c/fuzz.sh); the seed corpus spec/c/corpus/fuzz_explain/
 * holds what the rule compiler wrote (spec/c/corpus/make-seeds.lua).
 *
 * TEST-SOURCES: src/explain.c src/vm.c
 *
 * Input: u16 (little-endian) n, then n bytes of an operand program, then the
 * template bytes. The patient's inputs come from a hash of the input (NaN,
 * 0, negative, huge and ordinary numbers; random term bits). Checks,
 * besides the sanitizers: every reason lies inside the text, in order, and
 * no two are equal; rendering again gives the same reasons.
 */
#include "../../src/explain.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t next(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static void check(int ok, const char *what) {
  if (!ok) {
    fprintf(stderr, "fuzz_explain: %s\n", what);
    abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const double values[] = {NAN, 0.0, -0.0, 1.0, -3.0, 2.5, 10.0, 1e9, 1e300, -1e308, 0.125, 4e9};
  size_t n, nin, nops, r, i;
  cal_program *p;
  const cal_program *progs[1];
  cal_explain *x;
  char err[256];
  uint64_t seed = 0x1234, terms[CAL_VM_MAX_TERM_WORDS];
  double *vars, *in, *ops;
  cal_vm_result *res;
  cal_explain_out out, again;
  if (size < 2) return 0;
  n = (size_t)data[0] | ((size_t)data[1] << 8);
  if (n > size - 2) return 0;
  p = cal_vm_load(data + 2, n, err, sizeof err);
  if (!p) return 0;
  progs[0] = p;
  x = cal_explain_load(data + 2 + n, size - 2 - n, progs, 1, err, sizeof err);
  if (!x) {
    cal_vm_free(p);
    return 0;
  }
  for (i = 0; i < size; i++) seed = seed * 31 + data[i];
  nin = cal_explain_nslots(x) + cal_explain_nlets(x);
  nops = cal_explain_nops(x);
  vars = (double *)malloc((nin + 1) * sizeof(double));
  in = (double *)malloc((nin + 1) * sizeof(double));
  ops = (double *)malloc((nops + 1) * sizeof(double));
  res = (cal_vm_result *)malloc(sizeof *res);
  check(vars && in && ops && res, "out of memory");
  for (i = 0; i < nin; i++) vars[i] = values[next(&seed) % (sizeof values / sizeof values[0])];
  for (i = 0; i < CAL_VM_MAX_TERM_WORDS; i++) terms[i] = next(&seed) & next(&seed);
  cal_explain_operands(x, vars, vars + cal_explain_nslots(x), terms, in, res, ops);
  memset(&out, 0, sizeof out);
  memset(&again, 0, sizeof again);
  for (r = 0; r < cal_explain_nrules(x); r++) {
    size_t a, b;
    check(cal_explain_rule(x, r, ops, terms, &out) == 0, "out of memory rendering");
    check(out.start[0] == 0 && out.start[out.n] == out.len, "reasons outside the text");
    for (a = 0; a < out.n; a++) {
      check(out.start[a] <= out.start[a + 1], "reasons out of order");
      for (b = a + 1; b < out.n; b++)
        check(out.start[a + 1] - out.start[a] != out.start[b + 1] - out.start[b] ||
                  memcmp(out.text + out.start[a], out.text + out.start[b], out.start[a + 1] - out.start[a]) != 0,
              "a reason twice");
    }
    check(cal_explain_rule(x, r, ops, terms, &again) == 0, "out of memory rendering again");
    check(again.n == out.n && again.len == out.len && (out.len == 0 || memcmp(again.text, out.text, out.len) == 0),
          "rendered differently the second time");
  }
  cal_explain_out_free(&out);
  cal_explain_out_free(&again);
  free(vars);
  free(in);
  free(ops);
  free(res);
  cal_explain_free(x);
  cal_vm_free(p);
  return 0;
}
