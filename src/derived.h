/*
 * derived.h - derived laboratory values: albumin-corrected calcium, the
 * calcium-phosphate product, eGFR (CKD-EPI 2021 creatinine; bedside
 * Schwartz) and the KDIGO 2012 GFR category. Pure C99, no Lua.
 * Every function returns NAN when an input is missing (NAN) or out of the
 * equation's domain, never zero.
 */
#ifndef CALCINOSIS_DERIVED_H
#define CALCINOSIS_DERIVED_H

/* Internal to the module: not exported from the shared library, so calls
 * between the C files are direct. */
#if defined(__GNUC__) && !defined(_WIN32)
#pragma GCC visibility push(hidden)
#endif

/* Variants of albumin-corrected calcium (docs/clinical-reference.md §5.1, [S40]). */
typedef enum {
  CAL_CA_COMMON = 0,  /* Ca + 0.8 x (4.0 - albumin), mg/dL and g/dL */
  CAL_CA_PAYNE,       /* Ca - albumin + 4.0: Payne 1973 abstract, coefficient 1.0 */
  CAL_CA_SI           /* Ca + 0.02 x (40 - albumin), mmol/L and g/L */
} cal_ca_variant;

/* ca in mg/dL, albumin in g/dL; result in mg/dL. For CAL_CA_SI the sum is
 * taken in mmol/L and g/L and converted back. */
double cal_corrected_calcium(double ca_mg_dl, double albumin_g_dl, cal_ca_variant v);

/* Calcium x phosphate, both in mg/dL: mg2/dL2. */
double cal_ca_x_p(double ca_mg_dl, double phosphate_mg_dl);

/* CKD-EPI 2021 creatinine equation (race-free), age >= 18 years; female is
 * 1 or 0. mL/min/1.73 m2. */
double cal_egfr_ckd_epi_2021(double creatinine_mg_dl, double age_years, int female);

/* Bedside Schwartz (IDMS creatinine), 0.413 x height / creatinine. */
double cal_egfr_schwartz(double height_cm, double creatinine_mg_dl);

/* KDIGO 2012 GFR category: 1 = G1, 2 = G2, 3 = G3a, 4 = G3b, 5 = G4, 6 = G5;
 * 0 when egfr is missing. round_first: classify the value rounded to an
 * integer (as labs print it) instead of the raw value. */
int cal_kdigo_stage(double egfr, int round_first);

/* "G1" ... "G5" for a stage index, "" for 0. */
/* The band of a KDIGO G stage as text ("30 <= eGFR < 45"; "" for 0). */
const char *cal_kdigo_band(int stage);
const char *cal_kdigo_label(int stage);

/* Older equations, not used by default: provided so that published
 * calculators' test vectors can be reproduced and rule variants compared.
 * Not among the keyed sources; see derived.c for their references.
 * black is 1 or 0 (these equations carry a race coefficient; the 2021
 * equation dropped it [S41]). */
double cal_egfr_ckd_epi_2009(double creatinine_mg_dl, double age_years, int female, int black);
/* MDRD 4-variable; k = 175 (IDMS-traceable) or 186 (original). */
double cal_egfr_mdrd(double creatinine_mg_dl, double age_years, int female, int black, double k);

#if defined(__GNUC__) && !defined(_WIN32)
#pragma GCC visibility pop
#endif
#endif
