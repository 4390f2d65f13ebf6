import { PgListener } from '@patchstate/event-store';

/** The projector notifies this channel when a batch commits: the applied position may have moved. */
export const APPLIED_CHANNEL = 'patchstate_applied';

interface Waiter {
  position: bigint;
  resolve(): void;
}

/**
 * Read-your-writes waiters of one process, woken together: one check of the applied position serves every
 * waiting request, whether one waits or a thousand. Checks run when the projector notifies, when a new
 * waiter arrives (coalesced per turn of the event loop), and on a slow safety poll in case a notification
 * was missed or the listening connection is down.
 */
export class AppliedWatcher {
  private readonly waiters = new Set<Waiter>();
  private scheduled = false;
  private checking = false;
  private checkAgain = false;
  private poll: NodeJS.Timeout | null = null;

  constructor(
    private readonly listener: PgListener,
    /** Advances the applied position as far as `wanted` and answers it (gap-free: all before it applied too). */
    private readonly appliedThrough: (wanted: bigint) => Promise<bigint>,
    private readonly safetyPollMs: number,
  ) {}

  /** Resolves true once `position` is applied, false when `maxWaitMs` passes first. */
  wait(position: bigint, maxWaitMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const waiter: Waiter = {
        position,
        resolve: () => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve(true);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        resolve(false);
      }, maxWaitMs);
      this.waiters.add(waiter);
      void this.listener.ensure();
      this.startPolling();
      this.requestCheck();
    });
  }

  /** A notification arrived (or the poll fired): check once on the next turn, for everyone waiting. */
  requestCheck(): void {
    if (this.scheduled || this.waiters.size === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.check();
    });
  }

  private async check(): Promise<void> {
    if (this.checking) {
      this.checkAgain = true;
      return;
    }
    this.checking = true;
    try {
      do {
        this.checkAgain = false;
        if (this.waiters.size === 0) break;
        const highest = [...this.waiters].reduce((max, w) => (w.position > max ? w.position : max), 0n);
        const through = await this.appliedThrough(highest).catch(() => -1n);
        for (const waiter of [...this.waiters]) if (waiter.position <= through) waiter.resolve();
      } while (this.checkAgain);
    } finally {
      this.checking = false;
    }
  }

  private startPolling(): void {
    if (this.poll) return;
    this.poll = setInterval(() => {
      if (this.waiters.size === 0) {
        if (this.poll) clearInterval(this.poll);
        this.poll = null;
        return;
      }
      // Without a listening connection nothing else wakes the waiters: poll at the safety interval, reconnecting.
      void this.listener.ensure();
      this.requestCheck();
    }, this.safetyPollMs);
  }

  async close(): Promise<void> {
    if (this.poll) clearInterval(this.poll);
    this.poll = null;
    await this.listener.close();
  }
}
