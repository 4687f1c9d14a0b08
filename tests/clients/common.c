/*
 * common.c - helpers shared by the sb-* test clients (see common.h).
 */
#include "tests/clients/common.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* 1 = signal, 2 = JACK shut us down; written from handlers and JACK threads */
static volatile sig_atomic_t quit_flag;

void sb_usage_fail(const char *msg, const char *usage)
{
	fprintf(stderr, "%s: %s\n%s", program_invocation_short_name, msg,
		usage);
	exit(SB_EXIT_USAGE);
}

int sb_common_opt(struct sb_common *c, int opt, const char *arg,
		  const char *usage)
{
	switch (opt) {
	case SB_OPT_SERVER:
		c->server = arg;
		return 1;
	case SB_OPT_NAME:
		if (!arg[0])
			sb_usage_fail("--name must not be empty", usage);
		c->name = arg;
		return 1;
	case SB_OPT_HELP:
		fputs(usage, stdout);
		exit(SB_EXIT_OK);
	}
	return 0;
}

int sb_parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (end == s || *end != '\0')
		return -EINVAL;
	if (errno == ERANGE || v < lo || v > hi)
		return -ERANGE;
	*out = v;
	return 0;
}

int sb_parse_double(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end != '\0' || !isfinite(v))
		return -EINVAL;
	if (errno == ERANGE || v < lo || v > hi)
		return -ERANGE;
	*out = v;
	return 0;
}

/* JACK frame times are unsigned 32-bit and wrap; accept the full range. */
int sb_parse_frame(const char *s, uint32_t *out)
{
	long v;
	int rc = sb_parse_long(s, 0, (long)UINT32_MAX, &v);

	if (rc == 0)
		*out = (uint32_t)v;
	return rc;
}

int sb_split_list(char *list, char **items, int max)
{
	int n = 0;
	char *p = list;

	for (;;) {
		char *comma = strchr(p, ',');

		if (comma)
			*comma = '\0';
		if (!*p)
			return -EINVAL;
		if (n == max)
			return -E2BIG;
		items[n++] = p;
		if (!comma)
			return n;
		p = comma + 1;
	}
}

jack_client_t *sb_open(const struct sb_common *c, char *err, size_t errlen)
{
	jack_options_t opts = JackNoStartServer | JackUseExactName;
	jack_status_t status = 0;
	jack_client_t *client;

	if (c->server)
		opts |= JackServerName;
	client = jack_client_open(c->name, opts, &status, c->server);
	if (!client)
		snprintf(err, errlen,
			 "cannot open JACK client '%s' on server '%s' "
			 "(status 0x%x)",
			 c->name, c->server ? c->server : "default",
			 (unsigned)status);
	return client;
}

int sb_register_ports(jack_client_t *client, const char *prefix,
		      const char *type, unsigned long flags, jack_port_t **ports,
		      int n, char *err, size_t errlen)
{
	char name[64];
	int i;

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%s_%d", prefix, i + 1);
		ports[i] = jack_port_register(client, name, type, flags, 0);
		if (!ports[i]) {
			snprintf(err, errlen, "cannot register port %s", name);
			return -EIO;
		}
	}
	return 0;
}

int sb_connect(jack_client_t *client, const char *src, const char *dst,
	       char *err, size_t errlen)
{
	int rc = jack_connect(client, src, dst);

	if (rc != 0 && rc != EEXIST) {
		snprintf(err, errlen, "cannot connect %s -> %s", src, dst);
		return -EIO;
	}
	return 0;
}

void sb_ready(void)
{
	fputs("ready\n", stdout);
	fflush(stdout);
}

static void on_signal(int sig)
{
	(void)sig;
	if (!quit_flag)
		quit_flag = 1;
}

/* JACK notification thread: the server is gone */
static void on_jack_shutdown(void *arg)
{
	(void)arg;
	quit_flag = 2;
}

void sb_install_signals(jack_client_t *client)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (client)
		jack_on_shutdown(client, on_jack_shutdown, NULL);
}

int sb_quitting(void)
{
	return quit_flag;
}

void sb_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

uint64_t sb_clock_update(struct sb_clock *clk, jack_client_t *client,
			 jack_nframes_t n)
{
	uint32_t f = jack_last_frame_time(client);
	int64_t lead, jump;

	if (!clk->valid) {
		clk->valid = 1;
		clk->read = clk->now = f;
		clk->last = f;
		clk->expect = clk->now + n;
		return clk->now;
	}
	clk->read += (uint64_t)(int64_t)(int32_t)(f - clk->last);
	clk->last = f;
	lead = (int64_t)(clk->read - clk->expect);
	jump = 0;
	if (lead > 0 && clk->pending) {
		jump = lead < clk->pending ? lead : clk->pending;
		clk->pending = lead - jump;
	} else {
		clk->pending = lead > 0 ? lead : 0;
	}
	clk->now = clk->expect + (uint64_t)jump;
	clk->expect = clk->now + n;
	return clk->now;
}

uint64_t sb_clock_extend(const struct sb_clock *clk, uint32_t frame)
{
	int32_t diff = (int32_t)(frame - clk->last);

	return (uint64_t)((int64_t)clk->now + diff);
}
