import { randomUUID } from 'node:crypto';
import { Inject } from '@nestjs/common';
import { CommandBus, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { Actor, CommandMetadata, PATCH_EVENT_SCHEMA_VERSIONS, PatchDefinition, PatchFieldChange, toPatchCatalogEvent } from '@patchstate/domain';
import { ImportReleaseCommand } from './bus-commands';
import { CommandExecutor, CommandResult } from './command-executor';

/** What an import did (or, in a dry run, would do), release by release, in the order they were imported. */
export interface CatalogImportSummary {
  published: string[];
  amended: { kb: string; changes: PatchFieldChange[] }[];
  unchanged: string[];
  /** The global position of the last event appended (pass it as minPosition to read the import); null if none. */
  position: string | null;
  dryRun: boolean;
}

export interface ImportCaller {
  /** Recorded as the actor of every event the import appends. */
  actor: Actor;
  /** Shared by the commands of one import; generated when absent. */
  correlationId?: string;
}

/**
 * Imports parsed releases (parseReleaseFile) into the catalog: one ImportReleaseCommand per release on the
 * bus, so each release is decided on its own stream like any other catalog command. A dry run reads the
 * streams and decides without appending.
 */
export class ImportCatalog {
  constructor(
    readonly releases: readonly PatchDefinition[],
    readonly caller: ImportCaller,
    readonly options: { dryRun?: boolean } = {},
  ) {}
}

/**
 * Baselines (and any release another one of the file builds on) go first, so a hotpatch never reaches the
 * catalog before the baseline it names; otherwise the file's order is kept.
 */
export function importOrder(releases: readonly PatchDefinition[]): PatchDefinition[] {
  const builtOn = new Set(releases.map((release) => release.baselineKb).filter((kb): kb is string => kb !== null));
  const first = (release: PatchDefinition) => release.kind === 'baseline' || builtOn.has(release.patchId);
  return [...releases.filter(first), ...releases.filter((release) => !first(release))];
}

@CommandHandler(ImportCatalog)
export class ImportCatalogHandler implements ICommandHandler<ImportCatalog, CatalogImportSummary> {
  constructor(
    private readonly bus: CommandBus,
    @Inject(CommandExecutor) private readonly executor: CommandExecutor,
  ) {}

  async execute({ releases, caller, options }: ImportCatalog): Promise<CatalogImportSummary> {
    const dryRun = options.dryRun === true;
    const summary: CatalogImportSummary = { published: [], amended: [], unchanged: [], position: null, dryRun };
    // One import is one moment: every release it publishes or amends carries the same time.
    const at = new Date().toISOString();
    const correlationId = caller.correlationId ?? randomUUID();
    for (const release of importOrder(releases)) {
      const metadata: CommandMetadata = { commandId: randomUUID(), occurredAt: at, recordedAt: at, actor: caller.actor, correlationId, causationId: null };
      const command = new ImportReleaseCommand({ type: 'ImportRelease', data: release, metadata });
      const events = dryRun ? await this.executor.decideOnly(command.command) : await this.run(command, summary);
      const published = events.find((event) => event.type === 'PatchPublished');
      const amended = events.find((event) => event.type === 'PatchAmended');
      if (published) summary.published.push(release.patchId);
      else if (amended) summary.amended.push({ kb: release.patchId, changes: changesOf(amended) });
      else summary.unchanged.push(release.patchId);
    }
    return summary;
  }

  private async run(command: ImportReleaseCommand, summary: CatalogImportSummary): Promise<{ type: string; data: unknown }[]> {
    const { outcome } = await this.bus.execute<ImportReleaseCommand, CommandResult>(command);
    // An unchanged release appends nothing; a release is never refused with a recorded event.
    if (outcome.kind !== 'accepted') return [];
    summary.position = outcome.position;
    return outcome.events;
  }
}

/** The changes of a PatchAmended this import just decided or appended (at the version this code writes), read as one. */
function changesOf(event: { type: string; data: unknown }): PatchFieldChange[] {
  const amended = toPatchCatalogEvent({ type: event.type, schemaVersion: PATCH_EVENT_SCHEMA_VERSIONS.PatchAmended, data: event.data });
  return amended.type === 'PatchAmended' ? amended.data.changes : [];
}
