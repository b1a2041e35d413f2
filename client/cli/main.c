/* `columba`: entry point, login, status and outbox. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "client/cli/cli.h"

static const char usage[] =
	"usage: columba login --server HOST:PORT --sip HOST:PORT --user USER\n"
	"                     (--cafile FILE | --pin SHA256HEX) [--domain DOMAIN]\n"
	"                     (the password is read from stdin, or prompted for)\n"
	"       columba send USER TEXT\n"
	"       columba listen [--exec CMD]\n"
	"       columba history [USER]\n"
	"       columba status ID\n"
	"       columba outbox\n";

int cli_exit_code(int err)
{
	switch (err) {
	case 0:
		return CLI_OK;
	case -EMSGSIZE:
	case -ENODATA:
	case -EILSEQ:
		return CLI_TEXT;
	case -EHOSTUNREACH:
	case -ETIMEDOUT:
	case -ECONNRESET:
	case -EPROTO:
	case -EAGAIN:
		return CLI_UNREACHABLE;
	case -EKEYREJECTED:
		return CLI_CERT;
	case -EACCES:
		return CLI_CREDENTIALS;
	case -EBADMSG:
		return CLI_REFUSED;
	default:
		return CLI_USAGE;
	}
}

int cli_fail(const char *what, int err)
{
	fprintf(stderr, "columba: %s: %s\n", what, cl_client_strerror(err));
	return cli_exit_code(err);
}

void cli_time(uint64_t ms, char *out, size_t cap)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(out, cap, "%Y-%m-%d %H:%M", &tm);
}

/* Outside `listen`, a Send error found by a command's sweep is still told. */
static void note_send_error(enum cl_event ev, struct cl_msg *m, void *arg)
{
	char key[CL_KEY_HEX + 1];

	(void)arg;
	if (ev != CL_EV_SEND_ERROR)
		return;
	cl_key_hex(m->key, key);
	fprintf(stderr, "columba: Send error: message %s to %s was not sent in time and left "
			"the outbox\n", key, m->peer);
}

int cli_open(struct cl_client *c, cl_event_fn on_event, void *arg)
{
	int rc = cl_client_open(c, on_event ? on_event : note_send_error, arg);

	if (rc == 0)
		return 0;
	if (rc == -ENOENT || rc == -EINVAL)
		fprintf(stderr, "columba: not logged in (run `columba login`)\n");
	else
		cli_fail("cannot open the local store", rc);
	cl_client_close(c);
	return CLI_USAGE;
}

/* The password: one line on stdin, prompted for without echo on a terminal. */
static int read_password(char *out, size_t cap)
{
	struct termios old, noecho;
	bool tty = isatty(STDIN_FILENO);
	size_t n;

	if (tty) {
		fprintf(stderr, "Password: ");
		tcgetattr(STDIN_FILENO, &old);
		noecho = old;
		noecho.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSANOW, &noecho);
	}
	if (!fgets(out, (int)cap, stdin))
		out[0] = '\0';
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSANOW, &old);
		fputc('\n', stderr);
	}
	n = strlen(out);
	while (n && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		out[--n] = '\0';
	return n ? 0 : -ENODATA;
}

static int cmd_login(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "server", required_argument, NULL, 's' }, { "sip", required_argument, NULL, 'S' },
		{ "user", required_argument, NULL, 'u' },   { "cafile", required_argument, NULL, 'c' },
		{ "pin", required_argument, NULL, 'p' },    { "domain", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	const char *server = NULL, *sip = NULL, *user = NULL, *cafile = NULL, *pin = NULL,
		   *domain = NULL;
	char password[256];
	uint8_t pinb[CL_PIN_LEN];
	int o, rc;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 's': server = optarg; break;
		case 'S': sip = optarg; break;
		case 'u': user = optarg; break;
		case 'c': cafile = optarg; break;
		case 'p': pin = optarg; break;
		case 'd': domain = optarg; break;
		default: fputs(usage, stderr); return CLI_USAGE;
		}
	}
	if (!server || !sip || !user || !!cafile == !!pin || optind != argc) {
		fputs(usage, stderr);
		return CLI_USAGE;
	}
	if (pin && cl_pin_parse(pin, pinb) < 0) {
		fprintf(stderr, "columba: --pin wants the SHA-256 of the server certificate (64 hex digits)\n");
		return CLI_USAGE;
	}
	if (cafile && access(cafile, R_OK) < 0) {
		fprintf(stderr, "columba: cannot read the CA file %s\n", cafile);
		return CLI_USAGE;
	}
	if (read_password(password, sizeof(password)) < 0) {
		fprintf(stderr, "columba: no password given\n");
		return CLI_USAGE;
	}
	rc = cl_client_login(server, sip, domain, user, password, cafile, pin);
	explicit_bzero(password, sizeof(password));
	if (rc == -EINVAL) {
		fprintf(stderr, "columba: bad --server, --sip or --user value\n");
		return CLI_USAGE;
	}
	if (rc < 0)
		return cli_fail("login failed", rc);
	printf("Logged in as %s (device token stored)\n", user);
	return CLI_OK;
}

static int cmd_status(int argc, char **argv)
{
	struct cl_client c;
	struct cl_msg m;
	int rc;

	if (argc != 2) {
		fputs(usage, stderr);
		return CLI_USAGE;
	}
	if ((rc = cli_open(&c, NULL, NULL)))
		return rc;
	cl_client_sweep(&c, clock_wall_ms());
	rc = cl_client_find(&c, argv[1], &m);
	if (rc < 0) {
		cl_client_close(&c);
		fprintf(stderr, "columba: no message %s here\n", argv[1]);
		return CLI_USAGE;
	}
	if (m.dir == CL_OUT && m.status == CL_ST_ENQUEUED) {
		rc = cl_client_refresh(&c, &m);
		if (rc < 0)
			cli_fail("status query failed (showing the local status)", rc);
	}
	if (m.dir == CL_OUT)
		printf("%s %s to %s%s%s\n", m.server_id[0] ? m.server_id : argv[1],
		       cl_status_name(m.status), m.peer, m.error[0] ? " " : "", m.error);
	else
		printf("%s Received from %s\n", m.server_id, m.peer);
	cl_client_close(&c);
	return CLI_OK;
}

static int print_outbox(struct cl_msg *m, void *arg)
{
	char key[CL_KEY_HEX + 1], when[32];

	(void)arg;
	cl_key_hex(m->key, key);
	cli_time(m->created_ms, when, sizeof(when));
	printf("%s  %s  to %s  tries=%u  Sending: %s\n", key, when, m->peer, m->tries, m->text);
	return 0;
}

static int cmd_outbox(int argc, char **argv)
{
	struct cl_client c;
	int rc;

	(void)argv;
	if (argc != 1) {
		fputs(usage, stderr);
		return CLI_USAGE;
	}
	if ((rc = cli_open(&c, NULL, NULL)))
		return rc;
	cl_client_sweep(&c, clock_wall_ms());
	rc = cl_store_list(&c.store, true, print_outbox, NULL);
	cl_client_close(&c);
	return rc < 0 ? cli_fail("cannot read the outbox", rc) : CLI_OK;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
		{ "login", cmd_login },     { "send", cmd_send },     { "listen", cmd_listen },
		{ "history", cmd_history }, { "status", cmd_status }, { "outbox", cmd_outbox },
	};
	const char *lvl = getenv("COLUMBA_LOG");
	enum log_level level = LOG_WARN;

	if (lvl)
		log_parse_level(lvl, &level);
	log_set_level(level);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2) {
		for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
			if (strcmp(argv[1], cmds[i].name) == 0)
				return cmds[i].fn(argc - 1, argv + 1);
		}
	}
	fputs(usage, stderr);
	return CLI_USAGE;
}
