import { DataSource } from 'typeorm';
import {
  DeviceState,
  DeviceView,
  DomainEvent,
  PatchCatalogEvent,
  PatchState,
  PlaneView,
  ReleaseCatalog,
  describeDevice,
  deviceStreamId,
  evolveDevice,
  evolvePatch,
  initialDeviceState,
  initialPatchState,
  schemaVersionOf,
  storedMessage,
  toDeviceEvent,
  toPatchCatalogEvent,
} from '@patchstate/domain';
import { EventLog, PostgresEventStore } from '@patchstate/event-store';
import { CommandOutcome, ReplayContext } from '../replay-context';

export interface DeviceHistoryOptions {
  deviceId: string;
  /** Only events recorded at or before this time (and the catalog as it stood then). */
  until?: Date;
  /** Only the stream's first N events. */
  toVersion?: number;
  /** Keep every step in the summary (for --json); without it memory stays bounded however long the history. */
  collectSteps?: boolean;
}

export interface DeviceStep {
  version: number;
  position: string;
  type: string;
  occurredAt: string;
  recordedAt: string;
  actor: { id: string; role: string };
  correlationId: string;
  /** The schema version the event was stored at; `data` is read in the current shape (upcast when older). */
  schemaVersion: number;
  data: unknown;
  /** Both planes and what derives from them, after this event (the catalog as of its recorded time). */
  device: DeviceView;
}

const PAGE = 500;

/**
 * Steps through a device's history: each event, then the device as the domain's own fold (`evolveDevice`,
 * `describeDevice`) says it was right after it. Eligibility at each step is judged against the patch catalog
 * as recorded by then, as the point-in-time query does. The final view is as of `--until` (or of the last
 * event with `--to-version`, or now).
 */
export async function deviceHistoryCommand(context: ReplayContext, options: DeviceHistoryOptions): Promise<CommandOutcome> {
  const { db, output } = context;
  const policy = context.config.compliance;
  const streamId = deviceStreamId(options.deviceId);
  const catalog = await PatchCatalogTimeline.load(db, options.until);
  const steps: DeviceStep[] = [];
  let state: DeviceState = initialDeviceState;
  let last: { version: number; position: string; recordedAt: string } | null = null;
  let count = 0;
  const bounds = { recordedUntil: options.until?.toISOString(), toVersion: options.toVersion };
  for await (const page of new PostgresEventStore(db).readStreamPages(streamId, bounds, PAGE)) {
    for (const event of page) {
      const domainEvent = toDeviceEvent(storedMessage(event));
      state = evolveDevice(state, domainEvent);
      if (state.status === 'unregistered') continue;
      const step: DeviceStep = {
        version: event.version,
        position: event.position,
        type: event.type,
        occurredAt: event.metadata.occurredAt,
        recordedAt: event.metadata.recordedAt,
        actor: { id: event.metadata.actor.id, role: event.metadata.actor.role },
        correlationId: event.metadata.correlationId,
        schemaVersion: event.metadata.schemaVersion,
        data: domainEvent.data,
        // Each step judged when it was recorded: was the device overdue or stale then.
        device: describeDevice(state, catalog.catalogAsOf(event.metadata.recordedAt), { at: event.metadata.recordedAt, policy }),
      };
      count += 1;
      if (options.collectSteps) steps.push(step);
      for (const line of describeStep(step)) output.line(line);
      last = { version: event.version, position: event.position, recordedAt: event.metadata.recordedAt };
    }
  }

  if (state.status === 'unregistered' || last === null) {
    const bound = options.until ? ` recorded up to ${options.until.toISOString()}` : options.toVersion ? ` up to version ${options.toVersion}` : '';
    output.line(`device ${options.deviceId} has no events${bound}`);
    return { exitCode: 1, summary: { command: 'device', ok: false, deviceId: options.deviceId, code: 'DEVICE_NOT_FOUND' } };
  }
  // The catalog of the final view: as of --until, as of the last event shown with --to-version, or now.
  const asOf = options.until?.toISOString() ?? (options.toVersion !== undefined ? last.recordedAt : null);
  const final = {
    ...describeDevice(state, catalog.catalogAsOf(asOf), { at: asOf ?? new Date().toISOString(), policy }),
    version: last.version,
    position: last.position,
    updatedAt: last.recordedAt,
  };
  output.line(`${options.deviceId} as of ${asOf ?? 'now'}: version ${final.version}, ${count} event(s)`);
  for (const line of describePlanes(final)) output.line(line);
  return {
    exitCode: 0,
    summary: {
      command: 'device',
      ok: true,
      deviceId: options.deviceId,
      streamId,
      events: count,
      asOf,
      ...(options.collectSteps ? { steps } : {}),
      final,
    },
  };
}

/**
 * The patch catalog as recorded up to any time: patch streams are few and short, so they are read once and
 * folded up to the requested time (with the domain's `evolvePatch`).
 */
export class PatchCatalogTimeline {
  private cache: { upTo: number; patches: Map<string, PatchState> } | null = null;
  private folded: { upTo: number; catalog: ReleaseCatalog } | null = null;

  private constructor(private readonly events: { recordedAt: number; streamId: string; event: PatchCatalogEvent }[]) {}

  static async load(db: DataSource, until?: Date): Promise<PatchCatalogTimeline> {
    const events: { recordedAt: number; position: bigint; streamId: string; event: PatchCatalogEvent }[] = [];
    for await (const page of new EventLog(db).readAll({ streamType: 'patch', toTime: until })) {
      for (const event of page) {
        const recordedAt = Date.parse(event.metadata.recordedAt);
        events.push({ recordedAt, position: BigInt(event.position), streamId: event.streamId, event: toPatchCatalogEvent(storedMessage(event)) });
      }
    }
    // In recorded order (catalogAt stops at the first event after its time); positions, in commit order, break ties.
    events.sort((a, b) => a.recordedAt - b.recordedAt || (a.position < b.position ? -1 : a.position > b.position ? 1 : 0));
    return new PatchCatalogTimeline(events);
  }

  /** The release catalog as it stood at `asOf` (null: all of it). */
  catalogAsOf(asOf: string | null): ReleaseCatalog {
    const time = asOf === null ? Number.POSITIVE_INFINITY : Date.parse(asOf);
    const patches = this.catalogAt(time);
    const upTo = this.cache?.upTo ?? 0;
    // The same number of events folded is the same catalog: events are in recorded order.
    if (this.folded?.upTo !== upTo) this.folded = { upTo, catalog: ReleaseCatalog.fromStates([...patches.values()]) };
    return this.folded.catalog;
  }

  private catalogAt(time: number): Map<string, PatchState> {
    let upTo = 0;
    while (upTo < this.events.length && this.events[upTo].recordedAt <= time) upTo += 1;
    if (this.cache === null || this.cache.upTo > upTo) this.cache = { upTo: 0, patches: new Map() };
    for (let i = this.cache.upTo; i < upTo; i += 1) {
      const { streamId, event } = this.events[i];
      this.cache.patches.set(streamId, evolvePatch(this.cache.patches.get(streamId) ?? initialPatchState, event));
    }
    this.cache.upTo = upTo;
    return this.cache.patches;
  }
}

function describeStep(step: DeviceStep): string[] {
  // The device id is in every event of the stream: leave it out of the detail line.
  const detail = JSON.stringify(step.data, (key, value: unknown) => (key === 'deviceId' ? undefined : value));
  const current = schemaVersionOf(step.type as DomainEvent['type']);
  const upcast = step.schemaVersion < current ? `  (stored at schema version ${step.schemaVersion}, read as ${current})` : '';
  return [
    `v${step.version}  #${step.position}  ${step.recordedAt}  ${step.type}  by ${step.actor.id} (${step.actor.role})${upcast}`,
    `    ${detail.length > 160 ? `${detail.slice(0, 160)}...` : detail}`,
    ...describePlanes(step.device),
  ];
}

function describePlanes(device: DeviceView): string[] {
  const plane = (name: string, p: PlaneView) =>
    `    ${name} ${p.build.padEnd(12)} ${(p.release ?? 'unknown build').padEnd(13)} baseline ${(p.baselineKb ?? p.baselineBuild).padEnd(12)} hotpatches ${list(p.hotpatches)}  cves ${p.cves.length}`;
  const eligibility = device.eligibility.eligible
    ? `eligible${device.eligibility.patchId ? ` for ${device.eligibility.patchId}` : ''}`
    : `not eligible${device.eligibility.patchId ? ` for ${device.eligibility.patchId}` : ''}: ${device.eligibility.reasons.join(', ')}`;
  const { servicing } = device;
  const restart = device.pendingRestart ? `${device.pendingRestart.patchId} (${device.pendingRestart.build})` : '-';
  return [
    plane('memory', device.memory),
    plane('disk  ', device.disk),
    `    pending commit ${list(device.pendingCommit)}  pending restart ${restart}  ${eligibility}${device.retired ? '  RETIRED' : ''}`,
    `    servicing path ${servicing.path}${servicing.reasons.length > 0 ? ` (${servicing.reasons.join(', ')})` : ''}  ${
      servicing.upToDate ? 'up to date' : `offered ${servicing.offered?.patchId ?? '-'}`
    }${servicing.nextBaseline ? `  back at baseline ${servicing.nextBaseline.patchId ?? servicing.nextBaseline.expectedMonth}` : ''}`,
    `    ${servicing.due === null ? 'not due' : `due since ${servicing.due}, deadline ${servicing.deadline}${servicing.overdue ? '  OVERDUE' : ''}`}  last seen ${
      device.lastSeenAt ?? 'never'
    }${device.stale ? '  STALE' : ''}${device.pendingRemoval.length > 0 ? `  removed at reboot ${list(device.pendingRemoval)}` : ''}`,
  ];
}

function list(items: readonly string[]): string {
  return items.length === 0 ? '-' : items.join(',');
}
