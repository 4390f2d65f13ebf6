import {
  DeviceEvent,
  PatchDefinition,
  buildOnVersionOf,
  deviceStreamId,
  evolveDevice,
  evolvePatch,
  initialDeviceState,
  initialPatchState,
  patchStreamId,
  planeBuild,
  storedMessage,
  toDeviceEvent,
  toPatchCatalogEvent,
} from '@patchstate/domain';
import { PostgresEventStore } from '@patchstate/event-store';
import { DeviceSnapshot, ReleaseForDevice } from './wufb-plan';

/** Events that record what happened to an update on the device: the newest one orders update-status rows. */
const UPDATE_FACTS: readonly DeviceEvent['type'][] = ['HotpatchApplied', 'HotpatchRejected', 'UpdateStaged', 'DeviceRebooted', 'HotpatchFailed', 'HotpatchReverted'];

/**
 * Reads what an import needs to know of a device from its stream, folded by the domain's own evolve, so the
 * importer and the command handler never disagree on the state. The command handler reads the stream again
 * to decide: this read only chooses which commands a row still means.
 */
export async function loadDeviceSnapshot(store: PostgresEventStore, deviceId: string): Promise<DeviceSnapshot> {
  const stream = await store.readStream(deviceStreamId(deviceId));
  let state = initialDeviceState;
  let registeredAt: string | null = null;
  let lastUpdateAt: string | null = null;
  for (const recorded of stream.events) {
    const event = toDeviceEvent(storedMessage(recorded));
    state = evolveDevice(state, event);
    if (event.type === 'DeviceRegistered') registeredAt = event.data.registeredAt;
    if (UPDATE_FACTS.includes(event.type)) lastUpdateAt = laterOf(lastUpdateAt, recorded.metadata.occurredAt);
  }
  if (state.status === 'unregistered') return { status: 'unregistered' };
  return {
    status: state.status,
    profile: state.profile,
    memoryBuild: planeBuild(state.memory),
    diskBuild: state.pendingRestart?.build ?? planeBuild(state.disk),
    memoryHotpatches: state.memory.hotpatches.map((h) => h.patchId),
    pendingRestart: state.pendingRestart?.patchId ?? null,
    lastSeenAt: laterOf(state.lastSeenAt ?? null, registeredAt) ?? '1970-01-01T00:00:00.000Z',
    lastUpdateAt,
    failure: state.hotpatchFailure ? { patchId: state.hotpatchFailure.patchId, errorCode: state.hotpatchFailure.errorCode } : null,
  };
}

function laterOf(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return Date.parse(a) >= Date.parse(b) ? a : b;
}

/**
 * The releases an import names, read from their streams once per import: an export names the same few KBs on
 * thousands of rows. A release published during the import is seen by the next import.
 */
export class ReleaseLookup {
  private readonly known = new Map<string, PatchDefinition | null>();

  constructor(private readonly store: PostgresEventStore) {}

  async forDevice(kb: string, device: DeviceSnapshot): Promise<ReleaseForDevice | null> {
    const definition = await this.definition(kb);
    if (definition === null) return null;
    const build = device.status === 'unregistered' ? null : buildOnVersionOf(definition.builds, device.memoryBuild);
    return { kind: definition.kind, build };
  }

  private async definition(kb: string): Promise<PatchDefinition | null> {
    if (this.known.has(kb)) return this.known.get(kb) ?? null;
    const stream = await this.store.readStream(patchStreamId(kb));
    const state = stream.events.reduce((s, e) => evolvePatch(s, toPatchCatalogEvent(storedMessage(e))), initialPatchState);
    const definition = state.status === 'unpublished' ? null : state.patch;
    this.known.set(kb, definition);
    return definition;
  }
}
