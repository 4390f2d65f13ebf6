/**
 * Runs tasks a few at a time, those of one key in the order they were given. The import sends each device's
 * rows in file order (a device's facts must not overtake each other), while rows of different devices share
 * the database's round trips and commits: one at a time, an import waits on every commit in turn.
 */
export class KeyedLimiter {
  /** The last task started per key; a key's next task starts when it settles. */
  private readonly tails = new Map<string, Promise<void>>();
  private readonly running = new Set<Promise<void>>();
  private failure: { error: unknown } | null = null;

  constructor(private readonly limit: number) {}

  /**
   * Waits until fewer than `limit` tasks are running or waiting for their key, then queues `task`. Resolves
   * once it is queued, not done; a failed task makes this (and `drain`) throw, so the caller stops reading.
   */
  async run(key: string | null, task: () => Promise<void>): Promise<void> {
    while (this.running.size >= this.limit) await Promise.race(this.running);
    this.throwIfFailed();
    const previous = key === null ? undefined : this.tails.get(key);
    // A settled entry never rejects: the error is kept and rethrown here, never left as an unhandled rejection.
    const settled: Promise<void> = (previous ?? Promise.resolve())
      .then(task)
      .catch((error: unknown) => void (this.failure ??= { error }))
      .finally(() => {
        this.running.delete(settled);
        if (key !== null && this.tails.get(key) === settled) this.tails.delete(key);
      });
    this.running.add(settled);
    if (key !== null) this.tails.set(key, settled);
  }

  /** Waits for every queued task; throws the first failure. */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.race(this.running);
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }
}
