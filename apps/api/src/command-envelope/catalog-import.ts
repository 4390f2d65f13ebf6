import { CommandBus } from '@nestjs/cqrs';
import { Principal } from '@patchstate/auth';
import { DomainError, parseReleaseImportRequest } from '@patchstate/domain';
import { CatalogImportSummary, ImportCatalog } from '@patchstate/command-handling';
import { correlationIdOf } from './command-envelope';

/** Who imports and how they name the call, whatever the transport. */
export interface ImportCaller {
  principal: Principal | undefined;
  correlationId: string | undefined;
  /** How the transport names the correlation id, so an error points at what the caller can fix. */
  correlationField: string;
}

/**
 * A catalog import as REST and gRPC run it: the file is parsed whole first (a bad row refuses it with every bad
 * row named: VALIDATION_FAILED, details.rows), then ImportCatalog runs one ImportRelease per release as the caller.
 */
export async function importCatalog(
  bus: CommandBus,
  caller: ImportCaller,
  request: unknown,
  options: { dryRun?: boolean } = {},
): Promise<{ summary: CatalogImportSummary; correlationId: string }> {
  if (!caller.principal) throw new DomainError('UNAUTHENTICATED', 'no authenticated caller');
  const correlationId = correlationIdOf(caller.correlationId, caller.correlationField);
  const releases = parseReleaseImportRequest(request);
  const actor = { id: caller.principal.name, role: caller.principal.role };
  const summary = await bus.execute<ImportCatalog, CatalogImportSummary>(new ImportCatalog(releases, { actor, correlationId }, options));
  return { summary, correlationId };
}
