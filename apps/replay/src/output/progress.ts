/** Where progress goes: stderr, so that stdout keeps only results (and the --json summary). */
export interface ProgressSink {
  isTTY?: boolean;
  columns?: number;
  write(text: string): void;
}

export interface ProgressState {
  phase: string;
  done: number;
  /** 0: unknown. */
  total: number;
}

export interface ProgressOptions {
  /** How often a plain (non-TTY) line is written. */
  lineIntervalMs?: number;
  /** How often the TTY bar is redrawn at most. */
  redrawIntervalMs?: number;
  now?: () => number;
}

/**
 * Long work shows where it is: on a terminal a bar redrawn in place (done/total, events per second, time
 * left), elsewhere (CI logs, pipes) a plain line every few seconds and one at the end of each phase.
 */
export class ProgressReporter {
  private state: ProgressState | null = null;
  private phaseStartedAt = 0;
  private lastDrawnAt = 0;
  private drawnOnTty = false;
  private readonly now: () => number;

  constructor(
    private readonly sink: ProgressSink,
    private readonly label: string,
    private readonly options: ProgressOptions = {},
  ) {
    this.now = options.now ?? Date.now;
  }

  update(next: ProgressState): void {
    const now = this.now();
    if (this.state === null || this.state.phase !== next.phase) {
      if (this.state !== null) this.endPhase();
      this.phaseStartedAt = now;
      // A bar shows at once; plain lines come once per interval (and one when the phase ends).
      this.lastDrawnAt = this.sink.isTTY ? Number.NEGATIVE_INFINITY : now;
    }
    this.state = next;
    const interval = this.sink.isTTY ? (this.options.redrawIntervalMs ?? 100) : (this.options.lineIntervalMs ?? 5_000);
    if (now - this.lastDrawnAt >= interval) this.draw(now);
  }

  /** Writes the final state of the current phase (a finished bar, or a closing line). */
  finish(): void {
    if (this.state !== null) this.endPhase();
    this.state = null;
  }

  private endPhase(): void {
    const now = this.now();
    if (this.sink.isTTY) {
      this.draw(now);
      if (this.drawnOnTty) this.sink.write('\n');
      this.drawnOnTty = false;
    } else if (this.state !== null && this.state.done > 0) {
      this.sink.write(`${this.describe(now)}\n`);
    }
  }

  private draw(now: number): void {
    if (this.state === null) return;
    this.lastDrawnAt = now;
    if (this.sink.isTTY) {
      this.sink.write(`\r\x1b[2K${renderProgressBar(this.label, this.state, now - this.phaseStartedAt, this.sink.columns ?? 80)}`);
      this.drawnOnTty = true;
    } else {
      this.sink.write(`${this.describe(now)}\n`);
    }
  }

  private describe(now: number): string {
    return describeProgress(this.label, this.state!, now - this.phaseStartedAt);
  }
}

function rateOf(done: number, elapsedMs: number): number {
  return elapsedMs <= 0 ? 0 : (done * 1000) / elapsedMs;
}

function etaOf(state: ProgressState, rate: number): string {
  if (state.total <= 0 || rate <= 0) return '--:--';
  return formatDuration(((state.total - Math.min(state.done, state.total)) / rate) * 1000);
}

/** `rebuild replay [#######.......]  12,000/50,000  24%  8,000 ev/s  ETA 0:05` fitted to the terminal width. */
export function renderProgressBar(label: string, state: ProgressState, elapsedMs: number, columns: number): string {
  const rate = rateOf(state.done, elapsedMs);
  if (state.total <= 0) return `${label} ${state.phase}: ${formatCount(state.done)} events  ${formatCount(Math.round(rate))} ev/s`;
  const fraction = Math.min(1, state.done / state.total);
  const tail = `  ${formatCount(state.done)}/${formatCount(state.total)}  ${Math.floor(fraction * 100)}%  ${formatCount(Math.round(rate))} ev/s  ETA ${etaOf(state, rate)}`;
  const head = `${label} ${state.phase} `;
  const width = Math.max(10, Math.min(40, columns - head.length - tail.length - 3));
  const filled = Math.round(fraction * width);
  return `${head}[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]${tail}`;
}

/** `rebuild replay: 12,000 of 50,000 events (24%), 8,000 events/s, about 0:05 left`. */
export function describeProgress(label: string, state: ProgressState, elapsedMs: number): string {
  const rate = rateOf(state.done, elapsedMs);
  if (state.total <= 0) return `${label} ${state.phase}: ${formatCount(state.done)} events, ${formatCount(Math.round(rate))} events/s`;
  const percent = Math.floor(Math.min(1, state.done / state.total) * 100);
  return (
    `${label} ${state.phase}: ${formatCount(state.done)} of ${formatCount(state.total)} events (${percent}%), ` +
    `${formatCount(Math.round(rate))} events/s, about ${etaOf(state, rate)} left`
  );
}

export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}
