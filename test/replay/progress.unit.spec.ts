import { ProgressReporter, describeProgress, formatDuration, renderProgressBar } from '../../apps/replay/src/output/progress';

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('replay progress', () => {
  it('renders a bar with done/total, percent, events per second and time left', () => {
    expect(renderProgressBar('rebuild', { phase: 'replay', done: 12_000, total: 50_000 }, 1_500, 100)).toBe(
      'rebuild replay [##########..............................]  12,000/50,000  24%  8,000 ev/s  ETA 0:05',
    );
    expect(renderProgressBar('rebuild', { phase: 'catch-up', done: 300, total: 0 }, 1_000, 100)).toBe('rebuild catch-up: 300 events  300 ev/s');
  });

  it('fits the bar to a narrow terminal', () => {
    const line = renderProgressBar('verify', { phase: 'replay', done: 1, total: 2 }, 1_000, 60);
    expect(line.length).toBeLessThanOrEqual(62);
    expect(line).toMatch(/\[#{8}\.{7}\] {2}1\/2 {2}50%/);
  });

  it('describes progress in plain words for logs', () => {
    expect(describeProgress('rebuild', { phase: 'replay', done: 12_000, total: 50_000 }, 1_500)).toBe(
      'rebuild replay: 12,000 of 50,000 events (24%), 8,000 events/s, about 0:05 left',
    );
    expect(formatDuration(3_725_000)).toBe('1:02:05');
    expect(formatDuration(0)).toBe('0:00');
  });

  it('on a terminal redraws the bar in place and ends it with a newline', () => {
    const time = clock();
    const written: string[] = [];
    const progress = new ProgressReporter({ isTTY: true, columns: 100, write: (t) => void written.push(t) }, 'rebuild', { now: time.now });
    progress.update({ phase: 'replay', done: 0, total: 100 });
    time.advance(50);
    progress.update({ phase: 'replay', done: 10, total: 100 }); // throttled
    time.advance(100);
    progress.update({ phase: 'replay', done: 50, total: 100 });
    progress.finish();
    expect(written).toHaveLength(4);
    expect(written.slice(0, 3).every((chunk) => chunk.startsWith('\r\x1b[2K'))).toBe(true);
    expect(written[1]).toContain('50/100');
    expect(written[3]).toBe('\n');
  });

  it('elsewhere writes a plain line per interval and one at the end of each phase', () => {
    const time = clock();
    const written: string[] = [];
    const progress = new ProgressReporter({ isTTY: false, write: (t) => void written.push(t) }, 'rebuild', {
      now: time.now,
      lineIntervalMs: 5_000,
    });
    progress.update({ phase: 'replay', done: 100, total: 1_000 });
    time.advance(1_000);
    progress.update({ phase: 'replay', done: 200, total: 1_000 });
    expect(written).toEqual([]);
    time.advance(4_000);
    progress.update({ phase: 'replay', done: 1_000, total: 1_000 });
    progress.update({ phase: 'catch-up', done: 5, total: 0 });
    time.advance(1_000);
    progress.finish();
    expect(written).toEqual([
      'rebuild replay: 1,000 of 1,000 events (100%), 200 events/s, about 0:00 left\n',
      'rebuild replay: 1,000 of 1,000 events (100%), 200 events/s, about 0:00 left\n',
      'rebuild catch-up: 5 events, 5 events/s\n',
    ]);
  });
});
