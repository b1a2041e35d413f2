/*
 * The dpdk backend's /metrics families (dp_backend_ops.metrics): the
 * TCP/IP stacks' counters (struct net_stats), the shared ARP, the RX/TX
 * bursts and drops of each worker's queue, and the device's own counters.
 * Volume, per-worker balance and connection counts carry a worker label;
 * the rest (drops by reason, TCP recovery, cookies, ARP) is summed over
 * the workers to keep the page small.
 *
 * It runs on the worker serving /metrics and reads counters the other
 * workers keep writing: each is a naturally aligned 64-bit word written by
 * one thread, read here with relaxed atomic loads (the gateway reads its
 * own per-worker counters the same way), so a value may be a turn old but
 * never torn.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "dataplane/dpdk/backend-int.h"

#define RD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

/* The page so far, out[0..n) of cap; a line that does not fit is left out. */
struct page {
	char *out;
	size_t cap, n;
};

static void __attribute__((format(printf, 2, 3))) emit(struct page *p, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (p->n >= p->cap)
		return;
	va_start(ap, fmt);
	k = vsnprintf(p->out + p->n, p->cap - p->n, fmt, ap);
	va_end(ap);
	if (k > 0 && (size_t)k < p->cap - p->n)
		p->n += (size_t)k;
	else
		p->out[p->n] = '\0';
}

static void family(struct page *p, const char *name, const char *type, const char *help)
{
	emit(p, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* struct net_stats, read word by word (all its fields are uint64_t). */
static void stats_read(const struct net_stats *src, struct net_stats *dst)
{
	const uint64_t *s = (const uint64_t *)(const void *)src;
	uint64_t *d = (uint64_t *)(void *)dst;

	_Static_assert(sizeof(struct net_stats) % sizeof(uint64_t) == 0,
		       "struct net_stats holds only uint64_t counters");
	for (size_t i = 0; i < sizeof(*src) / sizeof(uint64_t); i++)
		d[i] = RD(s[i]);
}

/* One labelled sample of a summed family: a net_stats field. */
struct stat_row {
	const char *label;
	size_t off;
};

#define ROW(l, f) { l, offsetof(struct net_stats, f) }

static const struct stat_row drop_rows[] = {
	ROW("short", drop_short), ROW("not_ours", drop_not_ours),
	ROW("ethertype", drop_ethertype), ROW("ip_header", drop_ip_header),
	ROW("ip_checksum", drop_ip_csum), ROW("ip_fragment", drop_ip_fragment),
	ROW("martian", drop_martian), ROW("ip_protocol", drop_ip_proto),
	ROW("arp", arp_drop), ROW("icmp", icmp_drop),
	ROW("tcp_checksum", tcp_drop_csum), ROW("tcp_header", tcp_drop_header),
	ROW("tcp_no_connection", tcp_drop_no_conn),
	ROW("tcp_out_of_window", tcp_drop_out_of_window), ROW("tcp_paws", tcp_drop_paws),
	ROW("tcp_bad_ack", tcp_drop_bad_ack), ROW("tcp_ooo_full", tcp_drop_ooo_full),
	ROW("tcp_no_memory", tcp_drop_no_memory),
	ROW("tcp_data_after_close", tcp_drop_closed_data),
};

static const struct stat_row arp_rows[] = {
	ROW("received", arp_rx), ROW("replies_sent", arp_replies),
	ROW("requests_sent", arp_requests), ROW("unresolved", arp_unresolved),
	ROW("pending_dropped", arp_pending_dropped),
	ROW("learned_shared", arp_learned_shared),
};

/* Summed counters without labels: name, help, field. */
static const struct {
	const char *name, *help;
	size_t off;
} plain[] = {
	{ "columba_net_tcp_retransmits_total", "TCP segments sent again (timeouts and fast retransmits).",
	  offsetof(struct net_stats, tcp_retransmits) },
	{ "columba_net_tcp_fast_retransmits_total", "TCP fast retransmits (RFC 5681, 6582).",
	  offsetof(struct net_stats, tcp_fast_retransmits) },
	{ "columba_net_tcp_rto_expired_total", "TCP retransmission timeouts (RFC 6298).",
	  offsetof(struct net_stats, tcp_rto_expired) },
	{ "columba_net_tcp_out_of_order_total", "TCP segments received out of order.",
	  offsetof(struct net_stats, tcp_ooo_segs) },
	{ "columba_net_tcp_dup_acks_total", "Duplicate ACKs received.",
	  offsetof(struct net_stats, tcp_dup_acks) },
	{ "columba_net_tcp_timeouts_total", "TCP connections given up (retransmissions or keepalive).",
	  offsetof(struct net_stats, tcp_timeouts) },
	{ "columba_net_tcp_zero_window_probes_total", "Zero-window probes sent.",
	  offsetof(struct net_stats, tcp_zero_window_probes) },
	{ "columba_net_tcp_keepalives_total", "Keepalive probes sent.",
	  offsetof(struct net_stats, tcp_keepalives_sent) },
	{ "columba_net_icmp_echo_replies_total", "ICMP echo replies sent.",
	  offsetof(struct net_stats, icmp_echo_replies) },
	{ "columba_net_tx_errors_total", "Frames the stacks could not hand to the port (no mbuf, too long).",
	  offsetof(struct net_stats, tx_errors) },
};

static uint64_t field(const struct net_stats *s, size_t off)
{
	uint64_t v;

	memcpy(&v, (const uint8_t *)s + off, sizeof(v));
	return v;
}

static void summed_rows(struct page *p, const char *name, const char *label,
			const struct stat_row *rows, size_t n_rows, const struct net_stats *sum)
{
	for (size_t i = 0; i < n_rows; i++)
		emit(p, "%s{%s=\"%s\"} %" PRIu64 "\n", name, label, rows[i].label,
		     field(sum, rows[i].off));
}

/* Field off of the stack counters of the worker on queue q (0: none). */
static uint64_t wstat(unsigned q, size_t off)
{
	struct dk_worker *k = dk__on_queue(q);
	const uint64_t *v;

	if (!k || !k->st)
		return 0;
	v = (const uint64_t *)(const void *)((const uint8_t *)net_stats(k->st) + off);
	return RD(*v);
}

#define W(q, f) wstat(q, offsetof(struct net_stats, f))

/* The per-worker families. */
static void per_worker(struct page *p, unsigned queues)
{
	bool live[DPDK_QUEUES_MAX];

	for (unsigned q = 0; q < queues; q++)
		live[q] = dk__on_queue(q) && dk__on_queue(q)->st;
	family(p, "columba_net_frames_total", "counter", "Ethernet frames through each worker's stack.");
	for (unsigned q = 0; q < queues; q++)
		if (live[q])
			emit(p, "columba_net_frames_total{worker=\"%u\",dir=\"rx\"} %" PRIu64 "\n"
				"columba_net_frames_total{worker=\"%u\",dir=\"tx\"} %" PRIu64 "\n",
			     q, W(q, rx_frames), q, W(q, tx_frames));
	family(p, "columba_net_tcp_segments_total", "counter", "TCP segments received and sent.");
	for (unsigned q = 0; q < queues; q++)
		if (live[q])
			emit(p, "columba_net_tcp_segments_total{worker=\"%u\",dir=\"in\"} %" PRIu64 "\n"
				"columba_net_tcp_segments_total{worker=\"%u\",dir=\"out\"} %" PRIu64 "\n",
			     q, W(q, tcp_rx_segs), q, W(q, tcp_tx_segs));
	family(p, "columba_net_tcp_opens_total", "counter",
	       "TCP connections opened: passive (from a listener) and active.");
	for (unsigned q = 0; q < queues; q++)
		if (live[q])
			emit(p, "columba_net_tcp_opens_total{worker=\"%u\",kind=\"passive\"} %" PRIu64 "\n"
				"columba_net_tcp_opens_total{worker=\"%u\",kind=\"active\"} %" PRIu64 "\n",
			     q, W(q, tcp_passive_opens), q, W(q, tcp_active_opens));
	family(p, "columba_net_tcp_established_total", "counter",
	       "TCP connections that reached ESTABLISHED.");
	for (unsigned q = 0; q < queues; q++)
		if (live[q])
			emit(p, "columba_net_tcp_established_total{worker=\"%u\"} %" PRIu64 "\n", q,
			     W(q, tcp_established));
}

/* Queue-level counters of each worker (RX/TX bursts, TX drops). */
static void queues_page(struct page *p, unsigned queues, struct net_stats *sum)
{
	uint64_t rx_bad = 0, rx_err = 0, ring_full = 0, nombuf = 0;

	family(p, "columba_net_bursts_total", "counter",
	       "Non-empty RX bursts and TX flushes of each worker's queue.");
	for (unsigned q = 0; q < queues; q++) {
		struct dk_worker *k = dk__on_queue(q);

		if (!k)
			continue;
		emit(p, "columba_net_bursts_total{worker=\"%u\",dir=\"rx\"} %" PRIu64 "\n"
			"columba_net_bursts_total{worker=\"%u\",dir=\"tx\"} %" PRIu64 "\n",
		     q, RD(k->rx_bursts), q, RD(k->txq.bursts));
		rx_bad += RD(k->rx_bad_cksum);
		rx_err += RD(k->rx_errors);
		ring_full += RD(k->txq.dropped);
		nombuf += RD(k->tx_nombuf);
	}
	family(p, "columba_net_drops_total", "counter",
	       "Received frames dropped, by reason (all workers).");
	summed_rows(p, "columba_net_drops_total", "reason", drop_rows, ARRAY_SIZE(drop_rows), sum);
	emit(p, "columba_net_drops_total{reason=\"device_bad_checksum\"} %" PRIu64 "\n"
		"columba_net_drops_total{reason=\"too_long\"} %" PRIu64 "\n", rx_bad, rx_err);
	family(p, "columba_net_tx_drops_total", "counter",
	       "Frames not sent: TX ring still full after the retries, or no mbuf.");
	emit(p, "columba_net_tx_drops_total{reason=\"ring_full\"} %" PRIu64 "\n"
		"columba_net_tx_drops_total{reason=\"no_mbuf\"} %" PRIu64 "\n", ring_full, nombuf);
}

static void device_page(struct page *p)
{
	const struct dpdk_port *port = dk__port();
	struct dpdk_port_stats ds;

	if (!port || dpdk_port_stats(port, &ds) != 0)
		return;
	family(p, "columba_net_port_packets_total", "counter", "Packets the device received and sent.");
	emit(p, "columba_net_port_packets_total{dir=\"rx\"} %" PRIu64 "\n"
		"columba_net_port_packets_total{dir=\"tx\"} %" PRIu64 "\n", ds.rx_pkts, ds.tx_pkts);
	family(p, "columba_net_port_bytes_total", "counter", "Bytes the device received and sent.");
	emit(p, "columba_net_port_bytes_total{dir=\"rx\"} %" PRIu64 "\n"
		"columba_net_port_bytes_total{dir=\"tx\"} %" PRIu64 "\n", ds.rx_bytes, ds.tx_bytes);
	family(p, "columba_net_port_errors_total", "counter",
	       "Device-level losses: no RX descriptor (missed), RX refill failures, errors.");
	emit(p, "columba_net_port_errors_total{kind=\"rx_missed\"} %" PRIu64 "\n"
		"columba_net_port_errors_total{kind=\"rx_nombuf\"} %" PRIu64 "\n"
		"columba_net_port_errors_total{kind=\"rx_error\"} %" PRIu64 "\n"
		"columba_net_port_errors_total{kind=\"tx_error\"} %" PRIu64 "\n",
	     ds.rx_missed, ds.rx_nombuf, ds.rx_errors, ds.tx_errors);
}

size_t dk__metrics(char *out, size_t cap)
{
	struct net_stats one, sum;
	struct page pg = { out, cap, 0 };
	struct page *p = &pg;
	unsigned queues = dk__queues();
	const struct net_arp_share *arp = dk__arp();

	if (cap == 0)
		return 0;
	memset(&sum, 0, sizeof(sum));
	for (unsigned q = 0; q < queues; q++) {
		struct dk_worker *k = dk__on_queue(q);
		uint64_t *d = (uint64_t *)(void *)&sum;

		if (!k || !k->st)
			continue;
		stats_read(net_stats(k->st), &one);
		for (size_t i = 0; i < sizeof(sum) / sizeof(uint64_t); i++)
			d[i] += ((const uint64_t *)(const void *)&one)[i];
	}
	per_worker(p, queues);
	queues_page(p, queues, &sum);
	for (size_t i = 0; i < ARRAY_SIZE(plain); i++) {
		family(p, plain[i].name, "counter", plain[i].help);
		emit(p, "%s %" PRIu64 "\n", plain[i].name, field(&sum, plain[i].off));
	}
	family(p, "columba_net_tcp_resets_total", "counter", "TCP resets received and sent.");
	emit(p, "columba_net_tcp_resets_total{dir=\"in\"} %" PRIu64 "\n"
		"columba_net_tcp_resets_total{dir=\"out\"} %" PRIu64 "\n", sum.tcp_rst_rx, sum.tcp_rst_tx);
	family(p, "columba_net_tcp_cookies_total", "counter",
	       "SYN cookies (RFC 4987): SYN-ACKs sent with one, ACKs accepted and rejected.");
	emit(p, "columba_net_tcp_cookies_total{result=\"sent\"} %" PRIu64 "\n"
		"columba_net_tcp_cookies_total{result=\"accepted\"} %" PRIu64 "\n"
		"columba_net_tcp_cookies_total{result=\"rejected\"} %" PRIu64 "\n",
	     sum.tcp_cookies_sent, sum.tcp_cookies_accepted, sum.tcp_cookies_rejected);
	family(p, "columba_net_tcp_challenge_acks_total", "counter",
	       "Challenge ACKs (RFC 5961): sent, and withheld by the rate limit.");
	emit(p, "columba_net_tcp_challenge_acks_total{result=\"sent\"} %" PRIu64 "\n"
		"columba_net_tcp_challenge_acks_total{result=\"limited\"} %" PRIu64 "\n",
	     sum.tcp_challenge_acks, sum.tcp_challenge_acks_limited);
	family(p, "columba_net_arp_total", "counter", "ARP events, all workers.");
	summed_rows(p, "columba_net_arp_total", "event", arp_rows, ARRAY_SIZE(arp_rows), &sum);
	if (arp) {
		struct net_arp_share_stats t = { 0 };

		for (unsigned q = 0; q < queues; q++) {
			struct net_arp_share_stats s;

			net_arp_share_stats(arp, q, &s);
			t.published += s.published;
			t.applied += s.applied;
			t.missed += s.missed;
		}
		family(p, "columba_net_arp_shared_total", "counter",
		       "Neighbours passed between the workers' stacks of the port.");
		emit(p, "columba_net_arp_shared_total{event=\"published\"} %" PRIu64 "\n"
			"columba_net_arp_shared_total{event=\"applied\"} %" PRIu64 "\n"
			"columba_net_arp_shared_total{event=\"missed\"} %" PRIu64 "\n",
		     t.published, t.applied, t.missed);
	}
	device_page(p);
	return pg.n;
}
