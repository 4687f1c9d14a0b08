/*
 * subsys.c - the table itself, and the walks over it.
 *
 * The per-subsystem state pointers live here rather than in the engine so
 * that adding a subsystem touches this table and nothing else.  One
 * engine per process, so file-scope state is enough.
 */
#include "rt/core/subsys.h"

#include <errno.h>
#include <stdio.h>

#include "rt/core/click.h"
#include "rt/looper/looper.h"
#include "rt/core/meter.h"
#include "rt/core/midi_io.h"
#include "rt/patch/patch.h"

/* Processing order. */
static const struct sb_subsys *const table[] = {
	&sb_meter_subsys,
	&sb_click_subsys,
	&sb_midi_io_subsys,
	&sb_looper_subsys,
	&sb_patch_subsys,
	&sb_out_meter_subsys,	/* last: sees the finished mix */
};

#define N_SUBSYS (sizeof(table) / sizeof(table[0]))

static void *state[N_SUBSYS];
static size_t n_ready;	/* how many of table[] are initialised */

int sb_subsys_init_all(const struct sb_rt_ctx *ctx, char *err, size_t errlen)
{
	char why[256] = "";
	int rc;

	for (n_ready = 0; n_ready < N_SUBSYS; n_ready++) {
		const struct sb_subsys *s = table[n_ready];

		state[n_ready] = NULL;
		rc = s->init ? s->init(ctx, &state[n_ready], why, sizeof(why))
			     : 0;
		if (rc) {
			snprintf(err, errlen, "subsystem %s: %s", s->name, why);
			sb_subsys_fini_all();
			return rc;
		}
	}
	return 0;
}

void sb_subsys_process_all(const struct sb_block *b)
{
	for (size_t i = 0; i < n_ready; i++)
		if (table[i]->process)
			table[i]->process(state[i], b);
}

int sb_subsys_dispatch(const struct sb_msg *m)
{
	for (size_t i = 0; i < n_ready; i++) {
		const struct sb_subsys *s = table[i];

		if (s->handle_cmd && m->type >= s->cmd_first &&
		    m->type <= s->cmd_last) {
			s->handle_cmd(state[i], m);
			return 0;
		}
	}
	return -ENOSYS;
}

void sb_subsys_report_all(struct sb_status *st)
{
	for (size_t i = 0; i < n_ready; i++)
		if (table[i]->report)
			table[i]->report(state[i], st);
}

void sb_subsys_report_looper_all(struct sb_looper_status *ls)
{
	for (size_t i = 0; i < n_ready; i++)
		if (table[i]->report_looper)
			table[i]->report_looper(state[i], ls);
}

void sb_subsys_fini_all(void)
{
	while (n_ready > 0) {
		n_ready--;
		if (table[n_ready]->fini)
			table[n_ready]->fini(state[n_ready]);
		state[n_ready] = NULL;
	}
}
