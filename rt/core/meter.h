/*
 * meter.h - per-input decaying peak meter.
 *
 * Each input's peak jumps to the loudest |sample| of a block and otherwise
 * falls by SB_METER_FALL_DB_PER_S, the ballistics of a hardware peak meter:
 * a transient stays visible on a UI polled at 30 Hz.  The peaks reach the
 * server through the status snapshot (sb_status.peak), not through events.
 */
#ifndef SB_METER_H
#define SB_METER_H

#include <stdint.h>

#include "rt/core/subsys.h"

#define SB_METER_FALL_DB_PER_S 20.0f

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

/* Largest |x| of n samples.  Pure. */
/* thread: any */
float sb_meter_block_peak(const float *x, uint32_t n);

#endif
