// puredata.js - the reference voices as a Pure Data patch for `pd -batch`:
// per voice [phasor~ f] -> [-~ 0.5] (a naive saw: vanilla Pd has no
// band-limited one) -> [vcf~ q] (2-pole resonant, lowpass outlet) with
// [sig~ cutoff] -> [*~] by a [vline~] envelope.  One shared [metro]
// opens every envelope ([s sbon]) and a [delay] half a tick later closes
// it ([s sboff]), like the clock's gate.  Everything sums into
// [tabwrite~] into two arrays (writesf~ writes from a thread that batch
// mode outruns and quits under, leaving short files); DSP goes on at
// load, and after `seconds` of logical time [soundfiler] writes the WAV
// (synchronously) and Pd quits.

// Pd patch text.  voices: [{ freq, cutoff, q }]; env: { a, d, s, r, level }
// (seconds); tick: clock period in seconds; out: WAV path.
export function pdPatch(voices, env, tick, seconds, out) {
	const lines = ['#N canvas 0 0 800 600 12;'];
	let n = 0;
	const obj = (text) => {
		lines.push(`#X obj 0 0 ${text};`);
		return n++;
	};
	const msg = (text) => {
		lines.push(`#X msg 0 0 ${text};`);
		return n++;
	};
	const wire = (a, ao, b, bi) => lines.push(`#X connect ${a} ${ao} ${b} ${bi};`);
	const ms = (x) => +(x * 1000).toFixed(3);

	const frames = Math.round(seconds * 48000);
	obj(`table sbL ${frames}`);
	obj(`table sbR ${frames}`);
	const load = obj('loadbang');
	const trig = obj('t b b b');
	const dsp = msg('\\; pd dsp 1');
	const sink = obj('tabwrite~ sbL');
	const silence = obj('sig~ 0');
	const sinkR = obj('tabwrite~ sbR');
	const metro = obj(`metro ${ms(tick)}`);
	const half = obj(`delay ${ms(tick / 2)}`);
	const son = obj('s sbon');
	const soff = obj('s sboff');
	const end = obj(`delay ${ms(seconds)}`);
	const write = msg(`write -bytes 4 ${out} sbL sbR`);
	const filer = obj('soundfiler');
	const quit = msg('\\; pd quit');
	wire(load, 0, trig, 0);
	wire(trig, 2, dsp, 0);
	wire(trig, 2, sink, 0);
	wire(trig, 2, sinkR, 0);
	wire(silence, 0, sinkR, 0);
	wire(trig, 1, metro, 0);
	wire(trig, 0, end, 0);
	wire(metro, 0, son, 0);
	wire(metro, 0, half, 0);
	wire(half, 0, soff, 0);
	wire(end, 0, write, 0);
	wire(write, 0, filer, 0);
	wire(end, 0, quit, 0);

	const on = `${env.level} ${ms(env.a)} \\, ${env.level * env.s} ${ms(env.d)} ${ms(env.a)}`;
	for (const v of voices) {
		const osc = obj(`phasor~ ${v.freq}`);
		const centre = obj(`-~ 0.5`);
		const cut = obj(`sig~ ${v.cutoff}`);
		const flt = obj(`vcf~ ${v.q}`);
		const ron = obj('r sbon');
		const roff = obj('r sboff');
		const mon = msg(on);
		const moff = msg(`0 ${ms(env.r)}`);
		const eg = obj('vline~');
		const amp = obj('*~');
		wire(osc, 0, centre, 0);
		wire(centre, 0, flt, 0);
		wire(cut, 0, flt, 1);
		wire(ron, 0, mon, 0);
		wire(roff, 0, moff, 0);
		wire(mon, 0, eg, 0);
		wire(moff, 0, eg, 0);
		wire(flt, 1, amp, 0);
		wire(eg, 0, amp, 1);
		wire(amp, 0, sink, 0);
	}
	return lines.join('\n') + '\n';
}
