/* `columba listen [--exec CMD]`: register, receive, keep the flow alive,
 * flush the outbox on every trigger, and apply the expiries. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "client/cli/cli.h"

struct listen_ctx {
	struct cl_client *c;
	const char *exec;
};

/* Run CMD with the event in its environment; the text never goes there
 * nor on a command line (other users can read both in /proc). */
static void run_exec(const char *cmd, const char *event, const char *peer_var, const char *peer,
		     const char *id)
{
	pid_t pid = fork();

	if (pid != 0)
		return; /* SIGCHLD is ignored: no zombies; a failed fork is skipped */
	setenv("COLUMBA_EVENT", event, 1);
	setenv(peer_var, peer, 1);
	setenv("COLUMBA_ID", id, 1);
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	_exit(127);
}

static void on_event(enum cl_event ev, struct cl_msg *m, void *arg)
{
	struct listen_ctx *l = arg;
	char when[32], key[CL_KEY_HEX + 1];

	cl_key_hex(m->key, key);
	switch (ev) {
	case CL_EV_RECEIVED:
		cli_time(m->created_ms, when, sizeof(when));
		printf("%s  %s: %s\n", when, m->peer, m->text);
		fflush(stdout);
		cl_client_mark_read(l->c, m); /* displayed: the read clock starts */
		if (l->exec)
			run_exec(l->exec, "message", "COLUMBA_FROM", m->peer, m->server_id);
		break;
	case CL_EV_STATUS:
		printf("%s: message %s to %s%s%s\n", cl_status_name(m->status),
		       m->server_id[0] ? m->server_id : key, m->peer, m->error[0] ? " " : "",
		       m->error);
		break;
	case CL_EV_SEND_ERROR:
		printf("Send error: message %s to %s was not sent in time and left the outbox\n",
		       key, m->peer);
		fflush(stdout);
		if (l->exec)
			run_exec(l->exec, "send_error", "COLUMBA_TO", m->peer, key);
		break;
	}
}

static void sleep_ms(uint64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static uint64_t min3(uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t m = a < b ? a : b;

	return m < c ? m : c;
}

/* One registered flow, until it breaks: returns the error. */
static int serve_flow(struct cl_client *c, uint64_t sweep_iv)
{
	uint64_t now = clock_mono_ms(), next_ka = now + c->t.keepalive_ms, next_sweep = now;
	uint64_t rereg_at = now + (c->sip.registered_until_ms - now) * 4 / 5;

	for (;;) {
		int rc = cl_sip_poll(&c->sip, min3(next_ka, rereg_at, next_sweep));

		if (rc < 0)
			return rc;
		now = clock_mono_ms();
		if (now >= next_ka) {
			rc = cl_sip_keepalive(&c->sip);
			if (rc < 0)
				return rc;
			log_info("client", "keepalive_tick pongs=%lu", c->sip.pongs);
			cl_client_flush(c, 1); /* trigger: keepalive */
			now = clock_mono_ms();
			next_ka = now + c->t.keepalive_ms;
		}
		if (now >= rereg_at) {
			rc = cl_sip_reregister(&c->sip, now + c->t.send_timeout_ms);
			if (rc < 0)
				return rc;
			now = clock_mono_ms();
			rereg_at = now + (c->sip.registered_until_ms - now) * 4 / 5;
		}
		if (now >= next_sweep) {
			cl_client_sweep(c, clock_wall_ms());
			next_sweep = clock_mono_ms() + sweep_iv;
		}
	}
}

int cmd_listen(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "exec", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	struct listen_ctx l = { NULL, NULL };
	struct cl_client *c = calloc(1, sizeof(*c));
	uint64_t sweep_iv, backoff;
	bool announced = false;
	int o, rc;

	if (!c)
		return CLI_USAGE;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o != 'e') {
			fprintf(stderr, "usage: columba listen [--exec CMD]\n");
			free(c);
			return CLI_USAGE;
		}
		l.exec = optarg;
	}
	l.c = c;
	if ((rc = cli_open(c, on_event, &l))) {
		free(c);
		return rc;
	}
	signal(SIGCHLD, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	sweep_iv = (c->t.read_expiry_ms < c->t.outbox_expiry_ms ? c->t.read_expiry_ms
								 : c->t.outbox_expiry_ms) / 4;
	sweep_iv = sweep_iv < 50 ? 50 : sweep_iv > 1000 ? 1000 : sweep_iv;
	backoff = c->t.keepalive_ms < 5000 ? c->t.keepalive_ms : 5000;
	for (;;) {
		cl_client_sweep(c, clock_wall_ms());
		rc = cl_client_sip_start(c, clock_mono_ms() + c->t.send_timeout_ms);
		if (rc == -EACCES || rc == -EREMCHG || rc == -EKEYREJECTED) {
			rc = cli_fail("cannot register", rc);
			break;
		}
		if (rc < 0) {
			log_warn("client", "register_failed err=%d", rc);
			if (!announced)
				cli_fail("cannot register (retrying)", rc);
			sleep_ms(backoff);
			continue;
		}
		if (!announced)
			printf("Listening as %s@%s\n", c->cfg.user, c->cfg.domain);
		announced = true;
		fflush(stdout);
		cl_client_flush(c, 1); /* trigger: SIP (re)connect */
		rc = serve_flow(c, sweep_iv);
		log_warn("client", "flow_lost err=%d", rc);
		sleep_ms(backoff < 500 ? backoff : 500);
	}
	cl_client_close(c);
	free(c);
	return rc;
}
