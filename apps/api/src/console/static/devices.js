// A drill-down list: GET /v1/devices?state=…|path=…, a page at a time.
import { api } from './api.js';
import { h, showError, table, when } from './dom.js';

const pending = (device) =>
  [device.pendingRestart ? `reboot for ${device.pendingRestart.patchId}` : null, device.pendingCommit?.length ? `commit ${device.pendingCommit.join(', ')}` : null]
    .filter(Boolean)
    .join('; ') || '—';

export async function deviceList(main, params) {
  const filter = new URLSearchParams();
  for (const name of ['state', 'path', 'upToDate']) if (params.get(name)) filter.set(name, params.get(name));
  const title = [...filter.entries()].map(([name, value]) => `${name} ${value}`).join(', ') || 'all';
  main.append(h('h2', {}, `Devices: ${title}`));
  const body = h('tbody', {});
  const more = h('button', { type: 'button', hidden: true }, 'More devices');
  let cursor = null;
  const load = async () => {
    const page = await api(`/v1/devices?${filter}&limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    for (const device of page.items) {
      body.append(
        h(
          'tr',
          { 'data-device': device.deviceId },
          h('td', {}, h('a', { href: `#/device/${encodeURIComponent(device.deviceId)}` }, device.deviceId)),
          h('td', {}, device.hostname),
          h('td', {}, device.servicing?.path ?? '—'),
          h('td', {}, device.memory?.build ?? '—'),
          h('td', {}, device.disk?.build ?? '—'),
          h('td', {}, pending(device)),
          h('td', {}, device.servicing?.overdue ? 'overdue' : device.stale ? 'stale' : ''),
          h('td', {}, when(device.lastSeenAt)),
        ),
      );
    }
    cursor = page.nextCursor;
    more.hidden = !cursor;
  };
  more.addEventListener('click', () => load().catch(showError));
  await load();
  const list = table('Devices', ['Device', 'Hostname', 'Path', 'In memory', 'On disk', 'Pending', 'Flag', 'Last seen'], [], { id: 'device-list' });
  list.querySelector('tbody').replaceWith(body);
  main.append(list, more, h('p', {}, h('a', { href: '#/overview' }, 'Back to the fleet')));
}
