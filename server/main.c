/*
 * main.c - stagebox-server: flags and config, then the control loop on
 * this thread with the HTTP and WebSocket front ends on their own.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt/common/config.h"
#include "server/core/ctl.h"
#include "server/front/http.h"
#include "server/front/ws.h"
#include "server/core/bus.h"
#include "server/core/paths.h"
#include "server/front/auth.h"
#include "server/front/hosts.h"
#include "server/front/scrub.h"
#include "server/wiring.h"

#define VERSION "0.1.0"

static const char usage_text[] =
	"usage: stagebox-server [--config FILE] [--instance NAME] "
	"[--http-port N] [--ws-port N]\n"
	"                       [--bind ADDR] [--data-dir DIR] "
	"[--static-dir DIR] [--print-token] [--help]\n"
	"  --print-token  print the access token (made on first use, kept in "
	"DATA/token) and exit\n";

enum { OPT_CONFIG = 1, OPT_INSTANCE, OPT_HTTP, OPT_WS, OPT_BIND, OPT_DATA,
       OPT_STATIC, OPT_PRINT_TOKEN };

static const struct option long_opts[] = {
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "instance", required_argument, NULL, OPT_INSTANCE },
	{ "http-port", required_argument, NULL, OPT_HTTP },
	{ "ws-port", required_argument, NULL, OPT_WS },
	{ "bind", required_argument, NULL, OPT_BIND },
	{ "data-dir", required_argument, NULL, OPT_DATA },
	{ "static-dir", required_argument, NULL, OPT_STATIC },
	{ "print-token", no_argument, NULL, OPT_PRINT_TOKEN },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

/* Flags are applied over the config file, whatever their order. */
struct flags {
	const char *config, *instance, *bind, *data_dir, *static_dir;
	const char *http_port, *ws_port;
	int help, print_token;
};

static int fail_usage(const char *fmt, const char *what)
{
	fprintf(stderr, "stagebox-server: ");
	fprintf(stderr, fmt, what);
	fputc('\n', stderr);
	return -EINVAL;
}

static const char **flag_slot(struct flags *f, int ch)
{
	switch (ch) {
	case OPT_CONFIG: return &f->config;
	case OPT_INSTANCE: return &f->instance;
	case OPT_HTTP: return &f->http_port;
	case OPT_WS: return &f->ws_port;
	case OPT_BIND: return &f->bind;
	case OPT_DATA: return &f->data_dir;
	case OPT_STATIC: return &f->static_dir;
	default: return NULL;
	}
}

/* Main thread.  0, or -EINVAL after printing why. */
static int parse_flags(int argc, char **argv, struct flags *f)
{
	const char **slot;
	int ch;

	memset(f, 0, sizeof(*f));
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":h", long_opts, NULL)) != -1) {
		if (ch == 'h') {
			f->help = 1;
		} else if (ch == OPT_PRINT_TOKEN) {
			f->print_token = 1;
		} else if (ch == ':') {
			return fail_usage("flag '%s' needs a value",
					  argv[optind - 1]);
		} else if (!(slot = flag_slot(f, ch))) {
			return fail_usage("unknown flag '%s' (see --help)",
					  argv[optind - 1]);
		} else {
			*slot = optarg;
		}
	}
	if (optind < argc)
		return fail_usage("unexpected argument '%s'", argv[optind]);
	return 0;
}

static int parse_port(const char *s, const char *flag, int *port)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > 65535) {
		fprintf(stderr, "stagebox-server: %s '%s': expected a port "
			"1..65535\n", flag, s);
		return -EINVAL;
	}
	*port = (int)v;
	return 0;
}

static int set_string(char *dst, size_t len, const char *src,
		      const char *flag)
{
	if (!src)
		return 0;
	if (strlen(src) >= len) {
		fprintf(stderr, "stagebox-server: %s is too long (max %zu)\n",
			flag, len - 1);
		return -EINVAL;
	}
	memcpy(dst, src, strlen(src) + 1);
	return 0;
}

static int bind_valid(const char *s)
{
	struct in6_addr a;

	return inet_pton(AF_INET, s, &a) == 1 || inet_pton(AF_INET6, s, &a) == 1;
}

static int is_loopback(const char *s)
{
	unsigned char a[16];

	if (inet_pton(AF_INET, s, a) == 1)
		return a[0] == 127;
	return inet_pton(AF_INET6, s, a) == 1 &&
	       !memcmp(a, &in6addr_loopback, sizeof(a));
}

/* Without a token anyone who reaches the port plays the box. */
static int auth_off_allowed(const struct sb_config *c)
{
	if (strcmp(c->server.auth, "off") || is_loopback(c->server.bind))
		return 1;
	fprintf(stderr, "stagebox-server: server.auth is \"off\" but the "
		"server would listen on %s, where anyone on the network could "
		"control the box; \"off\" is only allowed with a loopback bind "
		"(127.0.0.1 or ::1)\n", c->server.bind);
	return 0;
}

static int apply_flags(struct sb_config *c, const struct flags *f)
{
	int rc = 0;

	rc |= set_string(c->instance, sizeof(c->instance), f->instance,
			 "--instance");
	rc |= set_string(c->server.bind, sizeof(c->server.bind), f->bind,
			 "--bind");
	rc |= set_string(c->server.data_dir, sizeof(c->server.data_dir),
			 f->data_dir, "--data-dir");
	rc |= set_string(c->server.static_dir, sizeof(c->server.static_dir),
			 f->static_dir, "--static-dir");
	if (f->http_port)
		rc |= parse_port(f->http_port, "--http-port",
				 &c->server.http_port);
	if (f->ws_port)
		rc |= parse_port(f->ws_port, "--ws-port", &c->server.ws_port);
	if (!rc && !bind_valid(c->server.bind)) {
		fprintf(stderr, "stagebox-server: bad bind address '%s' (want "
			"an IPv4 or IPv6 address)\n", c->server.bind);
		rc = -EINVAL;
	}
	if (!rc && !auth_off_allowed(c))
		rc = -EINVAL;
	if (!rc && sb_instance_valid(c->instance)) {
		fprintf(stderr, "stagebox-server: bad instance name '%s' (use "
			"1..32 of A-Z a-z 0-9 _ -)\n", c->instance);
		rc = -EINVAL;
	}
	return rc ? -EINVAL : 0;
}

/* Main thread.  0, or -EINVAL after printing why. */
static int load_config(struct sb_config *c, const struct flags *f)
{
	char err[512];

	sb_config_defaults(c);
	if (f->config && sb_config_load(c, f->config, err, sizeof(err))) {
		fprintf(stderr, "stagebox-server: %s\n", err);
		return -EINVAL;
	}
	return apply_flags(c, f);
}

static void on_signal(int sig)
{
	(void)sig;
	ctl_stop();
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* The front door: the token, the names that are the box, paths to hide. */
static int door_init(const struct sb_config *c, char *err, size_t errlen)
{
	int rc = auth_init(c->server.data_dir, strcmp(c->server.auth, "off"),
			   err, errlen);

	if (!rc)
		rc = hosts_init(c->server.hosts, c->server.http_port, err,
				errlen);
	scrub_init(c->server.data_dir, c->server.static_dir);
	return rc;
}

/* --print-token: the token on stdout (made if there is none yet). */
static int print_token(const struct sb_config *c)
{
	char tok[AUTH_TOKEN_MAX + 1], err[512];
	int rc = paths_init(c->server.data_dir, err, sizeof(err));

	if (!rc)
		rc = auth_load(c->server.data_dir, tok, sizeof(tok), err,
			       sizeof(err));
	if (rc) {
		fprintf(stderr, "stagebox-server: %s\n", err);
		return 1;
	}
	printf("%s\n", tok);
	return 0;
}

/* Main thread.  0, or -errno after printing why. */
static int start_all(const struct sb_config *c)
{
	struct ctl_opts co = { .cfg = c, .version = VERSION,
			       .modules = srv_modules };
	struct http_opts ho = { .bind = c->server.bind,
				.port = c->server.http_port,
				.static_dir = c->server.static_dir,
				.ws_port = c->server.ws_port };
	struct ws_opts wo = { .bind = c->server.bind,
			      .port = c->server.ws_port };
	char err[512];
	int rc = paths_init(c->server.data_dir, err, sizeof(err));

	if (!rc)
		rc = door_init(c, err, sizeof(err));
	if (!rc)
		rc = cmd_table_init(cmd_domains, c, err, sizeof(err));
	if (!rc)
		rc = ctl_init(&co, err, sizeof(err));

	if (!rc)
		rc = http_start(&ho, err, sizeof(err));
	if (!rc) {
		rc = ws_start(&wo, err, sizeof(err));
		if (rc)
			http_stop();
	}
	if (rc)
		fprintf(stderr, "stagebox-server: %s\n", err);
	return rc;
}

int main(int argc, char **argv)
{
	static struct sb_config cfg;
	struct flags f;
	int v6;

	if (parse_flags(argc, argv, &f))
		return 2;
	if (f.help) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (load_config(&cfg, &f))
		return 2;
	if (f.print_token)
		return print_token(&cfg);
	install_signals();
	if (start_all(&cfg)) {
		ctl_fini();
		return 1;
	}
	v6 = strchr(cfg.server.bind, ':') != NULL;
	fprintf(stderr, "stagebox-server: http://%s%s%s:%d/ (ws %d), %s\n",
		v6 ? "[" : "", cfg.server.bind, v6 ? "]" : "",
		cfg.server.http_port, cfg.server.ws_port, auth_enabled() ?
		"token in DATA/token (--print-token prints it)" :
		"auth off (loopback only)");
	ctl_run();
	http_stop();
	ws_stop();
	bus_clear();
	ctl_fini();
	return 0;
}
