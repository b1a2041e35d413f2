/* Monotonic and wall clocks in the units the code uses. */
#ifndef COLUMBA_BASE_CLOCK_H
#define COLUMBA_BASE_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Monotonic nanoseconds; never goes backwards. */
static inline uint64_t clock_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint64_t clock_mono_ms(void)
{
	return clock_mono_ns() / 1000000u;
}

/* Wall-clock milliseconds since the Unix epoch (message timestamps, ids). */
static inline uint64_t clock_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

#endif
