/*
 * vm_test.c - tests for the batch VM's memo of pow (src/vm.h
 * cal_vm_pow_memo): every lookup gives the bits of pow itself, over hits,
 * misses and evictions, for ordinary and special arguments; and the memo
 * is what answers a hit. Standalone: see spec/c/README.md. Prints one line
 * per failed check, a line counting the checks, and ends with "N passed, N
 * failed" counting the cases (the three groups below); exit status 1 on
 * failure.
 *
 * TEST-SOURCES: src/vm.c
 */
#include "../../src/vm.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long passed, failed;

static void check(int ok, const char *what, double a, double b, double got, double want)
{
    if (ok) { passed++; return; }
    failed++;
    if (failed <= 20) printf("FAIL %s: pow(%.17g, %.17g) gave %.17g, pow gives %.17g\n", what, a, b, got, want);
}

#include "xorshift.h"

static double from_bits(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

static int same_bits(double x, double y) { return memcmp(&x, &y, sizeof x) == 0; }

int main(void)
{
    static const double special[] = { 0.0, -0.0, 1.0, -1.0, 2.0, -2.0, 0.5, -0.5, 3.0, -3.0, 1e308, -1e308,
                                       4.9e-324, -4.9e-324, 2.2250738585072014e-308, 1.0000000000000002,
                                       0.9999999999999999, -1.2, -0.241, -0.302, 0.7, 0.9, 1.012, 142.0 };
    enum { NSPECIAL = sizeof special / sizeof special[0], POOL = 6000, LOOKUPS = 300000 };
    static double pa[POOL], pb[POOL];
    cal_vm_pow_entry *m = (cal_vm_pow_entry *)malloc(CAL_VM_POW_MEMO * sizeof *m);
    size_t i;
    long first = 0, before, cases_ok = 0, cases_bad = 0;
    if (!m) return 1;
    cal_vm_pow_memo_init(m);
    for (i = 0; i < POOL; i++) {
        uint64_t r = next();
        switch (r % 6) {
        case 0: /* creatinine / 0.7 or 0.9 to an eGFR exponent */
            pa[i] = (double)(int)(r % 1000 + 30) / 100.0 / ((r >> 20) & 1 ? 0.7 : 0.9);
            pb[i] = (r >> 21) & 1 ? -1.200 : (r >> 22) & 1 ? -0.241 : -0.302;
            break;
        case 1: /* specials with specials (NaN, infinities, zeros of both signs) */
            pa[i] = (r >> 8) % 8 == 0 ? NAN : (r >> 8) % 8 == 1 ? INFINITY : (r >> 8) % 8 == 2 ? -INFINITY
                    : special[(r >> 12) % NSPECIAL];
            pb[i] = (r >> 20) % 8 == 0 ? NAN : (r >> 20) % 8 == 1 ? INFINITY : (r >> 20) % 8 == 2 ? -INFINITY
                    : special[(r >> 24) % NSPECIAL];
            break;
        case 2: /* any bits (NaNs with payloads, subnormals) */
            pa[i] = from_bits(next());
            pb[i] = from_bits(next());
            break;
        case 3: /* negative bases with integer and other exponents */
            pa[i] = -(double)(r % 10000) / 37.0;
            pb[i] = (r >> 30) & 1 ? (double)((int)((r >> 32) % 41) - 20) : (double)((r >> 32) % 1000) / 7.0 - 70;
            break;
        default: /* ordinary numbers */
            pa[i] = (double)(r % 100000) / 1000.0;
            pb[i] = (double)((int64_t)((r >> 20) % 20001) - 10000) / 1000.0;
            break;
        }
    }
    /* lookups from the pool: repeats hit, others evict */
    before = failed;
    for (i = 0; i < LOOKUPS; i++) {
        size_t k = (size_t)(next() % (i < LOOKUPS / 2 ? 300 : POOL));
        double got = cal_vm_pow_memo(m, pa[k], pb[k]), want = pow(pa[k], pb[k]);
        check(same_bits(got, want), "memo", pa[k], pb[k], got, want);
    }
    if (failed == before) cases_ok++; else cases_bad++;
    /* a fresh memo: its starting entries are 0 ^ 0 */
    before = failed;
    cal_vm_pow_memo_init(m);
    {
        double got = cal_vm_pow_memo(m, 0.0, 0.0);
        check(same_bits(got, pow(0.0, 0.0)), "initial entry", 0.0, 0.0, got, pow(0.0, 0.0));
        got = cal_vm_pow_memo(m, -0.0, 0.0);
        check(same_bits(got, pow(-0.0, 0.0)), "-0 is not 0", -0.0, 0.0, got, pow(-0.0, 0.0));
        got = cal_vm_pow_memo(m, 0.0, -1.0);
        check(same_bits(got, pow(0.0, -1.0)), "0 ^ -1 is not 0 ^ 0", 0.0, -1.0, got, pow(0.0, -1.0));
    }
    if (failed == before) cases_ok++; else cases_bad++;
    /* a hit is answered by the memo (so the checks above compare its entries) */
    before = failed;
    for (i = 0; i < 1000; i++) {
        double a = 0.5 + (double)i / 100.0, b = -1.2, got;
        size_t e;
        (void)cal_vm_pow_memo(m, a, b);
        for (e = 0; e < CAL_VM_POW_MEMO; e++) {
            uint64_t ua, ub;
            memcpy(&ua, &a, sizeof ua);
            memcpy(&ub, &b, sizeof ub);
            if (m[e].a == ua && m[e].b == ub) { m[e].r = 42.0; break; }
        }
        got = cal_vm_pow_memo(m, a, b);
        if (e == CAL_VM_POW_MEMO || got != 42.0) first++;
        check(e < CAL_VM_POW_MEMO && got == 42.0, "entry not kept", a, b, got, 42.0);
        cal_vm_pow_memo_init(m);
    }
    if (failed == before) cases_ok++; else cases_bad++;
    free(m);
    printf("checks: %ld passed, %ld failed (%d lookups over %d argument pairs, %ld misses of the kept entry)\n",
           passed, failed, LOOKUPS, POOL, first);
    printf("%ld passed, %ld failed\n", cases_ok, cases_bad);
    return failed ? 1 : 0;
}
