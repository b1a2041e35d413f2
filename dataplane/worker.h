/*
 * Workers: one thread per core, pinned, run-to-completion. A worker owns its
 * backend (io_uring ring or DPDK queue), its connections, its timer wheel and
 * its end of the SPSC rings to the store thread; nothing of it is shared but
 * the stop flag and the bell that wakes it.
 *
 * The loop, each turn: read the clock, run due timers, call the application's
 * poll hook (drain rings), reap closed connections, then wait in the backend
 * until the next timer, an I/O completion or the bell.
 */
#ifndef COLUMBA_DATAPLANE_WORKER_H
#define COLUMBA_DATAPLANE_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/ring.h"
#include "dataplane/dp.h"
#include "dataplane/timer.h"

struct dp_worker;

/* Limits enforced by the data plane itself, per worker. */
struct dp_limits {
	uint32_t max_conns;          /* open connections on this worker */
	uint32_t max_conns_per_addr; /* from one source IP, on this worker */
	uint32_t send_queue_bytes;   /* dp_send() answers -EAGAIN past this */
	uint32_t drain_timeout_ms;   /* on stop: how long in-flight work may take */
};

/* Counters a worker keeps for /metrics; written by its thread only. */
struct dp_stats {
	uint64_t accepted;
	uint64_t refused_max_conns;
	uint64_t refused_per_addr;
	uint64_t accept_errors;
	uint64_t bytes_in;
	uint64_t bytes_out;
	uint32_t conns_open;
};

/*
 * What the application (the gateway) plugs into each worker. All hooks run
 * on the worker's thread.
 */
struct dp_app_hooks {
	/* Each loop turn: drain rings, flush batches. Returns true if it did
	 * work (the loop then polls again without sleeping). */
	bool (*poll)(struct dp_worker *w, void *arg);
	/* Once, when the worker starts stopping: close idle connections. */
	void (*on_stop)(struct dp_worker *w, void *arg);
	/* While stopping, with no connection left: is work still in flight
	 * (requests to other threads) that the worker must wait for? NULL: no.
	 * Bounded by the drain deadline like the connections. */
	bool (*in_flight)(struct dp_worker *w, void *arg);
	/* Once, on the worker's thread, before the loop starts / after it ends. */
	int (*on_start)(struct dp_worker *w, void *arg);
	void (*on_exit)(struct dp_worker *w, void *arg);
	void *arg;
};

/* A backend: how a worker gets connections and bytes. */
struct dp_backend_ops {
	const char *name;
	int (*init)(struct dp_worker *w);
	void (*fini)(struct dp_worker *w);
	int (*listen)(struct dp_worker *w, const struct dp_addr *a,
		      const struct dp_handler *h, void *arg);
	void (*stop_listening)(struct dp_worker *w);
	/* Reset every open connection (drain deadline passed). */
	void (*abort_all)(struct dp_worker *w);
	/* Wait up to timeout_ms (0: don't block) for events and dispatch them. */
	int (*poll)(struct dp_worker *w, uint64_t timeout_ms);
	int (*send)(struct dp_conn *c, const void *data, size_t len);
	void (*close)(struct dp_conn *c, bool abort);
	void (*pause_recv)(struct dp_conn *c, bool pause);
	size_t (*unsent)(const struct dp_conn *c);
	/*
	 * Optional (NULL: none): append the backend's own Prometheus families
	 * (# HELP, # TYPE and samples, all of its workers) to out, at most cap
	 * bytes. Returns the bytes written: only whole lines, fewer when cap
	 * runs out. Runs on any worker's thread while the workers run.
	 */
	size_t (*metrics)(char *out, size_t cap);
};

/* The part of every connection that is the same on all backends. */
struct dp_conn {
	struct dp_worker *w;
	const struct dp_handler *h;
	void *udata;
	struct dp_addr peer;
};

struct dp_worker {
	unsigned id;
	int cpu; /* pinned to this CPU, or -1 */
	pthread_t thread;
	uint64_t now_ms; /* monotonic ms, refreshed each loop turn */
	struct dp_timer_wheel wheel;
	struct ring_bell bell;
	_Atomic bool stop_requested;
	bool stopping;
	uint64_t stop_deadline_ms;
	int exit_status;
	struct dp_limits limits;
	struct dp_stats stats;
	const struct dp_backend_ops *ops;
	void *be; /* backend state */
	struct dp_app_hooks hooks;
	void *app; /* the application's per-worker state */
	/* Open connections per source address (open addressing). */
	struct dp_addr_slot *addr_tab;
	uint32_t addr_mask;
};

/*
 * dp_worker_init - prepare worker id on backend ops (not started yet).
 * Returns 0 or a negative errno (the backend's init error).
 */
int dp_worker_init(struct dp_worker *w, unsigned id, int cpu,
		   const struct dp_backend_ops *ops, const struct dp_limits *lim,
		   const struct dp_app_hooks *hooks);

/* dp_worker_listen - open a listener on this worker (before start). */
int dp_worker_listen(struct dp_worker *w, const struct dp_addr *a,
		     const struct dp_handler *h, void *arg);

/* dp_worker_start - spawn the worker's thread. Returns 0 or -errno. */
int dp_worker_start(struct dp_worker *w);

/*
 * dp_worker_request_stop - from any thread: stop accepting, let in-flight
 * work finish (at most limits.drain_timeout_ms), then leave the loop.
 */
void dp_worker_request_stop(struct dp_worker *w);

/* dp_worker_join - wait for the thread; returns its exit status. */
int dp_worker_join(struct dp_worker *w);

void dp_worker_fini(struct dp_worker *w);

/*
 * dp_worker_run - the loop itself, on the calling thread (tests and
 * single-threaded tools use it directly). Returns 0 after a stop.
 */
int dp_worker_run(struct dp_worker *w);

/* Arm a timer on the worker's wheel, delay_ms from now. */
static inline void dp_worker_timer_in(struct dp_worker *w, struct dp_timer *t, uint64_t delay_ms)
{
	dp_timer_arm(&w->wheel, t, w->now_ms + delay_ms);
}

/*
 * For backends: account a new connection from addr. Returns 0, or -EMFILE
 * (max_conns reached) / -EUSERS (too many from that address); counters
 * are updated either way.
 */
int dp__conn_admit(struct dp_worker *w, const struct dp_addr *addr);
/* For backends: the connection admitted for addr is gone. */
void dp__conn_release(struct dp_worker *w, const struct dp_addr *addr);

/* Number of CPUs this process may run on. */
unsigned dp_online_cpus(void);

#endif
