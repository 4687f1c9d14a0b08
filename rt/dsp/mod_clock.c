/*
 * mod_clock.c - ticks on the transport grid.  Tick k starts at transport
 * frame round(k * division * frames_per_beat), so division 1 ticks on
 * exactly the transport's beats; derived from the position alone, a
 * clock created or swapped in mid-tick keeps the grid.  A stopped
 * transport holds both outputs low.
 */
#include "rt/dsp/dsp.h"

enum { O_TRIG, O_GATE };

static const struct sb_port_def outputs[] = {
	{ "trig", "1 for the first frame of each tick" },
	{ "gate", "high for the first half of each tick" },
};
static const struct sb_param_def params[] = {
	{ .name = "division", .kind = SB_PK_NUM, .min = 0.015625f,
	  .max = 64.0f, .def = 1.0f, .unit = "beats",
	  .doc = "beats per tick: 1 = every beat, 0.25 = sixteenths, 4 = bars of 4/4" },
};

/* RT: process thread only. */
static void process(void *state, const struct sb_mod_ctx *c,
		    const float *const *in, const float *const *p,
		    float *const *out, const void *data)
{
	float *trig = out[O_TRIG], *gate = out[O_GATE];
	int run;
	uint64_t p0 = sb_transport_frame(c, 0, &run), start, next;
	double len;
	int64_t k;

	(void)state;
	(void)in;
	(void)data;
	memset(trig, 0, c->nframes * sizeof(float));
	memset(gate, 0, c->nframes * sizeof(float));
	if (!run)
		return;
	len = sb_clampf(p[0][0], 0.015625f, 64.0f) *
	      c->beats->frames_per_beat;
	k = sb_grid_index(p0, len);
	start = sb_grid_start(k, len);
	next = sb_grid_start(k + 1, len);
	for (uint32_t i = 0; i < c->nframes; i++) {
		uint64_t f = p0 + i;

		if (f >= next) {
			start = next;
			next = sb_grid_start(++k + 1, len);
		}
		trig[i] = f == start ? 1.0f : 0.0f;
		gate[i] = 2 * (f - start) < next - start ? 1.0f : 0.0f;
	}
}

const struct sb_mod_def sb_mod_clock = {
	.type = "clock",
	.doc = "transport-locked clock: a trigger and a half-duty gate per tick",
	.outputs = outputs, .n_outputs = 2,
	.params = params, .n_params = 1,
	.state_size = sb_no_state, .init = sb_init_zeroed, .process = process,
};
