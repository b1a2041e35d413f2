/* `columba send USER TEXT`: check, store, try, report. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "client/cli/cli.h"

int cmd_send(int argc, char **argv)
{
	struct cl_client c;
	struct cl_msg m;
	char key[CL_KEY_HEX + 1];
	size_t chars = 0;
	int rc;

	if (argc != 3) {
		fprintf(stderr, "usage: columba send USER TEXT (quote the text)\n");
		return CLI_USAGE;
	}
	/* Checked before anything else: nothing is stored or sent. */
	rc = cl_text_check(argv[2], strlen(argv[2]), &chars);
	if (rc == -EMSGSIZE) {
		fprintf(stderr, "columba: text too long: %zu characters, at most %d\n", chars,
			CL_TEXT_CHARS);
		return CLI_TEXT;
	}
	if (rc < 0)
		return cli_fail("cannot send", rc);
	if (!cl_client_check_user(argv[1])) {
		fprintf(stderr, "columba: bad user name %s (a-z 0-9 . _ -, at most 64)\n", argv[1]);
		return CLI_USAGE;
	}
	if ((rc = cli_open(&c, NULL, NULL)))
		return rc;
	cl_client_sweep(&c, clock_wall_ms());
	rc = cl_client_send(&c, argv[1], argv[2], &m);
	cl_key_hex(m.key, key);
	if (rc == 0) {
		printf("Enqueued %s\n", m.server_id);
	} else if (rc == -EBADMSG) {
		fprintf(stderr, "columba: the server refused the message (%s)\n", m.error);
		printf("Error %s\n", key);
		rc = CLI_REFUSED;
	} else if (m.status == CL_ST_SENDING) {
		rc = cli_fail("not sent", rc);
		fprintf(stderr, "columba: the message stays in the outbox (Sending) and is retried "
				"on the next trigger\n");
		printf("Sending %s\n", key);
	} else {
		rc = cli_fail("cannot send", rc);
	}
	cl_client_close(&c);
	return rc;
}
