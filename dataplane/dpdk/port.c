#include "dataplane/dpdk/port.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_dev.h>
#include <rte_devargs.h>
#include <rte_errno.h>
#include <rte_malloc.h>

#include "base/compiler.h"
#include "base/log.h"
#include "dataplane/dpdk/eal.h"

/* Pool cache per worker (DPDK's l3fwd uses 256); bounded by the pool size. */
#define POOL_CACHE 256u

/* NUMA node of a CPU, from sysfs (cpuN/nodeM), or SOCKET_ID_ANY. */
static int cpu_socket(int cpu)
{
	char path[64];
	struct dirent *de;
	DIR *d;
	int node = SOCKET_ID_ANY;

	if (cpu < 0)
		return SOCKET_ID_ANY;
	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d", cpu);
	d = opendir(path);
	if (!d)
		return SOCKET_ID_ANY;
	while ((de = readdir(d))) {
		char *end;
		long n;

		if (strncmp(de->d_name, "node", 4) || de->d_name[4] < '0' || de->d_name[4] > '9')
			continue;
		n = strtol(de->d_name + 4, &end, 10);
		if (!*end && n >= 0 && n < RTE_MAX_NUMA_NODES) {
			node = (int)n;
			break;
		}
	}
	closedir(d);
	return node;
}

/* Port id for cfg->port: a name, a decimal id, or the only port. */
static int find_port(const char *want, uint16_t *id)
{
	uint16_t pid;

	if (!want || !*want) {
		if (rte_eth_dev_count_avail() != 1)
			return -ENODEV;
		RTE_ETH_FOREACH_DEV(pid) {
			*id = pid;
			return 0;
		}
		return -ENODEV;
	}
	if (rte_eth_dev_get_port_by_name(want, &pid) == 0 && rte_eth_dev_is_valid_port(pid)) {
		*id = pid;
		return 0;
	}
	char *end;
	unsigned long n = strtoul(want, &end, 10);

	if (want[0] >= '0' && want[0] <= '9' && !*end && n < RTE_MAX_ETHPORTS &&
	    rte_eth_dev_is_valid_port((uint16_t)n)) {
		*id = (uint16_t)n;
		return 0;
	}
	return -ENODEV;
}

static void log_no_port(const char *want)
{
	char list[256] = "";
	size_t used = 0;
	uint16_t pid;

	RTE_ETH_FOREACH_DEV(pid) {
		char name[RTE_ETH_NAME_MAX_LEN];
		int n;

		if (rte_eth_dev_get_name_by_port(pid, name) != 0)
			continue;
		n = snprintf(list + used, sizeof(list) - used, "%s%u:%s", used ? "," : "", pid, name);
		if (n < 0 || (size_t)n >= sizeof(list) - used)
			break;
		used += (size_t)n;
	}
	log_error("dpdk", "port_open_failed err=%d port=\"%s\" reason=\"%s\" ports=\"%s\"",
		  -ENODEV, want ? want : "",
		  want && *want ? "no such port" : "no port named and not exactly one port",
		  list);
}

static int check_cfg(const struct dpdk_cfg *cfg)
{
	const char *rule = NULL;

	if (cfg->workers < 1 || cfg->workers > DPDK_QUEUES_MAX)
		rule = "workers must be 1..128";
	else if (cfg->burst < 1 || cfg->burst > DPDK_BURST_MAX)
		rule = "burst must be 1..64";
	else if (cfg->rx_ring < 1 || cfg->tx_ring < 1)
		rule = "rx_ring and tx_ring must be at least 1";
	if (!rule)
		return 0;
	log_error("dpdk", "port_open_failed err=%d reason=\"%s\" workers=%u burst=%u",
		  -EINVAL, rule, cfg->workers, cfg->burst);
	return -EINVAL;
}

static void cksum_names(uint32_t c, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s%s%s", c & DPDK_CKSUM_RX_IPV4 ? "rx_ipv4," : "",
		 c & DPDK_CKSUM_RX_TCP ? "rx_tcp," : "", c & DPDK_CKSUM_TX_IPV4 ? "tx_ipv4," : "",
		 c & DPDK_CKSUM_TX_TCP ? "tx_tcp," : "", c ? "" : "none");
	size_t n = strlen(buf);

	if (n && buf[n - 1] == ',')
		buf[n - 1] = '\0';
}

/*
 * The RSS key: 0x6d5a repeated, the symmetric Toeplitz key of Woo and Park
 * ("Scalable TCP Session Monitoring with Symmetric Receive-side Scaling"):
 * both directions of a flow hash alike, and the spread no longer depends on
 * whatever key a driver defaults to (some pick a random one per start).
 * 52 bytes, the longest key the common NICs take (i40e); a device reports
 * the length it wants in hash_key_size.
 */
static uint8_t rss_key[52];

static void rss_key_fill(void)
{
	for (size_t i = 0; i < sizeof(rss_key); i++)
		rss_key[i] = i & 1 ? 0x5a : 0x6d;
}

/*
 * Spread the redirection table evenly: entry i to queue i mod queues. Some
 * drivers fill it so already, some leave it to the application, and some
 * (net_tap: the kernel picks the queue) have none: that is logged, not an
 * error, the device's own spread then stands.
 */
static void program_reta(struct dpdk_port *p, uint16_t reta_size)
{
	struct rte_eth_rss_reta_entry64 reta[512 / RTE_ETH_RETA_GROUP_SIZE];
	int rc;

	if (reta_size == 0 || reta_size > 512) {
		log_info("dpdk", "rss_reta port=%s size=%u effect=\"the device spreads flows itself\"",
			 p->name, reta_size);
		return;
	}
	memset(reta, 0, sizeof(reta));
	for (uint16_t i = 0; i < reta_size; i++) {
		reta[i / RTE_ETH_RETA_GROUP_SIZE].mask |= 1ull << (i % RTE_ETH_RETA_GROUP_SIZE);
		reta[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE] =
			(uint16_t)(i % p->queues);
	}
	rc = rte_eth_dev_rss_reta_update(p->port_id, reta, reta_size);
	if (rc < 0)
		log_info("dpdk", "rss_reta port=%s size=%u err=%d reason=\"%s\" effect=\"the device's own spread stands\"",
			 p->name, reta_size, rc, rte_strerror(-rc));
	else
		log_info("dpdk", "rss_reta port=%s size=%u queues=%u spread=even", p->name, reta_size,
			 p->queues);
}

/* Queues, RSS and offloads for the device's capabilities. */
static void plan_conf(struct dpdk_port *p, const struct dpdk_cfg *cfg,
		      const struct rte_eth_dev_info *di, struct rte_eth_conf *conf)
{
	uint64_t rss_hf = di->flow_type_rss_offloads &
			  (RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_NONFRAG_IPV4_TCP);
	bool enough = di->max_rx_queues >= cfg->workers && di->max_tx_queues >= cfg->workers;
	const char *mode, *why = "";

	memset(conf, 0, sizeof(*conf));
	p->queues = 1;
	if (cfg->workers == 1) {
		mode = "single";
		why = "one worker";
	} else if (enough && (rss_hf & RTE_ETH_RSS_NONFRAG_IPV4_TCP)) {
		p->queues = cfg->workers;
		p->rss = true;
		conf->rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf->rx_adv_conf.rss_conf.rss_hf = rss_hf;
		if (di->hash_key_size > 0 && di->hash_key_size <= sizeof(rss_key)) {
			rss_key_fill();
			conf->rx_adv_conf.rss_conf.rss_key = rss_key;
			conf->rx_adv_conf.rss_conf.rss_key_len = di->hash_key_size;
		}
		mode = "rss";
	} else if (enough && cfg->paired_queues) {
		p->queues = cfg->workers;
		mode = "paired";
		why = "no RSS; the peer pairs queues";
	} else {
		mode = "single";
		why = !enough ? "device has fewer queues than workers" : "device has no IPv4/TCP RSS";
	}

	if (di->rx_offload_capa & RTE_ETH_RX_OFFLOAD_IPV4_CKSUM) {
		conf->rxmode.offloads |= RTE_ETH_RX_OFFLOAD_IPV4_CKSUM;
		p->cksum |= DPDK_CKSUM_RX_IPV4;
	}
	if (di->rx_offload_capa & RTE_ETH_RX_OFFLOAD_TCP_CKSUM) {
		conf->rxmode.offloads |= RTE_ETH_RX_OFFLOAD_TCP_CKSUM;
		p->cksum |= DPDK_CKSUM_RX_TCP;
	}
	if (di->tx_offload_capa & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM) {
		conf->txmode.offloads |= RTE_ETH_TX_OFFLOAD_IPV4_CKSUM;
		p->cksum |= DPDK_CKSUM_TX_IPV4;
	}
	if (di->tx_offload_capa & RTE_ETH_TX_OFFLOAD_TCP_CKSUM) {
		conf->txmode.offloads |= RTE_ETH_TX_OFFLOAD_TCP_CKSUM;
		p->cksum |= DPDK_CKSUM_TX_TCP;
	}
	if (di->tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS)
		conf->txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;

	if (p->queues < cfg->workers)
		log_warn("dpdk", "port_queues port=%s mode=%s workers=%u queues=%u reason=\"%s\" effect=\"only worker 0 polls this port\"",
			 p->name, mode, cfg->workers, p->queues, why);
	else
		log_info("dpdk", "port_queues port=%s mode=%s workers=%u queues=%u rss_hf=%#" PRIx64 "%s%s%s",
			 p->name, mode, cfg->workers, p->queues, p->rss ? rss_hf : 0,
			 *why ? " reason=\"" : "", why, *why ? "\"" : "");
}

static uint32_t pool_cache(const struct dpdk_cfg *cfg)
{
	return cfg->mbufs_per_worker / 2 < POOL_CACHE ? cfg->mbufs_per_worker / 2 : POOL_CACHE;
}

/* Every RX descriptor holds an mbuf from the start; TX and a burst in
 * flight each way, plus what sits in the cache, must fit as well. */
static int check_mbufs(const struct dpdk_port *p, const struct dpdk_cfg *cfg,
		       uint16_t nb_rxd, uint16_t nb_txd)
{
	uint32_t need = (uint32_t)nb_rxd + nb_txd + 2u * cfg->burst + pool_cache(cfg);

	if (cfg->mbufs_per_worker >= need)
		return 0;
	log_error("dpdk", "port_open_failed err=%d port=%s reason=\"mbufs_per_worker below rx_ring+tx_ring+2*burst+cache\" mbufs_per_worker=%u needed=%u",
		  -EINVAL, p->name, cfg->mbufs_per_worker, need);
	return -EINVAL;
}

/* One pool per queue on the worker's node; rings too. */
static int setup_queues(struct dpdk_port *p, const struct dpdk_cfg *cfg,
			const struct rte_eth_dev_info *di, uint16_t nb_rxd, uint16_t nb_txd)
{
	uint32_t cache = pool_cache(cfg);
	int dev_socket = rte_eth_dev_socket_id(p->port_id);

	for (uint16_t q = 0; q < p->queues; q++) {
		struct dpdk_queue *dq = &p->q[q];
		char name[RTE_MEMPOOL_NAMESIZE];
		int rc;

		dq->socket = cfg->worker_cpus ? cpu_socket(cfg->worker_cpus[q]) : SOCKET_ID_ANY;
		if (dq->socket == SOCKET_ID_ANY)
			dq->socket = dev_socket;
		snprintf(name, sizeof(name), "cb%u_q%u", p->port_id, q);
		dq->pool = rte_pktmbuf_pool_create(name, cfg->mbufs_per_worker, cache, 0,
						   RTE_MBUF_DEFAULT_BUF_SIZE, dq->socket);
		if (!dq->pool) {
			rc = rte_errno > 0 ? -rte_errno : -ENOMEM;
			log_error("dpdk", "port_open_failed err=%d port=%s queue=%u reason=\"mbuf pool: %s\" mbufs=%u socket=%d hint=\"raise EAL -m or reserve hugepages\"",
				  rc, p->name, q, rte_strerror(-rc), cfg->mbufs_per_worker, dq->socket);
			return rc;
		}
		rc = rte_eth_rx_queue_setup(p->port_id, q, nb_rxd, (unsigned)dq->socket,
					    &di->default_rxconf, dq->pool);
		if (rc < 0) {
			log_error("dpdk", "port_open_failed err=%d port=%s queue=%u reason=\"rx queue setup: %s\" rx_ring=%u",
				  rc, p->name, q, rte_strerror(-rc), nb_rxd);
			return rc;
		}
		rc = rte_eth_tx_queue_setup(p->port_id, q, nb_txd, (unsigned)dq->socket,
					    &di->default_txconf);
		if (rc < 0) {
			log_error("dpdk", "port_open_failed err=%d port=%s queue=%u reason=\"tx queue setup: %s\" tx_ring=%u",
				  rc, p->name, q, rte_strerror(-rc), nb_txd);
			return rc;
		}
	}
	return 0;
}

/* memif's role is "server" unless the device arguments say role=client. */
static bool is_memif_server(uint16_t pid)
{
	struct rte_eth_dev_info di;
	const struct rte_devargs *da;

	if (rte_eth_dev_info_get(pid, &di) < 0 || !di.device)
		return true;
	da = rte_dev_devargs(di.device);
	return !da || !da->args || !strstr(da->args, "role=client");
}

static void free_pools(struct dpdk_port *p, uint16_t n)
{
	for (uint16_t q = 0; q < n; q++) {
		rte_mempool_free(p->q[q].pool);
		p->q[q].pool = NULL;
	}
}

int dpdk_port_open(const struct dpdk_cfg *cfg, struct dpdk_port **out)
{
	struct rte_eth_dev_info di;
	struct rte_eth_conf conf;
	struct dpdk_port *p = NULL;
	uint16_t pid, nb_rxd = cfg->rx_ring, nb_txd = cfg->tx_ring;
	bool configured = false;
	char cks[48];
	int rc;

	*out = NULL;
	rc = check_cfg(cfg);
	if (rc < 0)
		return rc;
	if (find_port(cfg->port, &pid) < 0) {
		log_no_port(cfg->port);
		return -ENODEV;
	}
	p = rte_zmalloc("columba_port", sizeof(*p) + cfg->workers * sizeof(p->q[0]),
			RTE_CACHE_LINE_SIZE);
	if (!p) {
		log_error("dpdk", "port_open_failed err=%d reason=\"out of EAL memory\"", -ENOMEM);
		return -ENOMEM;
	}
	p->port_id = pid;
	p->burst = cfg->burst;
	p->tx_retries = cfg->tx_retries;
	rte_eth_dev_get_name_by_port(pid, p->name);

	rc = rte_eth_dev_info_get(pid, &di);
	if (rc < 0) {
		log_error("dpdk", "port_open_failed err=%d port=%s reason=\"device info: %s\"",
			  rc, p->name, rte_strerror(-rc));
		goto fail;
	}
	snprintf(p->driver, sizeof(p->driver), "%s", di.driver_name ? di.driver_name : "?");
	/* Checks that need no device state come first: a virtual device that
	 * was configured is gone once closed, so a failure after that point
	 * costs the device until restart. */
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(pid, &nb_rxd, &nb_txd);
	if (rc < 0) {
		log_error("dpdk", "port_open_failed err=%d port=%s reason=\"descriptor limits: %s\"",
			  rc, p->name, rte_strerror(-rc));
		goto fail;
	}
	rc = check_mbufs(p, cfg, nb_rxd, nb_txd);
	if (rc < 0)
		goto fail;
	plan_conf(p, cfg, &di, &conf);

	rc = rte_eth_dev_configure(pid, p->queues, p->queues, &conf);
	if (rc < 0) {
		log_error("dpdk", "port_open_failed err=%d port=%s driver=%s reason=\"configure: %s\" queues=%u",
			  rc, p->name, p->driver, rte_strerror(-rc), p->queues);
		goto fail;
	}
	configured = true;
	rc = setup_queues(p, cfg, &di, nb_rxd, nb_txd);
	if (rc < 0)
		goto fail;
	rc = rte_eth_macaddr_get(pid, &p->mac);
	if (rc < 0)
		memset(&p->mac, 0, sizeof(p->mac));
	rc = rte_eth_dev_start(pid);
	if (rc < 0) {
		log_error("dpdk", "port_open_failed err=%d port=%s driver=%s reason=\"start: %s\"",
			  rc, p->name, p->driver, rte_strerror(-rc));
		goto fail;
	}

	if (p->rss)
		program_reta(p, di.reta_size);
	if (!strcmp(p->driver, "net_memif") && is_memif_server(pid))
		dpdk__eal_skip_cleanup("memif server: DPDK 22.11 leaves its listener on the interrupt thread");
	cksum_names(p->cksum, cks, sizeof(cks));
	log_info("dpdk", "port_up port=%s id=%u driver=%s mac=" RTE_ETHER_ADDR_PRT_FMT " queues=%u rss=%s rx_ring=%u tx_ring=%u mbufs_per_worker=%u burst=%u cksum=%s",
		 p->name, pid, p->driver, RTE_ETHER_ADDR_BYTES(&p->mac), p->queues,
		 p->rss ? "on" : "off", nb_rxd, nb_txd, cfg->mbufs_per_worker, p->burst, cks);
	dpdk_port_link_poll(p);
	*out = p;
	return 0;

fail:
	/* Closing releases the queues (and the mbufs the RX rings hold), so
	 * the pools can go after it. */
	if (configured) {
		rte_eth_dev_close(pid);
		log_warn("dpdk", "port_closed port=%s reason=\"open failed\" note=\"a virtual device is gone until restart\"",
			 p->name);
	}
	free_pools(p, p->queues);
	rte_free(p);
	return rc;
}

void dpdk_port_close(struct dpdk_port *p)
{
	struct dpdk_port_stats st;
	int rc;

	if (!p)
		return;
	if (dpdk_port_stats(p, &st) == 0)
		log_info("dpdk", "port_stats port=%s rx_pkts=%" PRIu64 " tx_pkts=%" PRIu64 " rx_missed=%" PRIu64 " rx_errors=%" PRIu64 " tx_errors=%" PRIu64 " rx_nombuf=%" PRIu64,
			 p->name, st.rx_pkts, st.tx_pkts, st.rx_missed, st.rx_errors,
			 st.tx_errors, st.rx_nombuf);
	/* memif (22.11) tears a connection down on the EAL interrupt thread
	 * when its peer leaves, and the same teardown runs again, unlocked,
	 * inside rte_eth_dev_stop(): let the first one finish. */
	dpdk__intr_barrier();
	rc = rte_eth_dev_stop(p->port_id);
	if (rc < 0)
		log_warn("dpdk", "port_stop_failed err=%d port=%s reason=\"%s\"", rc, p->name,
			 rte_strerror(-rc));
	rc = rte_eth_dev_close(p->port_id);
	if (rc < 0)
		log_warn("dpdk", "port_close_failed err=%d port=%s reason=\"%s\"", rc, p->name,
			 rte_strerror(-rc));
	for (uint16_t q = 0; q < p->queues; q++) {
		struct rte_mempool *mp = p->q[q].pool;

		/* Mbufs still out mean a leak in the stack: say which worker. */
		if (mp && rte_mempool_in_use_count(mp) != 0)
			log_warn("dpdk", "pool_leak port=%s queue=%u in_use=%u", p->name, q,
				 rte_mempool_in_use_count(mp));
	}
	free_pools(p, p->queues);
	log_info("dpdk", "port_down port=%s", p->name);
	rte_free(p);
}

bool dpdk_port_link_poll(struct dpdk_port *p)
{
	struct rte_eth_link link;

	memset(&link, 0, sizeof(link));
	if (rte_eth_link_get_nowait(p->port_id, &link) < 0)
		link.link_status = RTE_ETH_LINK_DOWN;
	bool up = link.link_status == RTE_ETH_LINK_UP;

	if (up != p->link_up || (up && link.link_speed != p->link_speed_mbps)) {
		if (up)
			log_info("dpdk", "link_up port=%s speed_mbps=%u duplex=%s autoneg=%s", p->name,
				 link.link_speed, link.link_duplex ? "full" : "half",
				 link.link_autoneg ? "on" : "off");
		else
			log_warn("dpdk", "link_down port=%s", p->name);
	}
	p->link_up = up;
	p->link_speed_mbps = up ? link.link_speed : 0;
	return up;
}

int dpdk_port_wait_link(struct dpdk_port *p, uint32_t timeout_ms)
{
	const struct timespec tick = { .tv_sec = 0, .tv_nsec = 10 * 1000 * 1000 };

	for (uint32_t waited = 0;; waited += 10) {
		if (dpdk_port_link_poll(p))
			return 0;
		if (waited >= timeout_ms)
			break;
		nanosleep(&tick, NULL);
	}
	log_warn("dpdk", "link_wait_timeout port=%s timeout_ms=%u", p->name, timeout_ms);
	return -ETIMEDOUT;
}

int dpdk_port_stats(const struct dpdk_port *p, struct dpdk_port_stats *st)
{
	struct rte_eth_stats s;
	int rc = rte_eth_stats_get(p->port_id, &s);

	if (rc < 0)
		return rc;
	st->rx_pkts = s.ipackets;
	st->tx_pkts = s.opackets;
	st->rx_bytes = s.ibytes;
	st->tx_bytes = s.obytes;
	st->rx_missed = s.imissed;
	st->rx_errors = s.ierrors;
	st->tx_errors = s.oerrors;
	st->rx_nombuf = s.rx_nombuf;
	return 0;
}
