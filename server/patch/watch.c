/*
 * watch.c - a debounced single-file watch (watch.h).
 */
#include "server/patch/watch.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#define WATCH_MASK (IN_CLOSE_WRITE | IN_MOVED_TO)

/* any thread */
void file_watch_init(struct file_watch *w)
{
	w->fd = -1;
	w->name[0] = '\0';
	w->due_ns = 0;
}

/* owner thread */
int file_watch_open(struct file_watch *w, const char *path, char *err,
		    size_t errlen)
{
	char dir[PATH_MAX], base[PATH_MAX];
	int rc;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir) ||
	    snprintf(base, sizeof(base), "%s", path) >= (int)sizeof(base)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -ENAMETOOLONG;
	}
	snprintf(w->name, sizeof(w->name), "%s", basename(base));
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->fd < 0 || inotify_add_watch(w->fd, dirname(dir),
					   WATCH_MASK) < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot watch %s: %s", path,
			 strerror(errno));
		file_watch_close(w);
		return rc;
	}
	return 0;
}

/* 1 if one of the n bytes of events names our file. */
static int names_file(const struct file_watch *w, const char *buf, ssize_t n)
{
	const struct inotify_event *ev;
	int hit = 0;

	for (const char *p = buf; p < buf + n; p += sizeof(*ev) + ev->len) {
		ev = (const struct inotify_event *)p;
		if (ev->len && strcmp(ev->name, w->name) == 0)
			hit = 1;
	}
	return hit;
}

/* owner thread */
int file_watch_poll(struct file_watch *w, uint64_t now_ns, uint64_t quiet_ns)
{
	char buf[4096]
		__attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	if (w->fd < 0)
		return 0;
	while ((n = read(w->fd, buf, sizeof(buf))) > 0)
		if (names_file(w, buf, n))
			w->due_ns = now_ns + quiet_ns;
	if (!w->due_ns || now_ns < w->due_ns)
		return 0;
	w->due_ns = 0;
	return 1;
}

/* owner thread */
void file_watch_close(struct file_watch *w)
{
	if (w->fd >= 0)
		close(w->fd);
	file_watch_init(w);
}
