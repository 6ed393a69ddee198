/*
 * fhir.h - FHIR R4 JSON read as patient records (the record schema of
 * record.h), so that the one record logic (record.c) and the cohort
 * pipeline run them as they run CSV rows.
 *
 * Pure C99, no Lua. Input: one JSON document (a Bundle of any type:
 * collection, searchset, transaction, batch, ...; or a single resource), or
 * NDJSON with one resource per line (FHIR Bulk Data), from one or more
 * streams (a folder of Bulk Data files: Patient.ndjson, Observation.ndjson,
 * ...). Everything is read first; the records come out one per patient, in
 * the order patients were first seen.
 *
 *   Patient              id, gender (sex), birthDate (birth_date)
 *   Observation          subject; code.coding LOINC codes -> analytes
 *                        (cal_analyte_find: the analytes' LOINC table),
 *                        8302-2 body height -> height_cm; valueQuantity
 *                        (comparator, value, UCUM code or else the unit
 *                        text) or valueString ("<15"); components of a
 *                        panel likewise; the date effectiveDateTime,
 *                        effectivePeriod.start, effectiveInstant or issued
 *   Condition            code.coding: ICD-10-CM codes, SNOMED CT codes as
 *                        "snomed:<code>", then the text, through the plan's
 *                        term map (the vocabulary's codes and terms)
 *                        (verificationStatus refuted or entered-in-error:
 *                        not a finding, "skipped"; clinicalStatus is kept:
 *                        a resolved condition is history)
 *   MedicationRequest,   medicationCodeableConcept: RxNorm as
 *   MedicationStatement  "rxnorm:<code>", then the text and its leading words
 *                        ("Warfarin Sodium 5 MG Oral Tablet": "warfarin sodium");
 *                        or medicationReference to a Medication, contained
 *                        ("#id") or anywhere in the input (resolved at the end)
 *   Medication           its code, for the references to it
 *   DiagnosticReport     its subject; its contained Observations (read as the
 *                        subject's); its result references checked at the end
 *                        against the Observations read (each read once: by
 *                        patient and id)
 *   other resources      not read
 *
 * Observations and reports with status entered-in-error or cancelled, and
 * medication resources entered-in-error, are not used ("skipped").
 *
 * Per analyte the value dated nearest the index date is kept (by default
 * the latest: cal_date_better); a value farther from it than the window (by
 * default from the patient's latest lab date) is not used, with a problem.
 *
 * Problems (cal_fhir_problem), each naming the resource and field:
 *   "line N: truncated JSON (...) at byte B" / "line N: not JSON (...)"    (a record of its own)
 *   "Patient/x is referenced by N resources but is not in the input"
 *   "Observation/o: calcium (LOINC 49765-1) has no value"
 *   "Observation/o: effectiveDateTime '...' is not a date"
 *   "Observation/o: no subject" (a record of its own)
 *   "DiagnosticReport/r: result 'Observation/x' is not in the input"
 *   "MedicationRequest/m: medicationReference 'Medication/d' is not in the input"
 *
 * Reader notes, not problems (the record's fields "unmapped" and "skipped",
 * record.h):
 *   unmapped  "Condition SNOMED 444814009 'Viral sinusitis (disorder)', Observation LOINC 8310-5, ..."
 *   skipped   "Condition/c1 (verificationStatus refuted), Observation/o3 (status entered-in-error)"
 */
#ifndef CALCINOSIS_FHIR_H
#define CALCINOSIS_FHIR_H

#include <stddef.h>
#include <stdio.h>

#include "cal.h"
#include "csv.h"
#include "termmap.h"

CAL_HIDDEN_BEGIN

#define CAL_FHIR_MAX_DOCUMENT (512u * 1024u * 1024u) /* one JSON document (a Bundle) */

typedef struct cal_fhir cal_fhir; /* opaque */

/* A reader that maps terms with findings (may be NULL: every code is
 * unmapped), chooses values by index and window (days, dates.h; NaN:
 * none). NULL when out of memory. */
cal_fhir *cal_fhir_open(const cal_termmap *findings, double index, double window);

/* Reads a whole stream (fn/ctx, or f when fn is NULL). 1, or -1 on a read
 * error or out of memory. */
int cal_fhir_add(cal_fhir *h, FILE *f, cal_csv_read_fn fn, void *ctx);

/* Reads a file, or every *.ndjson, *.jsonl and *.json file of a folder
 * (in name order). 1, or 0 with a message in err. */
int cal_fhir_add_path(cal_fhir *h, const char *path, char *err, size_t errlen);

/* 1 = a record (the header first), 0 = the end, -1 = error. */
int cal_fhir_next(cal_fhir *h, const cal_field **fields, size_t *n);
long long cal_fhir_line(const cal_fhir *h);
const char *cal_fhir_problem(const cal_fhir *h);
void cal_fhir_close(cal_fhir *h); /* NULL is fine */

CAL_HIDDEN_END

#endif
