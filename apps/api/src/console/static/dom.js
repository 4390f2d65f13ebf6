// Tiny DOM builders. Text from the API always goes in as text nodes, never as HTML, so no value it returns can
// inject markup into the page.
import { ApiError } from './api.js';

const SVG_NS = 'http://www.w3.org/2000/svg';

/** An HTML element: `on*` attributes become listeners, null/false ones are left out. */
export function h(tag, attrs = {}, ...children) {
  return fill(document.createElement(tag), attrs, children);
}

/** An SVG element, same rules as h(). */
export function s(tag, attrs = {}, ...children) {
  return fill(document.createElementNS(SVG_NS, tag), attrs, children);
}

function fill(element, attrs, children) {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(typeof child === 'object' ? child : String(child));
  }
  return element;
}

/** A table from rows of cells; the first row is the header. */
export function table(caption, header, rows, attrs = {}) {
  // Focusable: on a narrow screen a table scrolls sideways in its own box, which a keyboard can only do when focused.
  return h(
    'table',
    { tabindex: 0, ...attrs },
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, header.map((cell) => h('th', { scope: 'col' }, cell)))),
    h('tbody', {}, rows.map((row) => h('tr', {}, row.map((cell) => h('td', {}, cell))))),
  );
}

/** A short, readable local time; the ISO value stays in the title for copying. */
export function when(iso) {
  if (!iso) return '—';
  return h('time', { datetime: iso, title: iso }, new Date(iso).toLocaleString());
}

/** Shows a refusal as the API worded it (code and message), or any other failure as its message. */
export function showError(error) {
  const box = document.getElementById('error');
  box.textContent = error instanceof ApiError ? `${error.code}: ${error.message}` : String(error?.message ?? error);
  box.hidden = false;
}

/**
 * A one-field form that opens a route (#/cve/<id>, #/rollout/<id>): the id goes into the hash, so the view can be
 * bookmarked and the back button works, and the router draws it like any other link.
 */
export function lookupForm({ id, label, inputId, value, placeholder, pattern, button, route }) {
  const input = h('input', { id: inputId, name: inputId, value, placeholder, required: true, pattern });
  const form = h('form', { class: 'inline', id }, h('label', { for: inputId }, label), input, h('button', { type: 'submit' }, button));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    location.hash = `${route}/${encodeURIComponent(input.value.trim())}`;
  });
  return form;
}
