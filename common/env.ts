// Reading configuration from environment variables. Each service parses its whole
// configuration once at start-up into a frozen object; a bad value stops the
// process before it binds anything, with a message naming the variable.

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export type Env = Readonly<Record<string, string | undefined>>;

export function readString(env: Env, name: string, fallback: string): string {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  return raw;
}

export function readInteger(
  env: Env,
  name: string,
  fallback: number,
  range: { min: number; max: number },
): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = /^-?\d+$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < range.min || value > range.max) {
    throw new ConfigError(
      `${name} must be an integer from ${range.min} to ${range.max}, got ${JSON.stringify(raw)}`,
    );
  }
  return value;
}

export function readChoice<const T extends string>(
  env: Env,
  name: string,
  fallback: T,
  choices: readonly T[],
): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const choice = choices.find((candidate) => candidate === raw);
  if (choice === undefined) {
    throw new ConfigError(
      `${name} must be one of ${choices.join(', ')}, got ${JSON.stringify(raw)}`,
    );
  }
  return choice;
}

/**
 * A gRPC address to listen on or dial: `host:port` (port 0 to 65535) or, where
 * `unixAllowed`, a Unix socket as `unix:/absolute/path` (gRPC's own notation).
 */
export function readAddress(env: Env, name: string, fallback: string, unixAllowed = false): string {
  const raw = readString(env, name, fallback);
  if (unixAllowed && /^unix:\/.+/.test(raw)) return raw;
  const match = /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(raw);
  if (match === null || Number(match[1]) > 65535) {
    const forms = unixAllowed ? 'host:port or unix:/path' : 'host:port';
    throw new ConfigError(`${name} must be ${forms}, got ${JSON.stringify(raw)}`);
  }
  return raw;
}

/** An optional absolute filesystem path; undefined when unset. */
export function readOptionalPath(env: Env, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (!raw.startsWith('/'))
    throw new ConfigError(`${name} must be an absolute path, got ${JSON.stringify(raw)}`);
  return raw;
}

export function readUrl(env: Env, name: string, fallback: string, protocols: string[]): string {
  const raw = readString(env, name, fallback);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be a URL, got an unparsable value`);
  }
  if (!protocols.includes(url.protocol)) {
    throw new ConfigError(`${name} must use ${protocols.join(' or ')}, got ${url.protocol}`);
  }
  return raw;
}

/**
 * Parses a process's configuration from its environment, or stops the process (exit 2)
 * with a message naming the bad variable, before anything is bound or started.
 */
export function loadConfigOrExit<T>(processName: string, parse: (env: Env) => T): T {
  try {
    return parse(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`${processName}: invalid configuration: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
}

/** Where a process serves its Prometheus metrics; undefined when they are off. */
export interface MetricsAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * A metrics listener's address: `host:port` (port 1 to 65535), or `off` (also the
 * default, unset or empty): no listener, and no metric is recorded at all.
 */
export function readMetricsAddress(env: Env, name: string): MetricsAddress | undefined {
  const raw = readString(env, name, 'off');
  if (raw === 'off') return undefined;
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(raw);
  const port = Number(match?.[2]);
  if (match === null || port < 1 || port > 65535) {
    throw new ConfigError(
      `${name} must be host:port (port 1 to 65535) or off, got ${JSON.stringify(raw)}`,
    );
  }
  return Object.freeze({ host: (match[1] as string).replace(/^\[|\]$/g, ''), port });
}
