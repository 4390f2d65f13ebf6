import { UsageError, needsKafka, parseReplayArguments } from '../../apps/replay/src/cli/replay-arguments';
import { usage } from '../../apps/replay/src/cli/usage';

const parse = (line: string) => parseReplayArguments(line.split(' ').filter((part) => part.length > 0));
const usageError = (line: string): string => {
  try {
    parse(line);
  } catch (error) {
    if (error instanceof UsageError) return error.message;
    throw error;
  }
  throw new Error(`"${line}" was accepted`);
};

describe('replay CLI arguments', () => {
  it('rebuild: every projection from the store by default', () => {
    expect(parse('rebuild')).toEqual({
      json: false,
      command: { name: 'rebuild', projections: 'all', source: 'store', window: {}, keepShadow: false, keepOld: false },
    });
  });

  it('rebuild: projections, source, windows and flags', () => {
    expect(parse('rebuild --projection device_state,patch_rollout --source kafka --from-time 2025-03-01T00:00:00Z --to-position 1200 --keep-old --json')).toEqual({
      json: true,
      command: {
        name: 'rebuild',
        projections: ['device_state', 'patch_rollout'],
        source: 'kafka',
        window: { fromTime: new Date('2025-03-01T00:00:00Z'), toPosition: '1200' },
        keepShadow: false,
        keepOld: true,
      },
    });
    expect(parse('rebuild --projection=all').command).toMatchObject({ projections: 'all' });
  });

  it('verify, device, audit-verify', () => {
    expect(parse('verify --projection device_state --max-rows 5').command).toEqual({
      name: 'verify',
      projections: ['device_state'],
      source: 'store',
      maxRows: 5,
      keepShadow: false,
    });
    expect(parse('device ws-0042 --until 2025-04-10T07:00:00+02:00').command).toEqual({
      name: 'device',
      deviceId: 'ws-0042',
      until: new Date('2025-04-10T05:00:00Z'),
    });
    expect(parse('device ws-0042 --to-version 3').command).toEqual({ name: 'device', deviceId: 'ws-0042', toVersion: 3 });
    expect(parse('audit-verify --device ws-0042').command).toEqual({ name: 'audit-verify', deviceId: 'ws-0042' });
    expect(parse('audit-verify').command).toEqual({ name: 'audit-verify' });
  });

  it('offsets show and reset to earliest, latest or a time', () => {
    expect(parse('offsets show').command).toEqual({ name: 'offsets-show' });
    expect(parse('offsets reset --to earliest').command).toEqual({ name: 'offsets-reset', to: { kind: 'earliest' } });
    expect(parse('offsets reset --to latest').command).toEqual({ name: 'offsets-reset', to: { kind: 'latest' } });
    const time = { name: 'offsets-reset', to: { kind: 'time', time: new Date('2025-03-01T00:00:00Z') } };
    expect(parse('offsets reset --to time 2025-03-01T00:00:00Z').command).toEqual(time);
    expect(parse('offsets reset --to 2025-03-01T00:00:00Z').command).toEqual(time);
  });

  it('dead-letters list, retry and skip', () => {
    expect(parse('dead-letters list').command).toEqual({ name: 'dead-letters-list', status: 'parked', limit: 50 });
    expect(parse('dead-letters list --stream device-ws-a --status all --limit 5').command).toEqual({
      name: 'dead-letters-list',
      status: 'all',
      streamId: 'device-ws-a',
      limit: 5,
    });
    expect(parse('dead-letters retry').command).toEqual({ name: 'dead-letters-retry' });
    expect(parse('dead-letters retry --stream device-ws-a').command).toEqual({ name: 'dead-letters-retry', streamId: 'device-ws-a' });
    expect(parse('dead-letters skip --id 17').command).toEqual({ name: 'dead-letters-skip', id: '17' });
  });

  it('refuses bad arguments with a message that says what is wrong', () => {
    expect(usageError('rebuild --source s3')).toBe('--source must be "store" or "kafka", not "s3"');
    expect(usageError('rebuild --from-time yesterday')).toMatch(/--from-time must be an ISO 8601 time with a zone/);
    expect(usageError('rebuild --from-time 2025-03-01T00:00:00')).toMatch(/with a zone/);
    expect(usageError('rebuild --to-position 12x')).toMatch(/--to-position must be a global position/);
    expect(usageError('rebuild --frobnicate')).toMatch(/Unknown option '--frobnicate'/);
    expect(usageError('rebuild extra')).toBe('unexpected argument "extra"');
    expect(usageError('replay-everything')).toBe('unknown command "replay-everything"');
    expect(usageError('device')).toBe('device needs a device id');
    expect(usageError('device ws-1 --until 2025-01-01T00:00:00Z --to-version 2')).toBe('give either --until or --to-version, not both');
    expect(usageError('device ws-1 --to-version 0')).toMatch(/--to-version must be a whole number of at least 1/);
    expect(usageError('offsets')).toBe('offsets needs "show" or "reset"');
    expect(usageError('offsets reset')).toMatch(/needs --to earliest\|latest\|time/);
    expect(usageError('offsets reset --to time')).toMatch(/--to time needs exactly one ISO time/);
    expect(usageError('offsets reset --to sometime')).toMatch(/--to must be an ISO 8601 time/);
    expect(usageError('dead-letters skip')).toBe('skip needs --id N or --stream S');
    expect(usageError('dead-letters retry --id 1 --stream s')).toBe('give either --id or --stream, not both');
    expect(usageError('dead-letters retry --id abc')).toMatch(/--id must be a dead letter id/);
    expect(usageError('dead-letters list --status gone')).toMatch(/--status must be one of parked, retried, skipped, all/);
    expect(usageError('dead-letters purge')).toBe('unknown dead-letters action "purge"');
  });

  it('help, and which commands need Kafka', () => {
    expect(parse('').command).toEqual({ name: 'help' });
    expect(parse('help rebuild').command).toEqual({ name: 'help', topic: 'rebuild' });
    expect(parse('verify --help').command).toEqual({ name: 'help', topic: 'verify' });
    expect(usage('offsets')).toContain('offsets reset --to earliest|latest|time T');
    expect(usage()).toContain('dead-letters skip (--id N | --stream S)');
    expect(needsKafka(parse('rebuild').command)).toBe(false);
    expect(needsKafka(parse('rebuild --source kafka').command)).toBe(true);
    expect(needsKafka(parse('offsets show').command)).toBe(true);
    expect(needsKafka(parse('device ws-1').command)).toBe(false);
  });
});
