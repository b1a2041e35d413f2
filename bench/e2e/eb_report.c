/* The human summary and the JSON line; see eb_run.h. */
#include "bench/e2e/eb_run.h"

#include <inttypes.h>
#include <stdio.h>

static void lat_json(FILE *f, const char *name, const struct eb_hist *h)
{
	fprintf(f,
		"\"%s\":{\"count\":%" PRIu64 ",\"p50\":%.1f,\"p90\":%.1f,\"p99\":%.1f,"
		"\"p999\":%.1f,\"max\":%.1f,\"buckets\":[",
		name, h->count, eb_hist_quantile(h, 0.5) / 1e3, eb_hist_quantile(h, 0.9) / 1e3,
		eb_hist_quantile(h, 0.99) / 1e3, eb_hist_quantile(h, 0.999) / 1e3, h->max / 1e3);
	/* the non-empty buckets, [upper bound (clamped to the max), count]: a CDF's steps */
	const char *sep = "";
	for (unsigned i = 0; i < EB_HIST_BUCKETS; i++)
		if (h->bucket[i]) {
			uint64_t up = eb_hist_upper(i);
			fprintf(f, "%s[%.3f,%" PRIu64 "]", sep, (up < h->max ? up : h->max) / 1e3,
				h->bucket[i]);
			sep = ",";
		}
	fputs("]}", f);
}

static void lat_human(const char *name, const struct eb_hist *h)
{
	printf("  %-18s p50 %8.3f  p90 %8.3f  p99 %8.3f  p99.9 %8.3f  max %8.3f ms  (n=%" PRIu64 ")\n",
	       name, eb_hist_quantile(h, 0.5) / 1e6, eb_hist_quantile(h, 0.9) / 1e6,
	       eb_hist_quantile(h, 0.99) / 1e6, eb_hist_quantile(h, 0.999) / 1e6, h->max / 1e6,
	       h->count);
}

void eb_report(const struct eb_run *run, bool completed, const struct eb_track_result *tr)
{
	const struct eb_opts *o = &run->o;
	double wall = (eb_mono_ns() - run->t0) / 1e9;
	double cpu = eb_cpu_seconds() - run->cpu0;
	/* rates over the measured time: from the warm-up's end to the last 202 / receipt */
	int64_t t_meas = run->t0 + run->warmup_ns;
	double sub_s = run->t_last_202 > t_meas ? (run->t_last_202 - t_meas) / 1e9 : 0;
	double rcv_s = run->t_last_recv > t_meas ? (run->t_last_recv - t_meas) / 1e9 : 0;
	double sub_rate = sub_s > 0 ? run->accepted_measured / sub_s : 0;
	double e2e_rate = rcv_s > 0 ? run->received_measured / rcv_s : 0;
	uint64_t non202 = 0;
	for (unsigned i = 0; i < run->n_kinds; i++)
		non202 += run->kinds[i].n;

	printf("columba-bench: S=%u R=%u window=%u %s%s, %.1f s of sending after %.1f s of "
	       "warm-up%s\n", o->senders, o->receivers, o->window,
	       o->rate > 0 ? (o->poisson ? "open loop (Poisson)" : "open loop") : "closed loop",
	       o->new_conn ? ", a new connection per submit" : "", o->seconds, o->warmup_s,
	       completed ? "" : " -- NOT COMPLETED (drain timed out or interrupted)");
	/* open loop: sends that came due while every window was full, never sent */
	double due = o->rate > 0 ? o->rate * (o->warmup_s + o->seconds) : 0;
	double unsent = due > run->submitted ? due - run->submitted : 0;
	if (o->rate > 0)
		printf("  target rate        %.0f submits/s: %.0f due, %.0f not sent (windows full)\n",
		       o->rate, due, unsent);
	printf("  submitted          %" PRIu64 "  accepted (202) %" PRIu64 "  other answers %" PRIu64
	       "\n", run->submitted, run->track.accepted, non202);
	printf("  submits/s          %.0f\n", sub_rate);
	printf("  received           %" PRIu64 "  e2e messages/s %.0f  imdn %" PRIu64 "\n",
	       run->received, e2e_rate, run->imdn);
	printf("  exactly once       lost %" PRIu64 "  dup %" PRIu64 "  received without 202 %" PRIu64
	       "\n", tr->lost, tr->dup, tr->unacked_received);
	printf("  bench CPU          %.0f%% of one core over %.1f s (sending and drain)\n",
	       wall > 0 ? 100 * cpu / wall : 0, wall);
	printf("  connections        %" PRIu64 " sender connections opened\n", run->conns_opened);
	lat_human("submit (->202)", &run->submit_lat);
	lat_human("e2e (->MESSAGE)", &run->e2e_lat);
	for (unsigned i = 0; i < run->n_kinds; i++)
		printf("  error %-18s %" PRIu64 "\n", run->kinds[i].name, run->kinds[i].n);
	for (unsigned i = 0; i < EB_ERR_COUNT; i++)
		if (run->err[i])
			printf("  error %-18s %" PRIu64 "\n", eb_err_name[i], run->err[i]);

	printf("{\"bench\":\"columba-e2e\",\"senders\":%u,\"receivers\":%u,\"window\":%u,"
	       "\"rate\":%.0f,\"duration_s\":%.3f,\"completed\":%s,\"submitted\":%" PRIu64
	       ",\"accepted\":%" PRIu64 ",\"received\":%" PRIu64 ",\"imdn\":%" PRIu64
	       ",\"lost\":%" PRIu64 ",\"dup\":%" PRIu64 ",\"received_without_202\":%" PRIu64
	       ",\"submits_per_s\":%.1f,\"e2e_per_s\":%.1f,\"wall_s\":%.3f,\"bench_cpu_s\":%.3f,"
	       "\"unsent_due\":%.0f,\"warmup_s\":%.3f,\"new_conn\":%s,\"poisson\":%s,"
	       "\"connections_opened\":%" PRIu64 ",",
	       o->senders, o->receivers, o->window, o->rate, o->seconds,
	       completed ? "true" : "false", run->submitted, run->track.accepted, run->received,
	       run->imdn, tr->lost, tr->dup, tr->unacked_received, sub_rate, e2e_rate, wall, cpu, unsent,
	       o->warmup_s, o->new_conn ? "true" : "false", o->poisson ? "true" : "false",
	       run->conns_opened);
	lat_json(stdout, "submit_latency_us", &run->submit_lat);
	putchar(',');
	lat_json(stdout, "e2e_latency_us", &run->e2e_lat);
	printf(",\"errors\":{");
	const char *sep = "";
	for (unsigned i = 0; i < run->n_kinds; i++) {
		printf("%s\"%s\":%" PRIu64, sep, run->kinds[i].name, run->kinds[i].n);
		sep = ",";
	}
	for (unsigned i = 0; i < EB_ERR_COUNT; i++)
		if (run->err[i]) {
			printf("%s\"%s\":%" PRIu64, sep, eb_err_name[i], run->err[i]);
			sep = ",";
		}
	printf("}}\n");
	fflush(stdout);
}
