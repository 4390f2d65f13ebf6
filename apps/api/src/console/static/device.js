// A device: both planes as swimlanes over time (GET /v1/devices/{id}/timeline), the device view now
// (GET /v1/devices/{id}), a slider for the device as of a moment, its hash-chain check, and, for roles that may send device commands, command buttons.
import { api } from './api.js';
import { h, showError, table, when } from './dom.js';
import { foldPlanes, swimlanes } from './swimlanes.js';
import { asOfSlider } from './as-of.js';

const list = (values) => (values && values.length ? values.join(', ') : '—');

/** All of a device's events, a page of 1000 at a time (a long-lived device has more than one page). */
async function timeline(id) {
  const items = [];
  let cursor = null;
  do {
    const page = await api(`/v1/devices/${id}/timeline?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

export async function deviceView(main, deviceId, session) {
  const id = encodeURIComponent(deviceId);
  const [device, events, chain] = await Promise.all([api(`/v1/devices/${id}`), timeline(id), api(`/v1/audit/verify?deviceId=${id}`)]);
  const plane = (name, p) => [name, p?.build ?? '—', p?.release ?? '—', p?.baselineKb ?? '—', list(p?.hotpatches?.map((hp) => hp.patchId ?? hp))];
  const servicing = device.servicing ?? {};
  main.append(
    h('h2', {}, `Device ${device.deviceId}`),
    h('p', {}, `${device.hostname} · ${device.profile?.product} ${device.profile?.edition} ${device.profile?.architecture}${device.retired ? ' · retired' : ''}`),
    swimlanes(foldPlanes(events, device)),
    table('Planes now', ['Plane', 'Build', 'Release', 'Baseline', 'Hotpatches'], [plane('In memory', device.memory), plane('On disk', device.disk)], { id: 'planes' }),
    table(
      'Waiting for a reboot',
      ['Kind', 'What', 'Since'],
      [
        ['Restart to install', device.pendingRestart ? `${device.pendingRestart.patchId} (${device.pendingRestart.build})` : '—', when(device.pendingRestart?.stagedAt)],
        ['Commit to disk', list(device.pendingCommit), when(device.pendingCommitSince)],
        ['Removal', list(device.pendingRemoval), ''],
      ],
      { id: 'pending' },
    ),
    asOfSlider(device.deviceId, events, device),
    table(
      'Servicing and eligibility',
      ['Path', 'Reasons', 'Offered', 'Deadline', 'Eligible', 'Last seen'],
      [
        [
          servicing.path ?? '—',
          list(servicing.reasons),
          servicing.offered ? `${servicing.offered.patchId} (${servicing.offered.build})` : 'nothing',
          servicing.deadline ? [when(servicing.deadline), servicing.overdue ? ' overdue' : ''] : '—',
          device.eligibility?.eligible ? 'yes' : `no: ${list(device.eligibility?.reasons)}`,
          [when(device.lastSeenAt), device.stale ? ' stale' : ''],
        ],
      ],
    ),
    h('p', { id: 'chain', 'data-ok': chain.ok }, chain.ok ? `Hash chain intact: ${chain.eventsChecked} events checked.` : `Hash chain broken at version ${chain.firstBroken?.version}: ${chain.firstBroken?.reason}`),
  );
  if (session?.permissions.includes('device-commands') && !device.retired) main.append(commands(device));
  main.append(
    table(
      'Events',
      ['When', 'Event', 'Actor', 'Correlation id'],
      events.map((event) => [when(event.occurredAt), event.type, event.actor ? `${event.actor.id} (${event.actor.role})` : '—', h('code', {}, event.correlationId ?? '—')]),
      { id: 'events' },
    ),
  );
}

/** Buttons for the commands an operator sends from here; the API judges them, the console only shows the answer. */
function commands(device) {
  const id = encodeURIComponent(device.deviceId);
  const send = (path, body) => () =>
    api(`/v1/devices/${id}/${path}`, { method: 'POST', body })
      // Re-render through the router: the next reads wait for this command's position.
      .then(() => window.dispatchEvent(new HashChangeEvent('hashchange')), showError);
  const offered = device.servicing?.offered;
  return h(
    'section',
    { id: 'commands', 'aria-label': 'Commands' },
    h('h3', {}, 'Commands'),
    h('button', { type: 'button', class: 'command', 'data-command': 'reboot', onclick: send('reboots', {}) }, 'Record a reboot'),
    offered && offered.patchId !== device.memory?.release
      ? h('button', { type: 'button', class: 'command', 'data-command': 'apply', onclick: send('hotpatches', { patchId: offered.patchId }) }, `Apply ${offered.patchId} as a hotpatch`)
      : null,
  );
}
