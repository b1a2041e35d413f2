#include "gateway/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ini.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/compiler.h"
#include "dataplane/worker.h"
#include "gateway/delivery.h"
#include "gateway/sip/sip_digest.h"

enum opt_type { T_U32, T_BOOL, T_STR, T_ADDR, T_LEVEL, T_IP4 };

struct opt {
	const char *section;
	const char *key;
	enum opt_type type;
	size_t off;
	size_t size;    /* T_STR: buffer size */
	uint64_t min, max;
	const char *def;
	const char *help;
};

#define O(f) offsetof(struct gw_config, f), sizeof(((struct gw_config *)0)->f)

static const struct opt opts[] = {
	{ "server", "state_dir", T_STR, O(state_dir), 0, 0, "./var",
	  "directory for keys, data, WAL and the development certificate" },
	{ "server", "workers", T_U32, O(workers), 0, 256, "0",
	  "worker threads; 0 = one per core minus one (at least 1)" },
	{ "server", "pin_workers", T_BOOL, O(pin_workers), 0, 0, "true",
	  "pin each worker to its own CPU" },
	{ "server", "log_level", T_LEVEL, O(log_level), 0, 0, "info", "debug, info, warn or error" },
	{ "server", "domain", T_STR, O(domain), 0, 0, "localhost",
	  "the SIP domain and realm users belong to" },
	{ "server", "backend", T_STR, O(backend), 0, 0, "uring",
	  "data plane: uring (kernel sockets) or dpdk (own TCP/IP stack on a DPDK port; [dpdk])" },
	{ "server", "drain_timeout_ms", T_U32, O(drain_timeout_ms), 0, 600000, "10000",
	  "on SIGTERM, how long in-flight work may take before connections are reset" },

	{ "http", "listen", T_ADDR, O(http_listen), 0, 0, "*:8443",
	  "HTTPS API address (host:port, [v6]:port or *:port)" },
	{ "http", "admin_listen", T_ADDR, O(admin_listen), 0, 0, "127.0.0.1:8081",
	  "plain-HTTP admin address for /healthz and /metrics (keep it on loopback)" },
	{ "http", "admin", T_BOOL, O(admin_enabled), 0, 0, "true", "serve the admin listener" },
	{ "http", "max_connections", T_U32, O(max_connections), 1, 10000000, "65536",
	  "open connections per worker" },
	{ "http", "max_connections_per_address", T_U32, O(max_conns_per_addr), 1, 10000000,
	  "1024", "open connections from one IP address, per worker" },
	{ "http", "header_timeout_ms", T_U32, O(header_timeout_ms), 100, 600000, "10000",
	  "time allowed to receive a whole request once it started (slowloris): 408, close" },
	{ "http", "idle_timeout_ms", T_U32, O(idle_timeout_ms), 100, 3600000, "60000",
	  "keep-alive: close a connection idle this long" },
	{ "http", "max_request_line", T_U32, O(max_request_line), 64, 65536, "8192",
	  "request-line bytes (414 past it)" },
	{ "http", "max_headers", T_U32, O(max_headers), 4, 256, "64", "header lines (431)" },
	{ "http", "max_header_bytes", T_U32, O(max_header_bytes), 256, 262144, "16384",
	  "whole request head (431)" },
	{ "http", "max_body_bytes", T_U32, O(max_body_bytes), 64, 1048576, "16384",
	  "request body (413)" },
	{ "http", "send_queue_bytes", T_U32, O(send_queue_bytes), 16384, 67108864, "262144",
	  "unsent bytes a connection may queue before it is considered stuck" },

	{ "tls", "certificate", T_STR, O(cert_file), 0, 0, "",
	  "PEM certificate chain; empty = a generated development certificate" },
	{ "tls", "private_key", T_STR, O(key_file), 0, 0, "", "PEM private key" },
	{ "tls", "handshake_timeout_ms", T_U32, O(handshake_timeout_ms), 100, 600000, "10000",
	  "time allowed for a TLS handshake" },
	{ "tls", "session_tickets", T_BOOL, O(session_tickets), 0, 0, "true",
	  "issue TLS session tickets (resumption)" },

	{ "intake", "submit_rate_per_min", T_U32, O(submit_rate_per_min), 1, 6000000, "600",
	  "messages a sender may submit per minute (token bucket; 429 past it)" },
	{ "intake", "submit_burst", T_U32, O(submit_burst), 1, 1000000, "60",
	  "messages a sender may submit at once before the rate applies" },
	{ "intake", "token_ttl_s", T_U32, O(token_ttl_s), 60, 31536000, "2592000",
	  "lifetime of a device token from POST /v1/tokens (30 days)" },
	{ "intake", "login_failures_per_min", T_U32, O(login_failures_per_min), 1, 100000, "10",
	  "failed logins allowed per minute, per user and per source address" },
	{ "intake", "login_burst", T_U32, O(login_burst), 1, 100000, "5",
	  "failed logins allowed at once before the rate applies" },

	{ "intake", "queue_depth", T_U32, O(queue_depth), 1, 10000000, "1000",
	  "messages waiting for one recipient before submits to them get 503" },

	{ "store", "batch_max", T_U32, O(store_batch_max), 1, 65536, "1024",
	  "group commit: most requests in one WAL write + fdatasync" },
	{ "store", "gather_us", T_U32, O(store_gather_us), 0, 1000000, "0",
	  "group commit: wait this long for more requests once one is queued" },
	{ "store", "map_size_mb", T_U32, O(store_map_size_mb), 16, 16777216, "256",
	  "initial LMDB map size; it grows when full" },
	{ "store", "max_ttl_s", T_U32, O(store_max_ttl_s), 1, 31536000, "259200",
	  "longest a message is kept (72 h)" },
	{ "store", "expiry_interval_ms", T_U32, O(store_expiry_interval_ms), 10, 3600000, "1000",
	  "how often expired messages are looked for" },
	{ "store", "commit_interval_us", T_U32, O(store_commit_interval_us), 100, 10000000,
	  "10000", "LMDB commits fold batches for at most this long (the WAL is durable first)" },
	{ "store", "wal_direct", T_BOOL, O(store_wal_direct), 0, 0, "false",
	  "open WAL segments with O_DIRECT" },

	{ "keys", "master_key", T_STR, O(master_key), 0, 0, "",
	  "master key file (32 bytes, mode 0600, from columbad keygen); empty = <state_dir>/master.key" },
	{ "keys", "key_id", T_U32, O(key_id), 1, 65535, "1",
	  "id of the master key new records are sealed with" },
	{ "keys", "previous_keys", T_STR, O(previous_keys), 0, 0, "",
	  "older keys still needed to read records: id:path[,id:path...]" },

	{ "sip", "listen", T_ADDR, O(sip_listen), 0, 0, "*:5061",
	  "SIP over TLS address (host:port, [v6]:port or *:port); the domain is [server] domain" },
	{ "sip", "min_expires_s", T_U32, O(sip_min_expires_s), 1, 86400, "60",
	  "shortest registration accepted (423 Interval Too Brief below it)" },
	{ "sip", "max_expires_s", T_U32, O(sip_max_expires_s), 1, 604800, "3600",
	  "longest registration granted (longer requests are shortened)" },
	{ "sip", "default_expires_s", T_U32, O(sip_default_expires_s), 1, 604800, "600",
	  "registration lifetime when the REGISTER gives none" },
	{ "sip", "nonce_ttl_s", T_U32, O(sip_nonce_ttl_s), 1, 86400, "300",
	  "digest nonce lifetime (stale=true after it)" },
	{ "sip", "digest_algorithms", T_STR, O(sip_digest_algorithms), 0, 0, "SHA-256,MD5",
	  "digest algorithms offered, in the order of the 401's challenges (SHA-256, MD5); "
	  "some user agents give up at the first challenge they cannot answer: list MD5 alone for them" },
	{ "sip", "flow_timer_s", T_U32, O(sip_flow_timer_s), 10, 86400, "120",
	  "RFC 5626 Flow-Timer sent on a REGISTER 200 when the user agent uses outbound" },
	{ "sip", "idle_timeout_ms", T_U32, O(sip_idle_timeout_ms), 100, 3600000, "30000",
	  "close a TLS flow that has no registration and no traffic for this long" },
	{ "sip", "max_message_bytes", T_U32, O(sip_max_message_bytes), 512, 65536, "8192",
	  "largest SIP message (head and body) accepted" },
	{ "sip", "delivery_window", T_U32, O(sip_delivery_window), 1, GW_DLV_WINDOW_MAX, "1",
	  "MESSAGEs outstanding per flow (RFC 3428 section 8 recommends 1)" },
	{ "sip", "delivery_attempts", T_U32, O(sip_delivery_attempts), 1, 100, "5",
	  "attempts per message on a flow before it waits for the next REGISTER" },
	{ "sip", "retry_interval_ms", T_U32, O(sip_retry_interval_ms), 10, 86400000, "30000",
	  "pause between two attempts of the same message" },
	{ "sip", "attempt_timeout_ms", T_U32, O(sip_attempt_timeout_ms), 10, 600000, "32000",
	  "an attempt without a final answer within this long has failed (RFC 3261 Timer F)" },

	{ "dpdk", "eal_args", T_STR, O(dpdk_eal_args), 0, 0, "-l 0 --in-memory -m 1024",
	  "DPDK EAL arguments, e.g. adding --vdev=net_tap0,iface=cb0 or -a 0000:3b:00.0" },
	{ "dpdk", "port", T_STR, O(dpdk_port), 0, 0, "",
	  "device name (net_tap0, 0000:3b:00.0) or port id; empty = the only port there is" },
	{ "dpdk", "rx_ring", T_U32, O(dpdk_rx_ring), 64, 32768, "1024",
	  "RX descriptors per worker queue (fitted to the device)" },
	{ "dpdk", "tx_ring", T_U32, O(dpdk_tx_ring), 64, 32768, "1024",
	  "TX descriptors per worker queue (fitted to the device)" },
	{ "dpdk", "mbufs_per_worker", T_U32, O(dpdk_mbufs_per_worker), 512, 1048576, "8192",
	  "packet buffers in each worker's pool (at least rx_ring + tx_ring + 2 * burst + 256)" },
	{ "dpdk", "burst", T_U32, O(dpdk_burst), 1, 64, "32", "RX burst and TX batch size" },
	{ "dpdk", "tx_retries", T_U32, O(dpdk_tx_retries), 0, 1000, "4",
	  "extra tries to hand a batch to a full TX ring before its frames are dropped" },
	{ "dpdk", "paired_queues", T_BOOL, O(dpdk_paired_queues), 0, 0, "false",
	  "one queue per worker without RSS, for peers that pair queues (memif, ring)" },
	{ "dpdk", "link_wait_ms", T_U32, O(dpdk_link_wait_ms), 0, 600000, "5000",
	  "at start, wait this long for the link to come up (then go on, with a warning)" },
	{ "dpdk", "ip", T_IP4, O(dpdk_ip), 0, 0, "",
	  "the stack's IPv4 address (required with backend = dpdk)" },
	{ "dpdk", "netmask", T_IP4, O(dpdk_netmask), 0, 0, "255.255.255.0", "the subnet's mask" },
	{ "dpdk", "gateway", T_IP4, O(dpdk_gateway), 0, 0, "",
	  "IPv4 router for peers outside the subnet; empty = on-link peers only" },
	{ "dpdk", "max_connections", T_U32, O(dpdk_max_connections), 16, 1048576, "1024",
	  "TCP connections per worker the stack holds, TIME_WAIT included (memory: each has "
	  "send and receive buffers)" },
	{ "dpdk", "rcvbuf_bytes", T_U32, O(dpdk_rcvbuf_bytes), 4096, 16777216, "65536",
	  "receive window per connection" },
	{ "dpdk", "idle_sleep_us", T_U32, O(dpdk_idle_sleep_us), 0, 100000, "100",
	  "longest nap of a worker that found no frame; 0 = pure poll mode (a core at 100%)" },
};

static const char *type_name(enum opt_type t)
{
	switch (t) {
	case T_U32: return "integer";
	case T_BOOL: return "boolean";
	case T_STR: return "string";
	case T_ADDR: return "address";
	case T_LEVEL: return "level";
	case T_IP4: return "ipv4";
	}
	return "?";
}

static const struct opt *find_opt(const char *section, const char *key)
{
	for (size_t i = 0; i < ARRAY_SIZE(opts); i++)
		if (strcmp(opts[i].section, section) == 0 && strcmp(opts[i].key, key) == 0)
			return &opts[i];
	return NULL;
}

static bool known_section(const char *section)
{
	for (size_t i = 0; i < ARRAY_SIZE(opts); i++)
		if (strcmp(opts[i].section, section) == 0)
			return true;
	return false;
}

/* Parse value into the field; on error write the rule (without location). */
static int set_value(struct gw_config *cfg, const struct opt *o, const char *value,
		     char *err, size_t errlen)
{
	char *field = (char *)cfg + o->off;

	switch (o->type) {
	case T_U32: {
		char *end;
		unsigned long long v;

		if (value[0] < '0' || value[0] > '9')
			goto bad_int;
		errno = 0;
		v = strtoull(value, &end, 10);
		if (errno || *end)
			goto bad_int;
		if (v < o->min || v > o->max) {
			snprintf(err, errlen, "%s is out of range %llu..%llu", value,
				 (unsigned long long)o->min, (unsigned long long)o->max);
			return -EINVAL;
		}
		*(uint32_t *)(void *)field = (uint32_t)v;
		return 0;
bad_int:
		snprintf(err, errlen, "\"%s\" is not a non-negative integer", value);
		return -EINVAL;
	}
	case T_BOOL:
		if (!strcmp(value, "true") || !strcmp(value, "yes") || !strcmp(value, "on") ||
		    !strcmp(value, "1"))
			*(bool *)(void *)field = true;
		else if (!strcmp(value, "false") || !strcmp(value, "no") ||
			 !strcmp(value, "off") || !strcmp(value, "0"))
			*(bool *)(void *)field = false;
		else {
			snprintf(err, errlen, "\"%s\" is not a boolean (true/false)", value);
			return -EINVAL;
		}
		return 0;
	case T_STR:
		if (strlen(value) >= o->size) {
			snprintf(err, errlen, "value longer than %zu bytes", o->size - 1);
			return -EINVAL;
		}
		memcpy(field, value, strlen(value) + 1);
		return 0;
	case T_ADDR:
		if (dp_addr_parse(value, (struct dp_addr *)(void *)field)) {
			snprintf(err, errlen,
				 "\"%s\" is not an address (host:port, [v6]:port or *:port)", value);
			return -EINVAL;
		}
		return 0;
	case T_IP4:
		if (value[0] == '\0') {
			((struct in_addr *)(void *)field)->s_addr = 0;
			return 0;
		}
		if (inet_pton(AF_INET, value, field) != 1) {
			snprintf(err, errlen, "\"%s\" is not an IPv4 address", value);
			return -EINVAL;
		}
		return 0;
	case T_LEVEL:
		if (log_parse_level(value, (enum log_level *)(void *)field)) {
			snprintf(err, errlen, "\"%s\" is not a level (debug, info, warn, error)",
				 value);
			return -EINVAL;
		}
		return 0;
	}
	return -EINVAL;
}

void gw_config_defaults(struct gw_config *cfg)
{
	char err[256];

	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < ARRAY_SIZE(opts); i++)
		BUG_ON(set_value(cfg, &opts[i], opts[i].def, err, sizeof(err)) != 0);
}

struct load_state {
	struct gw_config *cfg;
	FILE *f;
	char *err;
	size_t errlen;
	int line;        /* lines inih has read: the one the handler is called for */
	int failed_line; /* line of the first handler failure, 0 if none */
};

/* Debian's inih passes the handler no line number, and ini_parse_file()
 * returns only the first error's line, a syntax error's or a handler's:
 * count lines in the reader (one call per line, as inih counts them) so a
 * handler failure knows its own line. */
static char *ini_read_line(char *str, int num, void *stream)
{
	struct load_state *st = stream;
	char *s = fgets(str, num, st->f);

	if (s)
		st->line++;
	return s;
}

static int ini_cb(void *user, const char *section, const char *key, const char *value)
{
	struct load_state *st = user;
	const struct opt *o;
	char why[256];

	if (st->failed_line)
		return 0;
	if (!key) /* a section header alone */
		return 1;
	if (!known_section(section)) {
		snprintf(st->err, st->errlen, "unknown section [%s]", section);
		st->failed_line = st->line;
		return 0;
	}
	o = find_opt(section, key);
	if (!o) {
		snprintf(st->err, st->errlen, "unknown key \"%s\" in [%s]", key, section);
		st->failed_line = st->line;
		return 0;
	}
	if (set_value(st->cfg, o, value, why, sizeof(why))) {
		snprintf(st->err, st->errlen, "[%s] %s: %s", section, key, why);
		st->failed_line = st->line;
		return 0;
	}
	return 1;
}

int gw_config_load(struct gw_config *cfg, const char *path, char *err, size_t errlen)
{
	struct load_state st = { cfg, NULL, err, errlen, 0, 0 };
	int r;

	st.f = fopen(path, "r");
	if (!st.f) {
		r = -errno;
		snprintf(err, errlen, "%s: cannot open the configuration file: %s", path,
			 strerror(-r));
		return r;
	}
	r = ini_parse_stream(ini_read_line, &st, ini_cb, &st);
	fclose(st.f);
	/* r is the first error's line: a syntax error before the handler's
	 * failure is the one to report (its line and the message agree). */
	if (st.failed_line && (r <= 0 || st.failed_line <= r)) {
		char why[512];

		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errlen, "%s:%d: %s", path, st.failed_line, why);
		return -EINVAL;
	}
	if (r > 0) {
		snprintf(err, errlen, "%s:%d: syntax error (expected [section] or key = value)",
			 path, r);
		return -EINVAL;
	}
	if (r < 0) {
		snprintf(err, errlen, "%s: cannot read the configuration file", path);
		return -EIO;
	}
	return 0;
}

int gw_config_set(struct gw_config *cfg, const char *assignment, char *err, size_t errlen)
{
	char section[32], key[64], why[256];
	const char *dot = strchr(assignment, '.');
	const char *eq = strchr(assignment, '=');
	const struct opt *o;

	if (!dot || !eq || dot > eq || (size_t)(dot - assignment) >= sizeof(section) ||
	    (size_t)(eq - dot - 1) >= sizeof(key) || dot == assignment || eq == dot + 1) {
		snprintf(err, errlen, "--set \"%s\": expected section.key=value", assignment);
		return -EINVAL;
	}
	memcpy(section, assignment, (size_t)(dot - assignment));
	section[dot - assignment] = '\0';
	memcpy(key, dot + 1, (size_t)(eq - dot - 1));
	key[eq - dot - 1] = '\0';
	o = find_opt(section, key);
	if (!o) {
		snprintf(err, errlen, "--set: unknown key \"%s\" in [%s]", key, section);
		return -EINVAL;
	}
	if (set_value(cfg, o, eq + 1, why, sizeof(why))) {
		snprintf(err, errlen, "--set [%s] %s: %s", section, key, why);
		return -EINVAL;
	}
	return 0;
}

/* Would listeners on a and b share a socket address? (SO_REUSEPORT would
 * let both bind and split the connections between two protocols.) */
static bool addr_overlap(const struct dp_addr *a, const struct dp_addr *b)
{
	if (a->port != b->port)
		return false;
	if (a->family == AF_UNSPEC || b->family == AF_UNSPEC)
		return true;
	if (a->family != b->family)
		return false;
	return a->family == AF_INET ? a->v4.s_addr == b->v4.s_addr :
				      memcmp(&a->v6, &b->v6, sizeof(a->v6)) == 0;
}

/* "SHA-256,MD5" (any case, spaces around the commas) into the ordered list. */
static int parse_digest_algs(struct gw_config *cfg, char *err, size_t errlen)
{
	const char *p = cfg->sip_digest_algorithms;

	cfg->sip_n_digest_algs = 0;
	for (;;) {
		size_t n;
		uint8_t alg;

		p += strspn(p, " \t");
		n = strcspn(p, ", \t");
		if (n == 7 && strncasecmp(p, "SHA-256", 7) == 0)
			alg = SIP_DIGEST_SHA256;
		else if (n == 3 && strncasecmp(p, "MD5", 3) == 0)
			alg = SIP_DIGEST_MD5;
		else
			goto bad;
		for (unsigned i = 0; i < cfg->sip_n_digest_algs; i++)
			if (cfg->sip_digest_algs[i] == alg)
				goto bad;
		cfg->sip_digest_algs[cfg->sip_n_digest_algs++] = alg;
		p += n;
		p += strspn(p, " \t");
		if (*p == '\0')
			return 0;
		if (*p != ',' || cfg->sip_n_digest_algs == ARRAY_SIZE(cfg->sip_digest_algs))
			goto bad;
		p++;
	}
bad:
	snprintf(err, errlen, "[sip] digest_algorithms: \"%s\" is not a list of SHA-256 and MD5 "
		 "(each at most once)", cfg->sip_digest_algorithms);
	return -EINVAL;
}

#ifdef COLUMBA_DPDK
#define BACKENDS "uring, dpdk"
#else
#define BACKENDS "uring; dpdk needs a build with libdpdk"
#endif

/* [server] backend, and [dpdk] when it is the backend. */
static int check_backend(const struct gw_config *cfg, char *err, size_t errlen)
{
	bool dpdk = strcmp(cfg->backend, "dpdk") == 0;
	uint32_t nm, need;

#ifndef COLUMBA_DPDK
	dpdk = false;
#endif
	if (strcmp(cfg->backend, "uring") != 0 && !dpdk) {
		snprintf(err, errlen, "[server] backend: \"%s\" is not available (" BACKENDS ")",
			 cfg->backend);
		return -EINVAL;
	}
	if (!dpdk)
		return 0;
	if (cfg->dpdk_ip.s_addr == 0) {
		snprintf(err, errlen, "[dpdk] ip: backend = dpdk needs the stack's IPv4 address");
		return -EINVAL;
	}
	nm = ntohl(cfg->dpdk_netmask.s_addr);
	if (nm == 0 || (~nm & (~nm + 1)) != 0) {
		snprintf(err, errlen, "[dpdk] netmask: not a contiguous mask");
		return -EINVAL;
	}
	if (cfg->dpdk_gateway.s_addr != 0 &&
	    (cfg->dpdk_gateway.s_addr & cfg->dpdk_netmask.s_addr) !=
		    (cfg->dpdk_ip.s_addr & cfg->dpdk_netmask.s_addr)) {
		snprintf(err, errlen, "[dpdk] gateway: outside the subnet of [dpdk] ip");
		return -EINVAL;
	}
	/* Every RX descriptor holds an mbuf; TX, two bursts and the pool's
	 * cache (256 at most) must fit too (dataplane/dpdk/port.c). */
	need = cfg->dpdk_rx_ring + cfg->dpdk_tx_ring + 2 * cfg->dpdk_burst + 256;
	if (cfg->dpdk_mbufs_per_worker < need) {
		snprintf(err, errlen, "[dpdk] mbufs_per_worker: %u is below rx_ring + tx_ring + "
			 "2 * burst + 256 = %u", cfg->dpdk_mbufs_per_worker, need);
		return -EINVAL;
	}
	/* The stack listens on its own address or on any. */
	const struct dp_addr *ls[] = { &cfg->http_listen, &cfg->sip_listen };
	for (size_t i = 0; i < ARRAY_SIZE(ls); i++) {
		if (ls[i]->family == AF_INET6 ||
		    (ls[i]->family == AF_INET && ls[i]->v4.s_addr != cfg->dpdk_ip.s_addr)) {
			snprintf(err, errlen, "[%s] listen: with backend = dpdk, use *:port or the "
				 "[dpdk] ip", i == 0 ? "http" : "sip");
			return -EINVAL;
		}
	}
	return 0;
}

int gw_config_finish(struct gw_config *cfg, char *err, size_t errlen)
{
	if (parse_digest_algs(cfg, err, errlen))
		return -EINVAL;
	if (check_backend(cfg, err, errlen))
		return -EINVAL;
	if (cfg->state_dir[0] == '\0') {
		snprintf(err, errlen, "[server] state_dir: must not be empty");
		return -EINVAL;
	}
	if (cfg->workers == 0) {
		unsigned n = dp_online_cpus();
		cfg->workers = n > 1 ? n - 1 : 1;
	}
	if ((cfg->cert_file[0] == '\0') != (cfg->key_file[0] == '\0')) {
		snprintf(err, errlen,
			 "[tls] certificate and private_key: set both, or neither for a development certificate");
		return -EINVAL;
	}
	if (cfg->max_conns_per_addr > cfg->max_connections)
		cfg->max_conns_per_addr = cfg->max_connections;
	if (cfg->max_header_bytes < cfg->max_request_line + 4) {
		snprintf(err, errlen, "[http] max_header_bytes (%u) must exceed max_request_line (%u)",
			 cfg->max_header_bytes, cfg->max_request_line);
		return -EINVAL;
	}
	if (addr_overlap(&cfg->sip_listen, &cfg->http_listen) ||
	    (cfg->admin_enabled && addr_overlap(&cfg->sip_listen, &cfg->admin_listen))) {
		snprintf(err, errlen, "[sip] listen: port %u is already [http] %s",
			 cfg->sip_listen.port,
			 addr_overlap(&cfg->sip_listen, &cfg->http_listen) ? "listen" : "admin_listen");
		return -EINVAL;
	}
	if (cfg->sip_min_expires_s > cfg->sip_max_expires_s ||
	    cfg->sip_default_expires_s < cfg->sip_min_expires_s ||
	    cfg->sip_default_expires_s > cfg->sip_max_expires_s) {
		snprintf(err, errlen, "[sip] need min_expires_s (%u) <= default_expires_s (%u) <= "
			 "max_expires_s (%u)", cfg->sip_min_expires_s, cfg->sip_default_expires_s,
			 cfg->sip_max_expires_s);
		return -EINVAL;
	}
	if (cfg->master_key[0] == '\0') {
		int n = snprintf(cfg->master_key, sizeof(cfg->master_key), "%s/master.key",
				 cfg->state_dir);
		if (n < 0 || (size_t)n >= sizeof(cfg->master_key)) {
			snprintf(err, errlen, "[server] state_dir: path too long");
			return -EINVAL;
		}
	}
	{
		int n = snprintf(cfg->store_dir, sizeof(cfg->store_dir), "%s/store", cfg->state_dir);
		if (n < 0 || (size_t)n >= sizeof(cfg->store_dir)) {
			snprintf(err, errlen, "[server] state_dir: path too long");
			return -EINVAL;
		}
	}
	cfg->dev_cert = cfg->cert_file[0] == '\0';
	if (cfg->dev_cert) {
		int n1 = snprintf(cfg->cert_file, sizeof(cfg->cert_file), "%s/tls/dev-cert.pem",
				  cfg->state_dir);
		int n2 = snprintf(cfg->key_file, sizeof(cfg->key_file), "%s/tls/dev-key.pem",
				  cfg->state_dir);
		if (n1 < 0 || n2 < 0 || (size_t)n1 >= sizeof(cfg->cert_file) ||
		    (size_t)n2 >= sizeof(cfg->key_file)) {
			snprintf(err, errlen, "[server] state_dir: path too long");
			return -EINVAL;
		}
	}
	return 0;
}

void gw_config_describe(FILE *out)
{
	const char *sec = "";

	for (size_t i = 0; i < ARRAY_SIZE(opts); i++) {
		const struct opt *o = &opts[i];

		if (strcmp(sec, o->section)) {
			fprintf(out, "%s[%s]\n", i ? "\n" : "", o->section);
			sec = o->section;
		}
		fprintf(out, "  %-28s %-8s default %-16s %s", o->key, type_name(o->type),
			o->def[0] ? o->def : "\"\"", o->help);
		if (o->type == T_U32)
			fprintf(out, " (%llu..%llu)", (unsigned long long)o->min,
				(unsigned long long)o->max);
		fputc('\n', out);
	}
}


void gw_config_dump(const struct gw_config *cfg, FILE *out)
{
	const char *sec = "";
	static const char *const levels[] = { "debug", "info", "warn", "error" };
	char buf[64];

	for (size_t i = 0; i < ARRAY_SIZE(opts); i++) {
		const struct opt *o = &opts[i];
		const char *field = (const char *)cfg + o->off;

		if (strcmp(sec, o->section)) {
			fprintf(out, "%s[%s]\n", i ? "\n" : "", o->section);
			sec = o->section;
		}
		fprintf(out, "%s = ", o->key);
		switch (o->type) {
		case T_U32: fprintf(out, "%u\n", *(const uint32_t *)(const void *)field); break;
		case T_BOOL: fprintf(out, "%s\n", *(const bool *)(const void *)field ? "true" : "false"); break;
		case T_STR: fprintf(out, "%s\n", field); break;
		case T_LEVEL: fprintf(out, "%s\n", levels[*(const enum log_level *)(const void *)field]); break;
		case T_IP4: {
			const struct in_addr *a = (const struct in_addr *)(const void *)field;
			if (a->s_addr == 0)
				fputc('\n', out);
			else
				fprintf(out, "%s\n", inet_ntop(AF_INET, a, buf, sizeof(buf)));
			break;
		}
		case T_ADDR: {
			const struct dp_addr *a = (const struct dp_addr *)(const void *)field;
			if (a->family == AF_UNSPEC)
				fprintf(out, "*:%u\n", a->port);
			else
				fprintf(out, "%s\n", dp_addr_format(a, buf, sizeof(buf)));
			break;
		}
		}
	}
}
