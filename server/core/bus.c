/*
 * bus.c - client pushes, written once, handed to every sink (see bus.h).
 *
 * Sinks register on the main thread before the control loop starts and
 * are cleared after the front ends stopped, so the walk needs no lock:
 * the count is published with a release store and read with acquire.
 */
#include "server/core/bus.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "server/cmd/cmd.h"

static const struct bus_sink *sinks[BUS_MAX_SINKS];
static atomic_int n_sinks;

int bus_register(const struct bus_sink *s)
{
	int n = atomic_load_explicit(&n_sinks, memory_order_relaxed);

	if (n >= BUS_MAX_SINKS)
		return -ENOSPC;
	sinks[n] = s;
	atomic_store_explicit(&n_sinks, n + 1, memory_order_release);
	return 0;
}

void bus_clear(void)
{
	atomic_store_explicit(&n_sinks, 0, memory_order_release);
}

static int count(void)
{
	return atomic_load_explicit(&n_sinks, memory_order_acquire);
}

void bus_event_text(const char *json, size_t len)
{
	int n = count();

	for (int i = 0; i < n; i++)
		if (sinks[i]->event)
			sinks[i]->event(json, len);
}

/* Write obj once (stolen) and hand the text to fn of every sink. */
static void publish(json_t *obj, int status)
{
	char *s = obj ? json_dumps(obj, SB_JSON_FLAGS) : NULL;
	int n = count();

	json_decref(obj);
	if (!s)
		return;
	for (int i = 0; i < n; i++) {
		void (*fn)(const char *, size_t) =
			status ? sinks[i]->status : sinks[i]->event;

		if (fn)
			fn(s, strlen(s));
	}
	free(s);
}

void bus_event(json_t *ev)
{
	publish(ev, 0);
}

void bus_status(json_t *st)
{
	publish(st, 1);
}

int bus_clients(void)
{
	int n = count(), total = 0;

	for (int i = 0; i < n; i++)
		if (sinks[i]->clients)
			total += sinks[i]->clients();
	return total;
}
