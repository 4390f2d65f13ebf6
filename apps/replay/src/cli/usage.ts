const COMMANDS: Record<string, string> = {
  rebuild: `rebuild [--projection NAME[,NAME]|all] [--source store|kafka] [--from-time T] [--to-position N] [--keep-shadow] [--keep-old]
      Rebuild read models from the log into shadow tables while the live projector keeps serving, then swap
      them in atomically. --source store (default) reads the event store in position order; kafka reads the
      topic from the beginning with a consumer group of its own. With --from-time (events recorded at or
      after T) or --to-position (events up to global position N) the result is a partial history: it is
      kept in a replay_* schema for inspection and never swapped in.`,
  verify: `verify [--projection NAME[,NAME]|all] [--source store|kafka] [--max-rows N] [--keep-shadow]
      Rebuild into shadow tables and compare them with the live read models, row by row on the primary key.
      Prints the first N (default 20) differing rows per table; exit code 1 when anything differs.`,
  device: `device <deviceId> [--until T | --to-version N]
      Step through one device's history: each event, then both planes (memory and disk) after it.`,
  'audit-verify': `audit-verify [--device ID]
      Recompute the hash chains of every stream (or one device's); exit code 1 when a link is broken.`,
  offsets: `offsets show
  offsets reset --to earliest|latest|time T
      Show or move the live projector's positions: the Postgres checkpoints it resumes from and the Kafka
      group's committed offsets. reset refuses while the group has live members (stop the projectors first).`,
  'dead-letters': `dead-letters list [--stream S] [--status parked|retried|skipped|all] [--limit N]
  dead-letters retry [--id N | --stream S]
  dead-letters skip (--id N | --stream S)
      Events the projector could not apply. retry re-applies a stream's parked events in version order;
      skip gives up on the lowest parked event of a stream so the ones behind it can be retried.`,
};

export function usage(topic?: string): string {
  const header = 'usage: patchstate-replay <command> [options] [--json]\n       npm run replay -- <command> [options] [--json]';
  const commands = topic !== undefined && COMMANDS[topic] !== undefined ? [COMMANDS[topic]] : Object.values(COMMANDS);
  return [
    header,
    '',
    'commands:',
    ...commands.map((text) => `  ${text}`),
    '',
    'times are ISO 8601 with a zone (2025-03-01T00:00:00Z). --json prints a machine-readable summary on stdout.',
    'configuration comes from the environment, as for the api and projector (DATABASE_URL, KAFKA_BROKERS,',
    'KAFKA_TOPIC, PROJECTOR_GROUP_ID). exit codes: 0 ok, 1 difference/broken/failed, 2 bad arguments, 130 interrupted.',
  ].join('\n');
}
