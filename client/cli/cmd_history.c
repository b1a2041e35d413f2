/* `columba history [USER]`: the conversation, incoming on the left and
 * outgoing on the right, each with its time and a status mark. Showing a
 * message is reading it: its read-expiry clock starts here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "base/clock.h"
#include "client/cli/cli.h"

struct history_ctx {
	struct cl_client *c;
	const char *user;
	size_t width;
	unsigned shown;
};

static size_t term_width(void)
{
	struct winsize ws;
	const char *cols = getenv("COLUMNS");

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40)
		return ws.ws_col;
	if (cols && atoi(cols) >= 40)
		return (size_t)atoi(cols);
	return 80;
}

/* Bytes of the first @chars code points of @s (at most @n bytes). */
static size_t prefix_bytes(const char *s, size_t n, size_t chars)
{
	size_t i = 0;

	while (i < n && chars > 0) {
		i++;
		while (i < n && ((unsigned char)s[i] & 0xc0) == 0x80)
			i++;
		chars--;
	}
	return i;
}

static size_t code_points(const char *s, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += ((unsigned char)s[i] & 0xc0) != 0x80;
	return k;
}

static void pad(size_t n)
{
	while (n--)
		putchar(' ');
}

/* Print @text wrapped to @wrap code points per line; right-aligned to
 * @width when @right. Line breaks in the text start new lines. */
static void print_wrapped(const char *text, size_t wrap, size_t width, bool right)
{
	const char *p = text;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		size_t take = prefix_bytes(p, len, wrap), cps = code_points(p, take);

		if (right && cps < width)
			pad(width - cps);
		fwrite(p, 1, take, stdout);
		putchar('\n');
		p += take;
		if (*p == '\n')
			p++;
	}
}

static int show(struct cl_msg *m, void *arg)
{
	struct history_ctx *h = arg;
	char when[160], line[CL_TEXT_MAX + 200], mark[80];
	size_t wrap = h->width * 2 / 3;
	const char *text;

	if (h->user && strcmp(m->peer, h->user) != 0)
		return 0;
	cli_time(m->created_ms, when, sizeof(when));
	if (m->dir == CL_IN) {
		text = (m->flags & CL_F_ERASED) ? "Message received" : m->text;
		snprintf(line, sizeof(line), "%s: %s", m->peer, text);
		printf("%s\n", when);
		print_wrapped(line, wrap, h->width, false);
	} else {
		text = (m->flags & CL_F_ERASED) ? "Message sent" : m->text;
		if (m->status == CL_ST_ERROR && m->error[0])
			snprintf(mark, sizeof(mark), "[Error: %s]",
				 strcmp(m->error, "send_error") == 0 ? "Send error" : m->error);
		else
			snprintf(mark, sizeof(mark), "[%s]", cl_status_name(m->status));
		if (h->user)
			snprintf(line, sizeof(line), "%s", text);
		else
			snprintf(line, sizeof(line), "to %s: %s", m->peer, text);
		snprintf(when + strlen(when), sizeof(when) - strlen(when), " %s", mark);
		pad(h->width > strlen(when) ? h->width - strlen(when) : 0);
		printf("%s\n", when);
		print_wrapped(line, wrap, h->width, true);
	}
	h->shown++;
	cl_client_mark_read(h->c, m);
	return 0;
}

int cmd_history(int argc, char **argv)
{
	struct cl_client c;
	struct history_ctx h;
	int rc;

	if (argc > 2 || (argc == 2 && !cl_client_check_user(argv[1]))) {
		fprintf(stderr, "usage: columba history [USER]\n");
		return CLI_USAGE;
	}
	if ((rc = cli_open(&c, NULL, NULL)))
		return rc;
	cl_client_sweep(&c, clock_wall_ms());
	h = (struct history_ctx){ &c, argc == 2 ? argv[1] : NULL, term_width(), 0 };
	if (h.user)
		printf("Conversation with %s\n", h.user);
	rc = cl_store_list(&c.store, false, show, &h);
	if (rc == 0 && h.shown == 0)
		printf("(no messages)\n");
	cl_client_close(&c);
	return rc < 0 ? cli_fail("cannot read the history", rc) : CLI_OK;
}
