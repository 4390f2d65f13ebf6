// CVE exposure: the groups of GET /v1/cves/{id}/exposure with their devices, and the exposure window (the share
// of affected devices protected in memory and on disk N days after the fix's release) as a line chart.
import { api } from './api.js';
import { donut, lines } from './charts.js';
import { h, lookupForm, table, when } from './dom.js';

const GROUPS = [
  ['protectedOnDisk', 'Protected on disk'],
  ['protectedInMemoryOnly', 'Protected in memory only'],
  ['exposed', 'Exposed'],
  ['unknownBuild', 'Unknown build'],
];
/** Days after the release at which the window is asked: one request each, so a dozen points, not ninety. */
const WINDOW_DAYS = [1, 2, 3, 5, 7, 10, 14, 21, 30, 45, 60, 90];
const percent = (share) => `${Math.round(share * 100)}%`;

export async function cveView(main, cveId) {
  const form = lookupForm({ id: 'cve-form', label: 'CVE', inputId: 'cve-id', value: cveId, placeholder: 'CVE-2026-42910', pattern: 'CVE-\\d{4}-\\d{4,}', button: 'Show exposure', route: '#/cve' });
  main.append(h('h2', {}, 'CVE exposure'), form);
  if (!cveId) return;
  const id = encodeURIComponent(cveId);
  const pages = await Promise.all(GROUPS.map(([group]) => api(`/v1/cves/${id}/exposure?group=${group}&limit=100`)));
  const first = pages[0];
  main.append(
    h('p', {}, `${cveId}: fixed by releases from ${first.releasedAt ? new Date(first.releasedAt).toLocaleDateString() : 'an unknown date'}; ${first.affected} devices affected, ${first.notAffected} not affected.`),
    h(
      'div',
      { class: 'grid' },
      donut(
        'Exposure groups',
        GROUPS.map(([key, label]) => ({ key, label, value: first.counts[key] ?? 0 })),
        { id: 'chart-exposure' },
      ),
      await exposureWindow(id),
    ),
  );
  GROUPS.forEach(([key, label], i) => {
    const rows = pages[i].devices.items.map((device) => [
      h('a', { href: `#/device/${encodeURIComponent(device.deviceId)}` }, device.deviceId),
      when(device.protectedInMemorySince),
      when(device.protectedOnDiskSince),
    ]);
    const more = pages[i].devices.nextCursor ? ' (first 100)' : '';
    main.append(
      h(
        'section',
        { id: `group-${key}`, 'data-group': key },
        table(`${label}: ${first.counts[key] ?? 0}${more}`, ['Device', 'In memory since', 'On disk since'], rows),
      ),
    );
  });
}

async function exposureWindow(id) {
  const windows = await Promise.all(WINDOW_DAYS.map((days) => api(`/v1/cves/${id}/exposure?withinDays=${days}&limit=1`)));
  return lines(
    'Exposure window: share of affected devices protected N days after the release',
    WINDOW_DAYS,
    [
      { key: 'memory', label: 'in memory', values: windows.map((answer) => answer.window.shareInMemory) },
      { key: 'disk', label: 'on disk', values: windows.map((answer) => answer.window.shareOnDisk) },
    ],
    { id: 'chart-window', yMax: 1, yFormat: percent, xLabel: 'days after the release' },
  );
}
