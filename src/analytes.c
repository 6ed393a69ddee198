/*
 * analytes.c - see analytes.h. Codes, units and molar masses come from
 * the clinical reference (docs/clinical-reference.md §4.1, §12) with their
 * source keys. Molar masses are IUPAC standard atomic weights [S37].
 *
 * Plausibility limits are engineering bounds, not clinical thresholds: they
 * sit well outside every reference range and critical value of the
 * clinical reference (§4.2-4.5) and exist only to catch a number written
 * in another unit (calcium "2.4 mg/dL" that is really 2.4 mmol/L).
 */
#include "analytes.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define L(...) (const char *const[]){__VA_ARGS__, NULL}

static const cal_analyte ANALYTES[] = {
  /* Calcium, total: 17861-6 mass S/P; 2000-8 listed among serum Ca LOINCs
   * (display UNCONFIRMED); 49765-1 Ca in Blood as Synthea uses [S36];
   * M = 40.078 g/mol, mEq/L = mmol/L x 2 [S37]. */
  {"calcium", "Calcium, total", "mg/dL", "mmol/L", 40.078, 2, 3, 25,
   L("17861-6", "2000-8", "49765-1"),
   L("ca", "total_calcium", "calcium_total", "serum_calcium", "tca", "calcium total"),
   L("mg/dL", "mmol/L", "mEq/L", "mg/L"), "S34 S36 S37", 0},
  /* Calcium, ionized: 1995-0 S/P, 1994-3 Blood, 17864-0 mass by ISE [S36] */
  {"ionized_calcium", "Calcium, ionized", "mg/dL", "mmol/L", 40.078, 2, 1.5, 12,
   L("1995-0", "1994-3", "17864-0"),
   L("ica", "ca_ion", "ionised_calcium", "calcium_ionized", "calcium_ionised",
     "free_calcium", "ionized ca", "ionised ca"),
   L("mg/dL", "mmol/L", "mEq/L"), "S34 S36 S37", 0},
  /* Albumin-corrected calcium as a lab reports it: 29265-6 [S36] */
  {"corrected_calcium", "Calcium, albumin-corrected", "mg/dL", "mmol/L", 40.078, 2, 3, 25,
   L("29265-6"),
   L("ca_corr", "adjusted_calcium", "calcium_corrected", "corr_ca", "cca",
     "albumin_corrected_calcium"),
   L("mg/dL", "mmol/L"), "S36 S37 S40", 1},
  /* Phosphate (inorganic phosphorus): 2777-1 [S36]; M = 30.973761 (as P) [S37] */
  {"phosphate", "Phosphate (inorganic phosphorus)", "mg/dL", "mmol/L", 30.973761, 0, 0.3, 25,
   L("2777-1"),
   L("phos", "p", "po4", "phosphorus", "inorganic_phosphate", "pi", "serum_phosphate"),
   L("mg/dL", "mmol/L"), "S34 S36 S37", 0},
  /* Albumin: 1751-7, 61151-7 (BCG) [S36]; g/dL x 10 = g/L [S37] */
  {"albumin", "Albumin", "g/dL", "g/L", 0, 0, 0.5, 8,
   L("1751-7", "61151-7"), L("alb", "serum_albumin"),
   L("g/dL", "g/L"), "S34 S36 S37", 0},
  /* Creatinine: 2160-0 S/P, 38483-4 Blood as Synthea uses [S36];
   * M = 113.118 g/mol, mg/dL x 88.40 = umol/L [S37] */
  {"creatinine", "Creatinine", "mg/dL", "umol/L", 113.118, 0, 0.05, 40,
   L("2160-0", "38483-4"), L("cr", "creat", "scr", "serum_creatinine", "crea"),
   L("mg/dL", "umol/L", "mmol/L"), "S34 S36 S37", 0},
  /* PTH, intact: 2731-8 [S36]. pg/mL x 0.106 = pmol/L is *derived* from a
   * source's paired values (15-65 pg/mL = 1.6-6.9 pmol/L); the molar mass
   * 1000/0.106 g/mol follows from it (PTH molar mass itself UNCONFIRMED) [S37]. */
  {"pth", "Parathyroid hormone, intact", "pg/mL", "pmol/L", 1000.0 / 0.106, 0, 0.3, 10000,
   L("2731-8"), L("ipth", "intact_pth", "parathyroid_hormone", "parathyrin", "pth_intact",
     "parathyroid_hormone_intact"),
   L("pg/mL", "ng/L", "pmol/L"), "S34 S36 S37", 0},
  /* 25-OH vitamin D: 62292-8; 1989-3 used by one lab (display UNCONFIRMED) [S36];
   * D3 M = 400.637, ng/mL x 2.496 = nmol/L [S37] */
  {"vitd25", "25-hydroxyvitamin D", "ng/mL", "nmol/L", 400.637, 0, 0.5, 400,
   L("62292-8", "1989-3"),
   L("25ohd", "25_oh_d", "25-oh-d", "vitamin_d", "vitamin_d_25", "calcidiol",
     "25_hydroxyvitamin_d", "vit_d", "vitd",
     /* as pasted lab lines write it ("25-OH Vitamin D 18 ng/mL") */
     "25_oh_vitamin_d", "25_oh_vit_d", "25_hydroxy_vitamin_d", "vitamin_d_25_oh", "vitamin_d_25_hydroxy"),
   L("ng/mL", "nmol/L"), "S34 S36 S37", 0},
  /* 1,25-(OH)2 vitamin D: 62290-2 (Mayo DHVD) [S34]; M = 416.636,
   * pg/mL x 2.400 = pmol/L [S37] (the 2.6 factor is not confirmed) */
  {"vitd125", "1,25-dihydroxyvitamin D", "pg/mL", "pmol/L", 416.636, 0, 0.5, 2000,
   L("62290-2"),
   L("1,25ohd", "1_25_oh2_d", "calcitriol", "1,25-(oh)2d", "vitamin_d_1_25",
     "1,25-dihydroxyvitamin d"),
   L("pg/mL", "pmol/L"), "S34 S37", 0},
  /* Magnesium: 19123-9 [S36]; M = 24.305, valence 2 [S37] */
  {"magnesium", "Magnesium", "mg/dL", "mmol/L", 24.305, 2, 0.3, 20,
   L("19123-9"), L("mg", "serum_magnesium"),
   L("mg/dL", "mmol/L", "mEq/L"), "S35 S36 S37", 0},
  /* Alkaline phosphatase: 6768-6; U/L (IU/L is the same enzyme unit) [S36][S37] */
  {"alp", "Alkaline phosphatase", "U/L", NULL, 0, 0, 1, 20000,
   L("6768-6"), L("alkaline_phosphatase", "alk_phos", "alkp"),
   L("U/L", "IU/L"), "S34 S36 S37", 0},
  /* eGFR: 98979-8 CKD-EPI 2021 (third-party), 98980-6 creatinine-cystatin C
   * (Swiss IG) [S36]; 62238-1 and 33914-3 (MDRD) are the other eGFR codes
   * found in public Synthea FHIR patient bundles. */
  {"egfr", "eGFR", "mL/min/{1.73_m2}", NULL, 0, 0, 0.5, 250,
   L("98979-8", "98980-6", "62238-1", "33914-3"),
   L("gfr", "e_gfr", "estimated_gfr", "ckd_epi", "gfr_estimated", "egfr_ckd_epi", "egfr_mdrd"),
   L("mL/min/{1.73_m2}", "mL/min/1.73m2", "mL/min"), "S36 S41", 1},
  /* Calcium x phosphate product: no LOINC confirmed. Its "molar mass" is the
   * geometric mean sqrt(M_Ca x M_P), so that mg2/dL2 -> mmol2/L2 divides by
   * M_Ca x M_P: x 0.08056 (computed; clinical reference §4.1). */
  {"ca_x_p", "Calcium x phosphate product", "mg2/dL2", "mmol2/L2", 35.23302986343922, 0, 0, 1000,
   L(""), L("caxp", "ca_p_product", "calcium_phosphate_product", "ca*p", "cap"),
   L("mg2/dL2", "mmol2/L2"), "S2 S3 S48 S50", 1},
};

size_t cal_analyte_count(void) { return sizeof ANALYTES / sizeof ANALYTES[0]; }

/* The record fields of the analytes' dates, reported reference ranges and
 * interpretation flags (record.h), in ANALYTES order; cal_analyte_field
 * checks that each names its analyte. */
#define ANALYTE_NAMES(X) X(calcium) X(ionized_calcium) X(corrected_calcium) X(phosphate) X(albumin) \
  X(creatinine) X(pth) X(vitd25) X(vitd125) X(magnesium) X(alp) X(egfr) X(ca_x_p)
#define DATE_NAME(n) #n "_date",
#define RANGE_NAME(n) #n "_range",
#define FLAG_NAME(n) #n "_flag",
static const char *const EXTRA_FIELDS[3][sizeof ANALYTES / sizeof ANALYTES[0]] = {
  {ANALYTE_NAMES(DATE_NAME)}, {ANALYTE_NAMES(RANGE_NAME)}, {ANALYTE_NAMES(FLAG_NAME)}};
static const char *const SUFFIX[3] = {"_date", "_range", "_flag"};

const char *cal_analyte_field(size_t i, int kind) {
  size_t n;
  const char *f;
  if (i >= cal_analyte_count() || kind < 0 || kind > 2) return NULL;
  f = EXTRA_FIELDS[kind][i];
  n = strlen(ANALYTES[i].name);
  if (!f || strncmp(f, ANALYTES[i].name, n) != 0 || strcmp(f + n, SUFFIX[kind]) != 0) return NULL;
  return f;
}

const char *cal_analyte_date_field(size_t i) { return cal_analyte_field(i, CAL_FIELD_DATE); }

const cal_analyte *cal_analyte_at(size_t i) {
  return i < cal_analyte_count() ? &ANALYTES[i] : NULL;
}

/* Compares ignoring case and treating ' ', '-' and '_' alike. */
static int name_eq(const char *a, size_t n, const char *b) {
  size_t i;
  for (i = 0; i < n; i++, b++) {
    char x = a[i], y = *b;
    if (y == '\0') return 0;
    if (x >= 'A' && x <= 'Z') x = (char)(x - 'A' + 'a');
    if (x == ' ' || x == '-') x = '_';
    if (y == ' ' || y == '-') y = '_';
    if (x != y) return 0;
  }
  return *b == '\0';
}

const cal_analyte *cal_analyte_find(const char *s, size_t n) {
  size_t i, k;
  if (n == 0) return NULL;
  for (i = 0; i < cal_analyte_count(); i++) {
    const cal_analyte *a = &ANALYTES[i];
    if (name_eq(s, n, a->name)) return a;
  }
  for (i = 0; i < cal_analyte_count(); i++) {
    const cal_analyte *a = &ANALYTES[i];
    for (k = 0; a->loinc[k]; k++)
      if (a->loinc[k][0] && strlen(a->loinc[k]) == n && memcmp(a->loinc[k], s, n) == 0)
        return a;
    for (k = 0; a->aliases[k]; k++)
      if (name_eq(s, n, a->aliases[k])) return a;
  }
  return NULL;
}

int cal_analyte_to_canonical(const cal_analyte *a, double v, const cal_unit *from,
                             double *out, char *err, size_t errlen) {
  cal_unit to;
  if (!cal_unit_parse(a->unit, strlen(a->unit), &to, err, errlen)) return 0;
  return cal_unit_convert(v, from, &to, a->molar_mass, a->valence, out, err, errlen);
}

int cal_analyte_plausible(const cal_analyte *a, double c) {
  return isfinite(c) && c >= a->plausible_lo && c <= a->plausible_hi;
}

const char *cal_analyte_likely_unit(const cal_analyte *a, double raw,
                                    const cal_unit *stated, double *canonical) {
  size_t k;
  for (k = 0; a->units[k]; k++) {
    cal_unit u;
    double c;
    if (!cal_unit_parse(a->units[k], strlen(a->units[k]), &u, NULL, 0)) continue;
    if (u.factor == stated->factor && cal_unit_same_dim(&u, stated)) continue;
    if (!cal_analyte_to_canonical(a, raw, &u, &c, NULL, 0)) continue;
    if (cal_analyte_plausible(a, c)) {
      *canonical = c;
      return a->units[k];
    }
  }
  return NULL;
}
