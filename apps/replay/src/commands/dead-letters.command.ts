import { DeadLetterSelection, DeadLetterService, DeadLetterStatus } from '@patchstate/read-models';
import { CommandOutcome, ReplayContext } from '../replay-context';

function service(context: ReplayContext): DeadLetterService {
  return new DeadLetterService(context.db, context.projections, context.config.kafka.projectorGroupId, context.config.kafka.topic);
}

export async function deadLettersListCommand(
  context: ReplayContext,
  options: { status: DeadLetterStatus | 'all'; streamId?: string; limit: number },
): Promise<CommandOutcome> {
  const { items, total } = await service(context).list(options);
  const group = context.config.kafka.projectorGroupId;
  const what = options.status === 'all' ? 'dead letter(s)' : `${options.status} dead letter(s)`;
  context.output.line(`${total} ${what} for group ${group}${options.streamId ? ` on ${options.streamId}` : ''}`);
  for (const item of items) {
    context.output.line(
      `  #${item.id}  ${item.streamId} v${item.version}  ${item.type}  position ${item.position}  ${item.status}  parked ${item.parkedAt}`,
    );
    context.output.line(`      ${item.error.length > 200 ? `${item.error.slice(0, 200)}...` : item.error}`);
  }
  if (total > items.length) context.output.line(`  ... ${total - items.length} more (--limit)`);
  return { exitCode: 0, summary: { command: 'dead-letters list', group, total, items } };
}

export async function deadLettersRetryCommand(context: ReplayContext, selection: DeadLetterSelection): Promise<CommandOutcome> {
  const report = await service(context).retry(selection);
  const { output } = context;
  if (report.streams.length === 0) output.line('no parked events to retry');
  for (const stream of report.streams) {
    const failing = stream.stillFailing
      ? `; still failing at v${stream.stillFailing.version} (#${stream.stillFailing.id} ${stream.stillFailing.type}): ${stream.stillFailing.error}`
      : '';
    output.line(`${stream.streamId}: ${stream.retried.length} retried${failing}${stream.stillParked ? `, ${stream.stillParked} still parked` : ''}`);
  }
  output.line(`${report.retried} event(s) retried, ${report.stillParked} still parked`);
  return { exitCode: report.stillParked > 0 ? 1 : 0, summary: { command: 'dead-letters retry', ok: report.stillParked === 0, ...report } };
}

export async function deadLettersSkipCommand(context: ReplayContext, selection: DeadLetterSelection): Promise<CommandOutcome> {
  const report = await service(context).skip(selection);
  const { skipped } = report;
  const { output } = context;
  output.line(`skipped #${skipped.id}: ${skipped.streamId} v${skipped.version} ${skipped.type}`);
  if (report.projectionsAdvanced.length > 0) {
    output.line(`  stream version set to ${skipped.version} (as if applied) for ${report.projectionsAdvanced.join(', ')}`);
  }
  if (report.waitingBehind > 0) {
    output.line(`  ${report.waitingBehind} event(s) of ${skipped.streamId} wait behind it: dead-letters retry --stream ${skipped.streamId}`);
  }
  return { exitCode: 0, summary: { command: 'dead-letters skip', ...report } };
}
