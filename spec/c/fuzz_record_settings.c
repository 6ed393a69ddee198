/*
 * fuzz_record_settings.c - libFuzzer target for the record logic,
 * src/record.c, with the reading settings a plan gives (the missing-value
 * codes, decimal commas, a column mapping) chosen by the first byte: a CSV
 * header and its rows read into records. (fuzz_record.c covers the rest of
 * the record logic.) Built and run by `make fuzz` (spec/c/fuzz.sh).
 *
 * TEST-SOURCES: src/record.c src/dates.c src/derived.c src/termmap.c src/analytes.c src/units.c src/csv.c
 *
 * Checks, besides the sanitizers: values are NaN or inside the analyte's
 * plausible range; an age is NaN or within 0..150.
 */
#include "../../src/csv.h"
#include "../../src/record.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const na[] = {"-99", "?", "NA", "", NULL};
    static const char *const from[] = {"sc", "bu", "x y"};
    static const char *const to[] = {"creatinine", "calcium [mmol/L]", "age [mo]"};
    cal_record_ctx ctx;
    cal_record_layout lay;
    cal_record_map map;
    cal_unit_memo memo;
    cal_record rec;
    cal_problems pb;
    uint64_t terms[4];
    cal_csv *r;
    const cal_field *f;
    size_t nf, a;
    int rc, have = 0;
    if (size < 1) return 0;
    memset(&ctx, 0, sizeof ctx);
    ctx.na = (data[0] & 1) ? na : NULL;
    ctx.decimal_comma = (data[0] & 2) != 0;
    map.n = (data[0] & 4) ? 3 : 0;
    map.from = from;
    map.to = to;
    cal_unit_memo_init(&memo);
    r = cal_csv_open_mem((const char *)data + 1, size - 1, (data[0] & 8) ? ';' : ',');
    if (!r) abort();
    while ((rc = cal_csv_next(r, &f, &nf)) == 1) {
        if (!have) {
            if (!cal_record_layout_init_map(&lay, f, nf, &map, NULL, 0)) abort();
            have = 1;
            continue;
        }
        cal_problems_clear(&pb);
        cal_record_read(&ctx, &lay, f, nf, &rec, terms, 4, &pb, &memo);
        for (a = 0; a < cal_analyte_count(); a++) {
            const cal_analyte *an = cal_analyte_at(a);
            double v = rec.v[a];
            if (!isnan(v) && !(v >= an->plausible_lo && v <= an->plausible_hi)) abort();
        }
        if (!isnan(rec.age) && !(rec.age >= 0 && rec.age <= 150)) abort();
    }
    if (have) cal_record_layout_free(&lay);
    cal_csv_close(r);
    return 0;
}
