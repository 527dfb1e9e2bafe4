// Static rules that tie the deployment files together and to the code: Envoy's
// policy (port, admin on loopback, round robin, health checks, safe retries, no
// access logs), the names and ports shared by envoy.yaml, docker-compose.yml and
// the services' defaults, and the Dockerfile's references to files the build
// produces. Each returns a list of problems, empty when the files agree.
import { existsSync, readFileSync } from 'node:fs';
import { type ComposeFile, isRecord, pick } from './compose-rules.js';

export const LOAD_BALANCER_PORT = 9999;
/** The facade's readiness route; Envoy and the container health check both use it. */
export const READINESS_PATH = '/readyz';
/** Retry conditions under which the request never reached a facade. */
const SAFE_RETRY_CONDITIONS = new Set(['connect-failure', 'reset-before-request']);

function listenerHcm(envoy: unknown): unknown {
  return pick(envoy, 'static_resources', 'listeners', 0, 'filter_chains', 0, 'filters', 0);
}

function facadeCluster(envoy: unknown): Record<string, unknown> | undefined {
  const clusters = pick(envoy, 'static_resources', 'clusters');
  const found = Array.isArray(clusters)
    ? clusters.find((cluster) => pick(cluster, 'name') === 'facades')
    : undefined;
  return isRecord(found) ? found : undefined;
}

function containsKey(value: unknown, key: string): boolean {
  if (Array.isArray(value)) return value.some((item) => containsKey(item, key));
  if (!isRecord(value)) return false;
  return key in value || Object.values(value).some((item) => containsKey(item, key));
}

/** What the issue asks of Envoy beyond schema validity. */
export function checkEnvoyPolicy(envoy: unknown): string[] {
  const problems: string[] = [];
  const listener = pick(envoy, 'static_resources', 'listeners', 0, 'address', 'socket_address');
  if (pick(listener, 'port_value') !== LOAD_BALANCER_PORT) {
    problems.push(`the listener must be on port ${LOAD_BALANCER_PORT}`);
  }
  if (pick(envoy, 'admin', 'address', 'socket_address', 'address') !== '127.0.0.1') {
    problems.push('the admin interface must listen on 127.0.0.1 only');
  }
  if (containsKey(envoy, 'access_log')) problems.push('access logs must be off');
  const cluster = facadeCluster(envoy);
  if (cluster === undefined) return [...problems, 'no cluster named "facades"'];
  if (cluster.lb_policy !== 'ROUND_ROBIN') problems.push('the facades need ROUND_ROBIN');
  for (const key of ['connect_timeout', 'outlier_detection', 'circuit_breakers']) {
    if (!(key in cluster)) problems.push(`the facades cluster needs ${key}`);
  }
  if (pick(cluster, 'health_checks', 0, 'http_health_check', 'path') !== READINESS_PATH) {
    problems.push(`the facades need an active health check on ${READINESS_PATH}`);
  }
  problems.push(...checkRouteAndTimeouts(envoy));
  return problems;
}

function checkRouteAndTimeouts(envoy: unknown): string[] {
  const problems: string[] = [];
  const hcm = pick(listenerHcm(envoy), 'typed_config');
  for (const key of ['request_timeout', 'request_headers_timeout', 'stream_idle_timeout']) {
    if (pick(hcm, key) === undefined) problems.push(`the connection manager needs ${key}`);
  }
  if (pick(hcm, 'common_http_protocol_options', 'idle_timeout') === undefined) {
    problems.push('the connection manager needs an idle_timeout');
  }
  // The default route, last (a keyed route before it: tests/support/envoy-retry-routes.ts).
  const routes = pick(hcm, 'route_config', 'virtual_hosts', 0, 'routes');
  const route = pick(Array.isArray(routes) ? routes.at(-1) : undefined, 'route');
  if (pick(route, 'cluster') !== 'facades') problems.push('the route must go to "facades"');
  if (pick(route, 'timeout') === undefined) problems.push('the route needs a timeout');
  const retryOn = pick(route, 'retry_policy', 'retry_on');
  const conditions = typeof retryOn === 'string' ? retryOn.split(',') : [];
  for (const condition of conditions.filter((c) => !SAFE_RETRY_CONDITIONS.has(c.trim()))) {
    problems.push(`retry_on "${condition}" may resend a request a facade already received`);
  }
  return problems;
}

/** Envoy's endpoints are the compose facade services, at the port they listen on. */
export function checkEnvoyMatchesCompose(envoy: unknown, compose: ComposeFile): string[] {
  const problems: string[] = [];
  const endpoints = pick(facadeCluster(envoy), 'load_assignment', 'endpoints', 0, 'lb_endpoints');
  const targets = (Array.isArray(endpoints) ? endpoints : []).map((endpoint) => {
    const address = pick(endpoint, 'endpoint', 'address', 'socket_address');
    return `${String(pick(address, 'address'))}:${String(pick(address, 'port_value'))}`;
  });
  const facades = Object.entries(compose.services).filter(([, service]) =>
    JSON.stringify(service.command ?? '').includes('dist/http-facade/main.js'),
  );
  const expected = facades.map(([name, service]) => {
    const port = pick(service, 'environment', 'FACADE_PORT');
    return `${name}:${String(port)}`;
  });
  if (facades.length < 2) problems.push('compose needs at least two facade services');
  if (targets.sort().join() !== expected.sort().join()) {
    problems.push(`envoy targets [${targets}] but compose runs facades at [${expected}]`);
  }
  const published = pick(compose.services.envoy, 'ports', 0);
  if (published !== `${LOAD_BALANCER_PORT}:${LOAD_BALANCER_PORT}`) {
    problems.push(`compose must publish envoy's ${LOAD_BALANCER_PORT} as is`);
  }
  return problems;
}

/** The ledger address the facades dial is the one the ledger listens on. */
export function checkLedgerAddresses(compose: ComposeFile, ledgerDefault: string): string[] {
  const problems: string[] = [];
  const listen = String(pick(compose.services.ledger, 'environment', 'LEDGER_LISTEN_ADDRESS'));
  const port = listen.split(':').at(-1);
  if (port !== ledgerDefault.split(':').at(-1)) {
    problems.push(`ledger listens on ${listen}, not on its default port (${ledgerDefault})`);
  }
  if (!listen.startsWith('0.0.0.0:')) problems.push('ledger must listen on 0.0.0.0 in compose');
  for (const [name, service] of Object.entries(compose.services)) {
    const dialled = pick(service, 'environment', 'LEDGER_ADDRESS');
    if (dialled !== undefined && dialled !== `ledger:${port}`) {
      problems.push(`${name}: LEDGER_ADDRESS ${String(dialled)} is not ledger:${port}`);
    }
  }
  return problems;
}

/** A `dist/...js` path the build would produce: its source .ts is compiled by tsc. */
export function sourceOfDistFile(distPath: string): string | undefined {
  const match = /^dist\/(.+)\.js$/.exec(distPath);
  if (match?.[1] === undefined) return undefined;
  const source = `${match[1]}.ts`;
  const build = JSON.parse(readFileSync('tsconfig.build.json', 'utf8')) as { include: string[] };
  const topDirectory = source.split('/')[0] ?? '';
  const compiled = build.include.includes(topDirectory) && !source.endsWith('.test.ts');
  return compiled && existsSync(source) ? source : undefined;
}

/** Every `dist/...js` named in a command list. */
export function distFilesIn(command: unknown): string[] {
  const words = Array.isArray(command) ? command.map(String) : [];
  return words.filter((word) => /^dist\/.+\.js$/.test(word));
}
