/*
 * fuzz_units.c - libFuzzer target for the unit and quantity parsers:
 * cal_unit_parse, cal_unit_convert, cal_unit_dim_name (src/units.c), the
 * analytes' conversions (src/analytes.c) and cal_quantity_split
 * (src/record.c), which split every lab cell, param value and
 * calcinosis.quantity. Built and run by `make fuzz` (spec/c/fuzz.sh).
 *
 * TEST-SOURCES: src/units.c src/analytes.c src/record.c src/dates.c src/derived.c src/termmap.c src/csv.c
 *
 * The input is split at its first byte 0x01 into two unit texts (the first
 * also read as a quantity). Checks, besides the sanitizers:
 *   - a parsed unit has a finite, positive factor; parsing is deterministic;
 *     the error message is NUL-terminated inside its buffer;
 *   - converting between two parsed units gives a finite number or a
 *     message, and converting back gives the value again (within rounding);
 *   - cal_quantity_split keeps its offsets inside the text, in order, its
 *     comparator is '<', '<=', '>' or '>=', and its number is what strtod
 *     reads there.
 */
#define _POSIX_C_SOURCE 200809L

#include "../../src/analytes.h"
#include "../../src/record.h"
#include "../../src/units.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check_unit(const char *s, size_t n, cal_unit *u, int *ok)
{
    char err[256], err2[256];
    cal_unit again;
    memset(err, 'x', sizeof err);
    *ok = cal_unit_parse(s, n, u, err, sizeof err);
    if (!*ok) {
        if (memchr(err, '\0', sizeof err) == NULL) abort();
        return;
    }
    if (!(u->factor > 0) || !isfinite(u->factor)) abort();
    if (!cal_unit_parse(s, n, &again, err2, sizeof err2)) abort();
    if (memcmp(&again.factor, &u->factor, sizeof u->factor) != 0 || memcmp(again.dim, u->dim, sizeof u->dim) != 0)
        abort();
    {
        char name[64];
        size_t k = cal_unit_dim_name(u, name, sizeof name);
        if (k >= sizeof name || strlen(name) != k) abort();
    }
}

static void check_convert(const cal_unit *a, const cal_unit *b, double v, double mm, double val)
{
    double out, back;
    char err[200];
    if (!cal_unit_convert(v, a, b, mm, val, &out, err, sizeof err)) {
        if (memchr(err, '\0', sizeof err) == NULL) abort();
        return;
    }
    if (isnan(out)) abort();
    if (!isfinite(out) || out == 0) return; /* overflow or underflow: nothing to convert back */
    if (cal_unit_convert(out, b, a, mm, val, &back, err, sizeof err) && isfinite(back)) {
        if (fabs(back - v) > 1e-9 * fabs(v) + 1e-300) abort();
    }
}

static void check_quantity(const char *s, size_t n)
{
    double v = 0;
    size_t cmplen = 99, a = 99, b = 99;
    if (!cal_quantity_split(s, n, &v, &cmplen, &a, &b)) return;
    if (cmplen > 2 || a < cmplen || a > b || b > n) abort();
    if (cmplen >= 1 && s[0] != '<' && s[0] != '>') abort();
    if (cmplen == 2 && s[1] != '=') abort();
    {
        char buf[512];
        char *end;
        double w;
        if (b - a >= sizeof buf) return;
        memcpy(buf, s + a, b - a);
        buf[b - a] = '\0';
        w = strtod(buf, &end);
        if (end != buf + (b - a) || memcmp(&v, &w, sizeof v) != 0) abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    const char *sep = memchr(s, 1, size);
    size_t n1 = sep ? (size_t)(sep - s) : size;
    const char *s2 = sep ? sep + 1 : s;
    size_t n2 = sep ? size - n1 - 1 : size;
    cal_unit a, b;
    int oka, okb;
    size_t na = cal_analyte_count();
    check_unit(s, n1, &a, &oka);
    check_unit(s2, n2, &b, &okb);
    check_quantity(s, n1);
    if (oka && okb) {
        static const double vals[] = { 1.0, 0.5, 11.2, 1e-300, 1e300, 123456.789 };
        check_convert(&a, &b, vals[n1 % 6], 0, 0);
        check_convert(&a, &b, vals[n2 % 6], 40.078, 2);
    }
    if (oka && na > 0) {
        const cal_analyte *an = cal_analyte_at(n1 % na);
        double canon;
        char err[200];
        if (an && cal_analyte_to_canonical(an, 2.5, &a, &canon, err, sizeof err)) {
            if (isnan(canon)) abort();
            (void)cal_analyte_plausible(an, canon);
        }
    }
    (void)cal_analyte_find(s2, n2);
    return 0;
}
