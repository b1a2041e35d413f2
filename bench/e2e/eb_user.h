/*
 * The users file of the benchmark: one user a line, "name password token" separated by
 * blanks; blank lines and lines starting with '#' are skipped.
 */
#ifndef COLUMBA_BENCH_E2E_EB_USER_H
#define COLUMBA_BENCH_E2E_EB_USER_H

#include <stddef.h>

struct eb_user {
	char *name;
	char *password;
	char *token;
};

struct eb_users {
	struct eb_user *v;
	size_t n;
	char *text; /* the file's bytes, which the fields point into */
};

/* Reads @path into @u. Returns 0, a negative errno from opening or reading it, -ENOMEM,
 * or -EINVAL for a line without exactly three fields (the line number on stderr). */
int eb_users_load(const char *path, struct eb_users *u);

/* Frees @u (also after a failed load); safe on a zeroed one. */
void eb_users_free(struct eb_users *u);

#endif
