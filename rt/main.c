/*
 * main.c - stagebox-rt: flags, config, start-up, signals, shutdown.
 *
 * Exit codes: 0 after SIGINT/SIGTERM (or --help, --dump-config), 1 on a
 * runtime failure (JACK unreachable, arena refused, jackd died), 2 on a
 * bad flag or config.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "rt/common/config.h"
#include "rt/core/engine.h"
#include "rt/subsys_table.h"

#define EXIT_USAGE 2
#define WAIT_TICK_NS 100000000L	/* how often the main loop looks at JACK */

struct flags {
	const char *config;
	const char *instance;
	const char *jack_server;
	const char *client_name;
	int dump_config;
	int help;
};

static const char usage_text[] =
	"usage: stagebox-rt [--config FILE] [--instance NAME] "
	"[--jack-server NAME] [--client-name NAME] [--dump-config] [--help]\n";

static int bad_usage(const char *fmt, const char *what)
{
	fprintf(stderr, "stagebox-rt: ");
	fprintf(stderr, fmt, what);
	fprintf(stderr, "\n%s", usage_text);
	return -EINVAL;
}

/* Main thread.  0, or -EINVAL after printing why and the usage line. */
static int parse_flags(int argc, char **argv, struct flags *f)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "instance", required_argument, NULL, 'i' },
		{ "jack-server", required_argument, NULL, 's' },
		{ "client-name", required_argument, NULL, 'n' },
		{ "dump-config", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	opterr = 0;	/* we word the messages ourselves */
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': f->config = optarg; break;
		case 'i': f->instance = optarg; break;
		case 's': f->jack_server = optarg; break;
		case 'n': f->client_name = optarg; break;
		case 'd': f->dump_config = 1; break;
		case 'h': f->help = 1; break;
		case ':':
			return bad_usage("flag '%s' needs a value",
					 argv[optind - 1]);
		default:
			return bad_usage("unknown flag '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return bad_usage("unexpected argument '%s'", argv[optind]);
	return 0;
}

/* Copy a flag's value over a config field, refusing silent truncation. */
static int set_field(char *dst, size_t size, const char *val,
		     const char *flag)
{
	if (!val)
		return 0;
	if (!val[0] || strlen(val) >= size) {
		fprintf(stderr, "stagebox-rt: %s must be 1..%zu characters\n",
			flag, size - 1);
		return -EINVAL;
	}
	memcpy(dst, val, strlen(val) + 1);
	return 0;
}

/* Defaults, then the file, then the flags.  0 or -EINVAL (printed). */
static int build_config(const struct flags *f, struct sb_config *c)
{
	char err[512];
	int rc = 0;

	sb_config_defaults(c);
	if (f->config && sb_config_load(c, f->config, err, sizeof(err))) {
		fprintf(stderr, "stagebox-rt: %s\n", err);
		return -EINVAL;
	}
	rc |= set_field(c->instance, sizeof(c->instance), f->instance,
			"--instance");
	rc |= set_field(c->jack.server, sizeof(c->jack.server),
			f->jack_server, "--jack-server");
	rc |= set_field(c->engine.client_name, sizeof(c->engine.client_name),
			f->client_name, "--client-name");
	if (rc)
		return -EINVAL;
	/* jack2 keeps a client's socket at the path of a server of the same
	 * name: the engine would cut every other client off its server */
	if (strcmp(c->jack.server, c->engine.client_name) == 0) {
		fprintf(stderr, "stagebox-rt: the JACK client name '%s' is the "
			"JACK server's name too; choose another "
			"engine.client_name (or --client-name)\n",
			c->engine.client_name);
		return -EINVAL;
	}
	if (sb_instance_valid(c->instance)) {
		fprintf(stderr, "stagebox-rt: bad instance name '%s' (use 1..%d "
			"of A-Z a-z 0-9 _ -)\n", c->instance, SB_INSTANCE_MAX);
		return -EINVAL;
	}
	return 0;
}

/*
 * Sleep in sigtimedwait so that SIGINT/SIGTERM are taken synchronously
 * here, never in a JACK thread.  Returns the exit code.
 */
static int wait_for_end(struct sb_engine *e, const sigset_t *sigs)
{
	const struct timespec tick = { 0, WAIT_TICK_NS };

	for (;;) {
		int sig = sigtimedwait(sigs, NULL, &tick);

		if (sig == SIGINT || sig == SIGTERM)
			return 0;
		if (sb_engine_jack_gone(e)) {
			fprintf(stderr, "stagebox-rt: JACK server went away\n");
			return 1;
		}
	}
}

static int run(const struct sb_config *c, const sigset_t *sigs)
{
	static struct sb_engine engine;	/* outlives the JACK threads */
	char err[512];
	int rc = sb_engine_open(&engine, c, sb_subsys_table,
				sb_subsys_table_len, err, sizeof(err));

	if (rc) {
		fprintf(stderr, "stagebox-rt: %s\n", err);
		return rc == -EINVAL ? EXIT_USAGE : 1;
	}
	if (sb_engine_start(&engine, c, err, sizeof(err))) {
		fprintf(stderr, "stagebox-rt: %s\n", err);
		sb_engine_close(&engine);
		return 1;
	}
	fprintf(stderr, "stagebox-rt: running (client %s, %u Hz, %u frames, "
		"arena /dev/shm/stagebox-%s)\n",
		jack_get_client_name(engine.client), engine.ctx.sample_rate,
		engine.ctx.max_frames, c->instance);
	rc = wait_for_end(&engine, sigs);
	sb_engine_close(&engine);
	return rc;
}

int main(int argc, char **argv)
{
	struct flags f = { 0 };
	struct sb_config c;
	sigset_t sigs;

	if (parse_flags(argc, argv, &f))
		return EXIT_USAGE;
	if (f.help) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (build_config(&f, &c))
		return EXIT_USAGE;
	if (f.dump_config) {
		sb_config_dump(&c, stdout);
		return 0;
	}
	/* Before any thread exists, so every thread inherits the mask. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	return run(&c, &sigs);
}
