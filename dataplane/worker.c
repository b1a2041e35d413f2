#include "dataplane/worker.h"

#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/compiler.h"
#include "base/probe.h"
#include "base/log.h"

struct dp_addr_slot {
	uint8_t used; /* 0 empty, 1 live (deletions shift entries back: no tombstones) */
	uint8_t family;
	uint32_t count;
	struct in6_addr ip; /* v4 stored in the first 4 bytes */
};

static void addr_key(const struct dp_addr *a, struct in6_addr *ip)
{
	memset(ip, 0, sizeof(*ip));
	if (a->family == AF_INET)
		memcpy(ip, &a->v4, 4);
	else
		*ip = a->v6;
}

static uint32_t addr_hash(const struct in6_addr *ip)
{
	/* FNV-1a over 16 bytes: cheap, and per-worker tables are not
	 * exposed to an attacker's choice of addresses beyond their own. */
	uint32_t h = 2166136261u;
	for (int i = 0; i < 16; i++)
		h = (h ^ ip->s6_addr[i]) * 16777619u;
	return h;
}

static struct dp_addr_slot *addr_find(struct dp_worker *w, const struct dp_addr *a, bool insert)
{
	struct in6_addr ip;

	addr_key(a, &ip);
	for (uint32_t i = addr_hash(&ip), n = 0; n <= w->addr_mask; i++, n++) {
		struct dp_addr_slot *s = &w->addr_tab[i & w->addr_mask];

		if (s->used == 0) {
			if (!insert)
				return NULL;
			s->used = 1;
			s->family = a->family;
			s->count = 0;
			s->ip = ip;
			return s;
		}
		if (s->family == a->family && memcmp(&s->ip, &ip, sizeof(ip)) == 0)
			return s;
	}
	return NULL;
}

static void addr_remove(struct dp_worker *w, struct dp_addr_slot *s);

int dp__conn_admit(struct dp_worker *w, const struct dp_addr *addr)
{
	struct dp_addr_slot *s;

	if (w->stats.conns_open >= w->limits.max_conns) {
		w->stats.refused_max_conns++;
		return -EMFILE;
	}
	s = addr_find(w, addr, true);
	/* The table has twice max_conns slots, so a live connection always
	 * finds room; BUG_ON guards that arithmetic. */
	BUG_ON(s == NULL);
	if (s->count >= w->limits.max_conns_per_addr) {
		w->stats.refused_per_addr++;
		if (s->count == 0)
			addr_remove(w, s);
		return -EUSERS;
	}
	s->count++;
	w->stats.conns_open++;
	w->stats.accepted++;
	return 0;
}

static bool addr_slot_used(const void *slot)
{
	return ((const struct dp_addr_slot *)slot)->used != 0;
}

static uint32_t addr_slot_home(const void *slot)
{
	return addr_hash(&((const struct dp_addr_slot *)slot)->ip);
}

static void addr_slot_clear(void *slot)
{
	((struct dp_addr_slot *)slot)->used = 0;
}

/*
 * Empty a slot without leaving a tombstone (probe.h): the table never fills
 * with tombstones, however many distinct peers come and go (an IPv6 /64
 * has plenty).
 */
static void addr_remove(struct dp_worker *w, struct dp_addr_slot *s)
{
	const struct probe_table t = {
		.slots = w->addr_tab, .slot_size = sizeof(*s), .mask = w->addr_mask,
		.used = addr_slot_used, .home = addr_slot_home, .clear = addr_slot_clear,
	};

	probe_remove(&t, (uint32_t)(s - w->addr_tab));
}

void dp__conn_release(struct dp_worker *w, const struct dp_addr *addr)
{
	struct dp_addr_slot *s = addr_find(w, addr, false);

	BUG_ON(s == NULL || s->count == 0);
	if (--s->count == 0)
		addr_remove(w, s);
	BUG_ON(w->stats.conns_open == 0);
	w->stats.conns_open--;
}

int dp_worker_init(struct dp_worker *w, unsigned id, int cpu,
		   const struct dp_backend_ops *ops, const struct dp_limits *lim,
		   const struct dp_app_hooks *hooks)
{
	uint32_t slots = 16;
	int err;

	memset(w, 0, sizeof(*w));
	w->id = id;
	w->cpu = cpu;
	w->ops = ops;
	w->limits = *lim;
	if (hooks)
		w->hooks = *hooks;
	w->now_ms = clock_mono_ms();
	dp_timer_wheel_init(&w->wheel, w->now_ms);
	atomic_init(&w->stop_requested, false);
	while (slots < 2 * (uint64_t)lim->max_conns && slots < (1u << 30))
		slots <<= 1;
	w->addr_tab = calloc(slots, sizeof(*w->addr_tab));
	if (!w->addr_tab)
		return -ENOMEM;
	w->addr_mask = slots - 1;
	err = ring_bell_init(&w->bell);
	if (err)
		goto fail_tab;
	err = ops->init(w);
	if (err)
		goto fail_bell;
	return 0;

fail_bell:
	ring_bell_fini(&w->bell);
fail_tab:
	free(w->addr_tab);
	w->addr_tab = NULL;
	return err;
}

int dp_worker_listen(struct dp_worker *w, const struct dp_addr *a,
		     const struct dp_handler *h, void *arg)
{
	return w->ops->listen(w, a, h, arg);
}

static void begin_stop(struct dp_worker *w)
{
	w->stopping = true;
	w->stop_deadline_ms = w->now_ms + w->limits.drain_timeout_ms;
	w->ops->stop_listening(w);
	if (w->hooks.on_stop)
		w->hooks.on_stop(w, w->hooks.arg);
	log_info("worker", "draining worker=%u conns=%u deadline_ms=%u", w->id,
		 w->stats.conns_open, w->limits.drain_timeout_ms);
}

int dp_worker_run(struct dp_worker *w)
{
	bool aborted = false;

	for (;;) {
		bool busy = false;
		uint64_t timeout;

		w->now_ms = clock_mono_ms();
		dp_timer_wheel_run(&w->wheel, w->now_ms);
		if (w->hooks.poll)
			busy = w->hooks.poll(w, w->hooks.arg);

		if (!w->stopping && atomic_load_explicit(&w->stop_requested, memory_order_acquire))
			begin_stop(w);
		if (w->stopping) {
			if (w->stats.conns_open == 0 &&
			    (!w->hooks.in_flight || !w->hooks.in_flight(w, w->hooks.arg) ||
			     w->now_ms >= w->stop_deadline_ms))
				break;
			if (!aborted && w->now_ms >= w->stop_deadline_ms) {
				log_warn("worker", "drain_timeout worker=%u conns_aborted=%u",
					 w->id, w->stats.conns_open);
				aborted = true;
				/* The backend resets what is left; their
				 * on_close calls bring conns_open to 0. */
				w->ops->abort_all(w);
			}
		}

		timeout = busy ? 0 : dp_timer_wheel_next(&w->wheel, w->now_ms);
		if (timeout > 1000)
			timeout = 1000; /* re-check the stop flag at least each second */
		if (w->stopping && timeout > 50)
			timeout = 50;
		if (timeout > 0) {
			ring_bell_arm(&w->bell);
			/* Re-check after arming: a producer that pushed before
			 * seeing the flag did not ring (ring.h). */
			if (w->hooks.poll && w->hooks.poll(w, w->hooks.arg))
				timeout = 0;
		}
		int err = w->ops->poll(w, timeout);
		ring_bell_disarm(&w->bell);
		if (err < 0 && err != -EINTR && err != -ETIME && err != -EAGAIN) {
			log_error("worker", "poll_failed worker=%u err=%d (%s)", w->id, err,
				  strerror(-err));
			return err;
		}
		if (aborted && w->stats.conns_open > 0 &&
		    w->now_ms >= w->stop_deadline_ms + 5000u) {
			log_error("worker", "drain_stuck worker=%u conns=%u", w->id,
				  w->stats.conns_open);
			break;
		}
	}
	return 0;
}

static void *worker_main(void *arg)
{
	struct dp_worker *w = arg;
	char name[16];

	snprintf(name, sizeof(name), "columba-w%u", w->id);
	pthread_setname_np(pthread_self(), name);
	if (w->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(w->cpu, &set);
		int err = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
		if (err)
			log_warn("worker", "pin_failed worker=%u cpu=%d err=%d", w->id, w->cpu, err);
	}
	if (w->hooks.on_start) {
		w->exit_status = w->hooks.on_start(w, w->hooks.arg);
		if (w->exit_status)
			return NULL;
	}
	w->exit_status = dp_worker_run(w);
	if (w->hooks.on_exit)
		w->hooks.on_exit(w, w->hooks.arg);
	return NULL;
}

int dp_worker_start(struct dp_worker *w)
{
	int err = pthread_create(&w->thread, NULL, worker_main, w);

	return -err;
}

void dp_worker_request_stop(struct dp_worker *w)
{
	uint64_t one = 1;

	atomic_store_explicit(&w->stop_requested, true, memory_order_release);
	/* Always wake it: it may be asleep with its bell not armed. */
	ssize_t r = write(w->bell.efd, &one, sizeof(one));
	(void)r;
}

int dp_worker_join(struct dp_worker *w)
{
	pthread_join(w->thread, NULL);
	return w->exit_status;
}

void dp_worker_fini(struct dp_worker *w)
{
	if (w->ops && w->be)
		w->ops->fini(w);
	ring_bell_fini(&w->bell);
	free(w->addr_tab);
	w->addr_tab = NULL;
}

unsigned dp_online_cpus(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		return (unsigned)CPU_COUNT(&set);
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

/* The connection API dispatches to the backend the connection belongs to. */

int dp_send(struct dp_conn *c, const void *data, size_t len)
{
	return c->w->ops->send(c, data, len);
}

void dp_close(struct dp_conn *c, bool abort_conn)
{
	c->w->ops->close(c, abort_conn);
}

void dp_pause_recv(struct dp_conn *c, bool pause)
{
	c->w->ops->pause_recv(c, pause);
}

size_t dp_conn_unsent(const struct dp_conn *c)
{
	return c->w->ops->unsent(c);
}

void dp_conn_set_udata(struct dp_conn *c, void *udata)
{
	c->udata = udata;
}

void *dp_conn_udata(const struct dp_conn *c)
{
	return c->udata;
}

const struct dp_addr *dp_conn_peer(const struct dp_conn *c)
{
	return &c->peer;
}

struct dp_worker *dp_conn_worker(const struct dp_conn *c)
{
	return c->w;
}

const char *dp_addr_format(const struct dp_addr *a, char *buf, size_t size)
{
	char ip[INET6_ADDRSTRLEN];

	if (a->family == AF_INET6) {
		inet_ntop(AF_INET6, &a->v6, ip, sizeof(ip));
		snprintf(buf, size, "[%s]:%u", ip, a->port);
	} else {
		inet_ntop(AF_INET, &a->v4, ip, sizeof(ip));
		snprintf(buf, size, "%s:%u", ip, a->port);
	}
	return buf;
}

socklen_t dp_addr_to_sockaddr(const struct dp_addr *a, int family, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(a->port);
		sin->sin_addr = a->family == AF_INET ? a->v4 : (struct in_addr){ INADDR_ANY };
		return sizeof(*sin);
	}
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(a->port);
	sin6->sin6_addr = a->family == AF_INET6 ? a->v6 : in6addr_any;
	return sizeof(*sin6);
}

int dp_addr_parse(const char *s, struct dp_addr *out)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon;
	struct dp_addr a;
	char *end;
	size_t hl;
	long port;

	memset(&a, 0, sizeof(a));
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');
		if (!rb || rb[1] != ':')
			return -EINVAL;
		hl = (size_t)(rb - s - 1);
		if (hl == 0 || hl >= sizeof(host))
			return -EINVAL;
		memcpy(host, s + 1, hl);
		host[hl] = '\0';
		colon = rb + 1;
		a.family = AF_INET6;
		if (inet_pton(AF_INET6, host, &a.v6) != 1)
			return -EINVAL;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -EINVAL;
		hl = (size_t)(colon - s);
		if (hl == 0 || hl >= sizeof(host))
			return -EINVAL;
		memcpy(host, s, hl);
		host[hl] = '\0';
		if (strcmp(host, "*") == 0) {
			a.family = AF_UNSPEC; /* any: a v4 and a v6 socket */
		} else {
			a.family = AF_INET;
			if (inet_pton(AF_INET, host, &a.v4) != 1)
				return -EINVAL;
		}
	}
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (errno || *end || end == colon + 1 || port < 1 || port > 65535)
		return -EINVAL;
	a.port = (uint16_t)port;
	*out = a;
	return 0;
}
