import { ValidationError } from '../shared/domain-error';
import { DEVICE_ID, ERROR_CODE, FieldChecks, HOSTNAME, PATCH_ID, isPlainObject } from '../shared/validation';
import { ARCHITECTURES, PRODUCTS } from '../catalog/patch';
import { DeviceProfile, DeviceProfileChange, EDITIONS, VBS_STATES } from './device-profile';

/**
 * Turns untrusted input (REST bodies, gRPC messages) into command data. Every transport uses these, so
 * a device is validated the same way whichever door it came through; every bad field is named at once.
 */
function objectInput(input: unknown): Record<string, unknown> {
  if (!isPlainObject(input)) throw new ValidationError([{ field: 'body', message: 'must be a JSON object' }]);
  return input;
}

const PROFILE_FIELDS = ['product', 'edition', 'architecture', 'build', 'vbs', 'chpeDisabled', 'hotpatchEnabled'];

export function parseDeviceId(value: unknown, field = 'deviceId'): string {
  const checks = new FieldChecks({ [field]: value }).requiredString(field, DEVICE_ID, 'letters, digits and . _ : - (at most 128)');
  checks.throwIfInvalid();
  return value as string;
}

export function parsePatchId(value: unknown, field = 'patchId'): string {
  new FieldChecks({ [field]: value }).requiredString(field, PATCH_ID, 'a KB number such as KB5050009').throwIfInvalid();
  return value as string;
}

export function parseRegisterDevice(input: unknown): { deviceId: string; hostname: string; profile: DeviceProfile; registeredAt?: string } {
  const body = objectInput(input);
  const checks = new FieldChecks(body)
    .onlyKnown(['deviceId', 'hostname', 'profile', 'registeredAt'])
    .requiredString('deviceId', DEVICE_ID, 'letters, digits and . _ : - (at most 128)')
    .requiredString('hostname', HOSTNAME, 'a host name')
    .optionalTimestamp('registeredAt');
  const profile = body.profile;
  if (profile === undefined) checks.fail('profile', 'is required');
  else if (!isPlainObject(profile)) checks.fail('profile', 'must be an object');
  else {
    const profileChecks = new FieldChecks(profile)
      .onlyKnown(PROFILE_FIELDS, 'profile.')
      .requiredEnum('product', PRODUCTS)
      .requiredEnum('edition', EDITIONS)
      .requiredEnum('architecture', ARCHITECTURES)
      .requiredBuild('build')
      .requiredEnum('vbs', VBS_STATES)
      .optionalBoolean('chpeDisabled')
      .requiredBoolean('hotpatchEnabled');
    mergeNested(checks, profileChecks, 'profile.');
  }
  checks.throwIfInvalid();
  const p = profile as Record<string, unknown>;
  return {
    deviceId: body.deviceId as string,
    hostname: body.hostname as string,
    profile: {
      product: p.product as DeviceProfile['product'],
      edition: p.edition as DeviceProfile['edition'],
      architecture: p.architecture as DeviceProfile['architecture'],
      build: p.build as string,
      vbs: p.vbs as DeviceProfile['vbs'],
      chpeDisabled: (p.chpeDisabled as boolean | undefined) ?? false,
      hotpatchEnabled: p.hotpatchEnabled as boolean,
    },
    ...(body.registeredAt !== undefined ? { registeredAt: body.registeredAt as string } : {}),
  };
}

export function parseProfileReport(input: unknown): { changes: DeviceProfileChange; reportedAt?: string } {
  const body = objectInput(input);
  const changeFields = PROFILE_FIELDS.filter((f) => f !== 'build');
  const checks = new FieldChecks(body)
    .optionalEnum('product', PRODUCTS)
    .optionalEnum('edition', EDITIONS)
    .optionalEnum('architecture', ARCHITECTURES)
    .optionalEnum('vbs', VBS_STATES)
    .optionalBoolean('chpeDisabled')
    .optionalBoolean('hotpatchEnabled')
    .optionalTimestamp('reportedAt');
  for (const key of Object.keys(body)) {
    if (key === 'build') checks.fail('build', 'changes only through staged updates and reboots, not by a profile report');
    else if (!changeFields.includes(key) && key !== 'reportedAt') checks.fail(key, 'is not a known field');
  }
  const changes: DeviceProfileChange = {};
  for (const field of changeFields) {
    if (body[field] !== undefined) (changes as Record<string, unknown>)[field] = body[field];
  }
  if (Object.keys(changes).length === 0 && !checks.hasErrors()) checks.fail('body', `must change at least one of ${changeFields.join(', ')}`);
  checks.throwIfInvalid();
  return { changes, ...(body.reportedAt !== undefined ? { reportedAt: body.reportedAt as string } : {}) };
}

export function parseApplyHotpatch(input: unknown): { patchId: string; appliedAt?: string } {
  const body = objectInput(input);
  new FieldChecks(body)
    .onlyKnown(['patchId', 'appliedAt'])
    .requiredString('patchId', PATCH_ID, 'a KB number such as KB5050009')
    .optionalTimestamp('appliedAt')
    .throwIfInvalid();
  return { patchId: body.patchId as string, ...(body.appliedAt !== undefined ? { appliedAt: body.appliedAt as string } : {}) };
}

export function parseReboot(input: unknown): { bootId: string | null; rebootedAt?: string } {
  const body = objectInput(input ?? {});
  new FieldChecks(body)
    .onlyKnown(['rebootedAt', 'bootId'])
    .optionalTimestamp('rebootedAt')
    .optionalString('bootId', /^[A-Za-z0-9._:-]{1,128}$/, 'letters, digits and . _ : - (at most 128)')
    .throwIfInvalid();
  return {
    bootId: (body.bootId as string | undefined) ?? null,
    ...(body.rebootedAt !== undefined ? { rebootedAt: body.rebootedAt as string } : {}),
  };
}

export function parseStageUpdate(input: unknown): { patchId: string; stagedAt?: string } {
  const body = objectInput(input);
  new FieldChecks(body)
    .onlyKnown(['patchId', 'stagedAt'])
    .requiredString('patchId', PATCH_ID, 'a KB number such as KB5050009')
    .optionalTimestamp('stagedAt')
    .throwIfInvalid();
  return { patchId: body.patchId as string, ...(body.stagedAt !== undefined ? { stagedAt: body.stagedAt as string } : {}) };
}

export function parseRevert(input: unknown): { revertedAt?: string } {
  const body = objectInput(input ?? {});
  new FieldChecks(body).onlyKnown(['revertedAt']).optionalTimestamp('revertedAt').throwIfInvalid();
  return body.revertedAt !== undefined ? { revertedAt: body.revertedAt as string } : {};
}

export function parseFailureReport(input: unknown): { patchId: string; errorCode: string; failedAt?: string } {
  const body = objectInput(input);
  new FieldChecks(body)
    .onlyKnown(['patchId', 'errorCode', 'failedAt'])
    .requiredString('patchId', PATCH_ID, 'a KB number such as KB5050009')
    .requiredString('errorCode', ERROR_CODE, 'an HRESULT such as 0x800f0922')
    .optionalTimestamp('failedAt')
    .throwIfInvalid();
  return {
    patchId: body.patchId as string,
    errorCode: (body.errorCode as string).toLowerCase(),
    ...(body.failedAt !== undefined ? { failedAt: body.failedAt as string } : {}),
  };
}

export function parseRetire(input: unknown): { reason: string | null; retiredAt?: string } {
  const body = objectInput(input ?? {});
  new FieldChecks(body).onlyKnown(['reason', 'retiredAt']).optionalString('reason').optionalTimestamp('retiredAt').throwIfInvalid();
  return {
    reason: (body.reason as string | undefined) ?? null,
    ...(body.retiredAt !== undefined ? { retiredAt: body.retiredAt as string } : {}),
  };
}

/** Windows reports `10.0.26100.7392` where the catalog says `26100.7392`: both are accepted. */
const FULL_OS_BUILD = /^10\.0\.(\d{1,6}\.\d{1,6})$/;

export function parseCheckIn(input: unknown): { build: string; checkedInAt?: string } {
  const body = objectInput(input);
  const build = typeof body.build === 'string' ? (FULL_OS_BUILD.exec(body.build)?.[1] ?? body.build) : body.build;
  new FieldChecks({ ...body, build })
    .onlyKnown(['build', 'checkedInAt'])
    .requiredBuild('build')
    .optionalTimestamp('checkedInAt')
    .throwIfInvalid();
  return { build: build as string, ...(body.checkedInAt !== undefined ? { checkedInAt: body.checkedInAt as string } : {}) };
}

function mergeNested(outer: FieldChecks, inner: FieldChecks, prefix: string): void {
  try {
    inner.throwIfInvalid();
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    for (const fieldError of error.fieldErrors) {
      const field = fieldError.field.startsWith(prefix) ? fieldError.field : prefix + fieldError.field;
      outer.fail(field, fieldError.message);
    }
  }
}
