/*
 * columba-bench's run: the options, the sender connections, the counters, and the three
 * stages main() strings together: eb_run_setup, eb_run_loop, eb_report.
 */
#ifndef COLUMBA_BENCH_E2E_EB_RUN_H
#define COLUMBA_BENCH_E2E_EB_RUN_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "bench/e2e/eb_conn.h"
#include "bench/e2e/eb_hist.h"
#include "bench/e2e/eb_series.h"
#include "bench/e2e/eb_sip.h"
#include "bench/e2e/eb_track.h"
#include "bench/e2e/eb_user.h"

#define EB_MAX_CONNS   100000
#define EB_MAX_KINDS   32

/* One kind of answer other than 202: "http_<status>[_<error code>]". */
struct eb_kind {
	char name[64];
	uint64_t n;
};

/* The command line. */
struct eb_opts {
	char https_host[256], https_port[16], https_hostport[280];
	char sip_host[256], sip_port[16];
	const char *cafile, *domain, *users_file, *servername;
	const char *csv;      /* --csv: the time series file, or NULL */
	unsigned senders, receivers, window;
	double seconds, drain_s;
	double warmup_s;      /* sending before the measured @seconds, not counted */
	double rate; /* total submits/s; 0 = closed loop */
	bool poisson;         /* open loop: exponential gaps (Poisson arrivals), not fixed */
	bool new_conn;        /* a new TCP + TLS connection per submit (window 1) */
	bool check;
};

/* One sender connection: a FIFO of the requests in flight (answers come in order). With
 * --new-conn, the connection is opened for one submit and closed after its answer. */
struct eb_snd {
	struct eb_conn c;
	const char *token;
	uint64_t *fifo_seq;
	int64_t *fifo_t;      /* send (or intended send) time, ns since start */
	unsigned head, n;
	bool dead;
	bool idle;            /* --new-conn: no connection open (c.fd < 0), ready for a submit */
};

enum eb_err {
	EB_ERR_SND_CONN,     /* a sender connection failed or was closed */
	EB_ERR_UNANSWERED,   /* submits in flight on a sender connection that died */
	EB_ERR_HTTP_PARSE,   /* an unreadable HTTP response */
	EB_ERR_RCV_CONN,     /* a receiver flow failed or was closed */
	EB_ERR_SIP_PARSE,    /* an unreadable SIP message */
	EB_ERR_BAD_BODY,     /* a MESSAGE text that is not "b <seq> <ns> <tag>" */
	EB_ERR_UNKNOWN_SEQ,  /* a MESSAGE for a seq never sent */
	EB_ERR_OTHER_RUN,    /* a MESSAGE of another run (another tag) */
	EB_ERR_OTHER_REQ,    /* a request other than MESSAGE (answered 200) */
	EB_ERR_COUNT
};
/* The name of each enum eb_err in the report. */
extern const char *const eb_err_name[EB_ERR_COUNT];

/* Everything one run holds and counts. */
struct eb_run {
	struct eb_opts o;
	struct eb_users users;
	struct eb_snd *snd;
	struct eb_rcv *rcv;
	int ep;
	WOLFSSL_CTX *ctx;
	struct sockaddr_storage https_addr; /* resolved once, for --new-conn */
	socklen_t https_addrlen;
	int64_t t0;           /* CLOCK_MONOTONIC ns at the start of sending */
	int64_t warmup_ns;    /* the warm-up's end, ns since t0 */
	char tag[9];          /* this run's random tag, 8 hex digits, in every text */
	int64_t t_last_202, t_last_recv, now;
	double cpu0;          /* this process's CPU seconds at the start of sending */
	uint64_t next_rcv;    /* round-robin cursor */
	unsigned snd_cursor;
	int64_t next_intended; /* open loop: the next send time, ns since t0 */
	uint64_t rng;          /* --poisson: xorshift64* state */
	bool windows_full;    /* open loop: a send is due but no sender has room */
	uint64_t inflight, submitted, received, imdn;
	uint64_t accepted_measured, received_measured; /* 202s and receipts after the warm-up */
	uint64_t conns_opened;                         /* sender connections opened */
	struct eb_kind kinds[EB_MAX_KINDS]; /* answers other than 202, by status and error */
	unsigned n_kinds;
	uint64_t err[EB_ERR_COUNT];
	struct eb_track track;
	struct eb_hist submit_lat, e2e_lat;  /* of the 202s and receipts after the warm-up */
	struct eb_series series;            /* --csv */
};

/* Set by SIGINT/SIGTERM: the first stops sending, the second ends the drain. */
extern volatile sig_atomic_t eb_interrupted;

/* CLOCK_MONOTONIC in nanoseconds. */
int64_t eb_mono_ns(void);

/* This process's CPU seconds (user + system) so far; 0 if getrusage fails. */
double eb_cpu_seconds(void);

/* The errors counted so far: answers other than 202 and every enum eb_err. */
uint64_t eb_run_errors(const struct eb_run *run);

/* Opens and REGISTERs the receivers (users 0..R-1 of the file), then opens the senders
 * (users R..R+S-1; with --new-conn only resolves the address: each submit opens its own
 * connection) and adds every connection to run->ep; keeps @ctx in run->ctx. Returns 0, or a negative errno
 * (the failing connection and why on stderr). */
int eb_run_setup(struct eb_run *run, WOLFSSL_CTX *ctx);

/* Sends for run->o.warmup_s + run->o.seconds (closed or open loop), then waits up to run->o.drain_s for the
 * answers and MESSAGEs still due. Returns true when everything due arrived in time (not
 * interrupted), false otherwise. */
bool eb_run_loop(struct eb_run *run);

/* Prints the human summary and then the JSON line on stdout. */
void eb_report(const struct eb_run *run, bool completed, const struct eb_track_result *tr);

#endif
