/*
 * lcal_ranges.h - the reference and critical ranges of a plan cut, per
 * analyte, to the stretch of the list that holds that analyte's entries
 * (the lab table looks up 2 to 4 ranges per analyte given: a window keeps
 * cal_record_find_range from walking the whole list each time). The
 * lookups run cal_record_find_range and cal_record_flag themselves, on the
 * window: an entry outside it is of another analyte, never a match, so the
 * results are those of the whole list (spec/c/ranges_test.c compares them).
 */
#ifndef LCAL_RANGES_H
#define LCAL_RANGES_H

#include <stddef.h>

#include "record.h"

typedef struct {
  /* by analyte index: the first entry of the analyte and the length of the
   * stretch up to its last one (0: none), for ranges and for critical */
  size_t r_at[CAL_REC_MAX_ANALYTES], r_n[CAL_REC_MAX_ANALYTES];
  size_t c_at[CAL_REC_MAX_ANALYTES], c_n[CAL_REC_MAX_ANALYTES];
} lcal_range_windows;

/* The windows of ctx's ranges and critical lists. */
void lcal_range_windows_make(lcal_range_windows *w, const cal_record_ctx *ctx);

/* cal_record_find_range(ctx->ranges (critical: ctx->critical), ..., analyte, r) by the window. */
int lcal_find_range(const lcal_range_windows *w, const cal_record_ctx *ctx, int critical, int analyte,
                    const cal_record *r);

/* cal_record_flag(ctx, analyte, r) by the windows. */
double lcal_flag(const lcal_range_windows *w, const cal_record_ctx *ctx, int analyte, const cal_record *r);

#endif
