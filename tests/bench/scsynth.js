// scsynth.js - just enough SuperCollider to run the reference voice in
// scsynth's non-realtime mode (scsynth -N) without sclang: a SynthDef
// file (format version 2, written by hand: ugens in topological order,
// inputs as (ugen, output) or (-1, constant)) and the NRT score (for
// each OSC bundle: its size as a big-endian int32, then the bundle).
//
// The voice: Saw.ar(freq) -> RLPF.ar(cutoff, rq) * EnvGen.kr(adsr) with
// the envelope gated by LFPulse.kr(rate) (the idiomatic SC voice: clock
// and envelope at control rate), Out.ar(0, ...).

const KR = 1;
const AR = 2;

class Bytes {
	constructor() {
		this.parts = [];
	}

	i8(v) { const b = Buffer.alloc(1); b.writeInt8(v); this.parts.push(b); return this; }
	i16(v) { const b = Buffer.alloc(2); b.writeInt16BE(v); this.parts.push(b); return this; }
	i32(v) { const b = Buffer.alloc(4); b.writeInt32BE(v); this.parts.push(b); return this; }
	f32(v) { const b = Buffer.alloc(4); b.writeFloatBE(v); this.parts.push(b); return this; }

	pstr(s) {
		this.parts.push(Buffer.from([s.length]), Buffer.from(s, 'ascii'));
		return this;
	}

	raw(b) { this.parts.push(b); return this; }
	done() { return Buffer.concat(this.parts); }
}

// The voice as a SCgf version 2 file.  env: { a, d, s, r, level };
// rate: gate clock in Hz (half-duty).
export function voiceSynthDef(name, { a, d, s, r, level }, rate) {
	const consts = [];
	const k = (v) => {
		const f = Math.fround(v);
		let i = consts.indexOf(f);
		if (i < 0)
			i = consts.push(f) - 1;
		return [-1, i];
	};
	const params = [['freq', 110], ['cutoff', 1000], ['rq', 0.5]];
	// Env.adsr with curve -4: levels 0 1 s 0, release node 2, no loop
	const envArgs = [k(0), k(3), k(2), k(-99),
		k(1), k(a), k(5), k(-4),
		k(s), k(d), k(5), k(-4),
		k(0), k(r), k(5), k(-4)];
	const ugens = [
		{ cls: 'Control', rate: KR, ins: [], outs: [KR, KR, KR], special: 0 },
		{ cls: 'LFPulse', rate: KR, ins: [k(rate), k(0), k(0.5)], outs: [KR] },
		{ cls: 'EnvGen', rate: KR, outs: [KR],
		  ins: [[1, 0], k(level), k(0), k(1), k(0), ...envArgs] },
		{ cls: 'Saw', rate: AR, ins: [[0, 0]], outs: [AR] },
		{ cls: 'RLPF', rate: AR, ins: [[3, 0], [0, 1], [0, 2]], outs: [AR] },
		// BinaryOpUGen special index 2: multiply
		{ cls: 'BinaryOpUGen', rate: AR, ins: [[4, 0], [2, 0]], outs: [AR], special: 2 },
		{ cls: 'Out', rate: AR, ins: [k(0), [5, 0]], outs: [] },
	];
	const b = new Bytes();
	b.raw(Buffer.from('SCgf', 'ascii')).i32(2).i16(1);
	b.pstr(name);
	b.i32(consts.length);
	consts.forEach((c) => b.f32(c));
	b.i32(params.length);
	params.forEach(([, v]) => b.f32(v));
	b.i32(params.length);
	params.forEach(([n], i) => b.pstr(n).i32(i));
	b.i32(ugens.length);
	for (const u of ugens) {
		b.pstr(u.cls).i8(u.rate).i32(u.ins.length).i32(u.outs.length);
		b.i16(u.special || 0);
		u.ins.forEach(([x, y]) => b.i32(x).i32(y));
		u.outs.forEach((o) => b.i8(o));
	}
	b.i16(0);	// variants
	return b.done();
}

function oscPad(buf) {
	const out = Buffer.alloc(Math.ceil((buf.length + 1) / 4) * 4);
	buf.copy(out);
	return out;
}

// One OSC message; args: strings, integers, floats ({ f: x } forces a
// float for a whole number) and Buffers (blobs).
export function oscMessage(addr, args = []) {
	let tags = ',';
	const parts = [];
	for (const a of args) {
		if (Buffer.isBuffer(a)) {
			tags += 'b';
			const pad = Buffer.alloc(Math.ceil(a.length / 4) * 4);
			a.copy(pad);
			parts.push(new Bytes().i32(a.length).done(), pad);
		} else if (typeof a === 'string') {
			tags += 's';
			parts.push(oscPad(Buffer.from(a)));
		} else if (typeof a === 'object') {
			tags += 'f';
			parts.push(new Bytes().f32(a.f).done());
		} else if (Number.isInteger(a)) {
			tags += 'i';
			parts.push(new Bytes().i32(a).done());
		} else {
			tags += 'f';
			parts.push(new Bytes().f32(a).done());
		}
	}
	return Buffer.concat([oscPad(Buffer.from(addr)), oscPad(Buffer.from(tags)), ...parts]);
}

// A bundle at `seconds` (NRT time) holding messages.
function bundle(seconds, messages) {
	const b = new Bytes().raw(oscPad(Buffer.from('#bundle')));
	const whole = Math.floor(seconds);
	b.i32(whole | 0).i32(Math.round((seconds - whole) * 2 ** 32) | 0);
	for (const m of messages)
		b.i32(m.length).raw(m);
	return b.done();
}

// The NRT score: load the def, start `voices` ({ freq, cutoff, rq }),
// and a no-op at `seconds` (NRT renders up to the last bundle's time).
export function nrtScore(def, name, voices, seconds) {
	const bundles = [bundle(0, [oscMessage('/d_recv', [def])])];
	voices.forEach((v, i) => bundles.push(bundle(0, [oscMessage('/s_new', [
		name, 1000 + i, 1, 0,
		'freq', { f: v.freq }, 'cutoff', { f: v.cutoff }, 'rq', { f: v.rq },
	])])));
	bundles.push(bundle(seconds, [oscMessage('/c_set', [0, 0])]));
	return Buffer.concat(bundles.map((b) => Buffer.concat([new Bytes().i32(b.length).done(), b])));
}
