// The fleet trend: GET /v1/fleet/history answers the summary at each step of a range, folded from the log.
import { ApiError, api } from './api.js';
import { lines } from './charts.js';
import { h } from './dom.js';

const DAY = 24 * 60 * 60 * 1000;
const SERIES = [
  ['up-to-date', 'Up to date'],
  ['pending-commit', 'In memory only'],
  ['pending-restart', 'Pending reboot'],
  ['overdue', 'Overdue'],
  ['stale', 'Stale'],
];

/** The last `days` days, one point a day; a refusal is shown in place, so the rest of the overview still works. */
export async function trend(days = 30) {
  const to = new Date();
  const from = new Date(to.getTime() - days * DAY);
  try {
    // `to` is left to the server (now by its clock): a browser clock ahead of it would ask for the future.
    const history = await api(`/v1/fleet/history?from=${from.toISOString()}&step=1d`);
    const xs = history.points.map((point) => point.judgedAt.slice(5, 10));
    const series = SERIES.map(([key, label]) => ({ key, label, values: history.points.map((point) => point.byState[key] ?? 0) }));
    series.unshift({ key: 'devices', label: 'Devices', values: history.points.map((point) => point.devices) });
    return lines(`Fleet over the last ${days} days`, xs, series, { id: 'chart-trend', xLabel: 'day (month-day)' });
  } catch (error) {
    const reason = error instanceof ApiError ? `${error.code}: ${error.message}` : String(error);
    return h('p', { id: 'chart-trend', class: 'note' }, `No trend: ${reason}`);
  }
}
