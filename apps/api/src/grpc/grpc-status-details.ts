import { join } from 'node:path';
import * as protobuf from 'protobufjs';
import { DomainError, FieldError } from '@patchstate/domain';
import { protoRoot } from './grpc-server';

/** ErrorInfo.domain: names the service that defines the reasons (our DomainErrorCode values). */
export const ERROR_DOMAIN = 'patchstate';

const TYPE_PREFIX = 'type.googleapis.com/';

interface RpcTypes {
  status: protobuf.Type;
  errorInfo: protobuf.Type;
  badRequest: protobuf.Type;
}

let types: RpcTypes | undefined;

/** Loaded once, on the first error: the vendored google.rpc files beside our own protos. */
function rpcTypes(): RpcTypes {
  if (!types) {
    const root = new protobuf.Root();
    const dir = protoRoot();
    // google/protobuf/any.proto is bundled with protobufjs; the google/rpc files are vendored in proto/.
    root.resolvePath = (_origin, target) => (target.startsWith('google/protobuf/') ? target : join(dir, target));
    root.loadSync(['google/rpc/status.proto', 'google/rpc/error_details.proto'], { keepCase: true });
    types = {
      status: root.lookupType('google.rpc.Status'),
      errorInfo: root.lookupType('google.rpc.ErrorInfo'),
      badRequest: root.lookupType('google.rpc.BadRequest'),
    };
  }
  return types;
}

function pack(type: protobuf.Type, value: object): { type_url: string; value: Uint8Array } {
  return { type_url: TYPE_PREFIX + type.fullName.slice(1), value: type.encode(type.fromObject(value)).finish() };
}

/**
 * The standard `grpc-status-details-bin` trailer (google.rpc.Status), which clients read with
 * `status.Details()` (Go), `rpc_status.from_call` (Python) and the like: an ErrorInfo whose reason is the
 * domain code, with the scalar details as metadata, and for a validation error a BadRequest naming each field.
 */
export function statusDetails(code: number, message: string, error: DomainError | null): Buffer {
  const rpc = rpcTypes();
  const details = [pack(rpc.errorInfo, { reason: error?.code ?? 'INTERNAL', domain: ERROR_DOMAIN, metadata: error ? scalarDetails(error) : {} })];
  const fields = error?.details.fields;
  if (Array.isArray(fields)) {
    const violations = (fields as FieldError[]).map((f) => ({ field: f.field, description: f.message }));
    details.push(pack(rpc.badRequest, { field_violations: violations }));
  }
  return Buffer.from(rpc.status.encode(rpc.status.fromObject({ code, message, details })).finish());
}

/** ErrorInfo.metadata is a string map: the details a client acts on that are scalars, lists joined by commas. */
function scalarDetails(error: DomainError): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(error.details)) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') metadata[key] = String(value);
    else if (Array.isArray(value) && value.every((item) => typeof item === 'string')) metadata[key] = value.join(',');
  }
  return metadata;
}
