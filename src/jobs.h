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
 * in NDJSON; long-format CSV runs in one process) into `jobs` byte ranges;
 * each process classifies one range, the first straight into out, the
 * others into memory until the ranges before are done: when out is a
 * regular file not opened for appending (Linux), each is then told where
 * its output starts and writes there, while the parent copies its memory
 * there; else its memory is sent to out in input order while it is
 * written. The result is the same as cal_cohort_run's; out's
 * file offset is left at the end of the output. out is flushed first; its
 * file descriptor is written (by the processes, by sendfile and pwrite).
 * A write that fails is reported as "write error", as cal_cohort_run
 * reports it. Falls back to one process for small files or jobs < 2. No
 * progress callback. Returns as cal_cohort_run. */
int cal_cohort_run_jobs(const struct cal_cohort *plan, const char *path, int jobs, FILE *out,
                        struct cal_cohort_stats *st, char *err, size_t errlen);

/* Shard k of n (1-based): the records of range k of the cuts --jobs n
 * makes, classified in this process (the CSV header line only in shard 1),
 * so that the outputs of shards 1..n concatenated in order are the output
 * of one process. Fewer records than shards leave the last shards empty.
 * Not for long-format CSV. Returns as cal_cohort_run. */
int cal_cohort_run_shard(const struct cal_cohort *plan, const char *path, int k, int n, FILE *out,
                         struct cal_cohort_stats *st, char *err, size_t errlen);

CAL_HIDDEN_END

#endif
