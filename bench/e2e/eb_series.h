/*
 * columba-bench's CSV time series (--csv): one line per second of the run, with what
 * happened in that second: 202 answers and receipts per second, errors, and the submit and
 * end-to-end p50/p99 of the answers and receipts of that second (from per-second
 * histograms, reset at every line), and the line's length in seconds (1, except the last
 * line's, which is what was left of the run: a rate over a short last interval is noisy).
 */
#ifndef COLUMBA_BENCH_E2E_EB_SERIES_H
#define COLUMBA_BENCH_E2E_EB_SERIES_H

#include <stdint.h>
#include <stdio.h>

#include "bench/e2e/eb_hist.h"

/* The header line eb_series_open writes (without its newline). */
#define EB_SERIES_HEADER \
	"t_s,submits_per_s,received_per_s,errors,submit_p50_ms,submit_p99_ms,e2e_p50_ms,e2e_p99_ms,len_s"

struct eb_series {
	FILE *f;
	int64_t sec_start;       /* start of the current second, ns since the run's start */
	uint64_t subs, rcvs;     /* 202s and receipts in the current second */
	uint64_t errors_before;  /* the run's error total when the current second began */
	struct eb_hist sub, e2e; /* latencies (ns) of the current second */
	int write_err;           /* the first write error (negative errno), 0 if none */
};

/* Opens @path for writing (truncating it) and writes the header line. Returns 0, or a
 * negative errno (the file could not be created). */
int eb_series_open(struct eb_series *s, const char *path);

/* Counts one 202 answer whose submit latency was @lat_ns, in the current second. */
void eb_series_submit(struct eb_series *s, uint64_t lat_ns);

/* Counts one receipt whose end-to-end latency was @lat_ns, in the current second. */
void eb_series_receipt(struct eb_series *s, uint64_t lat_ns);

/* Writes the line of every second that ended by @now_ns (ns since the run's start; seconds
 * without events get a line of zeros), given the run's error total @errors so far. Call
 * it before counting an event at @now_ns. No-op when the series is not open. */
void eb_series_tick(struct eb_series *s, int64_t now_ns, uint64_t errors);

/* Writes the last, partial second (ending at @now_ns; its rates are per second of its
 * actual length) when it has any events, and closes the file. Returns 0, or the first
 * negative errno a write or the close met. No-op returning 0 when the series is not
 * open. */
int eb_series_close(struct eb_series *s, int64_t now_ns, uint64_t errors);

/* Formats one line (no newline) into @out (@cap bytes): the second starting at @t_s
 * seconds, @len_s long, with @subs 202s, @rcvs receipts, @errors errors and the latencies
 * in @sub and @e2e (ns; "0.000" when empty). Returns its length, or -ENOSPC. */
int eb_series_line(char *out, size_t cap, double t_s, double len_s, uint64_t subs, uint64_t rcvs,
		   uint64_t errors, const struct eb_hist *sub, const struct eb_hist *e2e);

#endif
