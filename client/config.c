#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/random.h>

#include "client/config.h"

#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int mkdir_p(const char *path)
{
	char tmp[CL_PATH_MAX];
	size_t n = strlen(path);

	if (n >= sizeof(tmp))
		return -EINVAL;
	memcpy(tmp, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (tmp[i] != '/' && tmp[i] != '\0')
			continue;
		tmp[i] = '\0';
		if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
			return -EIO;
		tmp[i] = i == n ? '\0' : '/';
	}
	return 0;
}

static int dir_from(char *out, const char *xdg_var, const char *home_rel)
{
	const char *x = getenv(xdg_var), *home = getenv("HOME");
	int n;

	if (x && *x == '/')
		n = snprintf(out, CL_PATH_MAX, "%s/columba", x);
	else if (home && *home)
		n = snprintf(out, CL_PATH_MAX, "%s/%s/columba", home, home_rel);
	else
		return -ENOENT;
	if (n < 0 || n >= CL_PATH_MAX)
		return -EINVAL;
	return mkdir_p(out);
}

int cl_paths_get(struct cl_paths *p)
{
	int rc = dir_from(p->config_dir, "XDG_CONFIG_HOME", ".config");

	return rc ? rc : dir_from(p->data_dir, "XDG_DATA_HOME", ".local/share");
}

static int set_field(char *dst, size_t cap, const char *v)
{
	size_t n = strlen(v);

	if (n >= cap)
		return 0;
	memcpy(dst, v, n + 1);
	return 1;
}

static int on_entry(void *arg, const char *section, const char *name, const char *value)
{
	struct cl_config *c = arg;

	if (section[0])
		return 0;
#define FIELD(f)                                             \
	if (strcmp(name, #f) == 0)                           \
		return set_field(c->f, sizeof(c->f), value);
	FIELD(server)
	FIELD(sip)
	FIELD(domain)
	FIELD(user)
	FIELD(token)
	FIELD(cafile)
	FIELD(pin)
	FIELD(ha1_md5)
	FIELD(ha1_sha256)
#undef FIELD
	return 1; /* unknown keys from newer versions are ignored */
}

static int path_in(char *out, const char *dir, const char *name)
{
	int n = snprintf(out, CL_PATH_MAX, "%s/%s", dir, name);

	return n < 0 || n >= CL_PATH_MAX ? -EINVAL : 0;
}

int cl_config_load(const struct cl_paths *p, struct cl_config *c)
{
	char path[CL_PATH_MAX];
	struct stat st;
	int rc;

	memset(c, 0, sizeof(*c));
	if ((rc = path_in(path, p->config_dir, "config")))
		return rc;
	if (stat(path, &st) < 0)
		return errno == ENOENT ? -ENOENT : -EIO;
	if (st.st_mode & 077)
		return -EPERM;
	rc = ini_parse(path, on_entry, c);
	if (rc < 0)
		return -EIO;
	if (rc > 0 || !c->server[0] || !c->sip[0] || !c->user[0] || !c->token[0])
		return -EINVAL;
	if (!c->domain[0]) {
		char host[256];
		uint16_t port;

		if (cl_host_port_parse(c->sip, host, sizeof(host), &port) < 0)
			return -EINVAL;
		memcpy(c->domain, host, strlen(host) + 1);
	}
	return 0;
}

int cl_config_save(const struct cl_paths *p, const struct cl_config *c)
{
	char path[CL_PATH_MAX], tmp[CL_PATH_MAX];
	FILE *f;
	int fd;

	if (path_in(path, p->config_dir, "config") || path_in(tmp, p->config_dir, "config.tmp"))
		return -EINVAL;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -EIO;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return -EIO;
	}
	fprintf(f, "# columba client configuration (written by `columba login`)\n"
		   "server = %s\nsip = %s\ndomain = %s\nuser = %s\ntoken = %s\n",
		c->server, c->sip, c->domain, c->user, c->token);
	if (c->cafile[0])
		fprintf(f, "cafile = %s\n", c->cafile);
	if (c->pin[0])
		fprintf(f, "pin = %s\n", c->pin);
	fprintf(f, "ha1_md5 = %s\nha1_sha256 = %s\n", c->ha1_md5, c->ha1_sha256);
	if (fflush(f) != 0 || fsync(fd) < 0) {
		fclose(f);
		unlink(tmp);
		return -EIO;
	}
	fclose(f);
	return rename(tmp, path) < 0 ? -EIO : 0;
}

int cl_config_tls(const struct cl_config *c, struct cl_tls_cfg *tls)
{
	memset(tls, 0, sizeof(*tls));
	if (c->pin[0]) {
		if (cl_pin_parse(c->pin, tls->pin) < 0)
			return -EINVAL;
		tls->has_pin = true;
		return 0;
	}
	if (!c->cafile[0])
		return -EINVAL;
	tls->cafile = c->cafile;
	return 0;
}

int cl_master_key(const struct cl_paths *p, bool create, uint8_t key[CL_MASTER_LEN])
{
	char path[CL_PATH_MAX];
	struct stat st;
	int fd, rc = -EIO;

	if (path_in(path, p->config_dir, "key"))
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create) {
		WC_RNG rng;

		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0)
			return errno == EEXIST ? cl_master_key(p, false, key) : -EIO;
		if (wc_InitRng(&rng) == 0) {
			if (wc_RNG_GenerateBlock(&rng, key, CL_MASTER_LEN) == 0 &&
			    write(fd, key, CL_MASTER_LEN) == CL_MASTER_LEN && fsync(fd) == 0)
				rc = 0;
			wc_FreeRng(&rng);
		}
		close(fd);
		if (rc)
			unlink(path);
		return rc;
	}
	if (fd < 0)
		return errno == ENOENT ? -ENOENT : -EIO;
	if (fstat(fd, &st) < 0 || (st.st_mode & 077)) {
		close(fd);
		return -EPERM;
	}
	if (read(fd, key, CL_MASTER_LEN) == CL_MASTER_LEN)
		rc = 0;
	close(fd);
	return rc;
}
