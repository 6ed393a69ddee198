/* derived.c - see derived.h. */
#include "derived.h"

#include <math.h>

/* Calcium molar mass, g/mol: IUPAC standard atomic weight [S37]. */
#define CA_MOLAR_MASS 40.078

static int missing(double x) { return isnan(x) || isinf(x); }

double cal_corrected_calcium(double ca, double alb, cal_ca_variant v) {
  if (missing(ca) || missing(alb) || ca < 0 || alb < 0) return NAN;
  switch (v) {
  case CAL_CA_PAYNE:
    /* "Adjusted calcium = calcium - albumin + 4.0" (mg/100 mL, g/100 mL) [S40] */
    return ca - alb + 4.0;
  case CAL_CA_SI: {
    /* corrCa [mmol/L] = Ca [mmol/L] + 0.02 x (40 - albumin [g/L]) [S40] */
    double ca_mmol = ca * 10.0 / CA_MOLAR_MASS;
    double corr = ca_mmol + 0.02 * (40.0 - alb * 10.0);
    return corr * CA_MOLAR_MASS / 10.0;
  }
  case CAL_CA_COMMON:
  default:
    /* corrCa [mg/dL] = Ca + 0.8 x (4.0 - albumin [g/dL]) [S40] */
    return ca + 0.8 * (4.0 - alb);
  }
}

double cal_ca_x_p(double ca, double p) {
  if (missing(ca) || missing(p) || ca < 0 || p < 0) return NAN;
  return ca * p; /* docs/clinical-reference.md §5.2 */
}

double cal_egfr_ckd_epi_2021(double scr, double age, int female) {
  /* 142 x min(Scr/k,1)^a x max(Scr/k,1)^-1.200 x 0.9938^age x 1.012 [if F];
   * k = 0.7 (F) / 0.9 (M); a = -0.241 (F) / -0.302 (M) [S41] */
  double k = female ? 0.7 : 0.9, a = female ? -0.241 : -0.302, r, e;
  if (missing(scr) || missing(age) || scr <= 0 || age < 18) return NAN;
  r = scr / k;
  e = 142.0 * pow(r < 1 ? r : 1.0, a) * pow(r > 1 ? r : 1.0, -1.200) *
      pow(0.9938, age);
  return female ? e * 1.012 : e;
}

double cal_egfr_schwartz(double height_cm, double scr) {
  /* eGFR = 0.413 x height [cm] / Scr [mg/dL] [S42] */
  if (missing(height_cm) || missing(scr) || height_cm <= 0 || scr <= 0) return NAN;
  return 0.413 * height_cm / scr;
}

int cal_kdigo_stage(double egfr, int round_first) {
  /* G1 >= 90, G2 60-89, G3a 45-59, G3b 30-44, G4 15-29, G5 < 15 [S43].
   * The published bands are integers. Raw rule (default): a band holds the
   * values from its lower edge up to, not including, the next band's lower
   * edge, so 59.71 is G3a. Rounded rule: round half up first (59.71 -> 60,
   * G2), as a lab report printing integers would read. */
  if (missing(egfr) || egfr < 0) return 0;
  if (round_first) egfr = floor(egfr + 0.5);
  if (egfr >= 90) return 1;
  if (egfr >= 60) return 2;
  if (egfr >= 45) return 3;
  if (egfr >= 30) return 4;
  if (egfr >= 15) return 5;
  return 6;
}

const char *cal_kdigo_band(int stage) {
  /* the bands of cal_kdigo_stage, as text [S43] */
  static const char *const B[] = {"", "eGFR >= 90", "60 <= eGFR < 90", "45 <= eGFR < 60", "30 <= eGFR < 45",
                                  "15 <= eGFR < 30", "eGFR < 15"};
  return (stage >= 0 && stage <= 6) ? B[stage] : "";
}

const char *cal_kdigo_label(int stage) {
  static const char *const L[] = {"", "G1", "G2", "G3a", "G3b", "G4", "G5"};
  return (stage >= 0 && stage <= 6) ? L[stage] : "";
}

double cal_egfr_ckd_epi_2009(double scr, double age, int female, int black) {
  /* Levey AS et al., Ann Intern Med 2009;150:604-612 (not a keyed source):
   * 141 x min(Scr/k,1)^a x max(Scr/k,1)^-1.209 x 0.993^age x 1.018 [F]
   * x 1.159 [black]; k = 0.7 (F) / 0.9 (M); a = -0.329 (F) / -0.411 (M). */
  double k = female ? 0.7 : 0.9, a = female ? -0.329 : -0.411, r, e;
  if (missing(scr) || missing(age) || scr <= 0 || age < 18) return NAN;
  r = scr / k;
  e = 141.0 * pow(r < 1 ? r : 1.0, a) * pow(r > 1 ? r : 1.0, -1.209) *
      pow(0.993, age);
  if (female) e *= 1.018;
  if (black) e *= 1.159;
  return e;
}

double cal_egfr_mdrd(double scr, double age, int female, int black, double k) {
  /* Levey AS et al., Ann Intern Med 2006;145:247-254 (not a keyed source):
   * k x Scr^-1.154 x age^-0.203 x 0.742 [F] x 1.212 [black]; k = 175 with
   * IDMS-traceable creatinine, 186 in the original 1999/2000 form. */
  double e;
  if (missing(scr) || missing(age) || scr <= 0 || age < 18 || !(k > 0)) return NAN;
  e = k * pow(scr, -1.154) * pow(age, -0.203);
  if (female) e *= 0.742;
  if (black) e *= 1.212;
  return e;
}
