import { createHash, randomUUID } from 'node:crypto';
import { Inject } from '@nestjs/common';
import { CommandBus, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { Actor, DeviceCommand, DomainError } from '@patchstate/domain';
import { PostgresEventStore } from '@patchstate/event-store';
import { ReleaseLookup, loadDeviceSnapshot } from './device-snapshot';
import { ExportRecord, exportRecords } from './export-records';
import { KeyedLimiter } from './keyed-limiter';
import { IngestSummary, emptySummary, report } from './ingest-summary';
import { sendCommand } from './send-command';
import { PlannedCommand, Plan, planClientRow, planUpdateRow } from './wufb-plan';
import { readClientRow, readUpdateRow } from './wufb-rows';

/** An export to read: its name (recorded in every event's cause) and its text as it streams in. */
export interface ExportSource {
  name: string;
  chunks(): AsyncIterable<string | Buffer> | Iterable<string>;
}

export interface IngestCaller {
  /** Recorded as the actor of every event the import appends. */
  actor: Actor;
  /** Shared by every command of one import; generated when absent. */
  correlationId?: string;
}

/**
 * Imports a Windows Update for Business reports export (docs/ingest.md): the UCClient rows first (devices
 * registered, profiles, check-ins), then the update-status rows (hotpatches applied, updates staged, restarts,
 * failures). Each row becomes the device commands it still means, sent one by one on the command bus.
 */
export class IngestWufb {
  constructor(
    readonly clients: ExportSource,
    readonly updateStatus: ExportSource | null,
    readonly caller: IngestCaller,
    /** Called every PROGRESS_EVERY rows with the rows read so far (a progress bar on a terminal). */
    readonly onProgress?: (rowsRead: number) => void,
  ) {}
}

const PROGRESS_EVERY = 1000;
/**
 * Rows imported at once, each device's rows still in file order: about three times one-at-a-time on a small
 * machine (bench/ingest-wufb.ts; 8 or 16 are no faster there), leaving most of the pool to the api's other callers.
 */
const ROWS_IN_FLIGHT = 4;

/** The row's device as the import names it; an unreadable row has none and waits for nothing. */
function deviceKeyOf(record: ExportRecord): string | null {
  const id = record.values?.AzureADDeviceId;
  return typeof id === 'string' ? id.trim().toLowerCase() : null;
}

/**
 * Refusals that mean the row is older than what the stream already holds (another writer got there first,
 * between our read and the command): the row is skipped, as the plan would have skipped it.
 */
const ALREADY_KNOWN = new Set(['STALE_CHECK_IN', 'ALREADY_APPLIED', 'UPDATE_NOT_NEWER', 'DEVICE_EXISTS']);

type Table = 'UCClient' | 'UCClientUpdateStatus';

@CommandHandler(IngestWufb)
export class IngestWufbHandler implements ICommandHandler<IngestWufb, IngestSummary> {
  constructor(
    private readonly bus: CommandBus,
    @Inject(PostgresEventStore) private readonly store: PostgresEventStore,
  ) {}

  async execute(ingest: IngestWufb): Promise<IngestSummary> {
    const summary = emptySummary(ingest.caller.correlationId ?? randomUUID());
    const releases = new ReleaseLookup(this.store);
    const files: [Table, ExportSource | null][] = [
      ['UCClient', ingest.clients],
      ['UCClientUpdateStatus', ingest.updateStatus],
    ];
    for (const [table, source] of files) {
      if (source === null) continue;
      const rows = new KeyedLimiter(ROWS_IN_FLIGHT);
      for await (const record of exportRecords(source.chunks())) {
        summary.rowsRead += 1;
        await rows.run(deviceKeyOf(record), () => this.importRow(table, source.name, record, ingest.caller.actor, summary, releases));
        if (summary.rowsRead % PROGRESS_EVERY === 0) ingest.onProgress?.(summary.rowsRead);
      }
      // Every device is registered before its update rows are read.
      await rows.drain();
    }
    ingest.onProgress?.(summary.rowsRead);
    // Rows finish out of order across devices; the report lists them as the files do.
    const order = files.map(([, source]) => source?.name);
    summary.rows.sort((a, b) => order.indexOf(a.file) - order.indexOf(b.file) || a.line - b.line);
    return summary;
  }

  private async importRow(table: Table, file: string, record: ExportRecord, actor: Actor, summary: IngestSummary, releases: ReleaseLookup): Promise<void> {
    const rawId = typeof record.values?.AzureADDeviceId === 'string' ? record.values.AzureADDeviceId.toLowerCase() : null;
    const refuse = (reason: string) => report(summary, { file, line: record.line, deviceId: rawId, outcome: 'refused', reason });
    if (record.values === null) return refuse(record.problem ?? 'cannot be read');
    const read = table === 'UCClient' ? readClientRow(record.values) : readUpdateRow(record.values);
    if (!read.ok) return refuse(read.problems.join('; '));
    const { deviceId, exportedAt } = read.fact;
    const device = await loadDeviceSnapshot(this.store, deviceId);
    let plan: Plan;
    if ('kb' in read.fact) plan = planUpdateRow(read.fact, device, await releases.forDevice(read.fact.kb, device));
    else plan = planClientRow(read.fact, device);
    const row = { file, line: record.line, deviceId };
    if (plan.kind !== 'send') return report(summary, { ...row, outcome: plan.kind === 'skip' ? 'skipped' : 'refused', reason: plan.reason });

    // The import is the cause of every event it appends: an auditor traces a state to the file, line and export.
    const causationId = `wufb:${file}#${record.line}@${exportedAt}`;
    const rowKey = createHash('sha256').update(`${table}\n${deviceId}\n${JSON.stringify(record.values)}`).digest('hex');
    try {
      for (const [i, planned] of plan.commands.entries()) {
        const command = this.command(planned, actor, summary.correlationId, causationId);
        // Derived from the device and the row's content: the same row imported again appends nothing.
        const key = `wufb-${rowKey.slice(0, 40)}-${i}`;
        const sent = await sendCommand(this.bus, command, { key, requestHash: rowKey });
        summary.eventsAppended += sent.appended.length;
        summary.devicesRegistered += sent.appended.filter((e) => e.type === 'DeviceRegistered').length;
        // Rows of different devices finish in any order: the summary names the last event appended.
        if (sent.position !== null && (summary.position === null || BigInt(sent.position) > BigInt(summary.position))) summary.position = sent.position;
        if (sent.rejected) report(summary, { ...row, outcome: 'rejected', reason: `${planned.data.deviceId} refused ${command.type}: ${sent.rejected.join(', ')}` });
      }
      summary.applied += 1;
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      const outcome = ALREADY_KNOWN.has(error.code) ? 'skipped' : 'refused';
      report(summary, { ...row, outcome, reason: `${error.code}: ${error.message}` });
    }
  }

  private command(planned: PlannedCommand, actor: Actor, correlationId: string, causationId: string): DeviceCommand {
    const metadata = { commandId: randomUUID(), occurredAt: planned.occurredAt, recordedAt: new Date().toISOString(), actor, correlationId, causationId };
    // PlannedCommand pairs each type with its data, as DeviceCommand does; spreading loses that pairing for TypeScript.
    return { type: planned.type, data: planned.data, metadata } as DeviceCommand;
  }
}
