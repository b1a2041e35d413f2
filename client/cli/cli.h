/*
 * The `columba` command line: one function per subcommand, and what they
 * share (exit codes, time formatting, error reporting).
 *
 * Exit codes (docs/client.md):
 *   0 done                        4 certificate mismatch
 *   1 usage or local error        5 bad credentials
 *   2 text refused before sending 6 refused by the server (Error)
 *   3 server unreachable (the message stays Sending in the outbox)
 */
#ifndef COLUMBA_CLIENT_CLI_CLI_H
#define COLUMBA_CLIENT_CLI_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "client/columba.h"

enum {
	CLI_OK = 0,
	CLI_USAGE = 1,
	CLI_TEXT = 2,
	CLI_UNREACHABLE = 3,
	CLI_CERT = 4,
	CLI_CREDENTIALS = 5,
	CLI_REFUSED = 6,
};

/* cli_exit_code - the exit code for a library error code. */
int cli_exit_code(int err);

/* cli_fail - print "columba: <what>: <sentence for err>" on stderr; returns
 * cli_exit_code(err). */
int cli_fail(const char *what, int err);

/* cli_time - "YYYY-MM-DD HH:MM" local time of @ms (wall clock) into @out. */
void cli_time(uint64_t ms, char *out, size_t cap);

/*
 * cli_open - cl_client_open() with an error message; @on_event NULL means
 * "print Send errors on stderr". Returns 0 or an exit code.
 */
int cli_open(struct cl_client *c, cl_event_fn on_event, void *arg);

/* cmd_send - `columba send USER TEXT` (argv[0] is "send"). Returns an exit code. */
int cmd_send(int argc, char **argv);

/* cmd_listen - `columba listen [--exec CMD]`; runs until killed or refused.
 * Returns an exit code. */
int cmd_listen(int argc, char **argv);

/* cmd_history - `columba history [USER]`. Returns an exit code. */
int cmd_history(int argc, char **argv);

#endif
