/**
 * Messages are plain data. A type name is an explicit string that is stored in the log; it is never
 * derived from a class name, so renaming code can never orphan history.
 */
export interface Actor {
  /** Who acted: an API key's name, a CLI user, a device agent. */
  readonly id: string;
  readonly role: string;
}

/** Supplied by the caller's shell: the domain never reads a clock or makes ids. */
export interface CommandMetadata {
  readonly commandId: string;
  /** When it happened on the device or in the operator's world (defaults to recordedAt). */
  readonly occurredAt: string;
  /** When the service accepted it. */
  readonly recordedAt: string;
  readonly actor: Actor;
  readonly correlationId: string;
  readonly causationId: string | null;
}

export interface Command<Type extends string, Data> {
  readonly type: Type;
  readonly data: Data;
  readonly metadata: CommandMetadata;
}

/** What `decide` returns: the store adds ids, times, actor and the hash chain. */
export interface Event<Type extends string, Data> {
  readonly type: Type;
  readonly data: Data;
}

export interface EventMetadata {
  readonly eventId: string;
  readonly occurredAt: string;
  readonly recordedAt: string;
  readonly actor: Actor;
  readonly correlationId: string;
  readonly causationId: string | null;
  readonly schemaVersion: number;
}

export interface RecordedEvent<E extends Event<string, unknown> = Event<string, unknown>> {
  readonly type: E['type'];
  readonly data: E['data'];
  readonly metadata: EventMetadata;
  readonly streamId: string;
  readonly version: number;
  readonly position: string;
  readonly hash: string;
  readonly prevHash: string | null;
}

/** Exhaustiveness guard for switches over message unions. */
export function assertNever(value: never): never {
  throw new Error(`unhandled message: ${JSON.stringify(value)}`);
}
