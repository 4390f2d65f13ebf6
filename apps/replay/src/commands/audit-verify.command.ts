import { deviceStreamId } from '@patchstate/domain';
import { verifyHashChains } from '@patchstate/event-store';
import { formatCount } from '../output/progress';
import { CommandOutcome, ReplayContext } from '../replay-context';

/** The hash-chain verification from the command line: exit code 1 when any link is broken. */
export async function auditVerifyCommand(context: ReplayContext, options: { deviceId?: string }): Promise<CommandOutcome> {
  const streamId = options.deviceId === undefined ? undefined : deviceStreamId(options.deviceId);
  const result = await verifyHashChains(context.db, streamId === undefined ? {} : { streamId });
  const scope = streamId ?? 'all streams';
  if (streamId !== undefined && result.ok && result.streamsChecked === 0) {
    context.output.line(`device ${options.deviceId} has no events`);
    return { exitCode: 1, summary: { command: 'audit-verify', ...result, ok: false, code: 'DEVICE_NOT_FOUND' } };
  }
  if (result.ok) {
    context.output.line(
      `hash chains intact (${scope}): ${formatCount(result.streamsChecked)} stream(s), ${formatCount(result.eventsChecked)} event(s) checked`,
    );
  } else {
    const broken = result.firstBroken!;
    context.output.line(`BROKEN hash chain: ${broken.streamId} at version ${broken.version}: ${broken.reason}`);
    context.output.line(`(${formatCount(result.eventsChecked)} event(s) in ${formatCount(result.streamsChecked)} stream(s) checked before it)`);
  }
  return { exitCode: result.ok ? 0 : 1, summary: { command: 'audit-verify', ...result } };
}
