/*
 * units.h - units of measure: a small UCUM parser plus the spellings that
 * laboratories really print, and conversion within a dimension and between
 * mass, substance (mol) and charge-equivalent (eq) amounts of one analyte.
 *
 * A unit is a factor times a product of base units raised to small integer
 * powers. The base units are those of UCUM (m, s, g, rad, K, C, cd) plus three
 * that clinical chemistry must keep apart: mol, eq and the arbitrary
 * international unit [IU]. UCUM treats mol as a dimensionless count and eq as
 * a mol; keeping them as their own dimensions is what makes "mg/dL to mmol/L"
 * an error without an analyte and exact with one.
 *
 * Pure C99: no Lua, no globals, no allocation.
 */
#ifndef CALCINOSIS_UNITS_H
#define CALCINOSIS_UNITS_H

#include <stddef.h>

/* Internal to the module: not exported from the shared library, so calls
 * between the C files are direct. */
#if defined(__GNUC__) && !defined(_WIN32)
#pragma GCC visibility push(hidden)
#endif

enum {
  CAL_DIM_M = 0,   /* metre */
  CAL_DIM_S,       /* second */
  CAL_DIM_G,       /* gram */
  CAL_DIM_RAD,     /* radian */
  CAL_DIM_K,       /* kelvin */
  CAL_DIM_C,       /* coulomb */
  CAL_DIM_CD,      /* candela */
  CAL_DIM_MOL,     /* mole (amount of substance) */
  CAL_DIM_EQ,      /* equivalent (mol x valence) */
  CAL_DIM_IU,      /* arbitrary international unit [IU] */
  CAL_NDIM
};

typedef struct cal_unit {
  double factor;              /* value in base units = value x factor */
  signed char dim[CAL_NDIM];  /* exponents of the base units */
} cal_unit;

/* Parses a unit written in UCUM case-sensitive syntax or in one of the
 * spellings labs print ("mg/dl", "MG/DL", "µmol/L", "mEq/L", "IU/L",
 * "mL/min/1.73m2", "UMOLL", "years"). The empty string is the unity.
 * Returns 1 on success; 0 with a message in err (when errlen > 0). */
int cal_unit_parse(const char *s, size_t n, cal_unit *u, char *err, size_t errlen);

/* 1 when both units have the same dimension. */
int cal_unit_same_dim(const cal_unit *a, const cal_unit *b);

/* Converts v from one unit to another. Mass, mol and eq exponents may differ
 * between the two units when the net amount exponent is the same: the
 * conversion then uses molar_mass (g/mol) and valence (eq/mol) of the
 * analyte; a value <= 0 means "not applicable" and such a conversion fails.
 * Returns 1 and stores the result in *out, or 0 with a message in err. */
int cal_unit_convert(double v, const cal_unit *from, const cal_unit *to,
                     double molar_mass, double valence, double *out,
                     char *err, size_t errlen);

/* Writes the dimension as a readable name ("mass concentration",
 * "substance concentration", "time", ...) or as base units ("g.m-3").
 * Returns the number of bytes written (excluding the NUL). */
size_t cal_unit_dim_name(const cal_unit *u, char *buf, size_t len);

#if defined(__GNUC__) && !defined(_WIN32)
#pragma GCC visibility pop
#endif
#endif
