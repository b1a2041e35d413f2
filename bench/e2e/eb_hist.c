/* Log-linear histogram; see eb_hist.h. */
#include "bench/e2e/eb_hist.h"

#include <string.h>

void eb_hist_init(struct eb_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

unsigned eb_hist_index(uint64_t v)
{
	if (v < EB_HIST_SUB)
		return (unsigned)v;
	unsigned e = 63u - (unsigned)__builtin_clzll(v); /* >= EB_HIST_SUB_BITS */
	unsigned shift = e - EB_HIST_SUB_BITS;
	return (shift + 1) * EB_HIST_SUB + (unsigned)((v >> shift) & (EB_HIST_SUB - 1));
}

uint64_t eb_hist_upper(unsigned i)
{
	if (i < EB_HIST_SUB)
		return i;
	unsigned shift = i / EB_HIST_SUB - 1;
	uint64_t mant = EB_HIST_SUB | (i % EB_HIST_SUB);
	uint64_t lo = mant << shift;
	return lo + ((1ull << shift) - 1);
}

void eb_hist_record(struct eb_hist *h, uint64_t v)
{
	h->bucket[eb_hist_index(v)]++;
	h->count++;
	h->sum += v;
	if (v > h->max)
		h->max = v;
	if (v < h->min)
		h->min = v;
}

uint64_t eb_hist_quantile(const struct eb_hist *h, double q)
{
	if (h->count == 0)
		return 0;
	if (q < 0)
		q = 0;
	if (q > 1)
		q = 1;
	uint64_t rank = (uint64_t)(q * (double)h->count + 0.999999);
	if (rank == 0)
		rank = 1;
	uint64_t seen = 0;
	for (unsigned i = 0; i < EB_HIST_BUCKETS; i++) {
		seen += h->bucket[i];
		if (seen >= rank) {
			uint64_t up = eb_hist_upper(i);
			return up < h->max ? up : h->max;
		}
	}
	return h->max;
}
