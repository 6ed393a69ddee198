/*
 * fuzz_vm.c - libFuzzer target for the rule VM (src/vm.c): the program
 * loader and verifier on any bytes, and, for a program they accept, the
 * scalar interpreter (cal_vm_run) against the batch interpreter
 * (cal_vm_run_batch) on the same patients. Built and run by `make fuzz`
 * (spec/c/fuzz.sh); the seed corpus spec/c/corpus/fuzz_vm/ holds programs
 * the rule compiler wrote (tools/fuzz-seeds.lua).
 *
 * TEST-SOURCES: src/vm.c
 *
 * The whole input is the program. The patients (1 to 40 rows, so that the
 * batch runs more than one block of rows when there are many) are made from
 * a hash of the input: each slot takes a value from a list with NaN, 0,
 * negative, huge and ordinary numbers; terms are random bits. Checks,
 * besides the sanitizers: a program that loads runs on both interpreters
 * with the same type, best score, scores, rule states and let values (NaN
 * equal to NaN), row by row; the hash of a program is that of its bytes.
 */
#define _POSIX_C_SOURCE 200809L

#include "../../src/vm.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t next(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 17;
}

static int same(double a, double b)
{
    return (isnan(a) && isnan(b)) || a == b;
}

#define ROWS 40

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const double vals[] = { NAN, 0.0, 1.0, -1.0, 2.5, 10.0, 11.2, 70.0, 0.001, 1e300, -1e300, 4.9e-324,
                                   3.0, 60.0, -0.0, 255.0 };
    char err[256];
    cal_program *p;
    cal_vm_batch *b;
    double *vars;
    static uint64_t terms[ROWS][CAL_VM_MAX_TERM_WORDS];
    static cal_vm_result res;
    uint64_t seed = cal_fnv1a64(CAL_FNV_OFFSET, data, size);
    size_t rows, i, k;
    p = cal_vm_load(data, size, err, sizeof err);
    if (!p) {
        if (memchr(err, '\0', sizeof err) == NULL) abort();
        return 0;
    }
    if (p->hash != cal_fnv1a64(CAL_FNV_OFFSET, data, size)) abort();
    if (p->term_words > CAL_VM_MAX_TERM_WORDS) abort();
    vars = malloc(((size_t)p->nvars + 1) * ROWS * sizeof *vars);
    if (!vars) { cal_vm_free(p); return 0; }
    rows = 1 + (size_t)(next(&seed) % ROWS);
    for (i = 0; i < rows; i++) {
        for (k = 0; k < p->nvars; k++) vars[i * (p->nvars + 1u) + k] = vals[next(&seed) % 16];
        for (k = 0; k < CAL_VM_MAX_TERM_WORDS; k++) terms[i][k] = k < p->term_words ? next(&seed) ^ (next(&seed) << 40) : 0;
    }
    b = cal_vm_batch_new(p);
    if (!b) { free(vars); cal_vm_free(p); return 0; }
    for (i = 0; i < rows; i++) {
        for (k = 0; k < p->nvars; k++) b->vars[k * b->cap + i] = vars[i * (p->nvars + 1u) + k];
        for (k = 0; k < b->tw; k++) b->terms[i * b->tw + k] = k < p->term_words ? terms[i][k] : 0;
    }
    cal_vm_run_batch(p, b, rows);
    for (i = 0; i < rows; i++) {
        int t = cal_vm_run(p, vars + i * (p->nvars + 1u), terms[i], &res);
        if (t != res.type || t != b->type[i]) {
            fprintf(stderr, "row %zu: type scalar %d, batch %d\n", i, t, b->type[i]);
            abort();
        }
        if (!same(res.best, b->best[i])) {
            fprintf(stderr, "row %zu: best scalar %.17g, batch %.17g\n", i, res.best, b->best[i]);
            abort();
        }
        for (k = 0; k < p->nsubtypes; k++)
            if (!same(res.score[k], b->score[k * b->cap + i])) {
                fprintf(stderr, "row %zu: score %zu scalar %.17g, batch %.17g\n", i, k, res.score[k], b->score[k * b->cap + i]);
                abort();
            }
        for (k = 0; k < p->nrules; k++)
            if (res.state[k] != cal_vm_state(b->value[k * b->cap + i])) {
                fprintf(stderr, "row %zu: rule %zu scalar %d, batch %d\n", i, k, res.state[k],
                        cal_vm_state(b->value[k * b->cap + i]));
                abort();
            }
        for (k = 0; k < p->nlets; k++)
            if (!same(res.lets[k], b->lets[k * b->cap + i])) {
                fprintf(stderr, "row %zu: let %zu scalar %.17g, batch %.17g\n", i, k, res.lets[k], b->lets[k * b->cap + i]);
                abort();
            }
    }
    {
        /* the baseline build of the batch interpreter (cal_vm_run_batch may
         * run an AVX2 one): the same bits in every column */
        cal_vm_batch *c = cal_vm_batch_new(p);
        size_t nb = b->cap;
        if (c) {
            memcpy(c->vars, b->vars, nb * (p->nvars ? p->nvars : 1) * sizeof *c->vars);
            memcpy(c->terms, b->terms, nb * b->tw * sizeof *c->terms);
            cal_vm_run_batch_baseline(p, c, rows);
            if (memcmp(c->type, b->type, rows * sizeof *c->type) != 0 ||
                memcmp(c->best, b->best, rows * sizeof *c->best) != 0 ||
                memcmp(c->lets, b->lets, nb * (p->nlets ? p->nlets : 1) * sizeof *c->lets) != 0 ||
                memcmp(c->value, b->value, nb * (p->nrules ? p->nrules : 1) * sizeof *c->value) != 0 ||
                memcmp(c->score, b->score, nb * (p->nsubtypes ? p->nsubtypes : 1) * sizeof *c->score) != 0 ||
                memcmp(c->fired, b->fired, nb * (p->nrules / CAL_VM_FIRED_BITS + 1u) * sizeof *c->fired) != 0) {
                fprintf(stderr, "the baseline batch interpreter differs\n");
                abort();
            }
            cal_vm_batch_free(c);
        }
    }
    cal_vm_batch_free(b);
    free(vars);
    cal_vm_free(p);
    return 0;
}
