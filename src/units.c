/*
 * units.c - see units.h. A recursive-descent parser for the UCUM
 * case-sensitive grammar (terms joined by '.' and '/', parentheses,
 * integer exponents, annotations in braces, 10*n factors, metric prefixes)
 * over a table of atoms, with a second chance for lab spellings.
 *
 * Atom definitions follow the UCUM essence file (ucum-essence.xml, version
 * 2.2), except that mol, eq and [IU] are base dimensions here (see units.h).
 */
#include "units.h"
#include "text.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define MAX_DEPTH 8
#define MAX_EXP 100

typedef struct atom {
  const char *sym;
  int metric;        /* accepts a prefix */
  int base;          /* base dimension index, or -1 */
  double value;      /* value of the atom in units of def */
  const char *def;   /* definition in UCUM syntax ("" = unity) */
} atom;

static const atom ATOMS[] = {
  /* base units */
  {"m", 1, CAL_DIM_M, 1, NULL},
  {"s", 1, CAL_DIM_S, 1, NULL},
  {"g", 1, CAL_DIM_G, 1, NULL},
  {"rad", 1, CAL_DIM_RAD, 1, NULL},
  {"K", 1, CAL_DIM_K, 1, NULL},
  {"C", 1, CAL_DIM_C, 1, NULL},
  {"cd", 1, CAL_DIM_CD, 1, NULL},
  {"mol", 1, CAL_DIM_MOL, 1, NULL},
  {"eq", 1, CAL_DIM_EQ, 1, NULL},
  {"[IU]", 1, CAL_DIM_IU, 1, NULL},
  {"[iU]", 1, CAL_DIM_IU, 1, NULL},
  /* dimensionless */
  {"10*", 0, -1, 10, ""},
  {"10^", 0, -1, 10, ""},
  {"[pi]", 0, -1, 3.1415926535897932384626433832795028841971693993751058209749445923, ""},
  {"%", 0, -1, 1e-2, ""},
  {"[ppth]", 0, -1, 1e-3, ""},
  {"[ppm]", 0, -1, 1e-6, ""},
  {"[ppb]", 0, -1, 1e-9, ""},
  {"sr", 1, -1, 1, "rad2"},
  {"deg", 0, -1, 2.0 * 3.1415926535897932384626433832795028841971693993751 / 360.0, "rad"},
  /* volume, area */
  {"L", 1, -1, 1, "dm3"},
  {"l", 1, -1, 1, "dm3"},
  {"ar", 1, -1, 100, "m2"},
  /* time (UCUM: a = a_j = 365.25 d, mo = mo_j = a_j/12) */
  {"min", 0, -1, 60, "s"},
  {"h", 0, -1, 60, "min"},
  {"d", 0, -1, 24, "h"},
  {"wk", 0, -1, 7, "d"},
  {"a", 0, -1, 365.25, "d"},
  {"a_j", 0, -1, 365.25, "d"},
  {"mo", 0, -1, 1.0 / 12.0, "a"},
  {"mo_j", 0, -1, 1.0 / 12.0, "a"},
  {"Hz", 1, -1, 1, "s-1"},
  /* mechanics and electricity */
  {"t", 1, -1, 1e3, "kg"},
  {"N", 1, -1, 1, "kg.m/s2"},
  {"Pa", 1, -1, 1, "N/m2"},
  {"bar", 1, -1, 1e5, "Pa"},
  {"atm", 0, -1, 101325, "Pa"},
  {"J", 1, -1, 1, "N.m"},
  {"W", 1, -1, 1, "J/s"},
  {"cal", 1, -1, 4.184, "J"},
  {"A", 1, -1, 1, "C/s"},
  {"V", 1, -1, 1, "J/C"},
  {"Ohm", 1, -1, 1, "V/A"},
  {"S", 1, -1, 1, "Ohm-1"},
  {"F", 1, -1, 1, "C/V"},
  {"m[Hg]", 1, -1, 133.3220, "kPa"},
  {"m[H2O]", 1, -1, 9.80665, "kPa"},
  {"[c]", 0, -1, 299792458, "m/s"},
  {"[ly]", 1, -1, 1, "[c].a_j"},
  {"[mu_0]", 0, -1, 1, "4.[pi].10*-7.N/A2"},
  /* substance */
  {"osm", 1, -1, 1, "mol"},
  {"kat", 1, -1, 1, "mol/s"},
  {"U", 1, -1, 1, "umol/min"},
  /* international customary */
  {"[in_i]", 0, -1, 2.54, "cm"},
  {"[ft_i]", 0, -1, 12, "[in_i]"},
  {"[yd_i]", 0, -1, 3, "[ft_i]"},
  {"[mi_i]", 0, -1, 5280, "[ft_i]"},
  {"[gr]", 0, -1, 64.79891, "mg"},
  {"[lb_av]", 0, -1, 7000, "[gr]"},
  {"[oz_av]", 0, -1, 1.0 / 16.0, "[lb_av]"},
  {"[gal_us]", 0, -1, 231, "[in_i]3"},
};

typedef struct prefix { const char *sym; double value; } prefix;

static const prefix PREFIXES[] = {
  {"da", 1e1}, {"Y", 1e24}, {"Z", 1e21}, {"E", 1e18}, {"P", 1e15},
  {"T", 1e12}, {"G", 1e9}, {"M", 1e6}, {"k", 1e3}, {"h", 1e2},
  {"d", 1e-1}, {"c", 1e-2}, {"m", 1e-3}, {"u", 1e-6}, {"n", 1e-9},
  {"p", 1e-12}, {"f", 1e-15}, {"a", 1e-18}, {"z", 1e-21}, {"y", 1e-24},
};

/* Lab spellings, compared after spaces are removed, micro signs turned into
 * 'u', superscript two into '2' and letters lowered. */
typedef struct alias { const char *lab; const char *ucum; } alias;

static const alias ALIASES[] = {
  {"u/l", "U/L"}, {"iu/l", "U/L"}, {"units/l", "U/L"}, {"u/ml", "U/mL"},
  {"iu/ml", "U/mL"}, {"ukat/l", "ukat/L"},
  {"ml/min/1.73m2", "mL/min/{1.73_m2}"}, {"ml/min/1.73m^2", "mL/min/{1.73_m2}"},
  {"ml/min/1.73sqm", "mL/min/{1.73_m2}"}, {"ml/min/1.73", "mL/min/{1.73_m2}"},
  {"ml/min/bsa", "mL/min/{1.73_m2}"}, {"ml/min", "mL/min"}, {"mlmin", "mL/min"},
  {"umoll", "umol/L"}, {"mmoll", "mmol/L"}, {"nmoll", "nmol/L"}, {"pmoll", "pmol/L"},
  {"mgdl", "mg/dL"}, {"gdl", "g/dL"}, {"gl", "g/L"}, {"mgl", "mg/L"},
  {"pgml", "pg/mL"}, {"ngml", "ng/mL"}, {"meql", "meq/L"},
  {"mg^2/dl^2", "mg2/dL2"}, {"mmol^2/l^2", "mmol2/L2"},
  {"y", "a"}, {"yr", "a"}, {"yrs", "a"}, {"year", "a"}, {"years", "a"},
  {"yo", "a"}, {"month", "mo"}, {"months", "mo"}, {"mos", "mo"}, {"m(months)", "mo"},
  {"w", "wk"}, {"week", "wk"}, {"weeks", "wk"}, {"wks", "wk"},
  {"day", "d"}, {"days", "d"}, {"hr", "h"}, {"hour", "h"}, {"hours", "h"},
  {"in", "[in_i]"}, {"inch", "[in_i]"}, {"inches", "[in_i]"}, {"ft", "[ft_i]"},
  {"lb", "[lb_av]"}, {"lbs", "[lb_av]"},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

typedef struct parser {
  const char *s;
  size_t n, i;
  char *err;
  size_t errlen;
  int depth;  /* nesting of atom definitions */
  int nest;   /* nesting of parentheses */
} parser;

static void set_err(char *err, size_t errlen, const char *msg, const char *s,
                    size_t n) {
  if (err && errlen > 0) {
    char sh[4 * 200 + 1];
    snprintf(err, errlen, "%s in unit '%s'", msg, cal_show(sh, s, n, 200));
  }
}

static int fail(parser *p, const char *msg) {
  set_err(p->err, p->errlen, msg, p->s, p->n);
  return 0;
}

static void unity(cal_unit *u) {
  memset(u, 0, sizeof *u);
  u->factor = 1.0;
}

static int combine(cal_unit *a, const cal_unit *b, int sign) {
  int k;
  a->factor = sign > 0 ? a->factor * b->factor : a->factor / b->factor;
  for (k = 0; k < CAL_NDIM; k++) {
    int d = a->dim[k] + sign * b->dim[k];
    if (d > MAX_EXP || d < -MAX_EXP) return 0;
    a->dim[k] = (signed char)d;
  }
  return 1;
}

static int power(cal_unit *u, int e) {
  int k;
  u->factor = pow(u->factor, e);
  for (k = 0; k < CAL_NDIM; k++) {
    int d = u->dim[k] * e;
    if (d > MAX_EXP || d < -MAX_EXP) return 0;
    u->dim[k] = (signed char)d;
  }
  return 1;
}

static int parse_strict(const char *s, size_t n, cal_unit *u, char *err,
                        size_t errlen, int depth);

static int atom_unit(const atom *a, cal_unit *u, char *err, size_t errlen,
                     int depth) {
  if (a->base >= 0) {
    unity(u);
    u->dim[a->base] = 1;
    return 1;
  }
  if (!parse_strict(a->def, strlen(a->def), u, err, errlen, depth + 1))
    return 0;
  u->factor *= a->value;
  return 1;
}

static const atom *find_atom(const char *s, size_t n) {
  size_t k;
  for (k = 0; k < COUNT(ATOMS); k++)
    if (strlen(ATOMS[k].sym) == n && memcmp(ATOMS[k].sym, s, n) == 0)
      return &ATOMS[k];
  return NULL;
}

/* A symbol without exponent: an atom, or a prefix and a metric atom. */
static int symbol(parser *p, const char *s, size_t n, cal_unit *u) {
  const atom *a = find_atom(s, n);
  size_t k;
  if (a) return atom_unit(a, u, p->err, p->errlen, p->depth);
  for (k = 0; k < COUNT(PREFIXES); k++) {
    size_t pl = strlen(PREFIXES[k].sym);
    if (pl < n && memcmp(PREFIXES[k].sym, s, pl) == 0) {
      a = find_atom(s + pl, n - pl);
      if (a && a->metric) {
        if (!atom_unit(a, u, p->err, p->errlen, p->depth)) return 0;
        u->factor *= PREFIXES[k].value;
        return 1;
      }
    }
  }
  {
    char msg[96];
    int len = n > 40 ? 40 : (int)n;
    snprintf(msg, sizeof msg, "unknown unit symbol '%.*s'", len, s);
    return fail(p, msg);
  }
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

static int parse_int(const char *s, size_t n, long *out) {
  size_t i = 0;
  long v = 0;
  int neg = 0;
  if (n == 0) return 0;
  if (s[0] == '+' || s[0] == '-') { neg = s[0] == '-'; i = 1; }
  if (i == n) return 0;
  for (; i < n; i++) {
    if (!is_digit(s[i])) return 0;
    v = v * 10 + (s[i] - '0');
    if (v > 1000000000L) return 0;
  }
  *out = neg ? -v : v;
  return 1;
}

static void skip_annotation(parser *p) {
  if (p->i < p->n && p->s[p->i] == '{') {
    while (p->i < p->n && p->s[p->i] != '}') p->i++;
    if (p->i < p->n) p->i++;
  }
}

static int term(parser *p, cal_unit *u);

static int component(parser *p, cal_unit *u) {
  size_t start = p->i, end, j;
  long e = 1;
  if (p->i >= p->n) return fail(p, "missing unit after operator");
  if (p->s[p->i] == '(') {
    p->i++;
    if (!term(p, u)) return 0;
    if (p->i >= p->n || p->s[p->i] != ')') return fail(p, "missing ')'");
    p->i++;
    return 1;
  }
  if (p->s[p->i] == '{') {
    size_t a = p->i;
    skip_annotation(p);
    if (p->s[p->i - 1] != '}' || p->i == a) return fail(p, "unterminated '{'");
    unity(u);
    return 1;
  }
  /* a symbol token, brackets kept whole */
  while (p->i < p->n) {
    char c = p->s[p->i];
    if (c == '[') {
      while (p->i < p->n && p->s[p->i] != ']') p->i++;
      if (p->i >= p->n) return fail(p, "missing ']'");
      p->i++;
      continue;
    }
    if (c == '.' || c == '/' || c == '(' || c == ')' || c == '{' || c == '}' ||
        c == ' ')
      break;
    if ((unsigned char)c < 33 || (unsigned char)c > 126)
      return fail(p, "invalid character");
    p->i++;
  }
  end = p->i;
  if (end == start) return fail(p, "missing unit symbol");
  if (end - start >= 3 && (memcmp(p->s + start, "10*", 3) == 0 ||
                           memcmp(p->s + start, "10^", 3) == 0)) {
    if (!parse_int(p->s + start + 3, end - start - 3, &e) || e > 300 || e < -300)
      return fail(p, "bad power of ten");
    unity(u);
    u->factor = pow(10.0, (double)e);
    skip_annotation(p);
    return 1;
  }
  j = end;
  while (j > start && is_digit(p->s[j - 1])) j--;
  if (j == start) { /* a plain integer factor */
    long v;
    if (!parse_int(p->s + start, end - start, &v)) return fail(p, "bad number");
    unity(u);
    u->factor = (double)v;
    skip_annotation(p);
    return 1;
  }
  if (j < end) {
    size_t k = j;
    if (k - 1 > start && (p->s[k - 1] == '-' || p->s[k - 1] == '+')) k--;
    if (!parse_int(p->s + k, end - k, &e) || e > 20 || e < -20)
      return fail(p, "bad exponent");
    j = k;
  }
  if (!symbol(p, p->s + start, j - start, u)) return 0;
  if (e != 1 && !power(u, (int)e)) return fail(p, "exponent too large");
  skip_annotation(p);
  return 1;
}

static int term(parser *p, cal_unit *u) {
  cal_unit v;
  if (++p->nest > MAX_DEPTH * 4) return fail(p, "unit nested too deeply");
  unity(u);
  if (p->i < p->n && p->s[p->i] == '/') {
    p->i++;
    if (!component(p, &v) || !combine(u, &v, -1)) return 0;
  } else if (!component(p, u)) {
    return 0;
  }
  while (p->i < p->n && (p->s[p->i] == '.' || p->s[p->i] == '/')) {
    int sign = p->s[p->i] == '.' ? 1 : -1;
    p->i++;
    if (!component(p, &v)) return 0;
    if (!combine(u, &v, sign)) return fail(p, "exponent too large");
  }
  p->nest--;
  return 1;
}

static int parse_strict(const char *s, size_t n, cal_unit *u, char *err,
                        size_t errlen, int depth) {
  parser p;
  if (depth > MAX_DEPTH) {
    set_err(err, errlen, "definition nested too deeply", s, n);
    return 0;
  }
  p.s = s; p.n = n; p.i = 0; p.err = err; p.errlen = errlen; p.depth = depth; p.nest = 0;
  if (n == 0) { unity(u); return 1; }
  if (!term(&p, u)) return 0;
  if (p.i != n) return fail(&p, "unexpected character");
  if (!isfinite(u->factor) || u->factor == 0) return fail(&p, "factor out of range");
  return 1;
}

/* Copies s into buf with spaces removed, micro signs turned into 'u' and
 * superscript two into '2'; lowers letters when lower is set. */
static size_t clean(const char *s, size_t n, char *buf, size_t len, int lower) {
  size_t i = 0, o = 0;
  while (i < n && o + 1 < len) {
    unsigned char c = (unsigned char)s[i];
    if (c == ' ' || c == '\t') { i++; continue; }
    if (i + 1 < n && ((c == 0xC2 && (unsigned char)s[i + 1] == 0xB5) ||
                      (c == 0xCE && (unsigned char)s[i + 1] == 0xBC))) {
      buf[o++] = 'u'; i += 2; continue;
    }
    if (i + 1 < n && c == 0xC2 && (unsigned char)s[i + 1] == 0xB2) {
      buf[o++] = '2'; i += 2; continue;
    }
    if (lower && c >= 'A' && c <= 'Z') c = (unsigned char)(c - 'A' + 'a');
    buf[o++] = (char)c;
    i++;
  }
  buf[o] = '\0';
  return i < n ? (size_t)-1 : o;
}

int cal_unit_parse(const char *s, size_t n, cal_unit *u, char *err, size_t errlen) {
  char buf[128], low[128];
  size_t bn, ln, k;
  if (err && errlen) err[0] = '\0';
  bn = clean(s, n, buf, sizeof buf, 0);
  if (bn == (size_t)-1) {
    set_err(err, errlen, "unit too long", s, n);
    return 0;
  }
  if (parse_strict(buf, bn, u, NULL, 0, 0)) return 1;
  ln = clean(s, n, low, sizeof low, 1);
  for (k = 0; k < COUNT(ALIASES); k++)
    if (strcmp(ALIASES[k].lab, low) == 0)
      return parse_strict(ALIASES[k].ucum, strlen(ALIASES[k].ucum), u, err,
                          errlen, 0);
  if (parse_strict(low, ln, u, NULL, 0, 0)) return 1;
  /* report the error of the strict reading */
  parse_strict(buf, bn, u, err, errlen, 0);
  if (err && errlen && err[0] == '\0') set_err(err, errlen, "unknown unit", s, n);
  return 0;
}

int cal_unit_same_dim(const cal_unit *a, const cal_unit *b) {
  return memcmp(a->dim, b->dim, sizeof a->dim) == 0;
}

int cal_unit_convert(double v, const cal_unit *from, const cal_unit *to,
                     double molar_mass, double valence, double *out,
                     char *err, size_t errlen) {
  int k, dg, deq, dmol;
  double x;
  if (err && errlen) err[0] = '\0';
  for (k = 0; k < CAL_NDIM; k++) {
    if (k == CAL_DIM_G || k == CAL_DIM_MOL || k == CAL_DIM_EQ) continue;
    if (from->dim[k] != to->dim[k]) goto incompatible;
  }
  dg = from->dim[CAL_DIM_G] - to->dim[CAL_DIM_G];
  deq = from->dim[CAL_DIM_EQ] - to->dim[CAL_DIM_EQ];
  dmol = from->dim[CAL_DIM_MOL] - to->dim[CAL_DIM_MOL];
  if (dg + deq + dmol != 0) goto incompatible;
  if (dg == 0 && deq == 0 && dmol == 0 && from->factor == to->factor) {
    *out = v; /* same unit: no rounding */
    return 1;
  }
  x = v * from->factor;
  if (dg != 0) {
    if (!(molar_mass > 0)) {
      if (err && errlen)
        snprintf(err, errlen, "converting between mass and substance units needs an analyte with a molar mass");
      return 0;
    }
    /* mass -> mol: divide by g/mol for each mass exponent moved */
    x /= pow(molar_mass, dg);
  }
  if (deq != 0) {
    if (!(valence > 0)) {
      if (err && errlen)
        snprintf(err, errlen, "converting to or from equivalents needs an analyte with a valence");
      return 0;
    }
    x /= pow(valence, deq);
  }
  *out = x / to->factor;
  if (!isfinite(*out)) {
    if (err && errlen) snprintf(err, errlen, "conversion overflows");
    return 0;
  }
  return 1;
incompatible:
  if (err && errlen) {
    char a[64], b[64];
    cal_unit_dim_name(from, a, sizeof a);
    cal_unit_dim_name(to, b, sizeof b);
    snprintf(err, errlen, "incompatible units: %s and %s", a, b);
  }
  return 0;
}

typedef struct dim_name { signed char dim[CAL_NDIM]; const char *name; } dim_name;

/* order: m s g rad K C cd mol eq IU */
static const dim_name DIM_NAMES[] = {
  {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, "dimensionless"},
  {{-3, 0, 1, 0, 0, 0, 0, 0, 0, 0}, "mass concentration"},
  {{-3, 0, 0, 0, 0, 0, 0, 1, 0, 0}, "substance concentration"},
  {{-3, 0, 0, 0, 0, 0, 0, 0, 1, 0}, "equivalent concentration"},
  {{-3, -1, 0, 0, 0, 0, 0, 1, 0, 0}, "catalytic concentration"},
  {{-3, 0, 0, 0, 0, 0, 0, 0, 0, 1}, "arbitrary concentration"},
  {{-6, 0, 2, 0, 0, 0, 0, 0, 0, 0}, "squared mass concentration"},
  {{-6, 0, 0, 0, 0, 0, 0, 2, 0, 0}, "squared substance concentration"},
  {{3, -1, 0, 0, 0, 0, 0, 0, 0, 0}, "volume flow"},
  {{0, 1, 0, 0, 0, 0, 0, 0, 0, 0}, "time"},
  {{1, 0, 0, 0, 0, 0, 0, 0, 0, 0}, "length"},
  {{0, 0, 1, 0, 0, 0, 0, 0, 0, 0}, "mass"},
  {{3, 0, 0, 0, 0, 0, 0, 0, 0, 0}, "volume"},
  {{0, 0, 0, 0, 0, 0, 0, 1, 0, 0}, "amount of substance"},
};

size_t cal_unit_dim_name(const cal_unit *u, char *buf, size_t len) {
  static const char *const BASE[CAL_NDIM] = {"m", "s", "g", "rad", "K", "C",
                                             "cd", "mol", "eq", "[IU]"};
  size_t k, o = 0;
  if (len == 0) return 0;
  buf[0] = '\0';
  for (k = 0; k < COUNT(DIM_NAMES); k++)
    if (memcmp(DIM_NAMES[k].dim, u->dim, sizeof u->dim) == 0) {
      int w = snprintf(buf, len, "%s", DIM_NAMES[k].name);
      return w < 0 ? 0 : ((size_t)w >= len ? len - 1 : (size_t)w);
    }
  for (k = 0; k < CAL_NDIM && o + 1 < len; k++) {
    int w;
    if (u->dim[k] == 0) continue;
    if (u->dim[k] == 1)
      w = snprintf(buf + o, len - o, "%s%s", o ? "." : "", BASE[k]);
    else
      w = snprintf(buf + o, len - o, "%s%s%d", o ? "." : "", BASE[k], u->dim[k]);
    if (w < 0) break;
    o += (size_t)w;
    if (o >= len) { o = len - 1; break; }
  }
  return o;
}
