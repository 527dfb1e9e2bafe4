// The embedded PostgreSQL's two logins: its superuser, whose random password is set by
// initdb at the first start, and the ledger's own role (created by schema.ts), which
// owns nothing and may only do what the ledger does. Both passwords are kept in one
// file in the data directory, mode 0600, readable only by who started the stack.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface Login {
  readonly user: string;
  readonly password: string;
}

export interface Credentials {
  readonly superuser: Login;
  readonly ledger: Login;
}

export const SUPERUSER = 'postgres';
export const LEDGER_ROLE = 'ledger';
/** What data directories made before passwords were generated use for the superuser. */
export const LEGACY_SUPERUSER_PASSWORD = 'postgres';
export const CREDENTIALS_FILE = 'ledger-credentials.json';
const PASSWORD_BYTES = 24;

/** 32 URL-safe characters: no escaping in a connection URL. */
function newPassword(): string {
  return randomBytes(PASSWORD_BYTES).toString('base64url');
}

export function newCredentials(): Credentials {
  return {
    superuser: { user: SUPERUSER, password: newPassword() },
    ledger: { user: LEDGER_ROLE, password: newPassword() },
  };
}

export function credentialsFile(dataDir: string): string {
  return path.join(dataDir, CREDENTIALS_FILE);
}

function isLogin(value: unknown): value is Login {
  const login = value as Partial<Login> | null;
  return typeof login?.user === 'string' && typeof login.password === 'string';
}

/** The credentials kept in `file`, or undefined when it does not exist. */
export function readCredentials(file: string): Credentials | undefined {
  if (!existsSync(file)) return undefined;
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<Credentials>;
  if (!isLogin(parsed.superuser) || !isLogin(parsed.ledger)) {
    throw new Error(`${file} is not a credentials file: delete it and the data with --fresh`);
  }
  return { superuser: parsed.superuser, ledger: parsed.ledger };
}

/** Written whole or not at all (a rename), mode 0600. */
export function writeCredentials(file: string, credentials: Credentials): void {
  const scratch = `${file}.${randomBytes(4).toString('hex')}`;
  writeFileSync(scratch, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  renameSync(scratch, file);
}

/** A connection URL; `host` is 127.0.0.1 or the directory of a Unix socket. */
export function connectionUrl(login: Login, host: string, port: number, database: string) {
  const where = host.startsWith('/') ? encodeURIComponent(host) : host;
  return `postgres://${login.user}:${login.password}@${where}:${port}/${database}`;
}
