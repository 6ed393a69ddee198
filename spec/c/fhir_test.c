/*
 * fhir_test.c - tests for src/dates.c, src/json.c and src/fhir.c. Standalone:
 * see spec/c/README.md. Prints one line per failed check and ends with "N
 * passed, N failed"; exit status 1 on failure.
 *
 * TEST-SOURCES: src/fhir.c src/json.c src/dates.c src/termmap.c src/csv.c src/analytes.c src/units.c
 */
#define _POSIX_C_SOURCE 200809L

#include "../../src/dates.h"
#include "../../src/fhir.h"
#include "../../src/json.h"
#include "../../src/record.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long passed, failed;

static void check(int ok, const char *what, const char *got)
{
    if (ok) { passed++; return; }
    failed++;
    printf("FAIL %s", what);
    if (got) printf(": got [%s]", got);
    printf("\n");
}

typedef struct { const char *p; size_t n, pos, chunk; } feeder;

static long feed(void *ctx, char *buf, size_t n)
{
    feeder *f = ctx;
    size_t k = f->n - f->pos;
    if (k > n) k = n;
    if (k > f->chunk) k = f->chunk;
    memcpy(buf, f->p + f->pos, k);
    f->pos += k;
    return (long)k;
}

/* Every record as "field|field|...|problem\n" (the header first). */
static char *dump(const char *text, size_t chunk)
{
    feeder fd = { text, strlen(text), 0, chunk };
    cal_fhir *h = cal_fhir_open(NULL, NAN, NAN);
    const cal_field *f;
    size_t nf, i, len = 0, cap = 1 << 16;
    char *out = malloc(cap);
    if (!h || !out || cal_fhir_add(h, NULL, feed, &fd) < 0) return NULL;
    while (cal_fhir_next(h, &f, &nf) == 1) {
        const char *pb = cal_fhir_problem(h);
        for (i = 0; i < nf; i++) {
            if (len + f[i].len + 2 >= cap) break;
            memcpy(out + len, f[i].ptr, f[i].len);
            len += f[i].len;
            out[len++] = '|';
        }
        len += (size_t)snprintf(out + len, cap - len, "%s\n", pb ? pb : "");
    }
    out[len] = '\0';
    cal_fhir_close(h);
    return out;
}

static int day_of(const char *s, double *d) { return cal_date_parse(s, strlen(s), d); }

int main(void)
{
    double d, e;
    char out[11], buf[256];
    long z;
    /* dates: the day numbers of a few days worked out by hand */
    check(day_of("1970-01-01", &d) && d == 0, "1970-01-01 is day 0", NULL);
    check(day_of("2000-03-01", &d) && d == 11017, "2000-03-01 is day 11017 (30 years, 7 leap days, Jan+Feb 60)", NULL);
    check(day_of("19691231", &d) && d == -1, "HL7 TS 19691231 is day -1", NULL);
    check(!day_of("2100-02-29", &d), "2100 is not a leap year", NULL);
    check(day_of("2400-02-29", &d), "2400 is a leap year", NULL);
    check(!day_of("9999-99-99", &d) && !day_of("not-a-date", &d), "9999-99-99 and not-a-date are not dates", NULL);
    for (z = -800000; z <= 800000; z += 997) { /* round trip over 4400 years */
        long y;
        int m, dd;
        cal_civil_from_days(z, &y, &m, &dd);
        if (cal_days_from_civil(y, m, dd) != z) { check(0, "civil round trip", NULL); break; }
    }
    check(1, "civil round trip", NULL);
    day_of("1980-02-29", &d);
    day_of("2021-02-28", &e);
    check(cal_age_years(d, e) == 40, "born 29 Feb 1980: 40 on 28 Feb 2021", NULL);
    day_of("2021-03-01", &e);
    check(cal_age_years(d, e) == 41, "born 29 Feb 1980: 41 on 1 Mar 2021", NULL);
    cal_date_format(11017, out);
    check(strcmp(out, "2000-03-01") == 0, "day 11017 formats as 2000-03-01", out);
    check(cal_date_better(10, 20, NAN) && !cal_date_better(20, 10, NAN), "no index: the later wins", NULL);
    check(cal_date_better(10, 20, 18) && !cal_date_better(20, 10, 18) && cal_date_better(20, 17, 18),
          "an index: the nearer wins", NULL);
    check(cal_date_better(16, 20, 18), "a tie: the later wins", NULL);
    check(cal_date_in_window(10, 18, 8) && !cal_date_in_window(9, 18, 8), "the window includes its ends", NULL);
    {
        double days[4] = {10, 20, 20, NAN}, some[3] = {3, NAN, 7};
        check(cal_date_choose(days, 3, NAN) == 2, "choose: the latest, on a tie the later in the list", NULL);
        check(cal_date_choose(days, 3, 12) == 0, "choose: the nearest the index date", NULL);
        check(cal_date_choose(days + 3, 1, NAN) == 0 && cal_date_choose(days, 4, NAN) == 2,
              "choose: an undated value loses to a dated one", NULL);
        check(cal_date_reference(some, 3, NAN) == 7 && cal_date_reference(some, 3, 1) == 1 &&
              isnan(cal_date_reference(some + 1, 1, NAN)), "reference: the index date, else the latest", NULL);
        cal_date_window_problem(buf, sizeof buf, "calcium", 11017, 11017 + 400, 365);
        check(strcmp(buf, "calcium: the value of 2000-03-01 is outside the window (365 days from 2001-04-05); "
                          "not used") == 0, "the window's problem, with both dates", buf);
    }
    /* json */
    {
        cal_json j;
        int k;
        cal_json_init(&j);
        const char *txt = "{\"a\": [1, -2.5e3, true, null], \"b\": \"x\\u00e9\\ud83d\\ude00\\n\"}";
        check(cal_json_parse(&j, txt, strlen(txt)) == 1, "a document", j.err);
        k = cal_json_get(&j, 0, "b");
        cal_json_text(&j, k, buf, sizeof buf);
        check(strcmp(buf, "x\xc3\xa9\xf0\x9f\x98\x80\n") == 0, "escapes unescaped as UTF-8 (a surrogate pair)", buf);
        check(cal_json_parse(&j, "{\"a\": [1, 2", 11) == 0 && j.truncated, "a document cut short is truncated", j.err);
        check(cal_json_parse(&j, "{\"a\" 1}", 7) == 0 && !j.truncated && j.err_at == 5, "a syntax error and its byte",
              j.err);
        check(cal_json_parse(&j, "[01]", 4) == 0, "a leading zero is not JSON", NULL);
        check(cal_json_parse(&j, "\"\\x\"", 4) == 0, "a bad escape", NULL);
        {
            char deep[200];
            memset(deep, '[', 100);
            memset(deep + 100, ']', 100);
            check(cal_json_parse(&j, deep, 200) == 0, "nested more than 64 deep is refused", j.err);
        }
        cal_json_free(&j);
    }
    /* the reader: NDJSON and a document over lines give the same record, read in any chunks */
    {
        const char *nd =
            "{\"resourceType\":\"Patient\",\"id\":\"p\",\"gender\":\"male\",\"birthDate\":\"1950-01-02\"}\n"
            "{\"resourceType\":\"Observation\",\"id\":\"o\",\"subject\":{\"reference\":\"Patient/p\"},"
            "\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"2160-0\"}]},"
            "\"effectiveDateTime\":\"2020-05-06\",\"valueQuantity\":{\"value\":1.3,\"unit\":\"mg/dL\"}}\n";
        const char *doc =
            "{\n \"resourceType\": \"Bundle\", \"type\": \"searchset\", \"entry\": [\n"
            "  {\"resource\": {\"resourceType\":\"Patient\",\"id\":\"p\",\"gender\":\"male\",\"birthDate\":\"1950-01-02\"}},\n"
            "  {\"resource\": {\"resourceType\":\"Observation\",\"id\":\"o\",\"subject\":{\"reference\":\"urn:uuid:p\"},"
            "\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"2160-0\"}]},"
            "\"effectiveDateTime\":\"2020-05-06\",\"valueQuantity\":{\"value\":1.3,\"unit\":\"mg/dL\"}}}\n ]\n}\n";
        char *a = dump(nd, 1 << 20), *b = dump(doc, 1 << 20), *c = dump(nd, 3), *e2 = dump(doc, 7);
        check(a && b && strcmp(a, b) == 0, "NDJSON and a Bundle over lines give the same records", b);
        check(a && c && strcmp(a, c) == 0, "read 3 bytes at a time: the same", c);
        check(b && e2 && strcmp(b, e2) == 0, "a Bundle read 7 bytes at a time: the same", e2);
        check(a && strstr(a, "\np||M||||||||||1.3 mg/dL|") != NULL, "the record: id, sex, creatinine with its unit", a);
        check(a && strstr(a, "|1950-01-02|") && strstr(a, "|2020-05-06|"), "birth_date and creatinine_date", a);
        free(a);
        free(b);
        free(c);
        free(e2);
        a = dump("{\"resourceType\":\"Patient\",\"id\":\"p\"}\n{\"resourceType\":", 1 << 20);
        check(a && strstr(a, "line 2: truncated JSON (the text ends inside a value at byte 17)") != NULL,
              "a line cut short: its own record, its line and byte", a);
        free(a);
        a = dump("", 5);
        check(a && strchr(a, '\n') == strrchr(a, '\n'), "empty input: the header only", a);
        free(a);
    }
    /* references, statuses and the reader notes (unmapped, skipped: the last two fields) */
    {
        const char *nd =
            "{\"resourceType\":\"DiagnosticReport\",\"id\":\"r\",\"subject\":{\"reference\":\"Patient/q\"},"
            "\"contained\":[{\"resourceType\":\"Observation\",\"id\":\"c\",\"code\":{\"coding\":[{\"system\":"
            "\"http://loinc.org\",\"code\":\"17861-6\"}]},\"valueQuantity\":{\"value\":10.6,\"code\":\"mg/dL\"}}],"
            "\"result\":[{\"reference\":\"#c\"},{\"reference\":\"Observation/o\"},{\"reference\":\"Observation/x\"}]}\n"
            "{\"resourceType\":\"Observation\",\"id\":\"o\",\"subject\":{\"reference\":\"Patient/q\"},"
            "\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"2160-0\"}]},"
            "\"valueQuantity\":{\"value\":1.3,\"code\":\"mg/dL\"}}\n"
            "{\"resourceType\":\"Observation\",\"id\":\"o\",\"subject\":{\"reference\":\"Patient/q\"},"
            "\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"2160-0\"}]},"
            "\"valueQuantity\":{\"value\":1.3,\"code\":\"mg/dL\"}}\n"
            "{\"resourceType\":\"Observation\",\"id\":\"v\",\"status\":\"entered-in-error\",\"subject\":"
            "{\"reference\":\"Patient/q\"},\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"2160-0\"}]},"
            "\"valueQuantity\":{\"value\":9,\"code\":\"mg/dL\"}}\n"
            "{\"resourceType\":\"Condition\",\"id\":\"k\",\"subject\":{\"reference\":\"Patient/q\"},"
            "\"verificationStatus\":{\"coding\":[{\"code\":\"refuted\"}]},\"code\":{\"text\":\"x\"}}\n"
            "{\"resourceType\":\"MedicationRequest\",\"id\":\"m\",\"subject\":{\"reference\":\"Patient/q\"},"
            "\"medicationReference\":{\"reference\":\"Medication/d\"}}\n"
            "{\"resourceType\":\"Medication\",\"id\":\"d\",\"code\":{\"coding\":[{\"system\":"
            "\"http://www.nlm.nih.gov/research/umls/rxnorm\",\"code\":\"1\",\"display\":\"Drug\"}]}}\n";
        char *a = dump(nd, 1 << 20), *c = dump(nd, 5);
        check(a && c && strcmp(a, c) == 0, "references: read 5 bytes at a time, the same", c);
        check(a && strstr(a, "|10.6 mg/dL|") != NULL, "a contained Observation is the report's subject's", a);
        check(a && strstr(a, "|1.3 mg/dL|") != NULL, "a result read where it is", a);
        check(a && strstr(a, "DiagnosticReport/r: result 'Observation/x' is not in the input") != NULL,
              "a result not in the input is a problem", a);
        check(a && strstr(a, "Observation/o' is not") == NULL, "a result in the input is not", a);
        check(a && strstr(a, "Patient/q is referenced by 5 resources") != NULL,
              "the report, o once (twice in the input), v, k and m reference q", a);
        check(a && strstr(a, "|Medication RxNorm 1 'Drug'|Observation/v (status entered-in-error), "
                             "Condition/k (verificationStatus refuted)|") != NULL,
              "the Medication named later is resolved (no term map: unmapped); void resources skipped", a);
        free(a);
        free(c);
    }
    printf("checks: dates, json, fhir\n");
    printf("%ld passed, %ld failed\n", passed, failed);
    return failed ? 1 : 0;
}
