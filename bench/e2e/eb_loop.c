/* The load: senders, receivers and the epoll loop; see eb_run.h. */
#include "bench/e2e/eb_run.h"

#include <errno.h>
#include <math.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <time.h>

#include "bench/e2e/eb_http.h"

#define EB_SND_MAX_BUF (1024 * 1024)
#define EB_RCV_MAX_BUF (1024 * 1024)
#define EB_SETUP_MS    10000

const char *const eb_err_name[EB_ERR_COUNT] = {
	"sender_conn_lost", "submit_unanswered", "http_unreadable", "receiver_conn_lost",
	"sip_unreadable", "bad_body", "unknown_seq", "other_run", "other_request",
};

volatile sig_atomic_t eb_interrupted;

int64_t eb_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

double eb_cpu_seconds(void)
{
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

uint64_t eb_run_errors(const struct eb_run *run)
{
	uint64_t n = 0;
	for (unsigned i = 0; i < run->n_kinds; i++)
		n += run->kinds[i].n;
	for (unsigned i = 0; i < EB_ERR_COUNT; i++)
		n += run->err[i];
	return n;
}

static int watch(struct eb_run *run, int fd, uint64_t id)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLET | EPOLLRDHUP,
				  .data.u64 = id };
	return epoll_ctl(run->ep, EPOLL_CTL_ADD, fd, &ev) == 0 ? 0 : -errno;
}

/* ---- senders ------------------------------------------------------------------------ */

/* --new-conn: opens @s's connection for its next submit (the handshake goes on in the
 * loop). Returns 0 or a negative errno (s->c.err says why). */
static int snd_connect(struct eb_run *run, struct eb_snd *s)
{
	int rc = eb_conn_start(&s->c, run->ctx, (const struct sockaddr *)&run->https_addr,
			       run->https_addrlen, run->o.servername);
	if (rc < 0)
		return rc;
	rc = watch(run, s->c.fd, (uint64_t)(s - run->snd));
	if (rc == 0)
		rc = eb_conn_handshake(&s->c);
	if (rc < 0) {
		if (s->c.err[0] == '\0')
			snprintf(s->c.err, sizeof(s->c.err), "epoll: %s", strerror(-rc));
		char err[sizeof(s->c.err)];
		memcpy(err, s->c.err, sizeof(err));
		eb_conn_close(&s->c);
		memcpy(s->c.err, err, sizeof(err));
		return rc;
	}
	s->idle = false;
	run->conns_opened++;
	return 0;
}

/* Queues one submit on @s, sent (or due) at @t_ns since the start. */
static int snd_submit(struct eb_run *run, struct eb_snd *s, int64_t t_ns)
{
	char text[64], req[1024];
	uint64_t seq;
	int rc = eb_track_new(&run->track, &seq);
	if (rc < 0)
		return rc;
	const char *to = run->users.v[run->next_rcv++ % run->o.receivers].name;
	snprintf(text, sizeof(text), "b %" PRIu64 " %" PRId64 " %s", seq, t_ns, run->tag);
	int n = eb_http_post(req, sizeof(req), run->o.https_hostport, s->token, to, text,
			     run->o.new_conn);
	if (n < 0)
		return n;
	if (s->idle) {
		rc = snd_connect(run, s);
		if (rc < 0) {
			run->err[EB_ERR_SND_CONN]++;
			if (run->err[EB_ERR_SND_CONN] <= 10)
				fprintf(stderr, "columba-bench: sender connection failed: %s\n",
					s->c.err);
			return rc;
		}
	}
	rc = eb_conn_queue(&s->c, req, (size_t)n);
	if (rc < 0)
		return rc;
	unsigned slot = (s->head + s->n) % run->o.window;
	s->fifo_seq[slot] = seq;
	s->fifo_t[slot] = t_ns;
	s->n++;
	run->inflight++;
	run->submitted++;
	return 0;
}

/* A sender connection failed: its submits in flight are counted unanswered. With
 * --new-conn the sender goes on with a new connection for its next submit (the first
 * failures are said on stderr); otherwise it is dead. */
static void snd_kill(struct eb_run *run, struct eb_snd *s)
{
	if (s->dead || (s->idle && s->c.fd < 0 && s->n == 0))
		return;
	run->err[EB_ERR_SND_CONN]++;
	if (!run->o.new_conn || run->err[EB_ERR_SND_CONN] <= 10)
		fprintf(stderr, "columba-bench: sender connection lost: %s\n", s->c.err);
	run->err[EB_ERR_UNANSWERED] += s->n;
	run->inflight -= s->n;
	s->n = 0;
	s->head = 0;
	if (s->c.fd >= 0)
		epoll_ctl(run->ep, EPOLL_CTL_DEL, s->c.fd, NULL);
	eb_conn_close(&s->c);
	if (run->o.new_conn)
		s->idle = true;
	else
		s->dead = true;
}

/* --new-conn: the answer came; close and wait for the next submit. */
static void snd_done(struct eb_run *run, struct eb_snd *s)
{
	epoll_ctl(run->ep, EPOLL_CTL_DEL, s->c.fd, NULL);
	eb_conn_close(&s->c);
	s->head = 0;
	s->idle = true;
}

/* Counts an answer other than 202 under its status and error code. */
static void count_kind(struct eb_run *run, const struct eb_http_resp *resp)
{
	char code[40], name[64];
	if (eb_http_error_code(resp, code, sizeof(code)) > 0)
		snprintf(name, sizeof(name), "http_%d_%s", resp->status, code);
	else
		snprintf(name, sizeof(name), "http_%d", resp->status);
	for (unsigned i = 0; i < run->n_kinds; i++)
		if (strcmp(run->kinds[i].name, name) == 0) {
			run->kinds[i].n++;
			return;
		}
	unsigned i = run->n_kinds < EB_MAX_KINDS ? run->n_kinds++ : EB_MAX_KINDS - 1;
	if (i == EB_MAX_KINDS - 1)
		snprintf(name, sizeof(name), "http_other");
	if (run->kinds[i].n == 0)
		memcpy(run->kinds[i].name, name, sizeof(name));
	run->kinds[i].n++;
}

/* Reads the answers waiting on @s. */
static void snd_input(struct eb_run *run, struct eb_snd *s)
{
	size_t off = 0;
	for (;;) {
		struct eb_http_resp resp;
		int n = eb_http_parse(s->c.rbuf + off, s->c.rlen - off, &resp);
		if (n == -EAGAIN)
			break;
		if (n < 0 || s->n == 0) {
			run->err[EB_ERR_HTTP_PARSE]++;
			snprintf(s->c.err, sizeof(s->c.err), "%s", n < 0 ? "unreadable HTTP response" :
				 "a response to no request");
			snd_kill(run, s);
			return;
		}
		off += (size_t)n;
		uint64_t seq = s->fifo_seq[s->head];
		int64_t t = s->fifo_t[s->head];
		s->head = (s->head + 1) % run->o.window;
		s->n--;
		run->inflight--;
		if (resp.status == 202) {
			uint64_t lat = (uint64_t)(run->now - run->t0 - t);
			eb_track_accepted(&run->track, seq);
			eb_series_submit(&run->series, lat);
			/* by the answer's time: past saturation the open loop's backlog makes
			 * every message sent after the warm-up one intended before it */
			if (run->now - run->t0 >= run->warmup_ns) {
				eb_hist_record(&run->submit_lat, lat);
				run->accepted_measured++;
			}
			run->t_last_202 = run->now;
		} else {
			count_kind(run, &resp);
		}
		if (run->o.new_conn && s->n == 0) {
			snd_done(run, s);
			return;
		}
		if (resp.close) {
			snprintf(s->c.err, sizeof(s->c.err), "Connection: close after %d", resp.status);
			snd_kill(run, s);
			return;
		}
	}
	eb_conn_consume(&s->c, off);
}

/* ---- receivers ---------------------------------------------------------------------- */

static void on_sip_request(void *arg, enum eb_sip_in kind, const char *body, size_t n)
{
	struct eb_run *run = arg;
	if (kind == EB_SIP_IN_IMDN) {
		run->imdn++;
		return;
	}
	if (kind == EB_SIP_IN_OTHER) {
		run->err[EB_ERR_OTHER_REQ]++;
		return;
	}
	/* "b <seq> <ns> <run tag>" */
	char tmp[80];
	if (n < 5 || n >= sizeof(tmp) || body[0] != 'b' || body[1] != ' ') {
		run->err[EB_ERR_BAD_BODY]++;
		return;
	}
	memcpy(tmp, body, n);
	tmp[n] = '\0';
	char *end;
	errno = 0;
	uint64_t seq = strtoull(tmp + 2, &end, 10);
	long long t = (*end == ' ') ? strtoll(end + 1, &end, 10) : -1;
	if (errno != 0 || *end != ' ' || t < 0) {
		run->err[EB_ERR_BAD_BODY]++;
		return;
	}
	if (strcmp(end + 1, run->tag) != 0) {
		run->err[EB_ERR_OTHER_RUN]++; /* left in the store by an earlier run */
		return;
	}
	int rc = eb_track_received(&run->track, seq);
	if (rc < 0) {
		run->err[EB_ERR_UNKNOWN_SEQ]++;
		return;
	}
	run->received++;
	run->t_last_recv = run->now;
	bool measured = run->now - run->t0 >= run->warmup_ns;
	if (measured)
		run->received_measured++;
	if (rc == 1) {
		uint64_t lat = (uint64_t)(run->now - run->t0 - t);
		eb_series_receipt(&run->series, lat);
		if (measured)
			eb_hist_record(&run->e2e_lat, lat);
	}
}

static void rcv_kill(struct eb_run *run, struct eb_rcv *r)
{
	if (r->c.eof && r->c.fd < 0)
		return;
	fprintf(stderr, "columba-bench: receiver %s lost: %s\n", r->user, r->c.err);
	run->err[EB_ERR_RCV_CONN]++;
	epoll_ctl(run->ep, EPOLL_CTL_DEL, r->c.fd, NULL);
	eb_conn_close(&r->c);
}

/* ---- set-up ------------------------------------------------------------------------- */

int eb_run_setup(struct eb_run *run, WOLFSSL_CTX *ctx)
{
	const struct eb_opts *o = &run->o;
	run->ctx = ctx;
	if (o->new_conn) {
		char err[96];
		int rc = eb_resolve(o->https_host, o->https_port, &run->https_addr,
				    &run->https_addrlen, err, sizeof(err));
		if (rc < 0) {
			fprintf(stderr, "columba-bench: %s\n", err);
			return rc;
		}
	}
	for (unsigned i = 0; i < o->receivers; i++) {
		struct eb_rcv *r = &run->rcv[i];
		r->user = run->users.v[i].name;
		r->password = run->users.v[i].password;
		r->domain = o->domain;
		int rc = eb_conn_open(&r->c, ctx, o->sip_host, o->sip_port, o->servername,
				      EB_SETUP_MS);
		if (rc == 0)
			rc = eb_rcv_register(r, 3600, EB_SETUP_MS);
		if (rc == 0)
			rc = watch(run, r->c.fd, o->senders + i);
		if (rc < 0) {
			fprintf(stderr, "columba-bench: receiver %s: %s (%s)\n", r->user,
				r->c.err, strerror(-rc));
			return rc;
		}
	}
	for (unsigned i = 0; i < o->senders; i++) {
		struct eb_snd *s = &run->snd[i];
		s->token = run->users.v[o->receivers + i].token;
		s->fifo_seq = calloc(o->window, sizeof(*s->fifo_seq));
		s->fifo_t = calloc(o->window, sizeof(*s->fifo_t));
		if (s->fifo_seq == NULL || s->fifo_t == NULL)
			return -ENOMEM;
		if (o->new_conn) {
			s->idle = true;
			continue;
		}
		run->conns_opened++;
		int rc = eb_conn_open(&s->c, ctx, o->https_host, o->https_port, o->servername,
				      EB_SETUP_MS);
		if (rc == 0)
			rc = watch(run, s->c.fd, i);
		if (rc < 0) {
			fprintf(stderr, "columba-bench: sender %u: %s (%s)\n", i, s->c.err,
				strerror(-rc));
			return rc;
		}
	}
	return 0;
}

/* ---- the loop ----------------------------------------------------------------------- */

static void handle_event(struct eb_run *run, uint64_t id)
{
	long got;
	if (id < run->o.senders) {
		struct eb_snd *s = &run->snd[id];
		if (s->dead || s->c.fd < 0)
			return; /* or an event of a --new-conn connection since closed */
		if (s->c.handshaking) {
			int h = eb_conn_handshake(&s->c);
			if (h < 0)
				snd_kill(run, s);
			if (h <= 0)
				return;
		}
		do { /* a full buffer is read again once its answers are taken out */
			got = eb_conn_fill(&s->c, EB_SND_MAX_BUF);
			if (s->c.rlen > 0)
				snd_input(run, s);
			if (s->dead || s->c.fd < 0)
				return;
		} while (got > 0 && s->c.full);
		if (got < 0 || eb_conn_flush(&s->c) < 0)
			snd_kill(run, s);
		return;
	}
	struct eb_rcv *r = &run->rcv[id - run->o.senders];
	if (r->c.fd < 0)
		return;
	do {
		got = eb_conn_fill(&r->c, EB_RCV_MAX_BUF);
		if (r->c.rlen > 0 && eb_rcv_process(r, on_sip_request, run) < 0) {
			run->err[EB_ERR_SIP_PARSE]++;
			rcv_kill(run, r);
			return;
		}
	} while (got > 0 && r->c.full);
	/* answer what came, even if the flow is now closing */
	int frc = eb_conn_pending(&r->c) && !r->c.eof ? eb_conn_flush(&r->c) : 0;
	if (got < 0 || frc < 0)
		rcv_kill(run, r);
}

/* Closed loop: every live sender's window full. */
static void fill_closed(struct eb_run *run)
{
	for (unsigned i = 0; i < run->o.senders; i++) {
		struct eb_snd *s = &run->snd[i];
		if (s->dead || s->n == run->o.window)
			continue;
		while (s->n < run->o.window)
			if (snd_submit(run, s, run->now - run->t0) < 0) {
				snd_kill(run, s);
				break;
			}
		if (!s->dead && eb_conn_flush(&s->c) < 0)
			snd_kill(run, s);
	}
}

/* The gap before the next open-loop send: 1/rate, or with --poisson an
 * exponential draw of mean 1/rate (inverse transform of a uniform in (0,1]). */
static int64_t next_gap(struct eb_run *run)
{
	double mean = 1e9 / run->o.rate, u;
	int64_t g;

	if (!run->o.poisson)
		return mean < 1 ? 1 : (int64_t)mean;
	run->rng ^= run->rng >> 12;
	run->rng ^= run->rng << 25;
	run->rng ^= run->rng >> 27;
	u = (double)((run->rng * 0x2545F4914F6CDD1Dull) >> 11) / 9007199254740992.0; /* [0,1) */
	g = (int64_t)(-log(1.0 - u) * mean);
	return g < 1 ? 1 : g;
}

/* Open loop: every submit due by now, on senders with room (round-robin). */
static void fill_open(struct eb_run *run)
{
	run->windows_full = false;
	if (run->rng == 0)
		run->rng = 0x9E3779B97F4A7C15ull ^ (uint64_t)run->t0;
	while (run->next_intended <= run->now - run->t0) {
		struct eb_snd *s = NULL;
		for (unsigned k = 0; k < run->o.senders; k++) {
			struct eb_snd *c = &run->snd[(run->snd_cursor + k) % run->o.senders];
			if (!c->dead && c->n < run->o.window) {
				s = c;
				run->snd_cursor = (run->snd_cursor + k + 1) % run->o.senders;
				break;
			}
		}
		if (s == NULL) {
			run->windows_full = true; /* the backlog shows in the latency */
			break;
		}
		if (snd_submit(run, s, run->next_intended) < 0) {
			snd_kill(run, s);
			if (run->o.new_conn)
				run->next_intended += next_gap(run); /* counted as a connection error */
			continue;
		}
		run->next_intended += next_gap(run);
	}
	for (unsigned i = 0; i < run->o.senders; i++) {
		struct eb_snd *s = &run->snd[i];
		if (!s->dead && eb_conn_pending(&s->c) && eb_conn_flush(&s->c) < 0)
			snd_kill(run, s);
	}
}

static bool senders_alive(const struct eb_run *run)
{
	for (unsigned i = 0; i < run->o.senders; i++)
		if (!run->snd[i].dead)
			return true;
	return false;
}

static bool receivers_alive(const struct eb_run *run)
{
	for (unsigned i = 0; i < run->o.receivers; i++)
		if (run->rcv[i].c.fd >= 0)
			return true;
	return false;
}

/* epoll_wait with a nanosecond timeout (the open loop's next send is often less than a
 * millisecond away); milliseconds, rounded up, where epoll_pwait2 is missing. */
static int wait_events(int ep, struct epoll_event *evs, int max, int64_t wait_ns)
{
	static bool no_pwait2;
	if (!no_pwait2) {
		struct timespec ts = { .tv_sec = wait_ns / 1000000000, .tv_nsec = wait_ns % 1000000000 };
		int n = epoll_pwait2(ep, evs, max, &ts, NULL);
		if (n >= 0 || errno != ENOSYS)
			return n;
		no_pwait2 = true;
	}
	return epoll_wait(ep, evs, max, (int)((wait_ns + 999999) / 1000000));
}

bool eb_run_loop(struct eb_run *run)
{
	const int64_t end_send = (int64_t)((run->o.warmup_s + run->o.seconds) * 1e9);
	const int64_t drain = (int64_t)(run->o.drain_s * 1e9);
	int64_t stopped_at = -1;
	struct epoll_event evs[256];

	run->warmup_ns = (int64_t)(run->o.warmup_s * 1e9);
	run->t0 = eb_mono_ns();
	run->now = run->t0;
	run->cpu0 = eb_cpu_seconds();
	for (;;) {
		int64_t el = run->now - run->t0;
		if (stopped_at < 0 && (el >= end_send || eb_interrupted || !senders_alive(run)))
			stopped_at = el;
		if (stopped_at < 0) {
			if (run->o.rate > 0)
				fill_open(run);
			else
				fill_closed(run);
		} else {
			bool all_in = run->inflight == 0 && run->track.done == run->track.accepted;
			if (all_in)
				return !eb_interrupted;
			if (el - stopped_at > drain || eb_interrupted > 1 ||
			    (run->inflight == 0 && !receivers_alive(run)))
				return false;
		}
		int64_t wait = 100000000; /* 100 ms: re-check the clock and the drain */
		if (stopped_at < 0 && run->o.rate > 0 && !run->windows_full) {
			wait = run->next_intended - (run->now - run->t0);
			if (wait < 0)
				wait = 0;
		}
		int n = wait_events(run->ep, evs, (int)(sizeof(evs) / sizeof(evs[0])), wait);
		run->now = eb_mono_ns();
		eb_series_tick(&run->series, run->now - run->t0, eb_run_errors(run));
		for (int i = 0; i < n; i++)
			handle_event(run, evs[i].data.u64);
	}
}

