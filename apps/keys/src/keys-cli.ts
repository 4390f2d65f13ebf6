import { parseArgs } from 'node:util';
import { DataSource } from 'typeorm';
import { ApiKeyError, ApiKeys, ROLES } from '@patchstate/auth';

export const KEYS_USAGE = `usage: npm run keys -- <command>

  create --role <${ROLES.join('|')}> --name <name>   create a key; it is printed once, only its hash is stored
  list [--json]                                         list keys (never their secrets)
  revoke <name|keyId>                                   revoke a key; it stops working at once`;

export interface CliOutput {
  out(line: string): void;
  err(line: string): void;
}

/** Runs one keys command; returns the process exit code (0 ok, 1 refused, 2 bad usage). */
export async function runKeysCommand(argv: string[], db: DataSource, io: CliOutput, operator: string): Promise<number> {
  const [command, ...rest] = argv;
  const keys = new ApiKeys(db);
  try {
    switch (command) {
      case 'create': {
        const { values } = parseArgs({ args: rest, options: { role: { type: 'string' }, name: { type: 'string' } }, strict: true });
        if (!values.role || !values.name) return usage(io, 'create needs --role and --name');
        const { key, record } = await keys.create({ name: values.name, role: values.role, createdBy: operator });
        io.out(`created key "${record.name}" (role ${record.role}, id ${record.keyId}). It is shown only this once:`);
        io.out(key);
        return 0;
      }
      case 'list': {
        const { values } = parseArgs({ args: rest, options: { json: { type: 'boolean' } }, strict: true });
        const records = await keys.list();
        if (values.json) io.out(JSON.stringify(records));
        else {
          io.out(['KEY ID', 'NAME', 'ROLE', 'CREATED', 'REVOKED'].join('\t'));
          for (const r of records) io.out([r.keyId, r.name, r.role, r.createdAt, r.revokedAt ?? '-'].join('\t'));
        }
        return 0;
      }
      case 'revoke': {
        const { positionals } = parseArgs({ args: rest, allowPositionals: true, strict: true });
        if (positionals.length !== 1) return usage(io, 'revoke needs one key name or id');
        const record = await keys.revoke(positionals[0]);
        io.out(`revoked key "${record.name}" (id ${record.keyId}) at ${record.revokedAt}`);
        return 0;
      }
      default:
        return usage(io, command ? `unknown command ${command}` : 'missing command');
    }
  } catch (error) {
    if (error instanceof ApiKeyError) {
      io.err(`refused: ${error.message}`);
      return 1;
    }
    if ((error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) return usage(io, (error as Error).message);
    throw error;
  }
}

function usage(io: CliOutput, problem: string): number {
  io.err(problem);
  io.err(KEYS_USAGE);
  return 2;
}
