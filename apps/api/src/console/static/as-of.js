// The device as of a moment: a slider over the moments its log changed it, each answered by
// GET /v1/devices/{id}?asOf=. The stops are the recordedAt of its events (asOf reads the log as recorded) plus
// "now": between two events the device is as the earlier one left it, so these stops reach every state it was
// ever in, where a slider over clock time would mostly move between identical answers.
import { api } from './api.js';
import { h, showError, table, when } from './dom.js';

const list = (values) => (values && values.length ? values.join(', ') : '—');
const plane = (name, p) => [name, p?.build ?? '—', p?.release ?? '—', list(p?.hotpatches?.map((hp) => hp.patchId ?? hp))];

function snapshot(device) {
  const waiting = [device.pendingRestart ? `a restart to install ${device.pendingRestart.patchId}` : null, device.pendingCommit?.length ? `a commit of ${list(device.pendingCommit)}` : null].filter(Boolean);
  return h(
    'div',
    { id: 'as-of-planes' },
    table('The device then', ['Plane', 'Build', 'Release', 'Hotpatches'], [plane('In memory', device.memory), plane('On disk', device.disk)]),
    h('p', { id: 'as-of-waiting' }, waiting.length ? `Waiting for ${waiting.join(' and ')}.` : 'Waiting for no reboot.'),
  );
}

export function asOfSlider(deviceId, events, now) {
  const stops = [...events.map((event) => ({ at: event.recordedAt, label: `after ${event.type}` })), { at: null, label: 'now' }];
  const last = stops.length - 1;
  const input = h('input', { id: 'as-of-slider', type: 'range', min: 0, max: last, step: 1, value: last, 'aria-describedby': 'as-of-moment' });
  const moment = h('output', { id: 'as-of-moment', for: 'as-of-slider' });
  const section = h(
    'section',
    { id: 'as-of', 'aria-label': 'The device as of a moment' },
    h('h3', {}, 'As of a moment'),
    h('label', { for: 'as-of-slider' }, 'Moment in the log '),
    input,
    ' ',
    moment,
    snapshot(now),
  );
  // Answers can arrive out of order while the slider moves: only the latest request may redraw.
  let asked = 0;
  const show = async (index) => {
    const ticket = ++asked;
    const stop = stops[index];
    moment.replaceChildren(stop.label, ' ', stop.at ? when(stop.at) : '');
    const device = stop.at ? await api(`/v1/devices/${encodeURIComponent(deviceId)}?asOf=${encodeURIComponent(stop.at)}`) : now;
    if (ticket !== asked) return;
    section.querySelector('#as-of-planes').replaceWith(snapshot(device));
    section.dataset.stop = String(index);
  };
  input.addEventListener('input', () => show(Number(input.value)).catch(showError));
  moment.replaceChildren(stops[last].label);
  section.dataset.stop = String(last);
  return section;
}
