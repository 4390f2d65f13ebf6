import { withTransaction } from '@patchstate/event-store';
import { MessagingAdmin } from '@patchstate/messaging';
import { OffsetTarget } from '../cli/replay-arguments';
import { CommandOutcome, ReplayContext, requireKafka } from '../replay-context';

export interface PartitionOffsets {
  partition: number;
  /** The Postgres checkpoint the projector resumes from (the truth); null when it never stored one. */
  checkpoint: string | null;
  /** Kafka's committed offset for the group (a hint for tools); null when none. */
  committed: string | null;
  low: string;
  high: string;
  /** high minus where the projector resumes (its checkpoint, or the low watermark without one). */
  lag: string;
}

export interface GroupOffsets {
  group: string;
  topic: string;
  state: string;
  members: { memberId: string; clientId: string; host: string }[];
  partitions: PartitionOffsets[];
}

export class OffsetsRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OffsetsRefused';
  }
}

export async function offsetsShowCommand(context: ReplayContext): Promise<CommandOutcome> {
  const offsets = await withAdmin(context, (admin) => readGroupOffsets(context, admin));
  printOffsets(context, offsets);
  return { exitCode: 0, summary: { command: 'offsets show', ...offsets } };
}

/**
 * Moves the live projector's group to the earliest, latest or by-time offsets: the Postgres checkpoints
 * (where the projector seeks on start) and Kafka's committed offsets, together (the Postgres transaction
 * commits only after Kafka accepted the new offsets). Refused while the group has members.
 */
export async function offsetsResetCommand(context: ReplayContext, options: { to: OffsetTarget }): Promise<CommandOutcome> {
  const { db, config, output } = context;
  const { topic, projectorGroupId: group } = config.kafka;
  return withAdmin(context, async (admin) => {
    const before = await readGroupOffsets(context, admin);
    if (before.members.length > 0 || !['Empty', 'Dead'].includes(before.state)) {
      const who = before.members.map((m) => `${m.clientId}@${m.host}`).join(', ');
      throw new OffsetsRefused(
        `consumer group ${group} is ${before.state} with ${before.members.length} live member(s)${who ? ` (${who})` : ''}: ` +
          'stop every projector of this group, then reset its offsets',
      );
    }
    const targets = await targetOffsets(admin, topic, options.to);
    await withTransaction(db, async (tx) => {
      for (const target of targets) {
        await tx.query(
          `INSERT INTO projection_checkpoints (consumer_group, topic, partition, next_offset, updated_at)
           VALUES ($1, $2, $3, $4, now())
           ON CONFLICT (consumer_group, topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset, updated_at = now()`,
          [group, topic, target.partition, target.offset],
        );
      }
      // Kafka's offsets are set inside the transaction: should Kafka refuse, the checkpoints roll back with it.
      await admin.setOffsets(group, topic, targets);
    });
    const after = await readGroupOffsets(context, admin);
    const to = options.to.kind === 'time' ? `time ${options.to.time.toISOString()}` : options.to.kind;
    output.line(`reset ${group} on ${topic} to ${to}`);
    printOffsets(context, after, before);
    if (options.to.kind !== 'earliest') {
      output.line('note: events before the new offsets will not be projected again; rebuild the read models if they are needed');
    }
    return { exitCode: 0, summary: { command: 'offsets reset', to, before, after } };
  });
}

async function targetOffsets(admin: MessagingAdmin, topic: string, to: OffsetTarget): Promise<{ partition: number; offset: string }[]> {
  const watermarks = await admin.watermarks(topic);
  switch (to.kind) {
    case 'earliest':
      return watermarks.map((p) => ({ partition: p.partition, offset: p.low }));
    case 'latest':
      return watermarks.map((p) => ({ partition: p.partition, offset: p.high }));
    case 'time': {
      // Kafka answers the high watermark for a partition with nothing at or after the time.
      return admin.offsetsAtTime(topic, to.time.getTime());
    }
    default: {
      const unhandled: never = to;
      throw new Error(`unhandled offset target ${JSON.stringify(unhandled)}`);
    }
  }
}

async function readGroupOffsets(context: ReplayContext, admin: MessagingAdmin): Promise<GroupOffsets> {
  const { topic, projectorGroupId: group } = context.config.kafka;
  const description = await admin.describeGroup(group);
  const committed = await admin.committedOffsets(group, topic);
  const committedByPartition = new Map(committed.map((p) => [p.partition, p.offset]));
  const watermarks = await admin.watermarks(topic);
  const rows: { partition: number; next_offset: string }[] = await context.db.query(
    'SELECT partition, next_offset FROM projection_checkpoints WHERE consumer_group = $1 AND topic = $2',
    [group, topic],
  );
  const checkpoints = new Map(rows.map((row) => [row.partition, String(row.next_offset)]));
  return {
    group,
    topic,
    state: description.state,
    members: description.members,
    partitions: watermarks
      .sort((a, b) => a.partition - b.partition)
      .map((p) => {
        const checkpoint = checkpoints.get(p.partition) ?? null;
        const resumeAt = BigInt(checkpoint ?? p.low);
        const lag = BigInt(p.high) - resumeAt;
        return {
          partition: p.partition,
          checkpoint,
          committed: committedByPartition.get(p.partition) ?? null,
          low: p.low,
          high: p.high,
          lag: String(lag > 0n ? lag : 0n),
        };
      }),
  };
}

function printOffsets(context: ReplayContext, offsets: GroupOffsets, before?: GroupOffsets): void {
  const { output } = context;
  output.line(`group ${offsets.group} on ${offsets.topic}: ${offsets.state}, ${offsets.members.length} member(s)`);
  for (const member of offsets.members) output.line(`  member ${member.clientId}@${member.host} (${member.memberId})`);
  const header = ['partition', 'checkpoint (postgres)', 'committed (kafka)', 'low', 'high', 'lag'];
  const rows = offsets.partitions.map((p) => {
    const old = before?.partitions.find((b) => b.partition === p.partition);
    const change = (was: string | null | undefined, now: string | null) =>
      old !== undefined && was !== now ? `${was ?? '-'} -> ${now ?? '-'}` : (now ?? '-');
    return [String(p.partition), change(old?.checkpoint, p.checkpoint), change(old?.committed, p.committed), p.low, p.high, p.lag];
  });
  for (const line of table([header, ...rows])) output.line(`  ${line}`);
}

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column])).join('  ').trimEnd());
}

async function withAdmin<T>(context: ReplayContext, work: (admin: MessagingAdmin) => Promise<T>): Promise<T> {
  const admin = requireKafka(context).admin();
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.disconnect();
  }
}
