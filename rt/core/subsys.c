/*
 * subsys.c - the walks over the list of subsystems the engine was given.
 *
 * The list and the per-subsystem state pointers live here rather than in
 * the engine, so the engine only says "all of them".  One engine per
 * process, so file-scope state is enough.
 */
#include "rt/core/subsys.h"

#include <errno.h>
#include <stdio.h>

static const struct sb_subsys *const *table;	/* as handed to init_all */
static void *state[SB_SUBSYS_MAX];
static size_t n_ready;	/* how many of table[] are initialised */

int sb_subsys_init_all(const struct sb_subsys *const *list, size_t n,
		       const struct sb_rt_ctx *ctx, char *err, size_t errlen)
{
	char why[256] = "";
	int rc;

	if (n > SB_SUBSYS_MAX) {
		snprintf(err, errlen, "%zu subsystems, at most %d", n,
			 SB_SUBSYS_MAX);
		return -EINVAL;
	}
	table = list;
	for (n_ready = 0; n_ready < n; n_ready++) {
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
