import { Projection } from '../engine/projection';
import { EventSource, ReplayWindow } from './event-source';
import { TableDifference } from './read-model-diff';

export interface RebuildProgress {
  phase: 'replay' | 'catch-up';
  done: number;
  /** 0 when unknown (catch-up counts what it finds). */
  total: number;
}

export interface RebuildOptions {
  /** The projections to rebuild; see `selectProjections`. Only these run, and only into shadow tables. */
  projections: readonly Projection[];
  source: EventSource;
  /** The window `source` was opened with. A windowed rebuild keeps its shadow schema and never swaps. */
  window?: ReplayWindow;
  signal?: AbortSignal;
  onProgress?: (progress: RebuildProgress) => void;
  log?: (line: string) => void;
  /** Keep the shadow schema after the run (always, for a windowed rebuild). */
  keepShadow?: boolean;
  /** Keep the replaced live tables in their `replay_old_*` schema instead of dropping them. */
  keepOld?: boolean;
  /** How long the final step may wait for locks held by the live projector or queries. */
  lockTimeoutMs?: number;
  /** Connections applying events at once (split by stream); default 2. */
  parallelism?: number;
}

export interface ReplayCounts {
  /** Events handed to the projections by the source. */
  replayed: number;
  applied: number;
  skippedAsDuplicate: number;
  parked: number;
  /** Messages the source read but did not hand on: outside the window, or unreadable. */
  passedOver: number;
  unreadable: number;
  /** Events applied after the source's end, to reach what the live projector has applied meanwhile. */
  caughtUp: number;
  /** Verify only: events the live read models have not applied yet, left out of the comparison. */
  heldBack: number;
}

export interface ParkedEvent {
  streamId: string;
  version: number;
  position: string;
  type: string;
  error: string;
}

export interface RebuildResult {
  outcome: 'swapped' | 'kept';
  projections: string[];
  tables: string[];
  source: string;
  sourceEnd: Record<string, string>;
  counts: ReplayCounts;
  /** Set when the shadow schema was kept (windowed rebuild or keepShadow). */
  shadowSchema: string | null;
  /** Set when the replaced live tables were kept. */
  oldSchema: string | null;
  /** Parked in the shadow tables (a windowed rebuild only: otherwise parking fails the rebuild). */
  parked: { count: number; first: ParkedEvent[] };
  durationMs: number;
}

export interface VerifyResult {
  equal: boolean;
  projections: string[];
  tables: string[];
  source: string;
  counts: ReplayCounts;
  differences: TableDifference[];
  /** Events the rebuild could not apply although the live projector did. */
  parked: { count: number; first: ParkedEvent[] };
  /** Parked live dead letters: their streams are compared only up to the parked event, as live applied them. */
  liveParked: number;
  shadowSchema: string | null;
  durationMs: number;
}

export class RebuildFailed extends Error {
  constructor(
    message: string,
    readonly parked: ParkedEvent[] = [],
  ) {
    super(message);
    this.name = 'RebuildFailed';
  }
}
