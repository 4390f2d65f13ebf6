import { PackageDefinition } from '@grpc/proto-loader';
import { FileDescriptorProto, IDescriptorProto, IFileDescriptorProto } from 'protobufjs/ext/descriptor';

/**
 * proto-loader describes each package as one file, leaves every file's `dependency` list empty and writes
 * type references relative to their scope (grpc/grpc-node#2595, #3034), so a reflection client such as
 * grpcurl cannot resolve a type from another file (google.protobuf.Struct here) and refuses to describe the
 * service. This rebuilds the file descriptors as protoc would: fully qualified type references, the files
 * they come from listed as dependencies, and the well-known Struct file under its canonical name.
 */
export function withLinkedFileDescriptors(definition: PackageDefinition): PackageDefinition {
  const files = new Map<string, IFileDescriptorProto>();
  for (const entry of Object.values(definition)) {
    for (const buffer of fileDescriptorsOf(entry)) {
      const file = FileDescriptorProto.toObject(FileDescriptorProto.decode(buffer), { defaults: false }) as IFileDescriptorProto;
      if (file.name && !files.has(file.name)) {
        files.set(file.name, { ...file, name: canonicalName(file), messageType: (file.messageType ?? []).map(withMapEntriesNamed) });
      }
    }
  }
  const definedIn = new Map<string, string>();
  for (const file of files.values()) {
    for (const symbol of definedSymbols(file)) definedIn.set(symbol, file.name!);
  }
  const linked = [...files.values()].map((file) => {
    const dependencies = new Set<string>();
    const resolve = (reference: string | null | undefined, scope: string): string | undefined => {
      if (!reference) return undefined;
      const absolute = resolveReference(reference, scope, definedIn);
      const home = definedIn.get(absolute);
      if (home !== undefined && home !== file.name) dependencies.add(home);
      return absolute;
    };
    const pkg = file.package ? `.${file.package}` : '';
    const linkMessage = (message: IDescriptorProto, scope: string): IDescriptorProto => {
      const name = `${scope}.${message.name}`;
      return {
        ...message,
        field: (message.field ?? []).map((field) => (field.typeName ? { ...field, typeName: resolve(field.typeName, name) } : field)),
        nestedType: (message.nestedType ?? []).map((nested) => linkMessage(nested, name)),
      };
    };
    const relinked: IFileDescriptorProto = {
      ...file,
      messageType: (file.messageType ?? []).map((message) => linkMessage(message, pkg)),
      service: (file.service ?? []).map((service) => ({
        ...service,
        method: (service.method ?? []).map((method) => ({
          ...method,
          inputType: resolve(method.inputType, pkg),
          outputType: resolve(method.outputType, pkg),
        })),
      })),
    };
    relinked.dependency = [...dependencies].sort();
    return Buffer.from(FileDescriptorProto.encode(FileDescriptorProto.fromObject(relinked)).finish());
  });
  return Object.fromEntries(
    Object.entries(definition).map(([name, entry]) => [name, fileDescriptorsOf(entry).length > 0 ? { ...entry, fileDescriptorProtos: linked } : entry]),
  ) as PackageDefinition;
}

function fileDescriptorsOf(entry: unknown): Buffer[] {
  const buffers = (entry as { fileDescriptorProtos?: unknown }).fileDescriptorProtos;
  return Array.isArray(buffers) ? (buffers as Buffer[]) : [];
}

/**
 * protoc names a map field's entry type `<FieldName>Entry` (what validators such as Go's protodesc insist on);
 * protobuf.js names it after the field alone.
 */
function withMapEntriesNamed(message: IDescriptorProto): IDescriptorProto {
  const renames = new Map<string, string>();
  for (const field of message.field ?? []) {
    const entry = (message.nestedType ?? []).find((nested) => nested.name === field.typeName && nested.options?.mapEntry);
    if (entry && field.name) renames.set(entry.name!, mapEntryName(field.name));
  }
  return {
    ...message,
    field: (message.field ?? []).map((field) => (field.typeName && renames.has(field.typeName) ? { ...field, typeName: renames.get(field.typeName) } : field)),
    nestedType: (message.nestedType ?? []).map((nested) => withMapEntriesNamed(renames.has(nested.name!) ? { ...nested, name: renames.get(nested.name!) } : nested)),
  };
}

/** protoc's rule: snake_case to CamelCase, then "Entry". */
function mapEntryName(fieldName: string): string {
  return `${fieldName.replace(/(?:^|_)([a-z0-9])/g, (_, letter: string) => letter.toUpperCase()).replace(/_/g, '')}Entry`;
}

function canonicalName(file: IFileDescriptorProto): string {
  const messages = (file.messageType ?? []).map((m) => m.name);
  if (file.package === 'google.protobuf' && messages.includes('Struct')) return 'google/protobuf/struct.proto';
  return file.name!;
}

/** Fully qualified names (".pkg.Message", ".pkg.Outer.Inner", ".pkg.Enum") a file defines. */
function definedSymbols(file: IFileDescriptorProto): string[] {
  const prefix = file.package ? `.${file.package}` : '';
  const ofMessage = (scope: string, message: IDescriptorProto): string[] => {
    const name = `${scope}.${message.name}`;
    return [
      name,
      ...(message.enumType ?? []).map((e) => `${name}.${e.name}`),
      ...(message.nestedType ?? []).flatMap((nested) => ofMessage(name, nested)),
    ];
  };
  return [...(file.messageType ?? []).flatMap((m) => ofMessage(prefix, m)), ...(file.enumType ?? []).map((e) => `${prefix}.${e.name}`)];
}

/** Protobuf's scoping rule: look the name up from the innermost scope outwards, then from the root. */
function resolveReference(reference: string, scope: string, known: Map<string, string>): string {
  if (reference.startsWith('.')) return reference;
  for (let current = scope; current !== ''; current = current.slice(0, current.lastIndexOf('.'))) {
    const candidate = `${current}.${reference}`;
    if (known.has(candidate)) return candidate;
  }
  return `.${reference}`;
}
