/** What a caller may do. Each endpoint group requires one permission; each role grants a set. */
export const PERMISSIONS = ['device-commands', 'catalog-commands', 'queries', 'audit', 'admin'] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const ROLES = ['device-agent', 'operator', 'auditor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  // A device's agent reports about devices; it may not change the catalog or read the fleet.
  'device-agent': ['device-commands'],
  operator: ['device-commands', 'catalog-commands', 'queries', 'audit'],
  auditor: ['queries', 'audit'],
  admin: ['device-commands', 'catalog-commands', 'queries', 'audit', 'admin'],
};

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export function roleMay(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].includes(permission);
}

export interface Principal {
  keyId: string;
  /** The key's name: recorded as the actor of every event the caller causes. */
  name: string;
  role: Role;
}
