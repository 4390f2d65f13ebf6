import { ValidationError, isIsoTimestamp } from '@patchstate/domain';
import { FleetSummary, FleetSummaryQueries } from './fleet-summary-queries';

/** More points than this is a request for a different tool: each one is a fold of the log (see below). */
export const MAX_HISTORY_POINTS = 400;
const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DAY_MS = UNIT_MS.d;

export interface HistoryRange {
  from: string;
  to: string;
  /** As asked (`1d`, `6h`, `30m`, `10s`). */
  step: string;
  stepMs: number;
}

export interface FleetHistory {
  from: string;
  to: string;
  step: string;
  /** The fleet summary at from, from + step, ... up to to; each judged at its own moment. */
  points: FleetSummary[];
}

/**
 * The fleet summary at each step of a range, for a trend chart. Each point is FleetSummaryQueries.summary(asOf):
 * the read models folded from the log up to that moment, so it is exactly what the summary answered asOf then,
 * (the log as recorded by then: a fact recorded late counts from when it was recorded, not from when it happened),
 * at the cost of one fold per point (O(steps × events)). Points are computed one after another on purpose: each
 * fold holds a transaction of its own, and a burst of them in parallel would starve the API's pool.
 */
export class FleetHistoryQueries {
  constructor(private readonly fleet: FleetSummaryQueries) {}

  async history(range: HistoryRange): Promise<FleetHistory> {
    const points: FleetSummary[] = [];
    for (let at = Date.parse(range.from); at <= Date.parse(range.to); at += range.stepMs) {
      points.push(await this.fleet.summary(new Date(at).toISOString()));
    }
    return { from: range.from, to: range.to, step: range.step, points };
  }
}

/** from/to/step of GET /v1/fleet/history: to defaults to now, from to 30 days before to, step to a day. */
export function parseHistoryRange(from: unknown, to: unknown, step: unknown, now = new Date()): HistoryRange {
  const fields: { field: string; message: string }[] = [];
  const time = (field: string, value: unknown, fallback: () => Date): Date => {
    if (value === undefined || value === '') return fallback();
    if (isIsoTimestamp(value)) return new Date(value);
    fields.push({ field, message: 'must be an ISO 8601 time with a zone' });
    return fallback();
  };
  const end = time('to', to, () => now);
  const start = time('from', from, () => new Date(end.getTime() - 30 * DAY_MS));
  const stepText = step === undefined || step === '' ? '1d' : String(step);
  const [, amount, unit] = /^([1-9]\d{0,3})([smhd])$/.exec(stepText) ?? [];
  const stepMs = amount ? Number(amount) * UNIT_MS[unit] : 0;
  if (!stepMs) fields.push({ field: 'step', message: 'must be a whole number of seconds, minutes, hours or days: 30s, 30m, 6h, 1d' });
  // A moment after now would judge deadlines that have not passed yet.
  if (end.getTime() > now.getTime()) fields.push({ field: 'to', message: 'must not be in the future' });
  if (start.getTime() > end.getTime()) fields.push({ field: 'from', message: 'must not be after to' });
  if (stepMs && (end.getTime() - start.getTime()) / stepMs + 1 > MAX_HISTORY_POINTS) {
    fields.push({ field: 'step', message: `gives more than ${MAX_HISTORY_POINTS} points between from and to` });
  }
  if (fields.length) throw new ValidationError(fields);
  return { from: start.toISOString(), to: end.toISOString(), step: stepText, stepMs };
}
