/*
 * columba-bench: end-to-end SIP delivery benchmark for columbad.
 *
 * S sender connections (HTTPS keep-alive) pipeline up to W POST /v1/messages each, with
 * Bearer tokens of sender users, to R receivers round-robin; the R receivers hold one TLS
 * SIP flow each, REGISTERed with digest SHA-256, and answer every MESSAGE 200. The text is
 * "b <seq> <send time ns> <run tag>" so the receiver measures end-to-end latency from the
 * body, messages an earlier run left in the store are told apart by the random tag, and the
 * tracker checks every 202'd seq arrives exactly once. One thread, epoll, non-blocking
 * sockets. This file: the options and main(); eb_loop.c: the load; eb_report.c: the
 * figures. See usage() and bench/e2e/run.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <unistd.h>

#include "bench/e2e/eb_run.h"

static void on_signal(int sig)
{
	(void)sig;
	eb_interrupted = eb_interrupted + 1; /* a second signal ends the drain too */
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: columba-bench --https HOST:PORT --sip HOST:PORT --cafile PEM --domain D\n"
		"                     --users-file F [-S senders] [-R receivers] [-d seconds]\n"
		"                     [--warmup S] [-w window] [--rate N [--poisson]] [--new-conn]\n"
		"                     [--drain S]\n"
		"                     [--csv FILE] [--servername NAME] [--check]\n"
		"\n"
		"End-to-end benchmark of columbad: S HTTPS keep-alive connections submit\n"
		"POST /v1/messages (pipelined) to R SIP receivers registered over TLS, which answer\n"
		"every MESSAGE 200 OK. Each text is \"b <seq> <send time ns> <run tag>\". Prints a\n"
		"human summary, then one JSON line on stdout.\n"
		"\n"
		"  --https HOST:PORT   columbad's HTTPS API listener ([v6]:port for IPv6)\n"
		"  --sip HOST:PORT     columbad's SIP over TLS listener\n"
		"  --cafile PEM        CA (or self-signed) certificate the servers are verified with\n"
		"  --servername NAME   TLS server name sent (SNI) and checked (default localhost)\n"
		"  --domain D          the SIP domain ([server] domain; realm and request URIs)\n"
		"  --users-file F      lines \"name password token\": the first R are the receivers\n"
		"                      (their password registers them; token may be \"-\"), the next S\n"
		"                      the senders (their token submits; one sender user per connection)\n"
		"  -S, --senders N     sender connections (default 1)\n"
		"  -R, --receivers N   receiver flows, each its own user (default 1)\n"
		"  -d, --duration S    seconds of measured sending (default 10; fractions allowed)\n"
		"      --warmup S      seconds of sending before those, not counted: the 202s and\n"
		"                      receipts that come in the warm-up are left out of the rates\n"
		"                      and latencies (default 0); they are still checked exactly once\n"
		"  -w, --window N      submits in flight per sender connection, pipelined (default 16)\n"
		"      --rate N        open loop: N submits/s in all, at fixed intervals; latency is\n"
		"                      measured from the intended send time (default 0: closed loop,\n"
		"                      each connection keeps its window full)\n"
		"      --poisson       with --rate: Poisson arrivals (exponential gaps of mean\n"
		"                      1/N) instead of fixed intervals\n"
		"      --new-conn      a new TCP + TLS connection (full handshake, no resumption) per\n"
		"                      submit, \"Connection: close\", closed after the answer; the\n"
		"                      window is then 1 and the submit latency includes the connect\n"
		"                      and handshake; S is the most connections open at once\n"
		"      --csv FILE      write a time series to FILE: a header, then one line per second\n"
		"                      of the run (warm-up and drain included), t_s (the second's\n"
		"                      start), submits_per_s (202s), received_per_s, errors, and the\n"
		"                      p50/p99 in ms of the submit and e2e latencies of that second's\n"
		"                      202s and receipts, and len_s, the line's length in seconds (1,\n"
		"                      but less for the last line: its rates are per second of it)\n"
		"      --drain S       after sending stops, wait at most S seconds for the answers and\n"
		"                      MESSAGEs still due (default 10)\n"
		"      --check         exit 1 unless the run completed, counted messages (202s and\n"
		"                      receipts > 0), and found no duplicate and no loss\n"
		"  -h, --help          this text\n"
		"\n"
		"Measures: submits/s (202 answers), end-to-end messages/s received, submit latency\n"
		"(POST -> 202) and end-to-end latency (send -> MESSAGE at the receiver) p50/p90/p99/\n"
		"p99.9/max from log-linear histograms (1.6%% resolution; the JSON lists their non-empty\n"
		"buckets as [upper bound us, count] for CDF plots: bench/plot), errors by kind (HTTP\n"
		"status other than 202, lost connections, unreadable messages), duplicates (a seq\n"
		"received twice) and losses (a 202'd seq never received). Exit status: 0, 1 (--check\n"
		"failed), 2 (bad usage, set-up failure, or the CSV file could not be written).\n");
}

/* Splits "host:port" or "[v6]:port" into @host and @port. Returns 0 or -EINVAL. */
static int split_hostport(const char *s, char *host, size_t hcap, char *port, size_t pcap)
{
	const char *colon, *h = s;
	size_t hn;
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');
		if (rb == NULL || rb[1] != ':')
			return -EINVAL;
		h = s + 1;
		hn = (size_t)(rb - h);
		colon = rb + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL)
			return -EINVAL;
		hn = (size_t)(colon - s);
	}
	size_t pn = strlen(colon + 1);
	if (hn == 0 || hn >= hcap || pn == 0 || pn >= pcap)
		return -EINVAL;
	memcpy(host, h, hn);
	host[hn] = '\0';
	memcpy(port, colon + 1, pn + 1);
	return 0;
}

static int parse_uint(const char *s, unsigned lo, unsigned hi, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s || v < lo || v > hi)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

static int parse_double(const char *s, double lo, double hi, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || end == s || !(v >= lo && v <= hi))
		return -EINVAL;
	*out = v;
	return 0;
}

/* Fills @o from the command line. Returns 0, 1 after --help, or -EINVAL (said on stderr). */
static int parse_opts(int argc, char **argv, struct eb_opts *o)
{
	static const struct option longs[] = {
		{ "https", required_argument, NULL, 'H' },  { "sip", required_argument, NULL, 'P' },
		{ "cafile", required_argument, NULL, 'C' }, { "domain", required_argument, NULL, 'D' },
		{ "users-file", required_argument, NULL, 'U' },
		{ "servername", required_argument, NULL, 'N' },
		{ "senders", required_argument, NULL, 'S' },
		{ "receivers", required_argument, NULL, 'R' },
		{ "duration", required_argument, NULL, 'd' },
		{ "window", required_argument, NULL, 'w' }, { "rate", required_argument, NULL, 'r' },
		{ "drain", required_argument, NULL, 'T' },  { "check", no_argument, NULL, 'K' },
		{ "warmup", required_argument, NULL, 'W' }, { "csv", required_argument, NULL, 'V' },
		{ "new-conn", no_argument, NULL, 'n' },
		{ "poisson", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },         { NULL, 0, NULL, 0 },
	};
	const char *https = NULL, *sip = NULL;
	int c, bad = 0;

	memset(o, 0, sizeof(*o));
	o->senders = 1;
	o->receivers = 1;
	o->window = 16;
	o->seconds = 10;
	o->drain_s = 10;
	o->servername = "localhost";
	while ((c = getopt_long(argc, argv, "S:R:d:w:h", longs, NULL)) != -1) {
		switch (c) {
		case 'H': https = optarg; break;
		case 'P': sip = optarg; break;
		case 'C': o->cafile = optarg; break;
		case 'D': o->domain = optarg; break;
		case 'U': o->users_file = optarg; break;
		case 'N': o->servername = optarg; break;
		case 'S': bad |= parse_uint(optarg, 1, EB_MAX_CONNS, &o->senders); break;
		case 'R': bad |= parse_uint(optarg, 1, EB_MAX_CONNS, &o->receivers); break;
		case 'w': bad |= parse_uint(optarg, 1, 65536, &o->window); break;
		case 'd': bad |= parse_double(optarg, 0.1, 86400, &o->seconds); break;
		case 'r': bad |= parse_double(optarg, 0, 1e9, &o->rate); break;
		case 'T': bad |= parse_double(optarg, 0, 3600, &o->drain_s); break;
		case 'K': o->check = true; break;
		case 'W': bad |= parse_double(optarg, 0, 86400, &o->warmup_s); break;
		case 'V': o->csv = optarg; break;
		case 'n': o->new_conn = true; break;
		case 'p': o->poisson = true; break;
		case 'h': usage(stdout); return 1;
		default: bad = 1; break;
		}
	}
	if (bad || optind != argc || https == NULL || sip == NULL || o->cafile == NULL ||
	    o->domain == NULL || o->users_file == NULL ||
	    split_hostport(https, o->https_host, sizeof(o->https_host), o->https_port,
			   sizeof(o->https_port)) != 0 ||
	    split_hostport(sip, o->sip_host, sizeof(o->sip_host), o->sip_port,
			   sizeof(o->sip_port)) != 0) {
		fprintf(stderr, "columba-bench: bad or missing options (--help lists them)\n");
		return -EINVAL;
	}
	snprintf(o->https_hostport, sizeof(o->https_hostport), "%s", https);
	if (o->poisson && o->rate <= 0) {
		fprintf(stderr, "columba-bench: --poisson needs --rate\n");
		return -EINVAL;
	}
	if (o->new_conn)
		o->window = 1; /* one submit per connection */
	return 0;
}

static void release(struct eb_run *run)
{
	if (run->series.f != NULL)
		fclose(run->series.f); /* set-up failed after it was opened */
	if (run->snd != NULL)
		for (unsigned i = 0; i < run->o.senders; i++) {
			eb_conn_close(&run->snd[i].c);
			free(run->snd[i].fifo_seq);
			free(run->snd[i].fifo_t);
		}
	if (run->rcv != NULL)
		for (unsigned i = 0; i < run->o.receivers; i++)
			eb_conn_close(&run->rcv[i].c);
	free(run->snd);
	free(run->rcv);
	eb_track_fini(&run->track);
	eb_users_free(&run->users);
	if (run->ep >= 0)
		close(run->ep);
}

int main(int argc, char **argv)
{
	static struct eb_run run; /* big: two histograms */
	WOLFSSL_CTX *ctx = NULL;
	int status = 2;

	run.ep = -1;
	int rc = parse_opts(argc, argv, &run.o);
	if (rc != 0)
		return rc > 0 ? 0 : 2;
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	eb_hist_init(&run.submit_lat);
	eb_hist_init(&run.e2e_lat);
	eb_track_init(&run.track);

	rc = eb_users_load(run.o.users_file, &run.users);
	if (rc < 0) {
		fprintf(stderr, "columba-bench: cannot read the users file %s: %s\n",
			run.o.users_file, strerror(-rc));
		goto fail;
	}
	if (run.users.n < (size_t)run.o.receivers + run.o.senders) {
		fprintf(stderr, "columba-bench: %s has %zu users; -R %u -S %u need %u\n",
			run.o.users_file, run.users.n, run.o.receivers, run.o.senders,
			run.o.receivers + run.o.senders);
		goto fail;
	}
	for (unsigned i = 0; i < run.o.senders; i++)
		if (strcmp(run.users.v[run.o.receivers + i].token, "-") == 0) {
			fprintf(stderr, "columba-bench: sender user %s has no token\n",
				run.users.v[run.o.receivers + i].name);
			goto fail;
		}
	if (wolfSSL_Init() != WOLFSSL_SUCCESS)
		goto fail;
	{
		uint32_t r = 0;
		if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
			r = (uint32_t)eb_mono_ns() ^ (uint32_t)getpid();
		snprintf(run.tag, sizeof(run.tag), "%08x", r);
	}
	ctx = eb_tls_ctx(run.o.cafile);
	run.ep = epoll_create1(EPOLL_CLOEXEC);
	run.snd = calloc(run.o.senders, sizeof(*run.snd));
	run.rcv = calloc(run.o.receivers, sizeof(*run.rcv));
	if (ctx == NULL || run.ep < 0 || run.snd == NULL || run.rcv == NULL)
		goto fail;
	for (unsigned i = 0; i < run.o.senders; i++)
		run.snd[i].c.fd = -1;
	for (unsigned i = 0; i < run.o.receivers; i++)
		run.rcv[i].c.fd = -1;
	if (eb_run_setup(&run, ctx) < 0)
		goto fail;
	if (run.o.csv != NULL) {
		rc = eb_series_open(&run.series, run.o.csv);
		if (rc < 0) {
			fprintf(stderr, "columba-bench: cannot create %s: %s\n", run.o.csv,
				strerror(-rc));
			goto fail;
		}
	}

	bool completed = eb_run_loop(&run);
	rc = eb_series_close(&run.series, run.now - run.t0, eb_run_errors(&run));
	struct eb_track_result tr;
	eb_track_result(&run.track, &tr);
	eb_report(&run, completed, &tr);
	status = 0;
	if (rc < 0) {
		fprintf(stderr, "columba-bench: writing %s failed: %s\n", run.o.csv, strerror(-rc));
		status = 2;
	}
	if (run.o.check) {
		bool ok = completed && run.track.accepted > 0 && run.received > 0 && tr.dup == 0 &&
			  tr.lost == 0;
		if (!ok) {
			fprintf(stderr, "columba-bench: check failed (completed=%d accepted=%" PRIu64
				" received=%" PRIu64 " dup=%" PRIu64 " lost=%" PRIu64 ")\n",
				completed, run.track.accepted, run.received, tr.dup, tr.lost);
			status = status ? status : 1;
		}
	}
fail:
	release(&run);
	if (ctx != NULL)
		wolfSSL_CTX_free(ctx);
	wolfSSL_Cleanup();
	return status;
}
