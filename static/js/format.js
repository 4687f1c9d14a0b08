// Number formatting shared by the header and the meters.

export const DB_FLOOR = -60;

/** Linear amplitude (0..1+) to dBFS, clamped to [DB_FLOOR, +inf). */
export function linToDb(lin) {
  if (!(lin > 0)) return DB_FLOOR;
  return Math.max(DB_FLOOR, 20 * Math.log10(lin));
}

/** dBFS to a 0..1 position on the DB_FLOOR..0 scale. */
export function dbToFrac(db) {
  return Math.min(1, Math.max(0, (db - DB_FLOOR) / -DB_FLOOR));
}

/** "-12.3" for meter readouts; "-inf" at the floor. */
export function fmtDb(db) {
  if (db <= DB_FLOOR) return '-inf';
  if (db > -0.05) return db >= 0.05 ? `+${db.toFixed(1)}` : '0.0';
  return db.toFixed(1);
}

/** 48000 -> "48 kHz", 44100 -> "44.1 kHz". */
export function fmtRate(hz) {
  if (!Number.isFinite(hz) || hz <= 0) return null;
  const k = hz / 1000;
  return `${Number.isInteger(k) ? k : k.toFixed(1)} kHz`;
}

/** One period in milliseconds, "5.3 ms". */
export function fmtPeriodMs(frames, hz) {
  if (!(frames > 0) || !(hz > 0)) return null;
  const ms = (frames / hz) * 1000;
  return `${ms < 10 ? ms.toFixed(1) : ms.toFixed(0)} ms`;
}

/** Microseconds to a readable duration. */
export function fmtUs(us) {
  if (!Number.isFinite(us)) return '?';
  if (us < 1000) return `${us.toFixed(0)} µs`;
  return `${(us / 1000).toFixed(us < 10000 ? 2 : 1)} ms`;
}
