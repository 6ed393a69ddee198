/*
 * dates.c - see dates.h.
 */
#include "dates.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* H. Hinnant's days_from_civil / civil_from_days (public domain algorithms) */
long cal_days_from_civil(long y, int m, int d) {
  long era, yoe, doy, doe;
  y -= m <= 2;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = y - era * 400;
  doy = (153L * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void cal_civil_from_days(long z, long *y, int *m, int *d) {
  long era, doe, yoe, doy, mp;
  z += 719468;
  era = (z >= 0 ? z : z - 146096) / 146097;
  doe = z - era * 146097;
  yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  mp = (5 * doy + 2) / 153;
  *d = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

static int leap(long y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int month_days(long y, int m) {
  static const int md[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : md[m - 1];
}

/* k digits at p (all present): their value, or -1. */
static long digits(const char *p, size_t n, size_t at, size_t k) {
  long v = 0;
  size_t i;
  if (at + k > n) return -1;
  for (i = 0; i < k; i++) {
    char c = p[at + i];
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  return v;
}

/* A time of day from p[at..n): hh[:mm[:ss[.fff]]] (colons when sep),
 * then a zone (Z, +hh[:mm], -hh[:mm]). 1 when valid to the end. */
static int time_ok(const char *p, size_t n, size_t at, int sep) {
  long h = digits(p, n, at, 2), mi = -1, s = -1;
  if (h < 0 || h > 24) return 0;
  at += 2;
  if (at < n && (sep ? p[at] == ':' : (p[at] >= '0' && p[at] <= '9'))) {
    at += sep;
    if ((mi = digits(p, n, at, 2)) < 0 || mi > 59) return 0;
    at += 2;
    if (at < n && (sep ? p[at] == ':' : (p[at] >= '0' && p[at] <= '9'))) {
      at += sep;
      if ((s = digits(p, n, at, 2)) < 0 || s > 60) return 0;
      at += 2;
      if (at < n && p[at] == '.') {
        size_t k = ++at;
        while (at < n && p[at] >= '0' && p[at] <= '9') at++;
        if (at == k) return 0;
      }
    }
  }
  if (h == 24 && (mi > 0 || s > 0)) return 0;
  if (at == n) return 1;
  if (p[at] == 'Z') return at + 1 == n;
  if (p[at] == '+' || p[at] == '-') {
    long zh = digits(p, n, at + 1, 2), zm = 0;
    at += 3;
    if (zh < 0 || zh > 14) return 0;
    if (at < n && p[at] == ':') at++;
    if (at < n) {
      zm = digits(p, n, at, 2);
      at += 2;
    }
    return zm >= 0 && zm <= 59 && at == n;
  }
  return 0;
}

int cal_date_parse(const char *p, size_t n, double *day) {
  long y, m = 1, d = 1;
  while (n > 0 && (*p == ' ' || *p == '\t')) { p++; n--; }
  while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t')) n--;
  y = digits(p, n, 0, 4);
  if (y < 0) return 0;
  if (n == 4) {
    /* a year */
  } else if (p[4] == '-') { /* ISO 8601 */
    m = digits(p, n, 5, 2);
    if (n > 7) {
      if (p[7] != '-') return 0;
      d = digits(p, n, 8, 2);
      if (n > 10) {
        if (p[10] != 'T' && p[10] != ' ') return 0;
        if (!time_ok(p, n, 11, 1)) return 0;
      }
    }
  } else { /* HL7 TS: YYYYMM[DD[HHMM[SS]]] */
    m = digits(p, n, 4, 2);
    if (n > 6) {
      d = digits(p, n, 6, 2);
      if (n > 8 && !time_ok(p, n, 8, 0)) return 0;
    }
  }
  if (m < 1 || m > 12 || d < 1 || d > month_days(y, (int)m)) return 0;
  if (y == 0) return 0; /* 0000 is not a year */
  *day = (double)cal_days_from_civil(y, (int)m, (int)d);
  return 1;
}

void cal_date_format(double day, char out[11]) {
  long y;
  int m, d;
  if (isnan(day)) {
    out[0] = '\0';
    return;
  }
  cal_civil_from_days((long)day, &y, &m, &d);
  y = ((y % 10000) + 10000) % 10000;
  out[0] = (char)('0' + y / 1000);
  out[1] = (char)('0' + y / 100 % 10);
  out[2] = (char)('0' + y / 10 % 10);
  out[3] = (char)('0' + y % 10);
  out[4] = '-';
  out[5] = (char)('0' + m / 10);
  out[6] = (char)('0' + m % 10);
  out[7] = '-';
  out[8] = (char)('0' + d / 10);
  out[9] = (char)('0' + d % 10);
  out[10] = '\0';
}

double cal_age_years(double birth, double at) {
  long by, ay, age;
  int bm, bd, am, ad;
  if (isnan(birth) || isnan(at) || at < birth) return NAN;
  cal_civil_from_days((long)birth, &by, &bm, &bd);
  cal_civil_from_days((long)at, &ay, &am, &ad);
  age = ay - by;
  if (am < bm || (am == bm && ad < bd)) age--; /* the birthday is not reached yet (29 Feb: on 1 Mar) */
  return (double)age;
}

int cal_window_parse(const char *p, size_t n, double *days) {
  char buf[32];
  double v;
  char *end;
  size_t k;
  while (n > 0 && *p == ' ') { p++; n--; }
  while (n > 0 && p[n - 1] == ' ') n--;
  if (n == 0 || n >= sizeof buf) return 0;
  memcpy(buf, p, n);
  buf[n] = '\0';
  for (k = 0; k < n; k++) /* digits and a point only: no sign, no exponent, no hex */
    if (!((buf[k] >= '0' && buf[k] <= '9') || buf[k] == '.')) break;
  if (k == 0) return 0;
  {
    char c = buf[k];
    buf[k] = '\0';
    v = strtod(buf, &end);
    if (*end) return 0;
    buf[k] = c;
  }
  end = buf + k;
  while (*end == ' ') end++;
  if (!*end || !strcmp(end, "d")) *days = v;
  else if (!strcmp(end, "w")) *days = v * 7;
  else if (!strcmp(end, "mo")) *days = v * 30.4375;
  else if (!strcmp(end, "y") || !strcmp(end, "a")) *days = v * 365.25;
  else return 0;
  return *days > 0 && *days < 1e7;
}

int cal_date_better(double a, double b, double index) {
  if (isnan(b)) return 0;
  if (isnan(a)) return 1;
  if (!isnan(index)) {
    double da = fabs(a - index), db = fabs(b - index);
    if (db != da) return db < da;
  }
  return b > a;
}

int cal_date_in_window(double day, double index, double window) {
  if (isnan(window)) return 1;
  if (isnan(day)) return 0;
  if (isnan(index)) return 1;
  return fabs(day - index) <= window;
}

size_t cal_date_choose(const double *days, size_t n, double index) {
  size_t i, best = 0;
  for (i = 1; i < n; i++)
    if (!cal_date_better(days[i], days[best], index)) best = i;
  return best;
}

double cal_date_reference(const double *days, size_t n, double index) {
  double ref = index;
  size_t i;
  if (!isnan(ref)) return ref;
  for (i = 0; i < n; i++)
    if (!isnan(days[i]) && (isnan(ref) || days[i] > ref)) ref = days[i];
  return ref;
}

void cal_date_window_problem(char *out, size_t cap, const char *what, double day, double ref, double window) {
  char d[11], r[11];
  cal_date_format(day, d);
  cal_date_format(ref, r);
  snprintf(out, cap, "%s: the value of %s is outside the window (%g days from %s); not used", what,
           d[0] ? d : "no date", window, r[0] ? r : "no date");
}
