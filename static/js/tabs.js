// Tab strip.  Every section of the UI is its own module exporting
// { id, title, mount(panel, ctx) } and is registered in TABS below; the
// order here is the order on screen.

import looper from './tab-looper.js';
import sampler from './tab-sampler.js';
import patch from './tab-patch.js';
import transcribe from './tab-transcribe.js';
import setup from './tab-setup.js';

export const TABS = [looper, sampler, patch, transcribe, setup];

export function mountTabs(listEl, panelsEl, ctx) {
  const entries = TABS.map((tab) => makeTab(tab, listEl, panelsEl, ctx));

  function select(id, focus = false) {
    const pick = entries.find((e) => e.tab.id === id) ?? entries[0];
    for (const e of entries) {
      const on = e === pick;
      e.button.setAttribute('aria-selected', String(on));
      e.button.tabIndex = on ? 0 : -1;
      e.panel.hidden = !on;
    }
    if (focus) pick.button.focus();
    if (location.hash !== `#${pick.tab.id}`) history.replaceState(null, '', `#${pick.tab.id}`);
  }

  listEl.addEventListener('click', (ev) => {
    const b = ev.target.closest('[role="tab"]');
    if (b) select(b.dataset.tab);
  });
  // WAI-ARIA tabs pattern: arrows move between tabs, Home/End jump.
  listEl.addEventListener('keydown', (ev) => {
    const i = entries.findIndex((e) => e.button === document.activeElement);
    if (i < 0) return;
    const n = entries.length;
    const to = { ArrowRight: i + 1, ArrowLeft: i - 1 + n, Home: 0, End: n - 1 }[ev.key];
    if (to === undefined) return;
    ev.preventDefault();
    select(entries[to % n].tab.id, true);
  });
  window.addEventListener('hashchange', () => select(location.hash.slice(1)));
  select(location.hash.slice(1));
}

function makeTab(tab, listEl, panelsEl, ctx) {
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'tab';
  button.id = `tab-${tab.id}`;
  button.dataset.tab = tab.id;
  button.dataset.testid = `tab-${tab.id}`;
  button.setAttribute('role', 'tab');
  button.setAttribute('aria-controls', `panel-${tab.id}`);
  button.textContent = tab.title;

  const panel = document.createElement('div');
  panel.className = 'tabpanel';
  panel.id = `panel-${tab.id}`;
  panel.setAttribute('role', 'tabpanel');
  panel.setAttribute('aria-labelledby', button.id);
  panel.tabIndex = 0;
  panel.hidden = true;

  listEl.append(button);
  panelsEl.append(panel);
  tab.mount(panel, ctx);
  return { tab, button, panel };
}
