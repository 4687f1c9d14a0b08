/*
 * sb-badclient - test client that misbehaves on purpose: its process
 * callback calls malloc and free every cycle, so the RT guard's self-test
 * can prove the guard notices.  Output port out_1 carries silence.
 */
#include "tests/clients/common.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: sb-badclient [--server NAME] [--name CLIENT]\n";

static jack_port_t *out_port;

/* Keeps the compiler from folding the malloc/free pair away. */
static void *volatile sink;

/* RT: process thread - deliberately NOT real-time safe */
static int bad_process(jack_nframes_t n, void *arg)
{
	(void)arg;
	sink = malloc(64);
	free(sink);
	memset(jack_port_get_buffer(out_port, n), 0, n * sizeof(float));
	return 0;
}

/* main thread */
static void parse_args(struct sb_common *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		SB_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	c->name = "sb-badclient";
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (!sb_common_opt(c, opt, optarg, usage))
			sb_usage_fail("unknown option", usage);
	}
	if (optind < argc)
		sb_usage_fail("unexpected argument", usage);
}

int main(int argc, char **argv)
{
	struct sb_common common = { 0 };
	jack_client_t *client;
	char err[256];
	int rc;

	parse_args(&common, argc, argv);
	client = sb_open(&common, err, sizeof(err));
	if (!client)
		goto fail;
	sb_install_signals(client);
	if (sb_register_ports(client, "out", JACK_DEFAULT_AUDIO_TYPE,
			      JackPortIsOutput, &out_port, 1, err, sizeof(err)))
		goto close_client;
	if (jack_set_process_callback(client, bad_process, NULL) ||
	    jack_activate(client)) {
		snprintf(err, sizeof(err), "cannot activate JACK client");
		goto close_client;
	}
	sb_ready();
	while (!sb_quitting())
		sb_sleep_ms(10);
	rc = sb_quitting() == 2 ? SB_EXIT_RUNTIME : SB_EXIT_OK;
	jack_client_close(client);
	return rc;
close_client:
	jack_client_close(client);
fail:
	fprintf(stderr, "sb-badclient: %s\n", err);
	return SB_EXIT_RUNTIME;
}
