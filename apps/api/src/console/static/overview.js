// Fleet overview: GET /v1/fleet/summary as pictures, each mark a link to the devices it counts.
import { api } from './api.js';
import { bars, donut } from './charts.js';
import { h } from './dom.js';
import { trend } from './trend.js';

const PATH_LABELS = { hotpatch: 'Hotpatch', lcu: 'LCU (off the train)', ineligible: 'Ineligible', 'unknown-build': 'Unknown build' };
const PROTECTION = [
  ['up-to-date', 'Up to date'],
  ['hotpatched', 'Hotpatched'],
  ['pending-commit', 'In memory only'],
];
const ATTENTION = [
  ['pending-restart', 'Pending reboot'],
  ['overdue', 'Overdue'],
  ['stale', 'Stale (not heard from)'],
  ['ineligible', 'Ineligible'],
];

const stateBars = (summary, states) =>
  states.map(([key, label]) => ({ key, label, value: summary.byState[key] ?? 0, href: `#/devices?state=${key}` }));

export async function overview(main) {
  const summary = await api('/v1/fleet/summary');
  const paths = Object.entries(summary.byServicingPath).map(([key, value]) => ({
    key,
    label: PATH_LABELS[key] ?? key,
    value,
    href: `#/devices?path=${encodeURIComponent(key)}`,
  }));
  main.append(
    h('h2', {}, 'Fleet overview'),
    h('p', { id: 'fleet-total', 'data-count': summary.devices }, `${summary.devices} devices, judged at ${new Date(summary.judgedAt).toLocaleString()}`),
    h(
      'div',
      { class: 'grid' },
      donut('Servicing path', paths, { id: 'chart-path' }),
      bars('Protection', stateBars(summary, PROTECTION), { id: 'chart-protection' }),
      bars('Needs attention', stateBars(summary, ATTENTION), { id: 'chart-attention' }),
    ),
  );
  main.append(await trend());
}
