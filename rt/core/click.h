/*
 * click.h - the metronome on the `click` port.
 *
 * A short tone burst starts on the exact first frame of every beat while
 * the transport runs: 1.5 kHz on a bar's first beat, 1 kHz on the others,
 * about 20 ms, silent between bursts.  Both bursts are computed once at
 * init; the process thread only copies them out, scaled by a volume that
 * glides (a few ms) so a change never clicks.  Off by default, volume 0.5.
 *
 * Command: SB_CMD_CLICK_SET, u.click (struct sb_click_args: enabled 0/1,
 * volume 0..1); ACK 0, or -EINVAL for a volume outside 0..1.
 */
#ifndef SB_CLICK_H
#define SB_CLICK_H

#include <stdint.h>

#include "rt/core/subsys.h"

#define SB_CLICK_HZ 1000.0
#define SB_CLICK_ACCENT_HZ 1500.0
#define SB_CLICK_SECONDS 0.020
#define SB_CLICK_VOLUME 0.5f	/* default */

/* The click's entry in the subsystem table. */
extern const struct sb_subsys sb_click_subsys;

/*
 * Write one burst of len frames at hz into dst: a cosine whose envelope
 * rises over about 0.5 ms (the first sample is already non-zero, so the
 * onset is the beat frame itself), decays exponentially and ends at
 * zero.  Peak about 1.  Pure; no allocation.
 */
/* thread: any */
void sb_click_burst(float *dst, uint32_t len, double hz, uint32_t rate);

#endif
