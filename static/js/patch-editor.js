// The patch editor: a plain <textarea> laid exactly over a <pre> that shows
// the same text coloured (patch-highlight.js).  The textarea's own text is
// transparent, so the caret, selection, IME, undo and mobile keyboards are
// the browser's own.  The textarea is the one thing that scrolls; the
// coloured layer and the line-number gutter follow its scroll offsets.
//
// Keys: Ctrl/Cmd-Enter applies, Tab inserts two spaces (Shift-Tab and Tab
// on a multi-line selection outdent / indent), Enter keeps the indent,
// Escape then Tab leaves the editor (so the keyboard is never trapped).

import { el } from './patch-dom.js';
import { byteColToIndex, indexToByteCol, lineHtml } from './patch-highlight.js';

const INDENT = '  ';

export class PatchEditor {
  constructor({ onApply = () => {}, onChange = () => {} } = {}) {
    this.onApply = onApply;
    this.onChange = onChange;
    this.types = null;
    this.err = null; // { line, col, stale }
    this.escaped = false;
    this.lineCount = 0;
    this.shown = []; // per line: the key of what its element shows
    this.frame = 0;

    this.gutter = el('div', 'pe-gutter-in');
    this.band = el('div', 'pe-band', { hidden: true });
    this.pre = el('pre', 'pe-hl');
    this.layer = el('div', 'pe-layer', { 'aria-hidden': 'true' }, this.band, this.pre);
    this.ta = el('textarea', 'pe-ta', {
      'data-testid': 'patch-editor',
      spellcheck: 'false',
      autocapitalize: 'off',
      autocomplete: 'off',
      autocorrect: 'off',
      wrap: 'off',
      'aria-label': 'Patch text',
      'aria-describedby': 'patch-keys-hint',
    });
    this.code = el('div', 'pe-code', {}, this.layer, this.ta);
    this.root = el('div', 'pe', {}, el('div', 'pe-gutter', { 'aria-hidden': 'true' }, this.gutter), this.code);

    this.ta.addEventListener('input', () => this.changed());
    this.ta.addEventListener('scroll', () => this.follow());
    this.ta.addEventListener('keydown', (ev) => this.key(ev));
    this.render();
  }

  get value() {
    return this.ta.value;
  }

  /** Replace the whole text (loading, not typing: the undo history goes). */
  setValue(text) {
    if (text === this.ta.value) return;
    this.ta.value = text;
    this.render();
  }

  /** Module type names known to the server (unknown ones get marked). */
  setTypes(types) {
    this.types = types;
    this.shown = [];
    this.render();
  }

  /** Mark { line, col } (server numbering), or clear with null. */
  setError(err) {
    this.err = err ? { line: err.line, col: err.col, stale: false } : null;
    this.render();
  }

  changed() {
    // The text under a marked error moved; keep the mark, but dimmed,
    // until the next apply says where the error is now.
    if (this.err) this.err.stale = true;
    this.schedule();
    this.onChange(this.ta.value);
  }

  // Typing redraws once per frame, however many keys arrived.
  schedule() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  // Scroll events arrive before the frame is drawn, so the layers move
  // with the text in the same frame.
  follow() {
    const x = this.ta.scrollLeft;
    const y = this.ta.scrollTop;
    this.layer.style.transform = `translate(${-x}px, ${-y}px)`;
    this.gutter.style.transform = `translateY(${-y}px)`;
  }

  render() {
    cancelAnimationFrame(this.frame);
    this.frame = 0;
    const lines = this.ta.value.split('\n');
    const err = this.err && this.err.line > 0 ? this.err : null;
    this.renderLines(lines, err);
    this.root.classList.toggle('pe-stale', !!err?.stale);
    this.renderGutter(lines.length, err);
    this.band.hidden = !err;
    if (err) this.band.style.setProperty('--line', String(err.line - 1));
    this.follow();
  }

  // Only lines whose text (or error mark) changed are rebuilt.
  renderLines(lines, err) {
    const pre = this.pre;
    while (pre.children.length > lines.length) pre.lastElementChild.remove();
    while (pre.children.length < lines.length) pre.append(el('span', 'ln'));
    this.shown.length = lines.length;
    lines.forEach((s, i) => {
      const errAt = err && err.line === i + 1 ? byteColToIndex(s, err.col) : -1;
      const key = `${errAt}\u0000${s}`;
      if (this.shown[i] === key) return;
      this.shown[i] = key;
      pre.children[i].innerHTML = lineHtml(s, this.types, errAt);
    });
  }

  renderGutter(n, err) {
    if (n !== this.lineCount) {
      const frag = document.createDocumentFragment();
      for (let i = this.lineCount + 1; i <= n; i++) frag.append(el('div', 'pe-num', {}, String(i)));
      while (this.gutter.children.length > n) this.gutter.lastElementChild.remove();
      this.gutter.append(frag);
      this.lineCount = n;
    }
    const want = err && err.line <= n ? this.gutter.children[err.line - 1] : null;
    if (this.errNum !== want) {
      this.errNum?.classList.remove('err');
      want?.classList.add('err');
      this.errNum = want;
    }
  }

  key(ev) {
    const mod = ev.ctrlKey || ev.metaKey;
    if (ev.key === 'Enter' && mod) {
      ev.preventDefault();
      this.onApply();
    } else if (ev.key === 'Escape') {
      this.escaped = true;
      return;
    } else if (ev.key === 'Tab' && !mod && !ev.altKey && !this.escaped) {
      ev.preventDefault();
      this.indent(ev.shiftKey);
    } else if (ev.key === 'Enter' && !ev.shiftKey && !ev.altKey && !ev.isComposing) {
      ev.preventDefault();
      this.newline();
    }
    this.escaped = false;
  }

  // insertText keeps the browser's undo history; setRangeText is the
  // fallback where execCommand is gone.
  insert(text) {
    this.ta.focus();
    if (!document.execCommand('insertText', false, text)) {
      this.ta.setRangeText(text, this.ta.selectionStart, this.ta.selectionEnd, 'end');
      this.changed();
    }
  }

  newline() {
    const v = this.ta.value;
    const start = v.lastIndexOf('\n', this.ta.selectionStart - 1) + 1;
    const lead = /^[ \t]*/.exec(v.slice(start, this.ta.selectionStart))[0];
    this.insert(`\n${lead}`);
  }

  indent(out) {
    const ta = this.ta;
    const v = ta.value;
    const { selectionStart: a, selectionEnd: b } = ta;
    if (!out && !v.slice(a, b).includes('\n')) {
      this.insert(INDENT);
      return;
    }
    const from = v.lastIndexOf('\n', a - 1) + 1;
    const to = b > a && v[b - 1] === '\n' ? b - 1 : b;
    const block = v.slice(from, to);
    const lines = block.split('\n');
    const moved = lines.map((l) => (out ? l.replace(/^( {1,2}|\t)/, '') : INDENT + l));
    ta.setSelectionRange(from, to);
    this.insert(moved.join('\n'));
    const first = moved[0].length - lines[0].length;
    ta.setSelectionRange(Math.max(from, a + first), from + moved.join('\n').length);
  }

  /** Put the caret at (line, col) in server numbering and show it. */
  focusAt(line, col) {
    const lines = this.ta.value.split('\n');
    const l = Math.min(Math.max(1, line), lines.length);
    let at = 0;
    for (let i = 0; i < l - 1; i++) at += lines[i].length + 1;
    at += byteColToIndex(lines[l - 1], col);
    this.ta.focus();
    this.ta.setSelectionRange(at, at);
    const lh = parseFloat(getComputedStyle(this.pre).lineHeight) || 22;
    const y = (l - 1) * lh;
    const ta = this.ta;
    if (y < ta.scrollTop || y > ta.scrollTop + ta.clientHeight - 2 * lh)
      ta.scrollTop = Math.max(0, y - ta.clientHeight / 3);
  }

  /** The caret as { line, col } in server numbering. */
  caret() {
    const v = this.ta.value.slice(0, this.ta.selectionStart);
    const line = v.split('\n').length;
    const lineText = v.slice(v.lastIndexOf('\n') + 1);
    return { line, col: indexToByteCol(lineText, lineText.length) };
  }

  /** Insert a whole line below the caret's line (module templates). */
  insertLine(text) {
    const ta = this.ta;
    const v = ta.value;
    let end = v.indexOf('\n', ta.selectionEnd);
    if (end < 0) end = v.length;
    const lineEmpty = v.slice(v.lastIndexOf('\n', end - 1) + 1, end).trim() === '';
    if (lineEmpty) {
      const start = v.lastIndexOf('\n', end - 1) + 1;
      ta.setSelectionRange(start, end);
      this.insert(text);
    } else {
      ta.setSelectionRange(end, end);
      this.insert(`\n${text}`);
    }
  }
}
