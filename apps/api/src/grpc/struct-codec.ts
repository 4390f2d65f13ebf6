/**
 * google.protobuf.Struct in the shape @grpc/proto-loader encodes and decodes (`{ fields: { k: Value } }`):
 * event data stays schemaless on the wire, and grpcurl prints it as plain JSON.
 */
export interface StructMessage {
  fields: Record<string, ValueMessage>;
}

export type ValueMessage =
  | { nullValue: 'NULL_VALUE' | 0 }
  | { numberValue: number }
  | { stringValue: string }
  | { boolValue: boolean }
  | { structValue: StructMessage }
  | { listValue: { values: ValueMessage[] } };

export function toStruct(value: unknown): StructMessage {
  const object = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  return {
    fields: Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined).map(([k, v]) => [k, toValue(v)])),
  };
}

export function toValue(value: unknown): ValueMessage {
  if (value === null || value === undefined) return { nullValue: 'NULL_VALUE' };
  if (typeof value === 'number') return { numberValue: value };
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (Array.isArray(value)) return { listValue: { values: value.map(toValue) } };
  if (typeof value === 'object') return { structValue: toStruct(value) };
  return { stringValue: String(value) };
}

export function fromStruct(struct: { fields?: Record<string, unknown> } | null | undefined): Record<string, unknown> {
  return Object.fromEntries(Object.entries(struct?.fields ?? {}).map(([k, v]) => [k, fromValue(v as Record<string, unknown>)]));
}

function fromValue(value: Record<string, unknown>): unknown {
  if ('structValue' in value && value.structValue != null) return fromStruct(value.structValue as { fields?: Record<string, unknown> });
  if ('listValue' in value && value.listValue != null) {
    return ((value.listValue as { values?: Record<string, unknown>[] }).values ?? []).map(fromValue);
  }
  if ('stringValue' in value && value.stringValue != null) return value.stringValue;
  if ('numberValue' in value && value.numberValue != null) return value.numberValue;
  if ('boolValue' in value && value.boolValue != null) return value.boolValue;
  return null;
}
