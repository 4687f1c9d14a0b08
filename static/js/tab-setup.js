// Setup tab: Routing - where the engine's ports go in JACK - and the
// diagnostics (engine ping) that do not belong on the play screen.
// Routing:  One card per role
// (inputs, outputs, click, MIDI in, MIDI out), each engine port with its
// connections as chips (tap the x to disconnect) and a picker of the ports
// it can connect to.  Connections made by hand in JACK (qjackctl, jack_connect)
// show up here too; nothing here undoes one on its own.
// Data: GET /api/v1/jack/ports; changes: jack.connect / jack.disconnect.

const GROUPS = [
  { id: 'inputs', title: 'Inputs', hint: 'what the looper and patch hear', match: (p) => /:in_\d+$/.test(p.name) },
  { id: 'outputs', title: 'Outputs', hint: 'main mix to the PA', match: (p) => /:out_[LR]$/.test(p.name) },
  { id: 'click', title: 'Click', hint: 'metronome, e.g. to the drummer\'s headphones', match: (p) => /:click$/.test(p.name) },
  { id: 'midi_in', title: 'MIDI in', hint: 'footswitches, controllers', match: (p) => /:midi_in$/.test(p.name) },
  { id: 'midi_out', title: 'MIDI out', hint: 'clock and notes to synths', match: (p) => /:midi_out$/.test(p.name) },
];

function h(tag, props = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k in e) e[k] = v;
    else e.setAttribute(k, v);
  }
  e.append(...kids.filter((k) => k !== null && k !== undefined));
  return e;
}

// The ports one engine port may be connected to: the other direction,
// the same type, not the engine's own.
function candidates(port, all) {
  return all.filter((p) => !p.engine && p.type === port.type && p.direction !== port.direction);
}

function portRow(port, all, act) {
  const chips = h('div', { className: 'route-chips' });
  for (const other of port.connections) {
    const [src, dst] = port.direction === 'out' ? [port.name, other] : [other, port.name];
    chips.append(h('button', {
      type: 'button', className: 'route-chip', title: `Disconnect ${src} -> ${dst}`,
      dataset: { testid: 'route-chip', port: port.name, other },
      onclick: () => act('jack.disconnect', src, dst),
    }, other, h('span', { className: 'route-x', 'aria-hidden': 'true' }, '\u00d7')));
  }
  if (!port.connections.length)
    chips.append(h('span', { className: 'route-none' }, 'not connected'));
  const free = candidates(port, all).filter((p) => !port.connections.includes(p.name));
  const sel = h('select', { className: 'route-pick', 'aria-label': `Connect ${port.name} to`, dataset: { testid: 'route-pick', port: port.name } },
    h('option', { value: '' }, free.length ? 'connect to\u2026' : 'nothing to connect'),
    ...free.map((p) => h('option', { value: p.name }, p.physical ? `${p.name} (card)` : p.name)));
  sel.disabled = !free.length;
  sel.addEventListener('change', () => {
    if (!sel.value) return;
    const [src, dst] = port.direction === 'out' ? [port.name, sel.value] : [sel.value, port.name];
    act('jack.connect', src, dst);
  });
  const short = port.name.slice(port.name.indexOf(':') + 1);
  return h('div', { className: 'route-port', dataset: { testid: 'route-port', port: port.name } },
    h('div', { className: 'route-name' }, short), chips, sel);
}

export default {
  id: 'setup',
  title: 'Setup',
  mount(panel, { api }) {
    const status = h('p', { className: 'route-status', role: 'status', 'aria-live': 'polite', dataset: { testid: 'route-status' } });
    const refresh = h('button', { type: 'button', className: 'btn', textContent: 'Refresh', dataset: { testid: 'route-refresh' } });
    const body = h('div', { className: 'route-groups' });
    panel.append(h('div', { className: 'route-head' }, h('h2', {}, 'Routing'), refresh), status, body);
    // The page's diagnostics card (engine ping) moves in here.
    const tools = document.querySelector('.tools-card');
    if (tools) {
      const title = tools.querySelector('h2');
      if (title) { title.classList.remove('visually-hidden'); title.textContent = 'Diagnostics'; }
      panel.append(h('section', { className: 'route-diag', dataset: { testid: 'diagnostics' } }, tools));
    }

    let busy = false;
    async function load() {
      try {
        const r = await api.apiGet('/api/v1/jack/ports');
        render(r);
        status.textContent = `JACK server "${r.server}"`;
        status.dataset.state = 'ok';
      } catch (e) {
        body.replaceChildren();
        status.textContent = `Cannot read the JACK graph: ${e.message}`;
        status.dataset.state = 'error';
      }
    }
    async function act(cmd, source, destination) {
      if (busy) return;
      busy = true;
      try {
        await api.command(cmd, { source, destination });
      } catch (e) {
        status.textContent = `${cmd === 'jack.connect' ? 'Connect' : 'Disconnect'} failed: ${e.message}`;
        status.dataset.state = 'error';
        busy = false;
        return;
      }
      busy = false;
      await load();
    }
    function render({ ports }) {
      const mine = ports.filter((p) => p.engine);
      body.replaceChildren(...GROUPS.map((g) => {
        const list = mine.filter(g.match);
        return h('section', { className: 'route-group', dataset: { testid: `route-${g.id}` } },
          h('h3', {}, g.title, h('span', { className: 'hint' }, ` ${g.hint}`)),
          ...(list.length ? list.map((p) => portRow(p, ports, act)) : [h('p', { className: 'route-none' }, 'engine not running')]));
      }));
    }
    refresh.addEventListener('click', load);
    // Load when the tab is shown (the graph changes behind our back).
    new MutationObserver(() => { if (!panel.hidden) load(); })
      .observe(panel, { attributes: true, attributeFilter: ['hidden'] });
    if (!panel.hidden) load();
  },
};
