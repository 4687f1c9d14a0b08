// Shared body for tabs whose feature has not been built yet.

export function placeholder(panel, title, text) {
  const h = document.createElement('h2');
  h.textContent = title;
  const p = document.createElement('p');
  p.className = 'placeholder';
  p.textContent = text;
  const soon = document.createElement('p');
  soon.className = 'soon';
  soon.textContent = 'Coming soon';
  panel.append(h, p, soon);
}
