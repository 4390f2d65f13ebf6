import { parseArgs } from 'node:util';
import { DEAD_LETTER_STATUSES, DeadLetterStatus, ReplayWindow } from '@patchstate/read-models';

export type SourceName = 'store' | 'kafka';

export type OffsetTarget = { kind: 'earliest' } | { kind: 'latest' } | { kind: 'time'; time: Date };

export type ReplayCommand =
  | { name: 'help'; topic?: string }
  | {
      name: 'rebuild';
      projections: string[] | 'all';
      source: SourceName;
      window: ReplayWindow;
      keepShadow: boolean;
      keepOld: boolean;
    }
  | { name: 'verify'; projections: string[] | 'all'; source: SourceName; maxRows: number; keepShadow: boolean }
  | { name: 'device'; deviceId: string; until?: Date; toVersion?: number }
  | { name: 'audit-verify'; deviceId?: string }
  | { name: 'offsets-show' }
  | { name: 'offsets-reset'; to: OffsetTarget }
  | { name: 'dead-letters-list'; status: DeadLetterStatus | 'all'; streamId?: string; limit: number }
  | { name: 'dead-letters-retry'; id?: string; streamId?: string }
  | { name: 'dead-letters-skip'; id?: string; streamId?: string };

export interface ParsedArguments {
  command: ReplayCommand;
  /** Print a machine-readable summary on stdout at the end (human output then goes to stderr). */
  json: boolean;
}

/** Bad arguments: the CLI prints the message and the usage, and exits with 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

type OptionSpec = Record<string, { type: 'string' | 'boolean' }>;

const COMMON: OptionSpec = { json: { type: 'boolean' }, help: { type: 'boolean' } };
const OPTIONS: Record<string, OptionSpec> = {
  rebuild: {
    projection: { type: 'string' },
    source: { type: 'string' },
    'from-time': { type: 'string' },
    'to-position': { type: 'string' },
    'keep-shadow': { type: 'boolean' },
    'keep-old': { type: 'boolean' },
  },
  verify: { projection: { type: 'string' }, source: { type: 'string' }, 'max-rows': { type: 'string' }, 'keep-shadow': { type: 'boolean' } },
  device: { until: { type: 'string' }, 'to-version': { type: 'string' } },
  'audit-verify': { device: { type: 'string' } },
  offsets: { to: { type: 'string' } },
  'dead-letters': { id: { type: 'string' }, stream: { type: 'string' }, status: { type: 'string' }, limit: { type: 'string' } },
};

export function parseReplayArguments(argv: readonly string[]): ParsedArguments {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    return { command: { name: 'help', topic: name === 'help' ? rest[0] : undefined }, json: false };
  }
  const spec = OPTIONS[name];
  if (spec === undefined) throw new UsageError(`unknown command "${name}"`);
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...rest], options: { ...COMMON, ...spec }, allowPositionals: true, strict: true }) as typeof parsed;
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/\. To specify a positional argument.*$/s, ''), name);
  }
  const { values, positionals } = parsed;
  const json = values.json === true;
  if (values.help === true) return { command: { name: 'help', topic: name }, json: false };
  const option = (key: string) => values[key] as string | undefined;
  const flag = (key: string) => values[key] === true;
  const noPositionals = (allowed = 0) => {
    if (positionals.length > allowed) throw new UsageError(`unexpected argument "${positionals[allowed]}"`, name);
  };
  // rebuild and verify both run projections into a shadow schema, from a source.
  const shadowRun = () => ({ projections: parseProjections(option('projection')), source: parseSource(option('source'), name) });

  switch (name) {
    case 'rebuild': {
      noPositionals();
      const window: ReplayWindow = {};
      const fromTime = option('from-time');
      if (fromTime !== undefined) window.fromTime = parseTime('--from-time', fromTime, name);
      const toPosition = option('to-position');
      if (toPosition !== undefined) window.toPosition = parsePosition('--to-position', toPosition, name);
      return {
        json,
        command: {
          name,
          ...shadowRun(),
          window,
          keepShadow: flag('keep-shadow'),
          keepOld: flag('keep-old'),
        },
      };
    }
    case 'verify':
      noPositionals();
      return {
        json,
        command: {
          name,
          ...shadowRun(),
          maxRows: parseCount('--max-rows', option('max-rows') ?? '20', name),
          keepShadow: flag('keep-shadow'),
        },
      };
    case 'device': {
      noPositionals(1);
      const deviceId = positionals[0];
      if (deviceId === undefined || deviceId.trim() === '') throw new UsageError('device needs a device id', name);
      const until = option('until');
      const toVersion = option('to-version');
      if (until !== undefined && toVersion !== undefined) throw new UsageError('give either --until or --to-version, not both', name);
      return {
        json,
        command: {
          name,
          deviceId,
          ...(until !== undefined ? { until: parseTime('--until', until, name) } : {}),
          ...(toVersion !== undefined ? { toVersion: parseCount('--to-version', toVersion, name) } : {}),
        },
      };
    }
    case 'audit-verify': {
      noPositionals();
      const deviceId = option('device');
      return { json, command: { name, ...(deviceId !== undefined ? { deviceId } : {}) } };
    }
    case 'offsets':
      return { json, command: parseOffsets(positionals, option('to')) };
    case 'dead-letters':
      return { json, command: parseDeadLetters(positionals, values) };
    default:
      throw new UsageError(`unknown command "${name}"`);
  }
}

function parseOffsets(positionals: string[], to: string | undefined): ReplayCommand {
  const [action, ...rest] = positionals;
  if (action === 'show') {
    if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`, 'offsets');
    if (to !== undefined) throw new UsageError('--to belongs to "offsets reset"', 'offsets');
    return { name: 'offsets-show' };
  }
  if (action !== 'reset') throw new UsageError(action === undefined ? 'offsets needs "show" or "reset"' : `unknown offsets action "${action}"`, 'offsets');
  if (to === undefined) throw new UsageError('offsets reset needs --to earliest|latest|time <ISO time>', 'offsets');
  if (to === 'earliest' || to === 'latest') {
    if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`, 'offsets');
    return { name: 'offsets-reset', to: { kind: to } };
  }
  if (to === 'time') {
    if (rest.length !== 1) throw new UsageError('--to time needs exactly one ISO time, e.g. --to time 2025-03-01T00:00:00Z', 'offsets');
    return { name: 'offsets-reset', to: { kind: 'time', time: parseTime('--to time', rest[0], 'offsets') } };
  }
  // `--to 2025-03-01T00:00:00Z` reads as `--to time 2025-03-01T00:00:00Z`.
  if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`, 'offsets');
  return { name: 'offsets-reset', to: { kind: 'time', time: parseTime('--to', to, 'offsets') } };
}

function parseDeadLetters(positionals: string[], values: Record<string, string | boolean | undefined>): ReplayCommand {
  const [action, ...rest] = positionals;
  const command = 'dead-letters';
  if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`, command);
  const id = values.id as string | undefined;
  const streamId = values.stream as string | undefined;
  if (id !== undefined && !/^\d{1,18}$/.test(id)) throw new UsageError(`--id must be a dead letter id (a whole number), not "${id}"`, command);
  if (id !== undefined && streamId !== undefined) throw new UsageError('give either --id or --stream, not both', command);
  const selection = { ...(id !== undefined ? { id } : {}), ...(streamId !== undefined ? { streamId } : {}) };
  switch (action) {
    case 'list': {
      if (id !== undefined) throw new UsageError('list filters by --stream and --status, not --id', command);
      const status = (values.status as string | undefined) ?? 'parked';
      if (status !== 'all' && !(DEAD_LETTER_STATUSES as readonly string[]).includes(status)) {
        throw new UsageError(`--status must be one of ${[...DEAD_LETTER_STATUSES, 'all'].join(', ')}`, command);
      }
      return {
        name: 'dead-letters-list',
        status: status as DeadLetterStatus | 'all',
        ...(streamId !== undefined ? { streamId } : {}),
        limit: parseCount('--limit', (values.limit as string | undefined) ?? '50', command),
      };
    }
    case 'retry':
      rejectListOptions(values, command);
      return { name: 'dead-letters-retry', ...selection };
    case 'skip':
      rejectListOptions(values, command);
      if (id === undefined && streamId === undefined) throw new UsageError('skip needs --id N or --stream S', command);
      return { name: 'dead-letters-skip', ...selection };
    default:
      throw new UsageError(
        action === undefined ? 'dead-letters needs "list", "retry" or "skip"' : `unknown dead-letters action "${action}"`,
        command,
      );
  }
}

function rejectListOptions(values: Record<string, unknown>, command: string): void {
  for (const key of ['status', 'limit']) {
    if (values[key] !== undefined) throw new UsageError(`--${key} belongs to "dead-letters list"`, command);
  }
}

function parseProjections(value: string | undefined): string[] | 'all' {
  if (value === undefined || value === 'all') return 'all';
  const names = value.split(',').map((n) => n.trim()).filter((n) => n.length > 0);
  if (names.length === 0) throw new UsageError('--projection needs a projection name or "all"');
  return names;
}

function parseSource(value: string | undefined, command: string): SourceName {
  if (value === undefined) return 'store';
  if (value === 'store' || value === 'kafka') return value;
  throw new UsageError(`--source must be "store" or "kafka", not "${value}"`, command);
}

/** ISO 8601 with a date and, when a time is given, a zone: a bare local time would mean different instants. */
export function parseTime(flag: string, value: string, command: string): Date {
  const iso = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?$/;
  const parsed = Date.parse(value);
  if (!iso.test(value) || Number.isNaN(parsed)) {
    throw new UsageError(`${flag} must be an ISO 8601 time with a zone, e.g. 2025-03-01T00:00:00Z, not "${value}"`, command);
  }
  return new Date(parsed);
}

function parsePosition(flag: string, value: string, command: string): string {
  if (!/^\d{1,18}$/.test(value)) throw new UsageError(`${flag} must be a global position (a whole number), not "${value}"`, command);
  return String(BigInt(value));
}

function parseCount(flag: string, value: string, command: string): number {
  if (!/^\d{1,9}$/.test(value) || Number(value) < 1) throw new UsageError(`${flag} must be a whole number of at least 1, not "${value}"`, command);
  return Number(value);
}

/** Commands that talk to Kafka: the others run with the database alone. */
export function needsKafka(command: ReplayCommand): boolean {
  switch (command.name) {
    case 'rebuild':
    case 'verify':
      return command.source === 'kafka';
    case 'offsets-show':
    case 'offsets-reset':
      return true;
    case 'help':
    case 'device':
    case 'audit-verify':
    case 'dead-letters-list':
    case 'dead-letters-retry':
    case 'dead-letters-skip':
      return false;
    default: {
      const unhandled: never = command;
      throw new Error(`unhandled command ${JSON.stringify(unhandled)}`);
    }
  }
}
