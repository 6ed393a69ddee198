/*
 * jobs.h - the cohort run split over processes (--jobs). POSIX only.
 */
#ifndef CALCINOSIS_JOBS_H
#define CALCINOSIS_JOBS_H

#include <stddef.h>
#include <stdio.h>

#include "cal.h"

CAL_HIDDEN_BEGIN

struct cal_cohort;       /* cohort.h */
struct cal_cohort_stats;

/* The run of cal_cohort_run split over `jobs` processes: the file at `path`
 * (a regular file) is cut at record boundaries (in CSV where the reader
 * ends records, malformed quoting included: cal_csv_boundary; any line end
 * in NDJSON; long-format CSV, FHIR and ARFF run in one process) into
 * chunks of about 1 MiB, dealt to the processes in turn; each chunk's
 * output goes to out in input order, straight from its process (pwrite to
 * a regular file not opened for appending, else write in turn). The result
 * is the same as cal_cohort_run's, byte for byte, the stats added up; out's
 * file offset is left at the end of the output. out is flushed first; its
 * file descriptor is written by the processes. A write that fails is
 * reported as "write error", as cal_cohort_run reports it; a process that
 * fails as "job N failed". Falls back to one process for files under
 * 1 MiB or jobs < 2. No progress callback. Returns as cal_cohort_run. */
int cal_cohort_run_jobs(const struct cal_cohort *plan, const char *path, int jobs, FILE *out,
                        struct cal_cohort_stats *st, char *err, size_t errlen);

/* Shard k of n (1-based): the records of piece k of n of about equal size
 * (cut at record ends as cal_cohort_run_jobs cuts), classified in this
 * process (the CSV header line only in shard 1; the record before the
 * piece read as its context), so that the outputs of shards 1..n
 * concatenated in order are the output of one process. Fewer records than
 * shards leave the last shards empty. Not for long-format CSV, FHIR or
 * ARFF. Returns as cal_cohort_run. */
int cal_cohort_run_shard(const struct cal_cohort *plan, const char *path, int k, int n, FILE *out,
                         struct cal_cohort_stats *st, char *err, size_t errlen);

CAL_HIDDEN_END

#endif
