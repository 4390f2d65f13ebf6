import { Actor, CommandMetadata } from '@patchstate/domain';

/**
 * Fixed points in time for tests. Nothing here reads the clock, so every run builds the same data.
 * The January 2025 baseline shipped on Patch Tuesday, 14 January 2025.
 */
export const JANUARY_PATCH_TUESDAY = '2025-01-14T18:00:00Z';
export const REGISTERED_AT = '2025-01-20T08:00:00Z';
export const DEFAULT_OCCURRED_AT = '2025-02-12T09:30:00Z';

export const DEVICE_AGENT: Actor = { id: 'agent:ws-0042', role: 'device-agent' };
export const OPERATOR: Actor = { id: 'alice@contoso.example', role: 'operator' };

/**
 * Metadata the shell would supply. `recordedAt` follows `occurredAt` unless it is given too, so a test can
 * move one command in time with `{ occurredAt }` alone.
 */
export function commandMetadata(overrides: Partial<CommandMetadata> = {}): CommandMetadata {
  const occurredAt = overrides.occurredAt ?? DEFAULT_OCCURRED_AT;
  return {
    commandId: 'cmd-00000001',
    occurredAt,
    recordedAt: occurredAt,
    actor: DEVICE_AGENT,
    correlationId: 'corr-00000001',
    causationId: null,
    ...overrides,
  };
}

/** A time `days` days (and optional hours) after a fixed ISO instant: for ordered histories without a clock. */
export function daysAfter(start: string, days: number, hours = 0): string {
  return new Date(Date.parse(start) + (days * 24 + hours) * 3_600_000).toISOString().replace('.000Z', 'Z');
}
