import { SERVICING_PATHS, ServicingPath, ValidationError } from '@patchstate/domain';
import { SERVICING_KEY, ServicingIndex } from '../servicing/servicing-index';

export const DEVICE_LIST_STATES = ['pending-commit', 'pending-restart', 'ineligible', 'up-to-date', 'hotpatched', 'retired'] as const;
export type DeviceListState = (typeof DEVICE_LIST_STATES)[number];

/** What a device list can be narrowed to besides its state: the servicing path and whether it is up to date. */
export interface ServicingFilter {
  path?: ServicingPath;
  upToDate?: boolean;
}

const STATIC_CONDITIONS: Record<Exclude<DeviceListState, 'up-to-date'>, string> = {
  'pending-commit': 'NOT d.retired AND d.pending_commit',
  'pending-restart': 'NOT d.retired AND d.pending_restart',
  ineligible: 'NOT d.retired AND NOT d.device_eligible',
  hotpatched: "NOT d.retired AND jsonb_array_length(d.state->'memory'->'hotpatches') > 0",
  retired: 'd.retired',
};

/**
 * The SQL condition on `device_state d` for a list state, adding its parameters to `params`. "up-to-date":
 * runs the newest release its servicing path offers, with nothing waiting for a reboot (judged through the
 * catalog by the servicing index).
 */
export function deviceListCondition(state: DeviceListState, servicing: ServicingIndex, params: unknown[]): string {
  if (state !== 'up-to-date') return STATIC_CONDITIONS[state];
  return servicingCondition({ upToDate: true }, servicing, params);
}

export function servicingCondition(filter: ServicingFilter, servicing: ServicingIndex, params: unknown[]): string {
  params.push(
    servicing.keys(
      (assessment) =>
        (filter.path === undefined || assessment.path === filter.path) &&
        (filter.upToDate === undefined || assessment.upToDate === filter.upToDate),
    ),
  );
  return `NOT d.retired AND ${SERVICING_KEY} = ANY($${params.length}::text[])`;
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
