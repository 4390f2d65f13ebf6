import { Judging, SERVICING_PATHS, ServicingPath, ValidationError, staleBefore } from '@patchstate/domain';
import { LAST_SEEN, SERVICING_KEY, ServicingIndex } from '../servicing/servicing-index';

export const DEVICE_LIST_STATES = [
  'pending-commit',
  'pending-restart',
  'ineligible',
  'up-to-date',
  'hotpatched',
  'retired',
  'overdue',
  'stale',
] as const;
export type DeviceListState = (typeof DEVICE_LIST_STATES)[number];

/** What a device list can be narrowed to besides its state: the servicing path and whether it is up to date. */
export interface ServicingFilter {
  path?: ServicingPath;
  upToDate?: boolean;
}

/** What list conditions are judged with: the fleet's servicing assessments and the time and policy they were judged at. */
export interface ListJudging {
  servicing: ServicingIndex;
  judging: Judging;
}

const STATIC_CONDITIONS: Record<Exclude<DeviceListState, 'up-to-date' | 'overdue' | 'stale'>, string> = {
  'pending-commit': 'NOT d.retired AND d.pending_commit',
  'pending-restart': 'NOT d.retired AND d.pending_restart',
  ineligible: 'NOT d.retired AND NOT d.device_eligible',
  hotpatched: "NOT d.retired AND jsonb_array_length(d.state->'memory'->'hotpatches') > 0",
  retired: 'd.retired',
};

/**
 * The SQL condition on `device_state d` for a list state, adding its parameters to `params`. "up-to-date": runs
 * the newest release its servicing path offers, nothing waits for a reboot, and it is not stale (silence never
 * reads as protection). "overdue": past the deadline of what its path offers. "stale": not heard from for the
 * policy's days before the judging time.
 */
export function deviceListCondition(state: DeviceListState, list: ListJudging, params: unknown[]): string {
  switch (state) {
    case 'up-to-date':
      return servicingCondition({ upToDate: true }, list, params);
    case 'overdue':
      return `NOT d.retired AND ${keysCondition(list.servicing.keys((a) => a.overdue), params)}`;
    case 'stale':
      return `NOT d.retired AND ${staleCondition(list, params)}`;
    default:
      return STATIC_CONDITIONS[state];
  }
}

/** Up to date means fresh too: `upToDate=false` therefore lists the stale devices that last ran what was offered. */
export function servicingCondition(filter: ServicingFilter, list: ListJudging, params: unknown[]): string {
  const onPath = (path: ServicingPath) => filter.path === undefined || path === filter.path;
  if (filter.upToDate === undefined) return `NOT d.retired AND ${keysCondition(list.servicing.keys((a) => onPath(a.path)), params)}`;
  const upToDate = keysCondition(list.servicing.keys((a) => onPath(a.path) && a.upToDate), params);
  const stale = staleCondition(list, params);
  if (filter.upToDate) return `NOT d.retired AND ${upToDate} AND NOT ${stale}`;
  const notUpToDate = keysCondition(list.servicing.keys((a) => onPath(a.path) && !a.upToDate), params);
  return `NOT d.retired AND (${notUpToDate} OR (${upToDate} AND ${stale}))`;
}

function keysCondition(keys: string[], params: unknown[]): string {
  params.push(keys);
  return `${SERVICING_KEY} = ANY($${params.length}::text[])`;
}

function staleCondition(list: ListJudging, params: unknown[]): string {
  params.push(staleBefore(list.judging));
  return `(${LAST_SEEN} < $${params.length}::timestamptz)`;
}

export function parseDeviceListState(value: unknown): DeviceListState {
  if (typeof value !== 'string' || !(DEVICE_LIST_STATES as readonly string[]).includes(value)) {
    throw new ValidationError([{ field: 'state', message: `must be one of ${DEVICE_LIST_STATES.join(', ')}` }]);
  }
  return value as DeviceListState;
}

/** `state`, `path` and `upToDate` of a device list: at least one of them. */
export function parseDeviceListFilter(state: unknown, path: unknown, upToDate: unknown): { state: DeviceListState | null } & ServicingFilter {
  const absent = (value: unknown) => value === undefined || value === '';
  const errors: { field: string; message: string }[] = [];
  if (absent(state) && absent(path) && absent(upToDate)) {
    throw new ValidationError([{ field: 'state', message: `is required unless path or upToDate is given: one of ${DEVICE_LIST_STATES.join(', ')}` }]);
  }
  if (!absent(path) && !(SERVICING_PATHS as readonly unknown[]).includes(path)) {
    errors.push({ field: 'path', message: `must be one of ${SERVICING_PATHS.join(', ')}` });
  }
  if (!absent(upToDate) && upToDate !== 'true' && upToDate !== 'false' && typeof upToDate !== 'boolean') {
    errors.push({ field: 'upToDate', message: 'must be true or false' });
  }
  if (errors.length > 0) throw new ValidationError(errors);
  return {
    state: absent(state) ? null : parseDeviceListState(state),
    ...(absent(path) ? {} : { path: path as ServicingPath }),
    ...(absent(upToDate) ? {} : { upToDate: upToDate === true || upToDate === 'true' }),
  };
}
