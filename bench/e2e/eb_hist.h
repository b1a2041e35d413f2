/*
 * A log-linear latency histogram (HdrHistogram's bucketing, fixed size): values below
 * 2^EB_HIST_SUB_BITS are exact; above, each power of two is split into 2^EB_HIST_SUB_BITS
 * linear buckets, so a recorded value is known within 1/64 (1.6 %) of itself.
 */
#ifndef COLUMBA_BENCH_E2E_EB_HIST_H
#define COLUMBA_BENCH_E2E_EB_HIST_H

#include <stdint.h>

#define EB_HIST_SUB_BITS 6
#define EB_HIST_SUB      (1u << EB_HIST_SUB_BITS)
#define EB_HIST_BUCKETS  ((64 - EB_HIST_SUB_BITS + 1) * EB_HIST_SUB)

struct eb_hist {
	uint64_t count;
	uint64_t max;
	uint64_t min;
	uint64_t sum;
	uint64_t bucket[EB_HIST_BUCKETS];
};

/* Empties @h. */
void eb_hist_init(struct eb_hist *h);

/* Counts one value @v (nanoseconds, or any unit). Never fails. */
void eb_hist_record(struct eb_hist *h, uint64_t v);

/* The value at quantile @q (0..1): the upper bound of the bucket holding the
 * ceil(q * count)-th smallest value, clamped to the exact maximum; 0 when empty. */
uint64_t eb_hist_quantile(const struct eb_hist *h, double q);

/* The bucket index of @v (exposed for the histogram's own checks). */
unsigned eb_hist_index(uint64_t v);

/* The largest value that falls in bucket @i. */
uint64_t eb_hist_upper(unsigned i);

#endif
