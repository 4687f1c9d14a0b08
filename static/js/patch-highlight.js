// Syntax colouring for the patch language.  A line-by-line scanner that
// mirrors the server's lexer (server/patch_lex.c) closely enough to colour
// while typing; it never decides whether a patch is valid - the server's
// compiler does, and its error is drawn on top (renderHtml's err).
//
// A token is { t: text, c: class or '' }.  Classes: tk-com comment, tk-str
// string (tk-note / tk-rest / tk-op inside a seq pattern), tk-num number,
// tk-note note name, tk-def id being defined, tk-node id used in a
// connection, tk-io built-in node (in, out), tk-port port after '.',
// tk-type module type (tk-unknown when not in the module list), tk-param
// parameter name, tk-word enum word, tk-arrow '->', tk-op '*', tk-punct,
// tk-bad a character the language has no use for.

const NOTE = /^[a-g](#|b|s)?-?\d+$/i;
const NUM = /^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?/i;
const WORD = /^[A-Za-z_][A-Za-z0-9_#]*/;
const PUNCT = '()[],:=.';
const BUILTIN = new Set(['in', 'out']);

function nextNonBlank(s, i) {
  while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++;
  return s[i] ?? '';
}

function prevNonBlank(s, i) {
  while (i > 0 && (s[i - 1] === ' ' || s[i - 1] === '\t')) i--;
  return s[i - 1] ?? '';
}

function wordClass(word, s, start, end, types) {
  const next = nextNonBlank(s, end);
  const prev = prevNonBlank(s, start);
  if (prev === '.') return 'tk-port';
  if (next === '(') return types && !types.has(word) ? 'tk-type tk-unknown' : 'tk-type';
  if (next === '=') return 'tk-def';
  if (next === '.') return BUILTIN.has(word) ? 'tk-io' : 'tk-node';
  if (next === ':') return 'tk-param';
  if (NOTE.test(word)) return 'tk-note';
  return 'tk-word';
}

// The inside of a string: seq mini-notation gets its own colours.
function stringTokens(body, out) {
  const re = /([a-g](?:#|b|s)?-?\d+)|(\d+(?:\.\d+)?)|(~)|([[\]<>*!@?|,])|([^a-g\d~[\]<>*!@?|,]+|.)/gi;
  let m;
  while ((m = re.exec(body))) {
    let c = 'tk-str';
    if (m[1] || m[2]) c = 'tk-str tk-note';
    else if (m[3]) c = 'tk-str tk-rest';
    else if (m[4]) c = 'tk-str tk-op';
    out.push({ t: m[0], c });
  }
}

// A string from s[i] (the opening quote) to its closing quote or the end
// of the line (unterminated: the server reports it).
function scanString(s, i, out) {
  let j = i + 1;
  while (j < s.length && s[j] !== '"') j += s[j] === '\\' ? 2 : 1;
  const closed = j < s.length;
  out.push({ t: '"', c: 'tk-str' });
  stringTokens(s.slice(i + 1, Math.min(j, s.length)), out);
  if (closed) out.push({ t: '"', c: 'tk-str' });
  return closed ? j + 1 : s.length;
}

/** One line of text -> tokens. types: Set of module type names, or null. */
export function tokenizeLine(s, types = null) {
  const out = [];
  let i = 0;
  while (i < s.length) {
    const ch = s[i];
    const rest = s.slice(i);
    let m;
    if (ch === ' ' || ch === '\t' || ch === '\r') {
      let j = i;
      while (j < s.length && (s[j] === ' ' || s[j] === '\t' || s[j] === '\r')) j++;
      out.push({ t: s.slice(i, j), c: '' });
      i = j;
    } else if (ch === '#') {
      out.push({ t: rest, c: 'tk-com' });
      i = s.length;
    } else if (ch === '"') {
      i = scanString(s, i, out);
    } else if (rest.startsWith('->')) {
      out.push({ t: '->', c: 'tk-arrow' });
      i += 2;
    } else if ((m = NUM.exec(rest)) && !/[A-Za-z_]/.test(rest[m[0].length] ?? '')) {
      out.push({ t: m[0], c: 'tk-num' });
      i += m[0].length;
    } else if ((m = WORD.exec(rest))) {
      out.push({ t: m[0], c: wordClass(m[0], s, i, i + m[0].length, types) });
      i += m[0].length;
    } else if (ch === '*') {
      out.push({ t: ch, c: 'tk-op' });
      i++;
    } else {
      out.push({ t: ch, c: PUNCT.includes(ch) ? 'tk-punct' : 'tk-bad' });
      i++;
    }
  }
  return out;
}

const ESC = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };
const escape = (t) => t.replace(/[&<>"]/g, (c) => ESC[c]);

function span(tok) {
  return tok.c ? `<span class="${tok.c}">${escape(tok.t)}</span>` : escape(tok.t);
}

/**
 * Column as the server counts it (bytes of UTF-8 from 1) -> index into the
 * JavaScript string of that line (UTF-16 units from 0).
 */
export function byteColToIndex(line, col) {
  let bytes = 0;
  let i = 0;
  while (i < line.length && bytes < col - 1) {
    const cp = line.codePointAt(i);
    bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    i += cp > 0xffff ? 2 : 1;
  }
  return i;
}

/** The reverse: string index -> server column. */
export function indexToByteCol(line, index) {
  return new TextEncoder().encode(line.slice(0, index)).length + 1;
}

// The error line: the token under the column gets the squiggle, from the
// column to the token's end; past the end of the line a marked space.
function markedLine(toks, at) {
  let pos = 0;
  let html = '';
  let done = false;
  for (const tok of toks) {
    const end = pos + tok.t.length;
    if (!done && at >= pos && at < end) {
      const cut = at - pos;
      const head = tok.t.slice(0, cut);
      const tail = tok.t.slice(cut);
      if (head) html += span({ t: head, c: tok.c });
      html += `<span class="err-mark">${span({ t: tail, c: tok.c })}</span>`;
      done = true;
    } else {
      html += span(tok);
    }
    pos = end;
  }
  if (!done) html += '<span class="err-mark err-eol"> </span>';
  return html;
}

/**
 * One line as HTML.  errAt: string index of an error's column on this
 * line (byteColToIndex), or -1.
 */
export function lineHtml(s, types = null, errAt = -1) {
  const toks = tokenizeLine(s, types);
  return errAt >= 0 ? markedLine(toks, errAt) : toks.map(span).join('');
}

/**
 * The whole text as HTML, lines separated by newlines.  err: { line, col }
 * (server numbering: from 1, col in bytes) or null.
 */
export function renderHtml(text, types = null, err = null) {
  return text.split('\n').map((s, n) =>
    lineHtml(s, types, err && err.line === n + 1 ? byteColToIndex(s, err.col) : -1)).join('\n');
}
