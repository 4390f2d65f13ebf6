import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// The bench runs as plain `node` (npm run bench), without --expose-gc. Live heap (after a collection) is what
// tells flat memory from garbage not yet collected, so the collector is exposed at run time.
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

/** Memory of one measured pass: peak RSS above where it started, and live heap growth while rows stream. */
export interface MemoryFigure {
  /** Peak resident set size above the RSS before the pass, in MB (sampled every 20 ms). */
  peakRssGrowthMb: number;
  /** Live heap (after a full collection) at the end of the pass minus at 10% of its rows, in MB: flat is ~0. */
  liveHeapGrowthMb: number;
}

const MB = 1024 * 1024;

/**
 * Samples memory while a pass runs. `row(n)` is called by the pass as rows go by; the live heap is taken once
 * at a tenth of the rows (when the pass's own buffers, pools and caches are warm) and once at the end, so the
 * difference is what grows with the rows, not what any pass needs to start.
 */
export class MemoryProbe {
  private readonly rssBefore: number;
  private peakRss: number;
  private heapAtTenth: number | null = null;
  private readonly sampler: NodeJS.Timeout;

  constructor(private readonly totalRows: number) {
    collect();
    this.rssBefore = process.memoryUsage.rss();
    this.peakRss = this.rssBefore;
    this.sampler = setInterval(() => (this.peakRss = Math.max(this.peakRss, process.memoryUsage.rss())), 20);
  }

  row(rowsSoFar: number): void {
    if (this.heapAtTenth === null && rowsSoFar >= this.totalRows / 10) this.heapAtTenth = liveHeap();
  }

  finish(): MemoryFigure {
    clearInterval(this.sampler);
    this.peakRss = Math.max(this.peakRss, process.memoryUsage.rss());
    const heapAtEnd = liveHeap();
    return {
      peakRssGrowthMb: round((this.peakRss - this.rssBefore) / MB),
      liveHeapGrowthMb: round((heapAtEnd - (this.heapAtTenth ?? heapAtEnd)) / MB),
    };
  }
}

function liveHeap(): number {
  collect();
  return process.memoryUsage().heapUsed;
}

function round(value: number): number {
  // `|| 0`: a rounded -0.04 prints as -0.
  return Math.round(value * 10) / 10 || 0;
}
