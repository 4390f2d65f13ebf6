/** Events per second over a sliding window, for the throughput gauge (counters alone need PromQL's rate()). */
export class ThroughputWindow {
  private readonly samples: { at: number; events: number }[] = [];

  constructor(private readonly windowMs = 60_000) {}

  record(events: number, at = Date.now()): void {
    this.samples.push({ at, events });
    this.trim(at);
  }

  perSecond(at = Date.now()): number {
    this.trim(at);
    const total = this.samples.reduce((sum, sample) => sum + sample.events, 0);
    return total / (this.windowMs / 1000);
  }

  private trim(now: number): void {
    while (this.samples.length > 0 && this.samples[0].at < now - this.windowMs) this.samples.shift();
  }
}
