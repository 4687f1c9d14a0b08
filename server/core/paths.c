/*
 * paths.c - the data directory and its tmp/ (see paths.h).  Written once
 * on the main thread before other threads start; read-only afterwards.
 */
#include "server/core/paths.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "rt/common/config.h"

static char data[SB_PATH_MAX];
static char tmp[SB_PATH_MAX + 8];

int paths_mkdir(const char *path, char *err, size_t errlen)
{
	if (mkdir(path, 0755) == 0 || errno == EEXIST)
		return 0;
	snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
	return -errno;
}

/* mkdir -p: every parent of path, then path. */
static int mkdir_parents(const char *path, char *err, size_t errlen)
{
	char p[SB_PATH_MAX];
	int rc;

	snprintf(p, sizeof(p), "%s", path);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		rc = paths_mkdir(p, err, errlen);
		if (rc)
			return rc;
		*s = '/';
	}
	return paths_mkdir(p, err, errlen);
}

int paths_init(const char *data_dir, char *err, size_t errlen)
{
	int rc;

	if (!data_dir[0] || strlen(data_dir) + 16 >= sizeof(data)) {
		snprintf(err, errlen, "data directory name empty or too long");
		return -ENAMETOOLONG;
	}
	snprintf(data, sizeof(data), "%s", data_dir);
	snprintf(tmp, sizeof(tmp), "%s/tmp", data_dir);
	rc = mkdir_parents(data, err, errlen);
	return rc ? rc : paths_mkdir(tmp, err, errlen);
}

const char *paths_data(void)
{
	return data;
}

const char *paths_tmp(void)
{
	return tmp;
}
