/*
 * meter.h - per-input decaying peak meter.
 *
 * Each input's peak jumps to the loudest |sample| of a block and otherwise
 * falls by SB_METER_FALL_DB_PER_S, the ballistics of a hardware peak meter:
 * a transient stays visible on a UI polled at 30 Hz.  The peaks reach the
 * server through the status snapshot (sb_status.peak), not through events.
 *
 * A meter never latches: a NaN or inf sample reads as full scale (1.0)
 * and raises the channel's over flag (sb_status.peak_over /
 * out_peak_over, also raised by a sample at or above full scale), which
 * clears SB_METER_OVER_HOLD_S after the last over; the peak then falls as
 * after any loud block.
 */
#ifndef SB_METER_H
#define SB_METER_H

#include <stdint.h>

#include "rt/core/subsys.h"

#define SB_METER_FALL_DB_PER_S 20.0f
#define SB_METER_FULL_SCALE 1.0f	/* what a non-finite sample reads as */
#define SB_METER_OVER_HOLD_S 1.0	/* how long an over flag stays set */

/* The meters' entries in the subsystem table: inputs first, the main
 * outputs last (after every subsystem has added into them). */
extern const struct sb_subsys sb_meter_subsys;
extern const struct sb_subsys sb_out_meter_subsys;

/*
 * Gain that lowers a level by SB_METER_FALL_DB_PER_S over nframes at rate.
 * Pure; no allocation.
 */
/* thread: any */
float sb_meter_fall_gain(uint32_t nframes, uint32_t rate);

/*
 * Largest |x| of n samples, a non-finite sample counting as
 * SB_METER_FULL_SCALE, so the result is always finite.  *over is set to 1
 * when a sample was non-finite or at or above full scale, else left
 * alone.  Pure.
 */
/* thread: any */
float sb_meter_block_peak(const float *x, uint32_t n, int *over);

#endif
