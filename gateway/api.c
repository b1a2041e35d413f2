/* HTTP routes: health and metrics now; the message API joins them ([intake]). */
#include "gateway/gw.h"

#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "base/compiler.h"
#include "gateway/msgapi.h"

const uint32_t gw_hist_bounds_us[GW_HIST_BUCKETS] = {
	100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000,
	200000, 500000, 1000000, 2000000, 5000000, UINT32_MAX,
};

static const char *const reject_names[GW_REJ__COUNT] = {
	[GW_REJ_UNAUTHORIZED] = "unauthorized", [GW_REJ_INVALID] = "invalid",
	[GW_REJ_NO_RECIPIENT] = "unknown_recipient", [GW_REJ_RATE] = "rate_limited",
	[GW_REJ_UNAVAILABLE] = "unavailable", [GW_REJ_LOGIN_FAILED] = "login_failed",
	[GW_REJ_LOGIN_LIMITED] = "login_rate_limited", [GW_REJ_QUEUE_FULL] = "recipient_queue_full",
};

static int h_healthz(void *c, const struct http_request *req, struct http_str param, void *arg)
{
	static const char body[] = "{\"status\":\"ok\"}\n";

	(void)param;
	(void)arg;
	return gw_respond(c, req, 200, "application/json", body, sizeof(body) - 1, NULL, 0);
}

#define SUM(field) ({                                                         \
	uint64_t s__ = 0;                                                     \
	for (unsigned i__ = 0; i__ < srv->n_workers; i__++)                   \
		s__ += atomic_load_explicit(&srv->workers[i__].stats.field,  \
					    memory_order_relaxed);            \
	s__; })

/* Prometheus text exposition, version 0.0.4. */
static int h_metrics(void *c, const struct http_request *req, struct http_str param, void *arg)
{
	struct gw_server *srv = arg;
	char out[32768]; /* the dpdk backend adds about 8 KiB (two workers) */
	size_t cap = sizeof(out), n = 0;
	uint64_t conns = 0, accepted = 0, refused = 0, per_addr = 0;

	(void)param;
	for (unsigned i = 0; i < srv->n_workers; i++) {
		/* Written by each worker's thread; a torn read of these
		 * word-sized counters cannot happen on the platforms we run. */
		conns += __atomic_load_n(&srv->workers[i].dw.stats.conns_open, __ATOMIC_RELAXED);
		accepted += __atomic_load_n(&srv->workers[i].dw.stats.accepted, __ATOMIC_RELAXED);
		refused += __atomic_load_n(&srv->workers[i].dw.stats.refused_max_conns,
					   __ATOMIC_RELAXED);
		per_addr += __atomic_load_n(&srv->workers[i].dw.stats.refused_per_addr,
					    __ATOMIC_RELAXED);
	}
#define EMIT(...)                                                                \
	do {                                                                     \
		int k__ = snprintf(out + n, cap - n, __VA_ARGS__);               \
		if (k__ > 0 && (size_t)k__ < cap - n)                            \
			n += (size_t)k__;                                        \
	} while (0)
	EMIT("# HELP columba_up_seconds Seconds since columbad started.\n"
	     "# TYPE columba_up_seconds gauge\ncolumba_up_seconds %llu\n",
	     (unsigned long long)((clock_mono_ms() - srv->started_ms) / 1000));
	EMIT("# HELP columba_connections_open Open connections, all listeners.\n"
	     "# TYPE columba_connections_open gauge\ncolumba_connections_open %llu\n",
	     (unsigned long long)conns);
	EMIT("# HELP columba_connections_accepted_total Connections accepted.\n"
	     "# TYPE columba_connections_accepted_total counter\n"
	     "columba_connections_accepted_total %llu\n", (unsigned long long)accepted);
	EMIT("# HELP columba_connections_refused_total Connections refused by a limit.\n"
	     "# TYPE columba_connections_refused_total counter\n"
	     "columba_connections_refused_total{limit=\"max_connections\"} %llu\n"
	     "columba_connections_refused_total{limit=\"per_address\"} %llu\n",
	     (unsigned long long)refused, (unsigned long long)per_addr);
	EMIT("# HELP columba_tls_handshakes_total TLS handshakes completed.\n"
	     "# TYPE columba_tls_handshakes_total counter\ncolumba_tls_handshakes_total %llu\n",
	     (unsigned long long)SUM(tls_handshakes));
	EMIT("# HELP columba_tls_handshake_failures_total TLS handshakes that failed.\n"
	     "# TYPE columba_tls_handshake_failures_total counter\n"
	     "columba_tls_handshake_failures_total %llu\n",
	     (unsigned long long)SUM(tls_handshake_failures));
	EMIT("# HELP columba_http_requests_total HTTP requests framed and routed.\n"
	     "# TYPE columba_http_requests_total counter\ncolumba_http_requests_total %llu\n",
	     (unsigned long long)SUM(requests));
	EMIT("# HELP columba_http_responses_total HTTP responses by status class.\n"
	     "# TYPE columba_http_responses_total counter\n");
	for (int k = 1; k <= 5; k++)
		EMIT("columba_http_responses_total{class=\"%dxx\"} %llu\n", k,
		     (unsigned long long)SUM(responses[k]));
	EMIT("# HELP columba_http_bad_requests_total Requests rejected by the parser.\n"
	     "# TYPE columba_http_bad_requests_total counter\n"
	     "columba_http_bad_requests_total %llu\n", (unsigned long long)SUM(bad_requests));
	EMIT("# HELP columba_timeouts_total Connections closed by a timeout.\n"
	     "# TYPE columba_timeouts_total counter\n"
	     "columba_timeouts_total{kind=\"handshake\"} %llu\n"
	     "columba_timeouts_total{kind=\"request\"} %llu\n"
	     "columba_timeouts_total{kind=\"idle\"} %llu\n",
	     (unsigned long long)SUM(timeouts_handshake),
	     (unsigned long long)SUM(timeouts_header), (unsigned long long)SUM(timeouts_idle));
	EMIT("# HELP columba_messages_accepted_total Messages acknowledged with 202 (durable).\n"
	     "# TYPE columba_messages_accepted_total counter\n"
	     "columba_messages_accepted_total %llu\n"
	     "columba_messages_accepted_total{duplicate=\"true\"} %llu\n",
	     (unsigned long long)SUM(accepted), (unsigned long long)SUM(accepted_duplicate));
	EMIT("# HELP columba_messages_rejected_total Requests on the messages API refused, by reason.\n"
	     "# TYPE columba_messages_rejected_total counter\n");
	for (int k = 0; k < GW_REJ__COUNT; k++)
		EMIT("columba_messages_rejected_total{reason=\"%s\"} %llu\n", reject_names[k],
		     (unsigned long long)SUM(rejected[k]));
	EMIT("# HELP columba_sip_messages_sent_total MESSAGE requests sent to user agents, by attempt.\n"
	     "# TYPE columba_sip_messages_sent_total counter\n"
	     "columba_sip_messages_sent_total{attempt=\"first\"} %llu\n"
	     "columba_sip_messages_sent_total{attempt=\"retry\"} %llu\n",
	     (unsigned long long)(SUM(dlv_attempts) - SUM(dlv_retries)),
	     (unsigned long long)SUM(dlv_retries));
	EMIT("# HELP columba_sip_deliveries_total Delivery outcomes on SIP flows.\n"
	     "# TYPE columba_sip_deliveries_total counter\n"
	     "columba_sip_deliveries_total{outcome=\"delivered\"} %llu\n"
	     "columba_sip_deliveries_total{outcome=\"failed\"} %llu\n"
	     "columba_sip_deliveries_total{outcome=\"parked\"} %llu\n",
	     (unsigned long long)SUM(dlv_delivered), (unsigned long long)SUM(dlv_failed),
	     (unsigned long long)SUM(dlv_parked));
	EMIT("# HELP columba_sip_delivery_notices_total Notices from the store that a user has new messages.\n"
	     "# TYPE columba_sip_delivery_notices_total counter\n"
	     "columba_sip_delivery_notices_total %llu\n", (unsigned long long)SUM(dlv_notices));
	EMIT("# HELP columba_sip_submits_total MESSAGE submits from user agents, by answer.\n"
	     "# TYPE columba_sip_submits_total counter\n"
	     "columba_sip_submits_total{result=\"accepted\"} %llu\n"
	     "columba_sip_submits_total{result=\"rejected\"} %llu\n",
	     (unsigned long long)SUM(sip_submitted), (unsigned long long)SUM(sip_submit_rejected));
	EMIT("# HELP columba_tokens_issued_total Device tokens issued.\n"
	     "# TYPE columba_tokens_issued_total counter\ncolumba_tokens_issued_total %llu\n",
	     (unsigned long long)SUM(tokens_issued));
	EMIT("# HELP columba_store_ack_seconds Submit to durable acknowledgement, seconds.\n"
	     "# TYPE columba_store_ack_seconds histogram\n");
	{
		uint64_t cum = 0;

		for (int k = 0; k < GW_HIST_BUCKETS; k++) {
			cum += SUM(ack_latency.buckets[k]);
			if (k == GW_HIST_BUCKETS - 1)
				EMIT("columba_store_ack_seconds_bucket{le=\"+Inf\"} %llu\n",
				     (unsigned long long)cum);
			else
				EMIT("columba_store_ack_seconds_bucket{le=\"%g\"} %llu\n",
				     gw_hist_bounds_us[k] / 1e6, (unsigned long long)cum);
		}
		EMIT("columba_store_ack_seconds_sum %.6f\ncolumba_store_ack_seconds_count %llu\n",
		     SUM(ack_latency.sum_us) / 1e6, (unsigned long long)SUM(ack_latency.count));
	}
	if (srv->store) {
		struct st_stats ss;

		st_store_stats(srv->store, &ss);
		EMIT("# HELP columba_store_batches_total Group commits.\n"
		     "# TYPE columba_store_batches_total counter\ncolumba_store_batches_total %llu\n"
		     "# HELP columba_store_requests_total Requests the store executed.\n"
		     "# TYPE columba_store_requests_total counter\ncolumba_store_requests_total %llu\n"
		     "# HELP columba_store_wal_failures_total WAL writes that failed (disk full, I/O).\n"
		     "# TYPE columba_store_wal_failures_total counter\n"
		     "columba_store_wal_failures_total %llu\n"
		     "# HELP columba_queue_depth Messages waiting for delivery (all recipients).\n"
		     "# TYPE columba_queue_depth gauge\ncolumba_queue_depth %llu\n"
		     "# HELP columba_messages_expired_total Messages that expired undelivered.\n"
		     "# TYPE columba_messages_expired_total counter\n"
		     "columba_messages_expired_total %llu\n",
		     (unsigned long long)ss.batches, (unsigned long long)ss.requests,
		     (unsigned long long)ss.wal_failures, (unsigned long long)ss.parked,
		     (unsigned long long)ss.expired);
	}
#undef EMIT
	/* The data plane's own families (the dpdk backend's TCP/IP stacks). */
	if (srv->backend && srv->backend->metrics)
		n += srv->backend->metrics(out + n, cap - n);
	return gw_respond(c, req, 200, "text/plain; version=0.0.4", out, n, NULL, 0);
}

int gw_api_routes(struct gw_server *srv)
{
	int r;

	r = http_router_init(&srv->api, 16);
	if (!r)
		r = http_router_init(&srv->admin, 8);
	if (!r)
		r = http_router_add(&srv->api, HTTP_M_GET, "/healthz", h_healthz, srv);
	if (!r)
		r = http_router_add(&srv->admin, HTTP_M_GET, "/healthz", h_healthz, srv);
	if (!r)
		r = http_router_add(&srv->admin, HTTP_M_GET, "/metrics", h_metrics, srv);
	if (!r)
		r = gw_msgapi_routes(srv);
	return r;
}
