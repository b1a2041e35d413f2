/*
 * Where the client keeps things, and its configuration file.
 *
 *   config dir  $XDG_CONFIG_HOME/columba (default ~/.config/columba), 0700
 *     config    "key = value" lines (server, sip, domain, user, token,
 *               cafile, pin, ha1_md5, ha1_sha256), mode 0600: it holds
 *               the device token and the SIP digest HA1 values
 *     key       32 random bytes, mode 0600: the master key of the texts
 *   data dir    $XDG_DATA_HOME/columba (default ~/.local/share/columba), 0700
 *
 * Return contract: 0 / negative errno (-ENOENT: not logged in / no key yet;
 * -EINVAL: a malformed file or an over-long value; -EIO: file errors;
 * -EPERM: a key or config file readable by others).
 */
#ifndef COLUMBA_CLIENT_CONFIG_H
#define COLUMBA_CLIENT_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "client/api.h"
#include "client/msgrec.h"
#include "client/tlsconn.h"

#define CL_PATH_MAX 4096

struct cl_paths {
	char config_dir[CL_PATH_MAX];
	char data_dir[CL_PATH_MAX];
};

struct cl_config {
	char server[300];              /* HTTPS API "host:port" */
	char sip[300];                 /* SIP/TLS "host:port" */
	char domain[256];              /* SIP domain (realm), default: the SIP host */
	char user[CL_PEER_MAX + 1];
	char token[CL_TOKEN_MAX + 1];
	char cafile[CL_PATH_MAX];      /* "" when pinned */
	char pin[100];                 /* hex SHA-256 of the certificate, or "" */
	char ha1_md5[33];              /* H(user:domain:password) for SIP digest: */
	char ha1_sha256[65];           /* never the password itself */
};

/*
 * cl_paths_get - the two directories from the environment, created (0700)
 * if missing. Returns 0, -ENOENT (neither XDG variable nor HOME set), -EIO.
 */
int cl_paths_get(struct cl_paths *p);

/* cl_config_load - read the config file. Returns 0 or a code above. */
int cl_config_load(const struct cl_paths *p, struct cl_config *c);

/* cl_config_save - write the config file atomically, mode 0600. Returns 0 or -EIO. */
int cl_config_save(const struct cl_paths *p, const struct cl_config *c);

/*
 * cl_config_tls - the TLS trust settings of @c. Returns 0 or -EINVAL (a
 * bad pin, or neither cafile nor pin).
 */
int cl_config_tls(const struct cl_config *c, struct cl_tls_cfg *tls);

/*
 * cl_master_key - read the key file into @key; with @create, make it first
 * when missing. Returns 0 or a code above.
 */
int cl_master_key(const struct cl_paths *p, bool create, uint8_t key[CL_MASTER_LEN]);

#endif
