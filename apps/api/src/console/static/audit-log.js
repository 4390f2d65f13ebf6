// The fleet audit log: GET /v1/audit/events filtered by actor, type and a recorded time range, a page at a time,
// and a download of the whole selection as the API streams it (ndjson, the one export it offers; no CSV).
import { api, storedKey } from './api.js';
import { h, showError, table, when } from './dom.js';

const FILTERS = ['actor', 'type', 'from', 'to'];

/** The filters as the API wants them: datetime-local inputs carry local time, the API ISO instants. */
function apiFilter(params) {
  const filter = new URLSearchParams();
  for (const name of FILTERS) {
    const value = params.get(name);
    if (!value) continue;
    filter.set(name, name === 'from' || name === 'to' ? new Date(value).toISOString() : value);
  }
  return filter;
}

function filterForm(params) {
  const field = (name, label, attrs = {}) => [h('label', { for: `audit-${name}` }, label), h('input', { id: `audit-${name}`, name, value: params.get(name) ?? '', ...attrs })];
  const form = h(
    'form',
    { class: 'inline', id: 'audit-form' },
    field('actor', 'Actor', { placeholder: 'test-operator' }),
    field('type', 'Event types', { placeholder: 'HotpatchApplied,DeviceRegistered' }),
    field('from', 'From', { type: 'datetime-local', step: 1 }),
    field('to', 'To', { type: 'datetime-local', step: 1 }),
    h('button', { type: 'submit' }, 'Filter'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const name of FILTERS) if (form.elements.namedItem(name).value.trim()) next.set(name, form.elements.namedItem(name).value.trim());
    location.hash = `#/audit?${next}`;
  });
  return form;
}

/**
 * The whole selection as ndjson: fetched with the key in its header (a plain link could not send it, and the key
 * never goes in a URL), then handed to the browser as a file from memory.
 */
async function download(filter, button) {
  const response = await fetch(`/v1/audit/events?${filter}`, { headers: { authorization: `Bearer ${storedKey() ?? ''}`, accept: 'application/x-ndjson' }, cache: 'no-store' });
  if (!response.ok) throw new Error(`download refused: HTTP ${response.status}`);
  const url = URL.createObjectURL(await response.blob());
  const link = h('a', { href: url, download: 'audit-events.ndjson', hidden: true });
  button.after(link);
  link.click();
  link.remove();
  // The browser has taken the file once click() returns to the event loop; keep the blob no longer than that.
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export async function auditView(main, params) {
  const filter = apiFilter(params);
  const body = h('tbody', {});
  const more = h('button', { type: 'button', hidden: true }, 'More events');
  const save = h('button', { type: 'button', id: 'audit-download' }, 'Download ndjson');
  save.addEventListener('click', () => download(filter, save).catch(showError));
  let cursor = null;
  const load = async () => {
    const page = await api(`/v1/audit/events?${filter}&limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    for (const event of page.items) {
      body.append(
        h(
          'tr',
          { 'data-position': event.position, 'data-type': event.type },
          h('td', {}, when(event.recordedAt)),
          h('td', {}, event.type),
          h('td', {}, h('code', {}, event.streamId)),
          h('td', {}, event.actor ? `${event.actor.id} (${event.actor.role})` : '—'),
          h('td', {}, h('code', {}, event.correlationId ?? '—')),
        ),
      );
    }
    cursor = page.nextCursor;
    more.hidden = !cursor;
  };
  more.addEventListener('click', () => load().catch(showError));
  await load();
  const list = table('Events, oldest first', ['Recorded', 'Event', 'Stream', 'Actor', 'Correlation id'], [], { id: 'audit-list' });
  list.querySelector('tbody').replaceWith(body);
  main.append(h('h2', {}, 'Audit log'), filterForm(params), h('p', {}, save), list, more);
}
