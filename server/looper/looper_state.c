/*
 * looper_state.c - the looper module: snapshot -> JSON, WebSocket pushes,
 * the session mirror, unsaved flags, autosave and restore.
 *
 * Everything here belongs to the control thread.  The engine's snapshot
 * is read at most every READ_EVERY_NS; the mirror of which stream each
 * track plays comes from SB_EVT_LOOPER_TRACK so it is exact even between
 * reads.
 */
#include "server/looper/looper_state.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/audio/chunks.h"
#include "server/audio/take_gc.h"
#include "server/audio/wavio.h"
#include "server/core/bus.h"
#include "server/looper/looper_msg.h"
#include "server/looper/track_io.h"

#define MS 1000000ull
#define READ_EVERY_NS (20 * MS)
#define PUSH_EVERY_NS (1000 * MS / 15)
#define AUTOSAVE_DELAY_NS (500 * MS)
#define AUTOSAVE_RETRY_NS (1000 * MS)
#define RESTORE_WAIT_NS (3000 * MS)	/* chunks_ready() at the latest */
#define N_TRACKS SESSION_TRACKS

static struct {
	int n_columns, n_tracks;	/* from the config; never change */
	int sel_column, sel_track;
	struct sb_looper_status snap;	/* last snapshot read */
	int connected;
	uint64_t next_read_ns, next_push_ns;
	char *last_push;		/* JSON text of the last push */
	/* mirror from events */
	struct sess_track mirror[N_TRACKS];
	int32_t column_beats[SB_MAX_COLUMNS];
	struct sess_track saved[N_TRACKS];	/* as last saved/loaded */
	/* autosave */
	int ready;		/* restore decided: autosave may write .last */
	int restore_pending;	/* waiting for chunks_ready() */
	uint64_t restore_by_ns;	/* ... but not longer than this */
	int restoring;
	struct sess_state as_seen;	/* last state looked at */
	struct sess_state as_written;	/* what .last holds (we think) */
	uint64_t as_due_ns;
	int as_running;
	uint32_t rate;			/* the engine's, last read whole */
	int decide_pending;		/* a restarted engine not looked at */
	int gc_started;			/* the start-up take collection */
	/* takes an engine crash cut short (recover.h) */
	struct sess_track settled[N_TRACKS];	/* last layer played */
	struct sess_state rec_state;	/* the stage when the engine died */
	struct recover_take rec[N_TRACKS];
	int n_rec;
	int recovering;			/* session_recover runs */
} L;

static json_t *word_or_null(const char *const *words, int v)
{
	const char *w = looper_word(words, v);

	return w ? json_string(w) : json_null();
}

/* Any thread after init. */
int looper_columns(void)
{
	return L.n_columns;
}

int looper_tracks(void)
{
	return L.n_tracks;
}

/* --- unsaved flags --- */

static int same_track(const struct sess_track *a, const struct sess_track *b)
{
	return a->stream == b->stream && a->state == b->state &&
	       a->solo == b->solo && a->volume == b->volume;
}

static int unsaved(int i)
{
	const struct sess_track *m = &L.mirror[i];

	if (!m->stream && !L.saved[i].stream)
		return 0;	/* empty and saved empty (or never saved) */
	return !same_track(m, &L.saved[i]);
}

/*
 * Session hook.  After a save everything in s is on disk; after a load
 * of the autosave, tracks that were unsaved when it was written stay
 * unsaved (keep_unsaved), so a power cycle does not hide unsaved work.
 */
static void mark_saved(const struct sess_state *s, int keep_unsaved)
{
	for (int i = 0; i < N_TRACKS; i++) {
		L.saved[i] = s->track[i];
		L.saved[i].unsaved = 0;
		if (keep_unsaved && s->track[i].unsaved)
			L.saved[i].stream = UINT64_MAX;	/* never matches */
	}
}

/* --- JSON --- */

static json_t *track_json(const struct sb_track_status *ts, int t, int i)
{
	json_t *o = json_object();

	json_object_set_new(o, "index", json_integer(t));
	json_object_set_new(o, "state", word_or_null(looper_state_words, ts->state));
	json_object_set_new(o, "next_state",
			    word_or_null(looper_state_words,
						 ts->next_state));
	json_object_set_new(o, "pending_action",
			    ts->pending_action > 0 ?
			    word_or_null(looper_action_words,
					 ts->pending_action) :
			    json_null());
	json_object_set_new(o, "solo", json_boolean(ts->solo));
	json_object_set_new(o, "volume", json_real(isfinite(ts->volume) ?
						   ts->volume : 0.0));
	json_object_set_new(o, "frames", json_integer((json_int_t)ts->frames));
	json_object_set_new(o, "position",
			    json_integer((json_int_t)ts->position));
	json_object_set_new(o, "layers", json_integer(ts->layers));
	json_object_set_new(o, "layer", json_integer(ts->layer));
	json_object_set_new(o, "unsaved", json_boolean(unsaved(i)));
	return o;
}

static json_t *columns_json(const struct sb_looper_status *s)
{
	json_t *cols = json_array();

	for (int c = 0; c < L.n_columns; c++) {
		json_t *tracks = json_array();

		for (int t = 0; t < L.n_tracks; t++) {
			int i = c * SB_MAX_TRACKS + t;

			json_array_append_new(tracks,
					      track_json(&s->track[i], t, i));
		}
		json_array_append_new(cols, json_pack("{s:i, s:i, s:o}",
			"index", c, "beats", (int)s->column_beats[c],
			"tracks", tracks));
	}
	return cols;
}

static json_t *transport_json(const struct sb_looper_status *s)
{
	return json_pack("{s:b, s:f, s:i, s:I, s:I, s:I}",
			 "running", s->running && L.connected,
			 "bpm", isfinite(s->bpm) ? s->bpm : 0.0,
			 "beats_per_bar", (int)s->beats_per_bar,
			 "beat", (json_int_t)s->beat,
			 "bar", (json_int_t)s->bar,
			 "pos", (json_int_t)s->pos);
}

/*
 * Take the engine's snapshot; a stale block (the engine stopped or died
 * while writing it) leaves the last good one in place.
 */
static int read_snap(const struct sb_arena *a)
{
	static struct sb_looper_status s;	/* control thread only */

	if (!a || sb_looper_read(a, &s))
		return -EAGAIN;
	L.snap = s;
	return 0;
}

/* Control thread.  Built from the last snapshot (kept while disconnected). */
json_t *looper_state_json(void)
{
	const struct sb_looper_status *s = &L.snap;
	json_t *o = json_object();

	read_snap(ctl_arena());	/* a reply is current */

	json_object_set_new(o, "connected", json_boolean(L.connected));
	json_object_set_new(o, "transport", transport_json(s));
	json_object_set_new(o, "quantize", word_or_null(
				    looper_quantize_words, s->quantize));
	json_object_set_new(o, "monitor", json_boolean(s->monitor));
	json_object_set_new(o, "click", json_pack("{s:b, s:f}",
		"enabled", s->click_enabled,
		"volume", isfinite(s->click_volume) ? s->click_volume : 0.0));
	json_object_set_new(o, "selected", json_pack("{s:i, s:i}",
		"column", L.sel_column, "track", L.sel_track));
	json_object_set_new(o, "free_chunks", json_integer(s->free_chunks));
	json_object_set_new(o, "columns", columns_json(s));
	return o;
}

/* --- selection --- */

void looper_selected(int *column, int *track)
{
	*column = L.sel_column;
	*track = L.sel_track;
}

void looper_select(int column, int track)
{
	L.sel_column = column;
	L.sel_track = track;
	L.next_push_ns = 0;	/* the UI shows the selection at once */
}

/* --- session mirror --- */

/* Recording/overdubbing tracks are not settled: their take is growing. */
static int session_track_state(int32_t state)
{
	switch (state) {
	case SB_TRACK_PLAYING:
	case SB_TRACK_MUTED:
		return state;
	case SB_TRACK_RECORDING:
	case SB_TRACK_OVERDUBBING:
		return SB_TRACK_PLAYING;
	default:
		return SB_TRACK_EMPTY;
	}
}

static void on_track(const struct sb_looper_args *a)
{
	struct sess_track *m;
	int i;

	if (a->column < 0 || a->column >= L.n_columns || a->track < 0 ||
	    a->track >= L.n_tracks)
		return;
	i = a->column * SB_MAX_TRACKS + a->track;
	m = &L.mirror[i];
	m->state = a->value;	/* raw engine state; mapped when saved */
	m->stream = a->value == SB_TRACK_EMPTY ? 0 : a->stream;
	m->frames = m->stream ? a->frames : 0;
	m->solo = a->solo;
	m->volume = a->gain;
	/* what a crash during the next take falls back to */
	if (m->state == SB_TRACK_PLAYING || m->state == SB_TRACK_MUTED ||
	    m->state == SB_TRACK_EMPTY)
		L.settled[i] = *m;
}

/* A live engine we did not start with: take its tracks as they are. */
static void adopt_snapshot(void)
{
	for (int i = 0; i < N_TRACKS; i++) {
		const struct sb_track_status *ts = &L.snap.track[i];
		struct sess_track *m = &L.mirror[i];

		m->state = ts->state;
		m->stream = ts->state == SB_TRACK_EMPTY ? 0 : ts->stream;
		m->frames = m->stream ? ts->frames : 0;
		m->solo = ts->solo;
		m->volume = ts->volume;
		L.settled[i] = *m;
	}
	memcpy(L.column_beats, L.snap.column_beats, sizeof(L.column_beats));
}

static int any_track(const struct sb_looper_status *s)
{
	for (int i = 0; i < N_TRACKS; i++)
		if (s->track[i].state != SB_TRACK_EMPTY)
			return 1;
	return 0;
}

static int any_recording(void)
{
	for (int i = 0; i < N_TRACKS; i++) {
		int st = L.mirror[i].state;

		if (st == SB_TRACK_RECORDING || st == SB_TRACK_OVERDUBBING)
			return 1;
	}
	return 0;
}

/* Control thread. */
void looper_session_state(struct sess_state *s)
{
	read_snap(ctl_arena());	/* a save right after a change has it */
	memset(s, 0, sizeof(*s));
	s->bpm = L.snap.bpm;
	s->beats_per_bar = L.snap.beats_per_bar;
	s->quantize = L.snap.quantize;
	s->monitor = L.snap.monitor;
	s->click_enabled = L.snap.click_enabled;
	s->click_volume = L.snap.click_volume;
	s->n_columns = (uint32_t)L.n_columns;
	s->n_tracks = (uint32_t)L.n_tracks;
	if (ctl_arena_mapped()) {
		struct sb_status st;

		if (sb_status_read(ctl_arena_mapped(), &st) == 0 &&
		    st.sample_rate)
			L.rate = st.sample_rate;
	}
	s->rate = L.rate;	/* a stale block keeps the last */
	memcpy(s->column_beats, L.column_beats, sizeof(s->column_beats));
	for (int i = 0; i < N_TRACKS; i++) {
		s->track[i] = L.mirror[i];
		s->track[i].state = session_track_state(L.mirror[i].state);
		s->track[i].unsaved = unsaved(i);
	}
}

/* --- restore and autosave --- */

static void restore_logged(void *ctx, int status, json_t *body)
{
	(void)ctx;
	if (status != 200) {
		char *s = json_dumps(body, SB_JSON_FLAGS);

		fprintf(stderr, "stagebox-server: restoring the last session "
			"failed (%d): %s\n", status, s ? s : "?");
		free(s);
	}
	json_decref(body);
}

static int no_layers(const struct sb_looper_status *s)
{
	for (int i = 0; i < N_TRACKS; i++)
		if (s->track[i].layers > 0 || s->track[i].state != SB_TRACK_EMPTY)
			return 0;
	return 1;
}

/* --- takes an engine crash cut short (recover.h) --- */

static void drop_recovery(void)
{
	for (int i = 0; i < L.n_rec; i++)
		take_gc_unpin(L.rec[i].stream);
	L.n_rec = 0;
}

/*
 * The engine is gone.  Note the stage as it was and, for every track
 * that was recording or overdubbing, which take it was writing: a new
 * engine that starts empty gets those takes back (restore_tick).
 */
static void note_lost(void)
{
	drop_recovery();
	if (!L.ready || L.restoring || L.recovering || !any_recording())
		return;
	looper_session_state(&L.rec_state);
	for (int i = 0; i < N_TRACKS; i++) {
		const struct sess_track *m = &L.mirror[i];
		struct recover_take *r = &L.rec[L.n_rec];

		if ((m->state != SB_TRACK_RECORDING &&
		     m->state != SB_TRACK_OVERDUBBING) || !m->stream)
			continue;
		*r = (struct recover_take){ .column = i / SB_MAX_TRACKS,
			.track = i % SB_MAX_TRACKS, .kind = m->state,
			.stream = m->stream, .frames = m->frames,
			.volume = m->volume, .solo = m->solo,
			.prev = L.settled[i] };
		r->prev.state = session_track_state(r->prev.state);
		r->prev.unsaved = 1;
		L.rec_state.track[i] = r->prev;
		take_gc_pin(m->stream);
		L.n_rec++;
	}
}

/* Hand the noted takes to the session store; 0 when it runs. */
static int start_recovery(void)
{
	for (int i = 0; i < L.n_rec; i++) {
		L.rec[i].new_stream = wavio_new_stream();
		take_gc_hold(L.rec[i].new_stream);
	}
	if (!L.n_rec || session_recover(&L.rec_state, L.rec, L.n_rec))
		return -EAGAIN;
	L.recovering = 1;
	return 0;
}

/* --- restore and autosave --- */

/* An engine that starts empty gets the autosaved stage back. */
static void maybe_restore(void)
{
	const struct sb_arena *a = ctl_arena();

	if (!a)
		return;
	if (read_snap(a)) {
		L.decide_pending = 1;	/* stale: look again next tick */
		return;
	}
	L.decide_pending = 0;
	take_gc_engine(atomic_load(&a->hdr->engine_generation),
		       a->hdr->created_ns, no_layers(&L.snap));
	if (any_track(&L.snap)) {
		drop_recovery();	/* it kept its tracks */
		adopt_snapshot();
		L.ready = 1;
		return;
	}
	memset(L.mirror, 0, sizeof(L.mirror));
	memset(L.settled, 0, sizeof(L.settled));
	L.restore_pending = 1;	/* looper commands wait from now on */
	L.restore_by_ns = sb_now_ns() + RESTORE_WAIT_NS;
}

/* Load .last: looper commands stay parked until it is over. */
static void submit_restore(void)
{
	json_t *args = json_pack("{s:s}", "name", SESSION_LAST);

	L.restoring = 1;
	if (cmd_submit("looper.load_session", args, restore_logged, NULL)) {
		L.restoring = 0;
		L.ready = 1;
		ctl_release_parked();
	}
}

/*
 * Free chunks are all back, and a dead engine's filled chunks are in
 * their take files, only once the chunks module reconciled.
 */
static void restore_tick(uint64_t now)
{
	if (!L.restore_pending || (!chunks_ready() && now < L.restore_by_ns))
		return;
	L.restore_pending = 0;
	if (start_recovery() == 0)
		return;		/* recovered() submits the restore */
	drop_recovery();
	submit_restore();
}

/* Session hook: .last now holds the recovered takes (or is as it was). */
static void recovered(int rc)
{
	(void)rc;	/* logged by the store; restore what .last holds */
	L.recovering = 0;
	drop_recovery();
	submit_restore();
}

/* The looper's gate: its commands wait for a restore or a load. */
int looper_gate(void)
{
	return L.restore_pending || L.decide_pending || L.recovering ||
	       session_loading();
}

/* Session hook: a load ended; after .last, the restore is over. */
static void load_over(int last)
{
	if (last) {
		L.restoring = 0;
		L.ready = 1;
		/* what was restored is what .last holds: no rewrite needed */
		looper_session_state(&L.as_written);
		L.as_seen = L.as_written;
	}
	ctl_release_parked();
}

/* Session hook. */
static void autosave_done(int rc)
{
	L.as_running = 0;
	if (rc) {
		memset(&L.as_written, 0, sizeof(L.as_written));
		L.as_due_ns = sb_now_ns() + AUTOSAVE_RETRY_NS;
	}
}

static void autosave_tick(uint64_t now)
{
	struct sess_state cur;

	if (!L.ready || L.restoring || L.recovering || L.restore_pending ||
	    L.decide_pending || !L.connected)
		return;
	looper_session_state(&cur);
	if (memcmp(&cur, &L.as_seen, sizeof(cur))) {
		L.as_seen = cur;
		L.as_due_ns = now + AUTOSAVE_DELAY_NS;
		return;
	}
	if (now < L.as_due_ns || L.as_running || any_recording() ||
	    !memcmp(&cur, &L.as_written, sizeof(cur)))
		return;
	if (session_autosave(&cur) == 0) {
		L.as_written = cur;
		L.as_running = 1;
	} else {
		L.as_due_ns = now + AUTOSAVE_DELAY_NS;
	}
}

/* --- pushes --- */


static void push_tick(uint64_t now)
{
	json_t *o;
	char *s;

	if (now < L.next_push_ns)
		return;
	L.next_push_ns = now + PUSH_EVERY_NS;
	o = json_pack("{s:s}", "type", "looper");
	json_object_update_new(o, looper_state_json());
	s = json_dumps(o, SB_JSON_FLAGS);
	json_decref(o);
	if (!s || (L.last_push && strcmp(s, L.last_push) == 0)) {
		free(s);
		return;
	}
	bus_event_text(s, strlen(s));
	free(L.last_push);
	L.last_push = s;
}

static void on_nomem(const struct sb_looper_args *a)
{
	bus_event(json_pack("{s:s, s:s, s:i, s:i}", "type", "event",
			    "event", "looper.nomem",
			    "column", (int)a->column, "track", (int)a->track));
}

/* --- module hooks --- */

static const struct session_hooks hooks = {
	.saved = mark_saved,
	.autosaved = autosave_done,
	.load_over = load_over,
	.recovered = recovered,
};

static int looper_init(const struct sb_config *cfg, char *err, size_t errlen)
{
	L.n_columns = (int)cfg->geom.n_columns;
	L.n_tracks = (int)cfg->geom.n_tracks;
	if (L.n_columns < 1 || L.n_columns > SB_MAX_COLUMNS ||
	    L.n_tracks < 1 || L.n_tracks > SB_MAX_TRACKS) {
		snprintf(err, errlen, "looper grid %dx%d out of range",
			 L.n_columns, L.n_tracks);
		return -EINVAL;
	}
	L.snap.bpm = 120.0;
	L.snap.beats_per_bar = 4;
	L.snap.quantize = SB_Q_BAR;
	L.snap.monitor = 1;
	L.snap.beat = -1;
	for (int i = 0; i < N_TRACKS; i++)
		L.saved[i].volume = 1.0f;
	track_io_init();	/* uploads a previous server left half-done */
	return session_init(&hooks, L.n_columns, L.n_tracks, err, errlen);
}

static void looper_tick(uint64_t now)
{
	const struct sb_arena *a = ctl_arena();

	if (a && L.decide_pending)
		maybe_restore();
	if (a)
		restore_tick(now);
	/* the start-up collection, once the stage is settled */
	if (a && !L.gc_started && L.ready && !L.restoring && !L.recovering &&
	    take_gc_start() == 0)
		L.gc_started = 1;
	if (a && now >= L.next_read_ns) {
		L.next_read_ns = now + READ_EVERY_NS;
		read_snap(a);
		autosave_tick(now);
	}
	push_tick(now);
}

static void looper_event(const struct sb_msg *m)
{
	switch (m->type) {
	case SB_EVT_LOOPER_TRACK:
		on_track(&m->u.looper);
		break;
	case SB_EVT_LOOPER_COLUMN:
		if (m->u.looper.column >= 0 &&
		    m->u.looper.column < L.n_columns)
			L.column_beats[m->u.looper.column] = m->u.looper.value;
		break;
	case SB_EVT_LOOPER_NOMEM:
		on_nomem(&m->u.looper);
		break;
	default:
		break;
	}
}

static void looper_engine(int connected, int restarted, int remapped)
{
	(void)remapped;	/* the snapshot is copied, never pointed into */
	int was = L.connected;

	L.connected = connected;
	L.next_push_ns = 0;
	if (!connected && was)
		note_lost();
	if (connected && !restarted)
		drop_recovery();	/* a stall: the engine kept everything */
	if (connected && restarted)
		maybe_restore();
	if (!connected && (L.restore_pending || L.decide_pending)) {
		L.restore_pending = 0;	/* the next engine start decides */
		L.decide_pending = 0;
		ctl_release_parked();
	}
}

static void looper_fini(void)
{
	free(L.last_push);
	L.last_push = NULL;
}

const struct srv_module looper_module = {
	.name = "looper",
	.init = looper_init,
	.tick = looper_tick,
	.on_event = looper_event,
	.on_engine = looper_engine,
	.fini = looper_fini,
};
