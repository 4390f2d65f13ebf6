/*
 * Given/when/then for the deciders. The `.spec.ts` suffix keeps this helper out of the production build
 * (tsconfig.build.json excludes **\/*.spec.ts) and, lacking `.unit.`, out of Jest's test tiers.
 */
import {
  DEFAULT_COMPLIANCE_POLICY,
  DeviceCommand,
  DeviceEvent,
  DeviceState,
  DomainError,
  DomainErrorCode,
  IneligibilityReason,
  Judging,
  PatchCatalogCommand,
  PatchCatalogEvent,
  PatchDefinition,
  PatchState,
  RegisteredDevice,
  ReleaseCatalog,
  ValidationError,
  decideDevice,
  decidePatch,
  evolvePatch,
  foldDevice,
  initialDeviceState,
  initialPatchState,
} from '@patchstate/domain';
import { fixtureCatalog } from '../../../test/builders';

/** Judged at `at` with the default deadlines (7 days for a hotpatch, 14 with a restart) and staleness (7 days). */
export function judgedAt(at: string): Judging {
  return { at, policy: DEFAULT_COMPLIANCE_POLICY };
}

/** A catalog of exactly these releases, none revoked. */
export function catalogOf(...releases: PatchDefinition[]): ReleaseCatalog {
  return new ReleaseCatalog(releases.map((patch) => ({ patch, revoked: false })));
}

export function stateAfter(events: readonly DeviceEvent[]): DeviceState {
  return foldDevice(events, initialDeviceState);
}

/** The folded state of a registered device; fails the test if the history does not register one. */
export function registeredStateAfter(events: readonly DeviceEvent[]): RegisteredDevice {
  const state = stateAfter(events);
  if (state.status === 'unregistered') throw new Error('the given history does not register a device');
  return state;
}

/** Runs `act` and returns the DomainError it throws, failing the test when it throws nothing or something else. */
export function domainErrorOf(act: () => unknown): DomainError {
  let thrown: unknown;
  let returned: unknown;
  try {
    returned = act();
  } catch (error) {
    thrown = error;
  }
  if (thrown === undefined) throw new Error(`expected a DomainError, but it returned ${JSON.stringify(returned)}`);
  expect(thrown).toBeInstanceOf(DomainError);
  return thrown as DomainError;
}

/** The field names a ValidationError names, in the order it names them. */
export function invalidFieldsOf(act: () => unknown): string[] {
  const error = domainErrorOf(act);
  expect(error).toBeInstanceOf(ValidationError);
  expect(error.code).toBe('VALIDATION_FAILED');
  return (error as ValidationError).fieldErrors.map((e) => e.field);
}

export interface DeviceOutcome {
  /** Asserts the decided events exactly; returns them and the state they fold into. */
  then(expected: DeviceEvent[]): { events: DeviceEvent[]; state: DeviceState };
  /** Asserts a single HotpatchRejected with exactly these reasons, in this order. */
  thenRejectedFor(reasons: IneligibilityReason[]): void;
  /** Asserts the command is refused with this DomainError code; returns the error for further checks. */
  thenThrows(code: DomainErrorCode): DomainError;
  /** The decided events, for tests that inspect them piecemeal. */
  events(): DeviceEvent[];
}

export function given(events: readonly DeviceEvent[] = []) {
  const state = stateAfter(events);
  return {
    state,
    /** The decider sees the fixture releases as its catalog, with `patch` (as given) among them. */
    when(command: DeviceCommand, patch: PatchState | null = null, catalog?: ReleaseCatalog): DeviceOutcome {
      const releases = catalog ?? fixtureCatalog(...(patch && patch.status !== 'unpublished' ? [patch.patch] : []));
      const decide = () => decideDevice(command, state, patch, releases);
      return {
        then(expected) {
          const decided = decide();
          expect(decided).toEqual(expected);
          return { events: decided, state: foldDevice(decided, state) };
        },
        thenRejectedFor(reasons) {
          const decided = decide();
          expect(decided).toHaveLength(1);
          expect(decided[0]!.type).toBe('HotpatchRejected');
          expect(decided[0]!.data).toMatchObject({ reasons });
        },
        thenThrows(code) {
          const error = domainErrorOf(decide);
          expect(error.code).toBe(code);
          return error;
        },
        events: decide,
      };
    },
  };
}

export function givenPatch(events: readonly PatchCatalogEvent[] = []) {
  const state = events.reduce(evolvePatch, initialPatchState);
  return {
    state,
    when(command: PatchCatalogCommand) {
      return {
        then(expected: PatchCatalogEvent[]): PatchState {
          const decided = decidePatch(command, state);
          expect(decided).toEqual(expected);
          return decided.reduce(evolvePatch, state);
        },
        thenThrows(code: DomainErrorCode): DomainError {
          const error = domainErrorOf(() => decidePatch(command, state));
          expect(error.code).toBe(code);
          return error;
        },
      };
    },
  };
}
