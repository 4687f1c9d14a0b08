/*
 * bus.h - the one way the server pushes to its clients.
 *
 * Publishers (the control loop's status and xrun events, the looper, the
 * patch engine, later the sampler and transcription) hand a JSON object
 * or its text to the bus; the bus writes it once and passes the text to
 * every registered sink.  Sinks are the front ends that keep client
 * connections open: the WebSocket server today, OSC later.  Publishers
 * never name a sink, and sinks never name a publisher.
 *
 * Two kinds of push: events are delivered to every client, all of them,
 * in order; the status is "latest wins" (a slow client skips stale ones).
 */
#ifndef SB_BUS_H
#define SB_BUS_H

#include <jansson.h>
#include <stddef.h>

/* A front end's hooks; every one may be NULL.  Each copies the text. */
struct bus_sink {
	const char *name;
	void (*event)(const char *json, size_t len);
	void (*status)(const char *json, size_t len);
	int (*clients)(void);	/* open connections */
};

#define BUS_MAX_SINKS 4

/*
 * Add a sink (kept by pointer: static storage).  Before the control loop
 * runs.  0, or -ENOSPC when BUS_MAX_SINKS are registered.
 */
/* thread: main */
int bus_register(const struct bus_sink *s);

/* Forget every sink (the front ends stopped). */
/* thread: main */
void bus_clear(void);

/* Deliver an event object (stolen; NULL is ignored) to every client. */
/* thread: any */
void bus_event(json_t *ev);

/* The same for an event already written as JSON text. */
/* thread: any */
void bus_event_text(const char *json, size_t len);

/* Replace the status every client receives next (stolen). */
/* thread: any */
void bus_status(json_t *st);

/* Open client connections over every sink. */
/* thread: any */
int bus_clients(void);

#endif
