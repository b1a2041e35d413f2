#include "gateway/admin.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <termios.h>

#include "base/clock.h"
#include "base/log.h"
#include "gateway/auth.h"
#include "gateway/intake.h"
#include "storage/seal.h"

/* "2:/etc/columba/old.key,3:/…" → keyring entries. */
static int add_previous(struct st_keyring *kr, const char *list, char *err, size_t errlen)
{
	char buf[1024];
	char *save = NULL, *item;

	snprintf(buf, sizeof(buf), "%s", list);
	for (item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(item, ':'), *end;
		unsigned long id;
		int r;

		while (*item == ' ')
			item++;
		errno = 0;
		id = strtoul(item, &end, 10);
		if (!colon || end != colon || errno || id < 1 || id > 65535) {
			snprintf(err, errlen, "[keys] previous_keys: \"%s\" is not id:path", item);
			return -EINVAL;
		}
		r = st_keyring_add_file(kr, (uint16_t)id, colon + 1);
		if (r) {
			snprintf(err, errlen, "[keys] previous_keys: key %lu (%s): %s", id, colon + 1,
				 r == -EPERM ? "readable by group or others (chmod 600)" :
				 r == -EINVAL ? "not a 32-byte key file" : strerror(-r));
			return r;
		}
	}
	return 0;
}

int gw_store_open(const struct gw_config *cfg, unsigned max_workers, struct st_store **out,
		  char *err, size_t errlen)
{
	struct st_keyring *kr = st_keyring_new();
	struct st_store_cfg sc;
	int r;

	if (!kr) {
		snprintf(err, errlen, "cannot set up the keyring (random generator)");
		return -ENOMEM;
	}
	r = st_keyring_add_file(kr, (uint16_t)cfg->key_id, cfg->master_key);
	if (r) {
		if (r == -ENOENT)
			snprintf(err, errlen, "[keys] master_key %s does not exist: create it with "
					      "`columbad keygen` (and back it up)", cfg->master_key);
		else if (r == -EPERM)
			snprintf(err, errlen, "[keys] master_key %s is readable by group or others: "
					      "chmod 600 it", cfg->master_key);
		else if (r == -EINVAL)
			snprintf(err, errlen, "[keys] master_key %s is not a 32-byte key file",
				 cfg->master_key);
		else
			snprintf(err, errlen, "[keys] master_key %s: %s", cfg->master_key, strerror(-r));
		goto fail;
	}
	if (cfg->previous_keys[0]) {
		r = add_previous(kr, cfg->previous_keys, err, errlen);
		if (r)
			goto fail;
	}
	r = st_keyring_set_current(kr, (uint16_t)cfg->key_id);
	if (r) {
		snprintf(err, errlen, "[keys] key_id %u: no such key", cfg->key_id);
		goto fail;
	}
	memset(&sc, 0, sizeof(sc));
	sc.state_dir = cfg->store_dir;
	sc.keyring = kr;
	sc.map_size = (uint64_t)cfg->store_map_size_mb << 20;
	sc.batch_max = cfg->store_batch_max;
	sc.gather_us = cfg->store_gather_us;
	sc.max_workers = max_workers ? max_workers : 1;
	sc.max_ttl_ms = (uint64_t)cfg->store_max_ttl_s * 1000u;
	sc.expiry_interval_ms = cfg->store_expiry_interval_ms;
	sc.commit_interval_us = cfg->store_commit_interval_us;
	sc.wal_direct = cfg->store_wal_direct;
	sc.queue_depth_max = cfg->queue_depth;
	r = st_store_open(out, &sc);
	if (r) {
		if (r == -EBUSY)
			snprintf(err, errlen, "store %s is in use: columbad is running; stop it first",
				 cfg->store_dir);
		else if (r == -EPROTO)
			snprintf(err, errlen, "store %s has another schema version (see docs/storage.md)",
				 cfg->store_dir);
		else
			snprintf(err, errlen, "cannot open the store %s: %s", cfg->store_dir,
				 strerror(-r));
		goto fail;
	}
	return 0; /* the store owns the keyring now */
fail:
	st_keyring_free(kr);
	return r;
}

static int cmd_keygen(const struct gw_config *cfg)
{
	int r;

	if (mkdir(cfg->state_dir, 0700) && errno != EEXIST) {
		fprintf(stderr, "columbad: keygen: cannot create %s: %s\n", cfg->state_dir,
			strerror(errno));
		return 1;
	}
	r = st_seal_keygen(cfg->master_key);
	if (r == -EEXIST) {
		fprintf(stderr, "columbad: keygen: %s already exists; refusing to overwrite a key "
				"(records sealed with it would become unreadable)\n", cfg->master_key);
		return 1;
	}
	if (r) {
		fprintf(stderr, "columbad: keygen: %s: %s\n", cfg->master_key, strerror(-r));
		return 1;
	}
	printf("columbad: wrote master key %s (key id %u, mode 0600); back it up apart from the data\n",
	       cfg->master_key, cfg->key_id);
	return 0;
}

/*
 * Read a password: from a terminal, twice without echo; otherwise one line
 * of standard input (so scripts can pipe it). Never from argv, where any
 * user could read it in /proc.
 */
static int read_password(const char *prompt, char *buf, size_t cap)
{
	char again[GW_AUTH_PASSWORD_MAX + 2];
	bool tty = isatty(STDIN_FILENO);
	struct termios old, quiet;
	size_t n;

	for (int round = 0; round < (tty ? 2 : 1); round++) {
		char *dst = round ? again : buf;
		size_t dcap = round ? sizeof(again) : cap;

		if (tty) {
			fprintf(stderr, "%s", round ? "again: " : prompt);
			tcgetattr(STDIN_FILENO, &old);
			quiet = old;
			quiet.c_lflag &= ~(tcflag_t)ECHO;
			tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
		}
		char *got = fgets(dst, (int)dcap, stdin);
		if (tty) {
			tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
			fputc('\n', stderr);
		}
		if (!got) {
			explicit_bzero(buf, cap);
			explicit_bzero(again, sizeof(again));
			fprintf(stderr, "columbad: no password given on standard input\n");
			return -EINVAL;
		}
		n = strlen(dst);
		if (n && dst[n - 1] == '\n')
			dst[--n] = '\0';
		if (n && dst[n - 1] == '\r')
			dst[--n] = '\0';
		if (n == 0 || n > GW_AUTH_PASSWORD_MAX) {
			fprintf(stderr, "columbad: a password has 1 to %d bytes\n", GW_AUTH_PASSWORD_MAX);
			explicit_bzero(buf, cap);
			explicit_bzero(again, sizeof(again));
			return -EINVAL;
		}
	}
	if (tty && strcmp(buf, again) != 0) {
		explicit_bzero(again, sizeof(again));
		explicit_bzero(buf, cap);
		fprintf(stderr, "columbad: the passwords differ\n");
		return -EINVAL;
	}
	explicit_bzero(again, sizeof(again));
	return 0;
}

static int open_for_admin(const struct gw_config *cfg, struct st_store **st)
{
	char err[512];
	int r = gw_store_open(cfg, 1, st, err, sizeof(err));

	if (r)
		fprintf(stderr, "columbad: %s\n", err);
	return r;
}

static int check_name(const char *name)
{
	if (gw_user_name_check(name, strlen(name))) {
		fprintf(stderr, "columbad: \"%s\" is not a user name (1 to 64 of a-z 0-9 . _ -)\n",
			name);
		return -EINVAL;
	}
	return 0;
}

static int cmd_user_set(const struct gw_config *cfg, const char *name, bool replace)
{
	char pw[GW_AUTH_PASSWORD_MAX + 2];
	uint8_t payload[GW_USER_REC_MAX];
	struct gw_user_rec rec;
	struct st_store *st;
	struct st_req req;
	int r, len;

	if (check_name(name))
		return 2;
	if (read_password("password: ", pw, sizeof(pw)))
		return 2;
	r = gw_user_rec_make(NULL, name, strlen(name), cfg->domain, strlen(cfg->domain), pw,
			     strlen(pw), clock_wall_ms(), &rec);
	explicit_bzero(pw, sizeof(pw));
	if (r) {
		fprintf(stderr, "columbad: cannot hash the password: %s\n", strerror(-r));
		return 1;
	}
	len = gw_user_rec_encode(&rec, payload, sizeof(payload));
	explicit_bzero(&rec, sizeof(rec));
	if (len < 0) {
		fprintf(stderr, "columbad: cannot encode the user record\n");
		return 1;
	}
	if (open_for_admin(cfg, &st))
		return 1;
	memset(&req, 0, sizeof(req));
	req.op = ST_OP_USER_CREATE;
	req.user.name = (struct st_str){ name, (uint32_t)strlen(name) };
	req.user.payload = payload;
	req.user.payload_len = (uint32_t)len;
	req.user.replace = replace;
	if (replace) {
		/* passwd: the user must exist. */
		struct st_req look;
		uint8_t buf[ST_USER_PAYLOAD_MAX];

		memset(&look, 0, sizeof(look));
		look.op = ST_OP_USER_LOOKUP;
		look.user.name = req.user.name;
		look.user.buf = buf;
		look.user.buf_len = sizeof(buf);
		r = st_exec_sync(st, &look);
		explicit_bzero(buf, sizeof(buf));
		if (r) {
			fprintf(stderr, "columbad: no user \"%s\"\n", name);
			st_store_close(st);
			return 1;
		}
	}
	r = st_exec_sync(st, &req);
	explicit_bzero(payload, sizeof(payload));
	st_store_close(st);
	if (r == -EEXIST) {
		fprintf(stderr, "columbad: user \"%s\" exists (use `columbad user passwd`)\n", name);
		return 1;
	}
	if (r) {
		fprintf(stderr, "columbad: cannot store user \"%s\": %s\n", name,
			r == ST_E_UNAVAILABLE ? "the store is unavailable (disk full?)" : strerror(-r));
		return 1;
	}
	printf("columbad: user %s %s\n", name, replace ? "password changed" : "added");
	return 0;
}

static int cmd_user_del(const struct gw_config *cfg, const char *name)
{
	struct st_store *st;
	struct st_req req;
	int r;

	if (check_name(name))
		return 2;
	if (open_for_admin(cfg, &st))
		return 1;
	memset(&req, 0, sizeof(req));
	req.op = ST_OP_USER_DELETE;
	req.user.name = (struct st_str){ name, (uint32_t)strlen(name) };
	r = st_exec_sync(st, &req);
	st_store_close(st);
	if (r == -ENOENT) {
		fprintf(stderr, "columbad: no user \"%s\"\n", name);
		return 1;
	}
	if (r) {
		fprintf(stderr, "columbad: cannot delete \"%s\": %s\n", name, strerror(-r));
		return 1;
	}
	printf("columbad: user %s deleted (its tokens no longer work)\n", name);
	return 0;
}

static int cmd_user_list(const struct gw_config *cfg)
{
	struct st_str names[64];
	uint8_t buf[64 * (ST_NAME_MAX + 1)];
	struct st_store *st;
	struct st_req req;
	unsigned total = 0;
	int r;

	if (open_for_admin(cfg, &st))
		return 1;
	memset(&req, 0, sizeof(req));
	req.op = ST_OP_USER_LIST;
	do {
		req.user_list.names = names;
		req.user_list.max = (uint32_t)(sizeof(names) / sizeof(names[0]));
		req.user_list.buf = buf;
		req.user_list.buf_len = sizeof(buf);
		req.result = 0;
		r = st_exec_sync(st, &req);
		if (r) {
			fprintf(stderr, "columbad: cannot list users: %s\n", strerror(-r));
			st_store_close(st);
			return 1;
		}
		for (uint32_t i = 0; i < req.user_list.count; i++)
			printf("%.*s\n", (int)names[i].len, names[i].p);
		total += req.user_list.count;
		req.user_list.has_cursor = true;
	} while (req.user_list.more);
	st_store_close(st);
	fprintf(stderr, "columbad: %u user%s\n", total, total == 1 ? "" : "s");
	return 0;
}

static int cmd_token_issue(const struct gw_config *cfg, const char *name)
{
	char tok[GW_TOKEN_LEN + 1];
	struct st_store *st;
	struct st_req req;
	int r;

	if (check_name(name))
		return 2;
	if (gw_token_generate(tok)) {
		fprintf(stderr, "columbad: cannot generate a token (random generator)\n");
		return 1;
	}
	if (open_for_admin(cfg, &st))
		return 1;
	memset(&req, 0, sizeof(req));
	req.op = ST_OP_TOKEN_CREATE;
	req.token.token = (struct st_str){ tok, GW_TOKEN_LEN };
	req.token.user = (struct st_str){ name, (uint32_t)strlen(name) };
	req.token.expires_ms = clock_wall_ms() + (uint64_t)cfg->token_ttl_s * 1000u;
	r = st_exec_sync(st, &req);
	st_store_close(st);
	if (r == -ENOENT) {
		fprintf(stderr, "columbad: no user \"%s\"\n", name);
		explicit_bzero(tok, sizeof(tok));
		return 1;
	}
	if (r) {
		fprintf(stderr, "columbad: cannot store the token: %s\n", strerror(-r));
		explicit_bzero(tok, sizeof(tok));
		return 1;
	}
	/* The only place the token is ever shown: the store keeps a hash. */
	printf("%s\n", tok);
	explicit_bzero(tok, sizeof(tok));
	return 0;
}

int gw_admin_main(const char *cmd, int argc, char **argv, const struct gw_config *cfg)
{
	if (strcmp(cmd, "keygen") == 0) {
		if (argc != 0) {
			fprintf(stderr, "columbad: keygen takes no arguments\n");
			return 2;
		}
		return cmd_keygen(cfg);
	}
	if (strcmp(cmd, "user") == 0) {
		if (argc == 2 && strcmp(argv[0], "add") == 0)
			return cmd_user_set(cfg, argv[1], false);
		if (argc == 2 && strcmp(argv[0], "passwd") == 0)
			return cmd_user_set(cfg, argv[1], true);
		if (argc == 2 && strcmp(argv[0], "del") == 0)
			return cmd_user_del(cfg, argv[1]);
		if (argc == 1 && strcmp(argv[0], "list") == 0)
			return cmd_user_list(cfg);
		fprintf(stderr, "usage: columbad user add|passwd|del NAME | user list "
				"(the password comes from standard input or a prompt)\n");
		return 2;
	}
	if (strcmp(cmd, "token") == 0) {
		if (argc == 2 && strcmp(argv[0], "issue") == 0)
			return cmd_token_issue(cfg, argv[1]);
		fprintf(stderr, "usage: columbad token issue NAME\n");
		return 2;
	}
	fprintf(stderr, "columbad: unknown command \"%s\" (see columbad --help)\n", cmd);
	return 2;
}
