// The two planes of a device over time, folded from its timeline: what ran in memory, what was on disk, and what
// waited for a reboot (a hotpatch to commit, a staged update to install, a reverted hotpatch to leave).
// The fold mirrors the domain's evolve closely enough to draw; the device view is the authority for "now", so the
// last segment of each plane is labelled with the build the API reports.
import { h, s } from './dom.js';

const LANES = [
  ['memory', 'In memory'],
  ['disk', 'On disk'],
  ['pending', 'Waiting for reboot'],
];

/** Segments per lane ({ from, to, label }) and the events as markers, from timeline items in log order. */
export function foldPlanes(events, device, now = new Date().toISOString()) {
  const lanes = { memory: [], disk: [], pending: [] };
  const close = (lane, at) => {
    const last = lanes[lane].at(-1);
    if (last && last.to === null) last.to = at;
  };
  const open = (lane, at, label) => {
    close(lane, at);
    lanes[lane].push({ from: at, to: null, label });
  };
  let memory = null;
  let staged = null;
  const waiting = new Set();
  const wait = (at) => (waiting.size || staged ? open('pending', at, [...(staged ? [`install ${staged}`] : []), ...waiting].join(', ')) : close('pending', at));
  for (const event of events) {
    const at = event.occurredAt;
    const data = event.data ?? {};
    if (event.type === 'DeviceRegistered') {
      memory = data.profile?.build ?? '?';
      open('memory', at, memory);
      open('disk', at, memory);
    } else if (event.type === 'HotpatchApplied') {
      memory = `${data.build} (${data.patchId})`;
      open('memory', at, memory);
      waiting.add(`commit ${data.patchId}`);
      wait(at);
    } else if (event.type === 'UpdateStaged') {
      staged = `${data.patchId} (${data.build})`;
      wait(at);
    } else if (event.type === 'HotpatchReverted') {
      waiting.add(`remove ${data.patchId}`);
      wait(at);
    } else if (event.type === 'DeviceRebooted') {
      if (staged) memory = staged;
      open('memory', at, memory);
      open('disk', at, memory);
      staged = null;
      waiting.clear();
      wait(at);
    } else if (event.type === 'DeviceCheckedIn' && data.build && !String(memory).startsWith(data.build)) {
      memory = data.build;
      open('memory', at, memory);
      open('disk', at, memory);
    } else if (event.type === 'DeviceRetired') {
      for (const lane of Object.keys(lanes)) close(lane, at);
    }
  }
  if (device && !device.retired) {
    relabel(lanes.memory, device.memory?.build, device.memory?.release);
    relabel(lanes.disk, device.disk?.build, device.disk?.release);
  }
  for (const lane of Object.keys(lanes)) close(lane, now);
  return { lanes, markers: events.map((event) => ({ at: event.occurredAt, event })), start: events[0]?.occurredAt ?? now, end: now };
}

/** The label cut to the bar's width (about 7px a character at 11px); the full one is in the <title>. */
function fit(label, width) {
  const room = Math.floor((width - 8) / 7);
  return label.length <= room ? label : `${label.slice(0, Math.max(1, room - 1))}…`;
}

function relabel(segments, build, release) {
  const last = segments.at(-1);
  if (last && last.to === null && build) last.label = release ? `${build} (${release})` : build;
}

/** The swimlane picture: a row per lane, segments as labelled bars, events as dots on their own row. */
export function swimlanes({ lanes, markers, start, end }) {
  const width = 760;
  const left = 130;
  const row = 40;
  const t0 = Date.parse(start);
  const span = Math.max(1, Date.parse(end) - t0);
  const x = (iso) => left + ((Date.parse(iso) - t0) / span) * (width - left - 10);
  const height = (LANES.length + 1) * row + 24;
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'The device planes over time', class: 'chart', id: 'swimlanes' });
  LANES.forEach(([key, label], i) => {
    const y = i * row;
    const lane = s('g', { 'data-lane': key }, s('text', { x: 0, y: y + 25, class: 'label' }, label));
    lanes[key].forEach((segment, n) => {
      const x1 = x(segment.from);
      const w = Math.max(2, x(segment.to) - x1);
      lane.append(
        s(
          'g',
          { 'data-label': segment.label, class: `segment ${key} shade-${n % 2}` },
          s('title', {}, `${label}: ${segment.label}, ${segment.from} to ${segment.to}`),
          s('rect', { x: x1, y: y + 8, width: w, height: row - 14, rx: 3 }),
          w > 40 ? s('text', { x: x1 + 4, y: y + 26, class: 'segment-label' }, fit(segment.label, w)) : null,
        ),
      );
    });
    svg.append(lane);
  });
  const eventsY = LANES.length * row;
  const dots = s('g', { 'data-lane': 'events' }, s('text', { x: 0, y: eventsY + 25, class: 'label' }, 'Events'));
  for (const { at, event } of markers) {
    const actor = event.actor ? `${event.actor.id} (${event.actor.role})` : 'unknown actor';
    dots.append(
      s('circle', { cx: x(at), cy: eventsY + 20, r: 6, class: 'event-dot', 'data-type': event.type }, s('title', {}, `${at} ${event.type} by ${actor}, correlation ${event.correlationId ?? '—'}`)),
    );
  }
  svg.append(dots);
  const axisY = height - 6;
  for (const fraction of [0, 0.5, 1]) {
    const at = new Date(t0 + span * fraction).toISOString();
    svg.append(s('text', { x: x(at), y: axisY, 'text-anchor': fraction === 0 ? 'start' : fraction === 1 ? 'end' : 'middle', class: 'axis' }, at.slice(0, 10)));
  }
  // class wide: on a phone the lanes keep a readable size and scroll sideways (focusable, so keys can scroll it).
  return h('figure', { class: 'wide', tabindex: 0 }, h('figcaption', {}, 'Planes over time'), svg);
}
