/*
 * Opening the store for the daemon and the admin subcommands, and the
 * subcommands themselves (columbad keygen, user, token).
 */
#ifndef COLUMBA_GATEWAY_ADMIN_H
#define COLUMBA_GATEWAY_ADMIN_H

#include <stddef.h>

#include "gateway/config.h"
#include "storage/store.h"

/*
 * gw_store_open - build the keyring from [keys] and open the store in
 * <state_dir>/store (replaying its WAL). The thread is not started.
 * Returns 0, or a negative errno with one line in err: a missing master key
 * names `columbad keygen`, a store held by another process says so.
 */
int gw_store_open(const struct gw_config *cfg, unsigned max_workers, struct st_store **out,
		  char *err, size_t errlen);

/*
 * gw_admin_main - run subcommand cmd with its positional arguments.
 * Returns the process exit status (0, 1 failure, 2 usage or configuration).
 */
int gw_admin_main(const char *cmd, int argc, char **argv, const struct gw_config *cfg);

#endif
