// Static rules for docker-compose.yml and its Rinha override, as functions that
// return a list of problems (empty when the file is right), so the tests can show
// each rule failing on a deliberately broken copy. The compose file is read as the
// Compose specification defines it; `${NAME:-default}` takes its default.
import { parse as parseYaml } from 'yaml';

export const BUDGET_CPUS_MAX = 1.5;
export const BUDGET_MEMORY_MB_MAX = 550;

export type Services = Record<string, Record<string, unknown>>;

export interface ComposeFile {
  readonly services: Services;
  readonly raw: Record<string, unknown>;
}

export function parseCompose(text: string): ComposeFile {
  const raw = parseYaml(interpolateDefaults(text), { uniqueKeys: true, merge: true });
  if (!isRecord(raw) || !isRecord(raw.services)) throw new Error('no services: mapping');
  return { services: raw.services as Services, raw };
}

/** Compose interpolation with an empty environment: `${NAME:-default}` → default. */
export function interpolateDefaults(text: string): string {
  return text.replace(/\$\{([A-Z0-9_]+)(?::?-([^}]*))?\}/g, (_match, _name, fallback) =>
    typeof fallback === 'string' ? fallback : '',
  );
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Follows keys and list indexes; undefined as soon as a step is missing. */
export function pick(value: unknown, ...path: (string | number)[]): unknown {
  let current = value;
  for (const step of path) {
    if (typeof step === 'number' && Array.isArray(current)) current = current[step];
    else if (typeof step === 'string' && isRecord(current)) current = current[step];
    else return undefined;
  }
  return current;
}

interface Limits {
  readonly cpus: number;
  readonly memoryMb: number;
}

function readLimits(name: string, service: unknown, problems: string[]): Limits | undefined {
  const limits = pick(service, 'deploy', 'resources', 'limits');
  const cpus = pick(limits, 'cpus');
  const memory = pick(limits, 'memory');
  if (typeof cpus !== 'string' || !/^\d+(\.\d+)?$/.test(cpus)) {
    problems.push(`${name}: deploy.resources.limits.cpus must be a string such as "0.5"`);
    return undefined;
  }
  if (typeof memory !== 'string' || !/^\d+MB$/.test(memory)) {
    problems.push(`${name}: deploy.resources.limits.memory must be written in MB, like "300MB"`);
    return undefined;
  }
  return { cpus: Number(cpus), memoryMb: Number.parseInt(memory, 10) };
}

/** The profiles a service is in; none for the services `docker compose up` starts. */
export function profilesOf(service: Record<string, unknown>): string[] {
  return Array.isArray(service.profiles) ? service.profiles.map(String) : [];
}

/**
 * Every service has limits; those `docker compose up` starts (no profile: the contest's
 * services) sum within the Rinha budget. A profile's services (monitoring) are outside
 * it, by design: they are not part of what the contest runs.
 */
export function checkBudget(compose: ComposeFile): string[] {
  const problems: string[] = [];
  let cpus = 0;
  let memoryMb = 0;
  for (const [name, service] of Object.entries(compose.services)) {
    const limits = readLimits(name, service, problems);
    if (profilesOf(service).length > 0) continue;
    cpus += limits?.cpus ?? 0;
    memoryMb += limits?.memoryMb ?? 0;
  }
  // Sum in hundredths of a CPU: 0.45 + 0.3 + ... must not fail on floating point.
  if (Math.round(cpus * 100) > BUDGET_CPUS_MAX * 100) {
    problems.push(`CPU limits sum to ${cpus.toFixed(2)}, above ${BUDGET_CPUS_MAX}`);
  }
  if (memoryMb > BUDGET_MEMORY_MB_MAX) {
    problems.push(`memory limits sum to ${memoryMb}MB, above ${BUDGET_MEMORY_MB_MAX}MB`);
  }
  return problems;
}

/** Every service has a health check, a restart policy and a pinned image tag. */
export function checkServiceBasics(compose: ComposeFile): string[] {
  const problems: string[] = [];
  for (const [name, service] of Object.entries(compose.services)) {
    const test = pick(service, 'healthcheck', 'test');
    if (!Array.isArray(test) || test[0] !== 'CMD' || test.length < 2) {
      problems.push(`${name}: needs a healthcheck with an exec-form test ["CMD", ...]`);
    }
    if (pick(service, 'healthcheck', 'disable') === true) {
      problems.push(`${name}: healthcheck is disabled`);
    }
    if (!['always', 'unless-stopped', 'on-failure'].includes(String(service.restart))) {
      problems.push(`${name}: needs a restart policy`);
    }
    problems.push(...checkPinnedImage(name, service.image));
  }
  return problems;
}

function checkPinnedImage(name: string, image: unknown): string[] {
  if (typeof image !== 'string') return [`${name}: needs an image name`];
  const tag = /^[^:@]+:([^@]+)/.exec(image)?.[1];
  // A version with at least major.minor: "16.14", "v1.38.7", "0.1.0"; never "latest".
  if (tag === undefined || !/^v?\d+\.\d+/.test(tag)) {
    return [`${name}: image ${image} is not pinned to a version tag`];
  }
  return [];
}

function publishedPorts(service: Record<string, unknown>): string[] {
  const ports = service.ports;
  if (!Array.isArray(ports)) return [];
  // Short syntax: "[IP:]HOST:CONTAINER"; the host port is the one published.
  return ports.map((port) => {
    if (isRecord(port)) return String(port.published);
    const parts = String(port).split(':');
    return parts.length >= 2 ? (parts.at(-2) ?? '') : String(port);
  });
}

/** The host IP a published port is bound to; '' when it is bound to all interfaces. */
function hostIps(service: Record<string, unknown>): string[] {
  const ports = service.ports;
  if (!Array.isArray(ports)) return [];
  return ports.map((port) => {
    if (isRecord(port)) return String(port.host_ip ?? '');
    const parts = String(port).split(':');
    return parts.length >= 3 ? parts.slice(0, -2).join(':') : '';
  });
}

/**
 * Only the balancer reaches the host: every other service (the ledger's plaintext gRPC,
 * the database, the facades) stays on the compose network, and no port is ever bound
 * to all interfaces explicitly.
 */
export function checkOnlyBalancerPublishes(compose: ComposeFile, balancer: string): string[] {
  const problems: string[] = [];
  for (const [name, service] of Object.entries(compose.services)) {
    const published = publishedPorts(service);
    if (name !== balancer && published.length > 0) {
      problems.push(`${name}: publishes [${published}]; only ${balancer} may publish a port`);
    }
    if (hostIps(service).some((ip) => ['0.0.0.0', '::', '[::]'].includes(ip))) {
      problems.push(`${name}: binds a published port to all interfaces explicitly`);
    }
  }
  return problems;
}

/** Only Envoy's 9999 reaches the host; never the ledger or the database. */
export function checkPublishedPorts(compose: ComposeFile, expected: Record<string, string[]>) {
  const problems: string[] = [];
  for (const [name, service] of Object.entries(compose.services)) {
    const published = publishedPorts(service).sort();
    const wanted = [...(expected[name] ?? [])].sort();
    if (published.join() !== wanted.join()) {
      problems.push(`${name}: publishes [${published}] but should publish [${wanted}]`);
    }
  }
  return problems;
}

/**
 * Services in a profile are the expected ones, each only in its expected profile (so
 * none of them starts with a plain `docker compose up`, nor counts in the budget).
 */
export function checkProfiles(compose: ComposeFile, expected: Record<string, string[]>) {
  const problems: string[] = [];
  for (const [name, service] of Object.entries(compose.services)) {
    const profiles = profilesOf(service).sort().join();
    const wanted = [...(expected[name] ?? [])].sort().join();
    if (profiles !== wanted) {
      problems.push(`${name}: profiles [${profiles}], expected [${wanted}]`);
    }
  }
  return problems;
}

/** Start order: each dependency waits for the other's health check. */
export function checkStartOrder(compose: ComposeFile, expected: Record<string, string[]>) {
  const problems: string[] = [];
  for (const [name, service] of Object.entries(compose.services)) {
    const dependsOn = isRecord(service.depends_on) ? service.depends_on : {};
    const wanted = expected[name] ?? [];
    if (Object.keys(dependsOn).sort().join() !== [...wanted].sort().join()) {
      problems.push(`${name}: depends_on [${Object.keys(dependsOn)}], expected [${wanted}]`);
    }
    for (const [dependency, rule] of Object.entries(dependsOn)) {
      if (pick(rule, 'condition') !== 'service_healthy') {
        problems.push(`${name}: depends_on ${dependency} must wait for service_healthy`);
      }
    }
  }
  return problems;
}

/** The `-c name=value` settings of a `postgres` command list. */
export function postgresSettings(command: unknown): Map<string, string> {
  const settings = new Map<string, string>();
  if (!Array.isArray(command)) return settings;
  command.forEach((word, index) => {
    const setting = command[index + 1];
    if (word === '-c' && typeof setting === 'string') {
      const [key = '', ...value] = setting.split('=');
      settings.set(key, value.join('='));
    }
  });
  return settings;
}

/** PostgreSQL is durable by default and loads init.sql on first start. */
export function checkPostgres(compose: ComposeFile): string[] {
  const postgres = compose.services.postgres;
  if (postgres === undefined) return ['no postgres service'];
  const problems: string[] = [];
  const settings = postgresSettings(postgres.command);
  for (const [key, value] of [
    ['fsync', 'on'],
    ['synchronous_commit', 'on'],
    ['full_page_writes', 'on'],
  ] as const) {
    if (settings.get(key) !== value) problems.push(`postgres: ${key} must be ${value}`);
  }
  if (!/^postgres:16\.\d+/.test(String(postgres.image))) {
    problems.push('postgres: image must be postgres:16 with a pinned minor version');
  }
  const volumes = Array.isArray(postgres.volumes) ? postgres.volumes.map(String) : [];
  if (!volumes.includes('./init.sql:/docker-entrypoint-initdb.d/init.sql:ro')) {
    problems.push('postgres: init.sql must be mounted read-only into docker-entrypoint-initdb.d');
  }
  if (!volumes.includes('./ledger-role.sql:/docker-entrypoint-initdb.d/ledger-role.sql:ro')) {
    problems.push('postgres: ledger-role.sql must be mounted read-only after init.sql');
  }
  return [...problems, ...checkLedgerLogin(compose)];
}

/** The ledger logs in as its own role, with its own password, never as the superuser. */
function checkLedgerLogin(compose: ComposeFile): string[] {
  const environment = pick(compose.services.postgres, 'environment');
  const superuser = String(pick(environment, 'POSTGRES_USER') ?? 'postgres');
  const superuserPassword = String(pick(environment, 'POSTGRES_PASSWORD'));
  const ledgerPassword = String(pick(environment, 'LEDGER_DATABASE_PASSWORD'));
  let url: URL;
  try {
    url = new URL(String(pick(compose.services.ledger, 'environment', 'DATABASE_URL')));
  } catch {
    return ['ledger: DATABASE_URL must be a URL'];
  }
  const problems: string[] = [];
  if (url.username !== 'ledger' || url.username === superuser) {
    problems.push(`ledger: must log in as the ledger role, not ${url.username}`);
  }
  if (decodeURIComponent(url.password) !== ledgerPassword || ledgerPassword === superuserPassword) {
    problems.push("ledger: DATABASE_URL's password must be LEDGER_DATABASE_PASSWORD's, its own");
  }
  return problems;
}

/** The Rinha override changes synchronous_commit to off and nothing else. */
export function checkRinhaOverride(base: ComposeFile, override: ComposeFile): string[] {
  const problems: string[] = [];
  const services = Object.keys(override.services);
  if (services.join() !== 'postgres') problems.push(`override touches [${services}]`);
  const postgres = override.services.postgres ?? {};
  if (Object.keys(postgres).join() !== 'command') {
    problems.push(`override sets postgres [${Object.keys(postgres)}], only command allowed`);
  }
  const expected = postgresSettings(base.services.postgres?.command);
  expected.set('synchronous_commit', 'off');
  const actual = postgresSettings(postgres.command);
  const differences = [...new Set([...expected.keys(), ...actual.keys()])].filter(
    (key) => expected.get(key) !== actual.get(key),
  );
  for (const key of differences) {
    problems.push(`override: ${key}=${actual.get(key)}, expected ${expected.get(key)}`);
  }
  return problems;
}
