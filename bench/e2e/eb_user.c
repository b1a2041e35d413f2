/* The users file; see eb_user.h. */
#include "bench/e2e/eb_user.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int eb_users_load(const char *path, struct eb_users *u)
{
	FILE *f = fopen(path, "r");
	size_t len = 0, cap = 4096, lineno = 0;
	int rc = 0;

	memset(u, 0, sizeof(*u));
	if (f == NULL)
		return -errno;
	u->text = malloc(cap + 1);
	if (u->text == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	for (;;) {
		if (len == cap) {
			char *p = realloc(u->text, cap * 2 + 1);
			if (p == NULL) {
				rc = -ENOMEM;
				goto fail;
			}
			u->text = p;
			cap *= 2;
		}
		size_t got = fread(u->text + len, 1, cap - len, f);
		if (got == 0)
			break;
		len += got;
	}
	if (ferror(f)) {
		rc = -EIO;
		goto fail;
	}
	u->text[len] = '\0';

	size_t lines = 1;
	for (size_t i = 0; i < len; i++)
		lines += u->text[i] == '\n';
	u->v = calloc(lines, sizeof(*u->v));
	if (u->v == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	char *save = NULL;
	for (char *line = strtok_r(u->text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		char *fs = NULL, *field[4];
		int nf = 0;
		lineno++;
		for (char *t = strtok_r(line, " \t\r", &fs); t != NULL && nf < 4;
		     t = strtok_r(NULL, " \t\r", &fs))
			field[nf++] = t;
		if (nf == 0 || field[0][0] == '#')
			continue;
		if (nf != 3) {
			fprintf(stderr, "columba-bench: %s line %zu: want \"name password token\"\n",
				path, lineno);
			rc = -EINVAL;
			goto fail;
		}
		u->v[u->n++] = (struct eb_user){ field[0], field[1], field[2] };
	}
	fclose(f);
	return 0;
fail:
	fclose(f);
	eb_users_free(u);
	return rc;
}

void eb_users_free(struct eb_users *u)
{
	if (u->text != NULL)
		explicit_bzero(u->text, strlen(u->text));
	free(u->text);
	free(u->v);
	memset(u, 0, sizeof(*u));
}
