/*
 * watch.h - notice that one file was saved (inotify on its directory, so
 * editors that write a new file and rename it over the old one count),
 * debounced: an editor's burst of writes is one change.
 *
 * One thread at a time owns a watch.  The server's patch module opens it
 * at init and closes it at fini (main thread) and polls it every tick
 * (control thread).
 */
#ifndef SB_WATCH_H
#define SB_WATCH_H

#include <stddef.h>
#include <stdint.h>

struct file_watch {
	int fd;			/* inotify, non-blocking; -1 when off */
	char name[256];		/* the file's name inside its directory */
	uint64_t due_ns;	/* quiet-until time of a pending change, 0 */
};

/* Once: off (fd -1) until file_watch_open. */
/* thread: any */
void file_watch_init(struct file_watch *w);

/* Watch path's directory.  0 or -errno with a message. */
/* thread: main */
int file_watch_open(struct file_watch *w, const char *path, char *err,
		    size_t errlen);

/*
 * Often (never blocks): 1 once the file changed and then stayed quiet
 * for quiet_ns, else 0.
 */
/* thread: control */
int file_watch_poll(struct file_watch *w, uint64_t now_ns, uint64_t quiet_ns);

/* Stop watching.  Safe when off. */
/* thread: main */
void file_watch_close(struct file_watch *w);

#endif
