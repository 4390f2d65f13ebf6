import { Architecture, Build, DEVICE_ID, ERROR_CODE, Edition, HOSTNAME, Product, isBuild } from '@patchstate/domain';

/**
 * Readers of single WUfB report cells (docs/ingest.md). Each returns the value or a message saying what the cell
 * must be; the row reader collects the messages so a bad row is reported with all its problems at once.
 */
export type Read<T> = { ok: true; value: T } | { ok: false; message: string };

const ok = <T>(value: T): Read<T> => ({ ok: true, value });
const bad = <T>(message: string): Read<T> => ({ ok: false, message });

/** A cell as text: JSON exports carry numbers and booleans, CSV exports only text; empty is absent. */
export function text(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  const s = typeof value === 'string' ? value.trim() : typeof value === 'number' || typeof value === 'boolean' ? String(value) : null;
  return s === null || s === '' ? null : s;
}

/**
 * The device id is the Entra device id, lowercased: DeviceName is not unique and changes with a rename, and
 * UCClientUpdateStatus rows join UCClient by this id.
 */
export function readDeviceId(value: unknown): Read<string> {
  const id = text(value)?.toLowerCase() ?? null;
  if (id === null) return bad('AzureADDeviceId is required (the device id)');
  return DEVICE_ID.test(id) ? ok(id) : bad('AzureADDeviceId must be letters, digits and . _ : - (at most 128)');
}

/** The DeviceName becomes the hostname; a name that is no hostname (spaces, say) is refused, not altered. */
export function readHostname(value: unknown): Read<string> {
  const name = text(value);
  if (name === null) return bad('DeviceName is required');
  return HOSTNAME.test(name) ? ok(name) : bad('DeviceName must be a host name (letters, digits, . and -)');
}

/** `10.0.26100.7392` (UCClient's OSBuild) or `26100.7392` (what the service stores) → `26100.7392`. */
export function readBuild(value: unknown, column: string): Read<Build> {
  const raw = text(value);
  if (raw === null) return bad(`${column} is required`);
  const build = raw.replace(/^10\.0\./, '');
  return isBuild(build) ? ok(build) : bad(`${column} must be a build such as 10.0.26100.7392`);
}

/**
 * OSEdition as WUfB reports it (the edition's SKU name). Server editions and their build line decide the
 * product; anything else (Home, IoT, ...) cannot hotpatch and has no profile here, so it is refused by name.
 */
const EDITIONS: Record<string, { edition: Edition; server: boolean }> = {
  enterprise: { edition: 'enterprise', server: false },
  enterprisen: { edition: 'enterprise', server: false },
  education: { edition: 'education', server: false },
  educationn: { edition: 'education', server: false },
  professional: { edition: 'pro', server: false },
  pro: { edition: 'pro', server: false },
  professionaln: { edition: 'pro', server: false },
  serverstandard: { edition: 'standard', server: true },
  serverdatacenter: { edition: 'datacenter', server: true },
  serverturbine: { edition: 'datacenter-azure-edition', server: true },
  serverazureedition: { edition: 'datacenter-azure-edition', server: true },
};

export function readEdition(value: unknown): Read<{ edition: Edition; server: boolean }> {
  const raw = text(value);
  if (raw === null) return bad('OSEdition is required');
  const known = EDITIONS[raw.toLowerCase().replace(/[\s_-]/g, '')];
  return known ? ok(known) : bad(`OSEdition "${raw}" is not one of ${Object.keys(EDITIONS).join(', ')} (case and spaces ignored)`);
}

/** Windows 11 24H2/25H2/26H2 and Server 2025 share build 26100; the edition tells them apart. */
export function productOf(build: Build, server: boolean): Read<Product> {
  const major = build.split('.')[0];
  if (server) {
    if (major === '26100') return ok('windows-server-2025');
    if (major === '20348') return ok('windows-server-2022');
    return bad(`OSBuild ${build} with a server edition is neither Windows Server 2025 (26100) nor 2022 (20348)`);
  }
  if (['26100', '26200', '26300'].includes(major)) return ok('windows-11');
  return bad(`OSBuild ${build} is not Windows 11 24H2 or later (26100, 26200, 26300): such a device cannot hotpatch`);
}

export function readArchitecture(value: unknown): Read<Architecture> {
  const raw = text(value)?.toLowerCase() ?? null;
  if (raw === null) return bad('OSArchitecture is required');
  if (raw === 'x64' || raw === 'amd64') return ok('x64');
  if (raw === 'arm64') return ok('arm64');
  return bad(`OSArchitecture "${raw}" must be x64 (amd64) or arm64`);
}

/** `true`/`false`, `1`/`0` as Log Analytics exports booleans; absent is null (the column is optional). */
export function readFlag(value: unknown, column: string): Read<boolean | null> {
  const raw = text(value)?.toLowerCase() ?? null;
  if (raw === null) return ok(null);
  if (raw === 'true' || raw === '1') return ok(true);
  if (raw === 'false' || raw === '0') return ok(false);
  return bad(`${column} must be true or false`);
}

/** TargetKBNumber: `5065474` or `KB5065474`. */
export function readKb(value: unknown): Read<string> {
  const raw = text(value);
  if (raw === null) return bad('TargetKBNumber is required');
  const kb = /^(?:KB)?(\d{6,8})$/i.exec(raw);
  return kb ? ok(`KB${kb[1]}`) : bad('TargetKBNumber must be a KB number such as 5065474 or KB5065474');
}

/** An install error as the update alert reports it: `0x800f0922`, or its decimal form (-2146498270). */
export function readErrorCode(value: unknown): Read<string | null> {
  const raw = text(value);
  if (raw === null) return ok(null);
  if (ERROR_CODE.test(raw)) return ok(raw.toLowerCase());
  if (/^-?\d+$/.test(raw)) {
    const code = (Number(raw) >>> 0).toString(16).padStart(8, '0');
    return ok(`0x${code}`);
  }
  return bad('ErrorCode must be 0x and 8 hex digits (or the decimal form)');
}

const PORTAL_TIME = /^(\d{1,4})[/.-](\d{1,2})[/.-](\d{1,4}),?\s+(\d{1,2}):(\d{2}):(\d{2})(\.\d+)?\s*([AP]M)?$/i;

/**
 * A time column: ISO 8601 (what KQL's `todatetime` and JSON exports write), or the portal's CSV forms
 * `2020/05/14 09:26:03.478 AM` and `5/14/2020, 9:26:03.478 AM`, which Log Analytics writes in UTC.
 */
export function readTime(value: unknown, column: string, required = true): Read<string | null> {
  const raw = text(value);
  if (raw === null) return required ? bad(`${column} is required`) : ok(null);
  if (/^\d{4}-\d{2}-\d{2}T/.test(raw)) {
    const zoned = /(Z|[+-]\d{2}:?\d{2})$/i.test(raw) ? raw : `${raw}Z`;
    const at = Date.parse(zoned);
    return Number.isNaN(at) ? bad(`${column} is not a time`) : ok(new Date(at).toISOString());
  }
  const m = PORTAL_TIME.exec(raw);
  if (!m) return bad(`${column} must be an ISO 8601 time (or the portal's 2020/05/14 09:26:03 AM)`);
  const [year, month, day] = m[1].length === 4 ? [m[1], m[2], m[3]] : [m[3], m[1], m[2]];
  let hour = Number(m[4]) % (m[8] ? 12 : 24);
  if (m[8]?.toUpperCase() === 'PM') hour += 12;
  const at = Date.UTC(Number(year), Number(month) - 1, Number(day), hour, Number(m[5]), Number(m[6]), Math.round(Number(m[7] ?? 0) * 1000));
  return Number.isNaN(at) ? bad(`${column} is not a time`) : ok(new Date(at).toISOString());
}
