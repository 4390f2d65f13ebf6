// Small SVG charts written for the console: no chart library, so nothing to fetch from a CDN and nothing to
// vendor. Every mark carries data-key/data-count so a test (or a screen reader, via <title>) reads the figure.
import { h, s } from './dom.js';

export const COLORS = ['#2f6fb3', '#3a9a5b', '#d08a1c', '#b8433f', '#7d5bb5', '#4a9aa8', '#8a8a8a', '#c25e9a'];

/** Horizontal bars, one row per item ({ key, label, value, href }); a row with an href is a drill-down link. */
export function bars(title, items, { id } = {}) {
  const max = Math.max(1, ...items.map((item) => item.value));
  const row = 30;
  const labelWidth = 150;
  const width = 460;
  // An image's children are hidden from assistive technology, so bars that are links make the chart a group.
  const role = items.some((item) => item.href) ? 'group' : 'img';
  const svg = s('svg', { viewBox: `0 0 ${width} ${items.length * row + 4}`, role, 'aria-label': title, class: 'chart' });
  items.forEach((item, i) => {
    const y = i * row + 2;
    const barWidth = Math.round(((width - labelWidth - 50) * item.value) / max);
    const mark = s(
      'g',
      { 'data-key': item.key, 'data-count': item.value },
      s('title', {}, `${item.label}: ${item.value}`),
      s('text', { x: 0, y: y + 19, class: 'label' }, item.label),
      s('rect', { x: labelWidth, y: y + 4, width: Math.max(barWidth, 1), height: row - 10, rx: 3, fill: item.color ?? COLORS[i % COLORS.length] }),
      s('text', { x: labelWidth + barWidth + 6, y: y + 19, class: 'count' }, String(item.value)),
    );
    // The link is named by what it shows (label and count), not by a separate aria-label: a name that differs from
    // the visible text is one speech input cannot say (axe: label-content-name-mismatch).
    svg.append(item.href ? s('a', { href: item.href }, mark) : mark);
  });
  return h('figure', { id }, h('figcaption', {}, title), svg);
}

/** A donut with a legend of links: the shares of a whole ({ key, label, value, href }). */
export function donut(title, items, { id } = {}) {
  const total = items.reduce((sum, item) => sum + item.value, 0);
  const radius = 60;
  const circumference = 2 * Math.PI * radius;
  const svg = s('svg', { viewBox: '0 0 160 160', role: 'img', 'aria-label': title, class: 'donut' });
  svg.append(s('circle', { cx: 80, cy: 80, r: radius, fill: 'none', stroke: '#e4e7eb', 'stroke-width': 24 }));
  let offset = 0;
  items.forEach((item, i) => {
    if (item.value === 0 || total === 0) return;
    const length = (circumference * item.value) / total;
    svg.append(
      s(
        'circle',
        {
          cx: 80,
          cy: 80,
          r: radius,
          fill: 'none',
          stroke: item.color ?? COLORS[i % COLORS.length],
          'stroke-width': 24,
          'stroke-dasharray': `${length} ${circumference - length}`,
          'stroke-dashoffset': -offset,
          transform: 'rotate(-90 80 80)',
        },
        s('title', {}, `${item.label}: ${item.value}`),
      ),
    );
    offset += length;
  });
  svg.append(s('text', { x: 80, y: 86, 'text-anchor': 'middle', class: 'total' }, String(total)));
  const legend = h(
    'ul',
    { class: 'legend' },
    items.map((item, i) =>
      h(
        'li',
        { 'data-key': item.key, 'data-count': item.value },
        h('span', { class: 'swatch', 'data-color': i % COLORS.length }),
        item.href ? h('a', { href: item.href }, `${item.label}: ${item.value}`) : `${item.label}: ${item.value}`,
      ),
    ),
  );
  return h('figure', { id, class: 'with-legend' }, h('figcaption', {}, title), svg, legend);
}

/**
 * Lines over a shared x axis: `xs` are labels (numbers or short dates), each series { key, label, values } with
 * values in [0, yMax]. Points carry data-x/data-value for tests and <title> for people.
 */
export function lines(title, xs, series, { id, yMax, yFormat = String, xLabel = '' } = {}) {
  const width = 520;
  const height = 220;
  const pad = { left: 44, right: 12, top: 10, bottom: 36 };
  const top = yMax ?? Math.max(1, ...series.flatMap((line) => line.values));
  const x = (i) => pad.left + (xs.length < 2 ? 0 : (i * (width - pad.left - pad.right)) / (xs.length - 1));
  const y = (value) => pad.top + (1 - value / top) * (height - pad.top - pad.bottom);
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': title, class: 'chart' });
  for (const tick of [0, 0.5, 1]) {
    svg.append(s('line', { x1: pad.left, x2: width - pad.right, y1: y(top * tick), y2: y(top * tick), class: 'grid' }));
    svg.append(s('text', { x: pad.left - 6, y: y(top * tick) + 4, 'text-anchor': 'end', class: 'axis' }, yFormat(top * tick)));
  }
  const every = Math.max(1, Math.ceil(xs.length / 8));
  xs.forEach((label, i) => {
    // The last label always shows; a regular one too close before it is dropped so the two do not overlap.
    const last = i === xs.length - 1;
    if ((i % every === 0 && (last || xs.length - 1 - i > every / 2)) || last) svg.append(s('text', { x: x(i), y: height - 20, 'text-anchor': last ? 'end' : 'middle', class: 'axis' }, String(label)));
  });
  svg.append(s('text', { x: width / 2, y: height - 4, 'text-anchor': 'middle', class: 'axis' }, xLabel));
  series.forEach((line, n) => {
    const color = line.color ?? COLORS[n % COLORS.length];
    const points = line.values.map((value, i) => `${x(i)},${y(value)}`).join(' ');
    const group = s('g', { 'data-series': line.key }, s('polyline', { points, fill: 'none', stroke: color, 'stroke-width': 2 }));
    line.values.forEach((value, i) =>
      group.append(s('circle', { cx: x(i), cy: y(value), r: 3, fill: color, 'data-x': xs[i], 'data-value': value }, s('title', {}, `${line.label} at ${xs[i]}: ${yFormat(value)}`))),
    );
    svg.append(group);
  });
  const legend = h('ul', { class: 'legend' }, series.map((line, n) => h('li', {}, h('span', { class: 'swatch', 'data-color': n % COLORS.length }), line.label)));
  return h('figure', { id }, h('figcaption', {}, title), svg, legend);
}
