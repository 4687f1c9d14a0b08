/*
 * safety.h - the output safety stage: the last thing before out_L/out_R
 * (and the click port) leave the box.
 *
 * It runs after every subsystem that adds into the main outputs and before
 * the output meter, so the meter shows what the speakers get.  Per block,
 * in this order:
 *   1. NaN and inf samples become 0 (silence) and are counted; finite ones
 *      are kept below SB_SAFETY_MAX_IN so the arithmetic below stays
 *      finite;
 *   2. the master volume (output.volume_db, SB_CMD_OUTPUT_VOLUME; mute
 *      with SB_CMD_OUTPUT_MUTE), gliding per sample so a change never
 *      zippers;
 *   3. a brick-wall limiter without look-ahead, both channels linked: when
 *      a sample would exceed the ceiling the gain drops at once to
 *      ceiling / peak, and recovers with a SB_SAFETY_RELEASE_S time
 *      constant;
 *   4. a hard clip at the ceiling (output.ceiling_db), the final guarantee
 *      that no sample is above it.
 * The click port gets 1 and 4 only: it is a separate feed (headphones) and
 * the master volume is not its volume.
 *
 * Status (sb_status): out_volume_db, out_ceiling_db, out_gr_db (gain
 * reduction of the last block), out_flags (SB_OUT_OVER while a non-finite
 * sample or a limiter attack happened within SB_SAFETY_OVER_HOLD_S;
 * SB_OUT_MUTED), out_nonfinite and out_limited (blocks the limiter had to
 * act in).  "Over" is judged after the master volume: it says what would
 * have reached the speakers, so a hot mix turned down is not an over.
 *
 * Commands: SB_CMD_OUTPUT_VOLUME (u.output.volume_db in
 * SB_OUTPUT_VOLUME_MIN_DB..MAX_DB, else ACK -EINVAL) and
 * SB_CMD_OUTPUT_MUTE (u.output.muted); ACK 0.
 */
#ifndef SB_SAFETY_H
#define SB_SAFETY_H

#include "rt/core/subsys.h"

#define SB_SAFETY_GLIDE_S 0.010		/* master volume one-pole time const */
#define SB_SAFETY_RELEASE_S 0.050	/* limiter release time constant */
#define SB_SAFETY_OVER_HOLD_S 1.0	/* how long SB_OUT_OVER stays set */
#define SB_SAFETY_MAX_IN 1e30f		/* finite input is clamped to this */

/* The safety stage's entry in the subsystem table (just before the
 * output meter). */
extern const struct sb_subsys sb_safety_subsys;

#endif
