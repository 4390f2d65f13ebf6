import { EventEnvelope } from '@patchstate/messaging';

/**
 * Which part of the log a replay reads. `fromTime`: only events recorded at or after it (`recorded_at`, the
 * time the service accepted the command). `toPosition`: only events up to that global position.
 */
export interface ReplayWindow {
  fromTime?: Date;
  toPosition?: string;
}

export function isWindowed(window: ReplayWindow): boolean {
  return window.fromTime !== undefined || window.toPosition !== undefined;
}

export function inWindow(envelope: EventEnvelope, window: ReplayWindow): boolean {
  if (window.toPosition !== undefined && BigInt(envelope.position) > BigInt(window.toPosition)) return false;
  if (window.fromTime !== undefined && Date.parse(envelope.metadata.recordedAt) < window.fromTime.getTime()) return false;
  return true;
}

export interface SourceBatch {
  envelopes: EventEnvelope[];
  /** Messages read but not handed on (outside the window, beyond the end, unreadable): progress only. */
  passedOver: number;
}

/** What a source found when it opened: how much it will deliver, so progress can show a total. */
export interface SourceOpening {
  total: number;
  /** Where the source stops, for the summary: the store's last position or Kafka's high watermarks. */
  end: Record<string, string>;
}

/**
 * A finite, ordered feed of recorded events: per stream in version order (the store: global position order;
 * Kafka: one stream lives in one partition). The end is fixed when the source opens, so a replay finishes
 * even while new events keep arriving; the rebuild catches up with those separately.
 */
export interface EventSource {
  readonly name: 'store' | 'kafka';
  open(): Promise<SourceOpening>;
  /** Hands over batches one at a time, awaiting each; resolves after the last one. */
  read(handle: (batch: SourceBatch) => Promise<void>, signal?: AbortSignal): Promise<{ unreadable: number }>;
}

export class ReplayAborted extends Error {
  constructor() {
    super('the replay was interrupted');
    this.name = 'ReplayAborted';
  }
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new ReplayAborted();
}
