/*
 * lcal_ranges.c - cal_record_find_range and cal_record_flag over the
 * stretch of a plan's range lists that holds one analyte (lcal_ranges.h).
 */
#include "lcal_ranges.h"

static void windows(const cal_range *list, size_t n, size_t *at, size_t *len) {
  size_t i;
  for (i = 0; i < CAL_REC_MAX_ANALYTES; i++) at[i] = len[i] = 0;
  for (i = 0; i < n; i++) {
    int a = list[i].analyte;
    if (a < 0 || a >= CAL_REC_MAX_ANALYTES) continue;
    if (!len[a]) at[a] = i;
    len[a] = i + 1 - at[a];
  }
}

void lcal_range_windows_make(lcal_range_windows *w, const cal_record_ctx *ctx) {
  windows(ctx->ranges, ctx->ranges ? ctx->nranges : 0, w->r_at, w->r_n);
  windows(ctx->critical, ctx->critical ? ctx->ncritical : 0, w->c_at, w->c_n);
}

int lcal_find_range(const lcal_range_windows *w, const cal_record_ctx *ctx, int critical, int analyte,
                    const cal_record *r) {
  const cal_range *list = critical ? ctx->critical : ctx->ranges;
  size_t at, n;
  int i;
  if (analyte < 0 || analyte >= CAL_REC_MAX_ANALYTES) /* (no entry is of it) */
    return cal_record_find_range(list, critical ? ctx->ncritical : ctx->nranges, analyte, r);
  at = critical ? w->c_at[analyte] : w->r_at[analyte];
  n = critical ? w->c_n[analyte] : w->r_n[analyte];
  if (!n) return -1;
  i = cal_record_find_range(list + at, n, analyte, r);
  return i < 0 ? -1 : (int)at + i;
}

double lcal_flag(const lcal_range_windows *w, const cal_record_ctx *ctx, int analyte, const cal_record *r) {
  cal_record_ctx c = *ctx;
  if (analyte < 0 || analyte >= CAL_REC_MAX_ANALYTES) return cal_record_flag(ctx, analyte, r);
  /* (cal_record_flag reads the entries it finds in the lists it is given) */
  c.ranges = ctx->ranges ? ctx->ranges + w->r_at[analyte] : ctx->ranges;
  c.nranges = w->r_n[analyte];
  c.critical = ctx->critical ? ctx->critical + w->c_at[analyte] : ctx->critical;
  c.ncritical = w->c_n[analyte];
  return cal_record_flag(&c, analyte, r);
}
