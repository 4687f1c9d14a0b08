/*
 * common.h - helpers shared by the sb-* test JACK clients: option and number
 * parsing, opening a client on a named server, port lists and connections,
 * the "ready" line, quit signals and a 64-bit JACK frame clock.
 */
#ifndef SB_CLIENTS_COMMON_H
#define SB_CLIENTS_COMMON_H

#include <jack/jack.h>
#include <stddef.h>
#include <stdint.h>

#define SB_MAX_PORTS 16

/* Exit codes shared by every client. */
#define SB_EXIT_OK 0
#define SB_EXIT_RUNTIME 1
#define SB_EXIT_USAGE 2

/* getopt_long values for the options every client accepts. */
enum { SB_OPT_SERVER = 1000, SB_OPT_NAME, SB_OPT_HELP };

#define SB_COMMON_LONGOPTS                                   \
	{ "server", 1, NULL, SB_OPT_SERVER },                \
	{ "name", 1, NULL, SB_OPT_NAME },                    \
	{ "help", 0, NULL, SB_OPT_HELP }

struct sb_common {
	const char *server; /* NULL: JACK's default server */
	const char *name;   /* client name, used exactly */
};

/*
 * Extends jack_nframes_t (wraps after 2^32 frames) to 64 bits.  Only the
 * process thread updates it.
 */
struct sb_clock {
	uint64_t now;		/* JACK frame of this cycle, as trusted */
	uint64_t read;		/* jack_last_frame_time, widened */
	uint64_t expect;	/* where the next cycle starts if none is lost */
	int64_t pending;	/* a lead seen once, not yet trusted */
	uint32_t last;
	int valid;
};

/* main thread: handle a common option; returns 1 if opt was one of them */
int sb_common_opt(struct sb_common *c, int opt, const char *arg,
		  const char *usage);

/* main thread: print "PROG: msg" and the usage text to stderr, exit 2 */
void sb_usage_fail(const char *msg, const char *usage);

/* any thread: strict decimal parsers; 0 or -EINVAL / -ERANGE */
int sb_parse_long(const char *s, long lo, long hi, long *out);
int sb_parse_double(const char *s, double lo, double hi, double *out);
int sb_parse_frame(const char *s, uint32_t *out);

/*
 * main thread: split a comma list in place into at most max entries.
 * Returns the count, or -EINVAL (empty entry) / -E2BIG (too many).
 */
int sb_split_list(char *list, char **items, int max);

/* main thread: open a client (exact name, never starts a server) */
jack_client_t *sb_open(const struct sb_common *c, char *err, size_t errlen);

/* main thread: register n ports named prefix_1..prefix_n */
int sb_register_ports(jack_client_t *client, const char *prefix,
		      const char *type, unsigned long flags, jack_port_t **ports,
		      int n, char *err, size_t errlen);

/* main thread: connect src -> dst (full port names) */
int sb_connect(jack_client_t *client, const char *src, const char *dst,
	       char *err, size_t errlen);

/* main thread: print the "ready" line on stdout and flush it */
void sb_ready(void);

/* main thread: route SIGINT/SIGTERM (and JACK shutdown) to sb_quitting */
void sb_install_signals(jack_client_t *client);

/* any thread: has a quit been requested?  2 means JACK itself went away. */
int sb_quitting(void);

/* main thread */
void sb_sleep_ms(int ms);

/*
 * RT: process thread only - the current cycle's first frame, 64-bit, by the
 * engine's rule: a lead over the expected frame is trusted only when the
 * next cycle shows it again (a late callback can read the next cycle's
 * frame time once).  n: this cycle's length.
 */
uint64_t sb_clock_update(struct sb_clock *clk, jack_client_t *client,
			 jack_nframes_t n);

/*
 * RT: process thread only - a 32-bit absolute JACK frame as a 64-bit one,
 * taking the nearest candidate to the clock's current time.
 */
uint64_t sb_clock_extend(const struct sb_clock *clk, uint32_t frame);

#endif
