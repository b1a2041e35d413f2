/*
 * columbad's configuration: an INI file (inih) plus command-line overrides
 * ("--set section.key=value"), checked as a whole before anything starts.
 *
 * Every setting has a type, a range and a default (docs/configuration.md
 * lists them; gw_config_describe() prints them). Any bad setting — unknown
 * section or key, a value out of range, an unreadable certificate — yields
 * one line naming the file, line, key and rule; columbad exits with 2.
 */
#ifndef COLUMBA_GATEWAY_CONFIG_H
#define COLUMBA_GATEWAY_CONFIG_H

#include <limits.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "base/log.h"
#include "dataplane/dp.h"

struct gw_config {
	/* [server] */
	char state_dir[PATH_MAX];
	uint32_t workers;          /* 0: one per core minus one, at least 1 */
	bool pin_workers;
	enum log_level log_level;
	char domain[256];
	char backend[16];          /* "uring" or "dpdk" (built with DPDK) */
	uint32_t drain_timeout_ms;

	/* [http] */
	struct dp_addr http_listen;
	struct dp_addr admin_listen;
	bool admin_enabled;
	uint32_t max_connections;      /* per worker */
	uint32_t max_conns_per_addr;   /* per worker */
	uint32_t header_timeout_ms;    /* whole request (head and body) */
	uint32_t idle_timeout_ms;      /* keep-alive wait for the next request */
	uint32_t max_request_line;
	uint32_t max_headers;
	uint32_t max_header_bytes;
	uint32_t max_body_bytes;
	uint32_t send_queue_bytes;

	/* [tls] */
	char cert_file[PATH_MAX];  /* empty: development certificate */
	char key_file[PATH_MAX];
	uint32_t handshake_timeout_ms;
	bool session_tickets;

	/* [intake] */
	uint32_t submit_rate_per_min;  /* per sender */
	uint32_t submit_burst;
	uint32_t token_ttl_s;
	uint32_t login_failures_per_min; /* per user and per source address */
	uint32_t login_burst;
	uint32_t queue_depth;            /* parked messages per recipient */

	/* [store] */
	uint32_t store_batch_max;
	uint32_t store_gather_us;
	uint32_t store_map_size_mb;
	uint32_t store_max_ttl_s;
	uint32_t store_expiry_interval_ms;
	uint32_t store_commit_interval_us;
	bool store_wal_direct;

	/* [keys] */
	char master_key[PATH_MAX];  /* empty: <state_dir>/master.key */
	uint32_t key_id;
	char previous_keys[1024];   /* "id:path,id:path" still readable */

	/* [sip] (the domain and realm are [server] domain) */
	struct dp_addr sip_listen;
	uint32_t sip_min_expires_s;      /* below: 423 Interval Too Brief */
	uint32_t sip_max_expires_s;      /* above: clamped */
	uint32_t sip_default_expires_s;  /* REGISTER without Expires */
	uint32_t sip_nonce_ttl_s;
	char sip_digest_algorithms[32];  /* as configured: "SHA-256,MD5" */
	uint8_t sip_digest_algs[2];      /* parsed: SIP_DIGEST_* in challenge order */
	uint8_t sip_n_digest_algs;
	uint32_t sip_flow_timer_s;       /* RFC 5626 Flow-Timer sent to outbound UAs */
	uint32_t sip_idle_timeout_ms;    /* a flow without binding and traffic closes */
	uint32_t sip_max_message_bytes;
	uint32_t sip_delivery_window;    /* MESSAGEs outstanding per flow (RFC 3428 §8: 1) */
	uint32_t sip_delivery_attempts;  /* per flow, then parked until a REGISTER */
	uint32_t sip_retry_interval_ms;
	uint32_t sip_attempt_timeout_ms; /* no final answer within: the attempt failed */

	/* [dpdk] (backend = dpdk; docs/dpdk.md) */
	char dpdk_eal_args[1024];
	char dpdk_port[64];              /* device name or port id; empty: the only port */
	uint32_t dpdk_rx_ring;
	uint32_t dpdk_tx_ring;
	uint32_t dpdk_mbufs_per_worker;
	uint32_t dpdk_burst;
	uint32_t dpdk_tx_retries;
	bool dpdk_paired_queues;
	uint32_t dpdk_link_wait_ms;
	struct in_addr dpdk_ip, dpdk_netmask, dpdk_gateway; /* 0: unset */
	uint32_t dpdk_max_connections;   /* per worker, TIME_WAIT included */
	uint32_t dpdk_rcvbuf_bytes;
	uint32_t dpdk_idle_sleep_us;

	/* Derived by gw_config_finish(). */
	char store_dir[PATH_MAX];   /* <state_dir>/store */
	bool dev_cert;
};

/* gw_config_defaults - every setting at its default. */
void gw_config_defaults(struct gw_config *cfg);

/*
 * gw_config_load - read an INI file over the current values.
 * Returns 0, or -EINVAL / -errno with one line in err.
 */
int gw_config_load(struct gw_config *cfg, const char *path, char *err, size_t errlen);

/*
 * gw_config_set - apply "section.key=value" (a command-line override).
 * Returns 0 or -EINVAL with one line in err.
 */
int gw_config_set(struct gw_config *cfg, const char *assignment, char *err, size_t errlen);

/*
 * gw_config_finish - resolve derived values (workers, certificate paths)
 * and check cross-setting rules. Returns 0 or -EINVAL with err.
 */
int gw_config_finish(struct gw_config *cfg, char *err, size_t errlen);

/* gw_config_describe - print every setting, its type, range and default. */
void gw_config_describe(FILE *out);

/* gw_config_dump - print the effective configuration as INI. */
void gw_config_dump(const struct gw_config *cfg, FILE *out);

#endif
