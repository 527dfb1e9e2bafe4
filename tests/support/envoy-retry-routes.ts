// Envoy's retries, route by route: only a request carrying an Idempotency-Key may be
// resent after it may have reached a facade (reset, refused stream), because the
// ledger answers a repeat of a keyed posting with its first outcome. Envoy conditions
// retries on headers only through routes, so a keyed route (matching the header's
// presence) must come before the default route, which retries only what never left
// Envoy. Each function returns a list of problems, empty when the file complies.
import { isRecord, pick } from './compose-rules.js';

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
/** Conditions under which the request never reached a facade: safe for any request. */
const ALWAYS_SAFE = new Set(['connect-failure', 'reset-before-request']);
/** What a keyed request may also be retried on: it may have reached a facade. */
const KEYED_SAFE = new Set([...ALWAYS_SAFE, 'reset', 'refused-stream']);
const KEYED_REQUIRED = ['connect-failure', 'reset'];
const KEYED_RETRIES_MAX = 2;

function routesOf(envoy: unknown): unknown[] {
  const hcm = pick(envoy, 'static_resources', 'listeners', 0, 'filter_chains', 0, 'filters', 0);
  const routes = pick(hcm, 'typed_config', 'route_config', 'virtual_hosts', 0, 'routes');
  return Array.isArray(routes) ? routes : [];
}

/** True when the route matches only requests that carry the Idempotency-Key header. */
function isKeyed(route: unknown): boolean {
  const headers = pick(route, 'match', 'headers');
  return (
    Array.isArray(headers) &&
    headers.some(
      (header) =>
        isRecord(header) &&
        String(header.name).toLowerCase() === IDEMPOTENCY_KEY_HEADER &&
        header.present_match === true &&
        header.invert_match !== true,
    )
  );
}

function conditionsOf(route: unknown): string[] {
  const retryOn = pick(route, 'route', 'retry_policy', 'retry_on');
  return typeof retryOn === 'string' ? retryOn.split(',').map((item) => item.trim()) : [];
}

/** A protobuf JSON duration ("2.5s") in milliseconds; NaN when it is not one. */
function durationMs(value: unknown): number {
  return typeof value === 'string' && value.endsWith('s') ? Number(value.slice(0, -1)) * 1000 : NaN;
}

function checkKeyedRoute(route: unknown, at: string): string[] {
  const problems: string[] = [];
  const conditions = conditionsOf(route);
  for (const condition of conditions.filter((item) => !KEYED_SAFE.has(item))) {
    problems.push(`${at}: retry_on "${condition}" may resend a request a facade answered`);
  }
  for (const needed of KEYED_REQUIRED.filter((item) => !conditions.includes(item))) {
    problems.push(`${at}: a keyed request must be retried on "${needed}"`);
  }
  const retries = pick(route, 'route', 'retry_policy', 'num_retries');
  if (typeof retries !== 'number' || retries < 1 || retries > KEYED_RETRIES_MAX) {
    problems.push(`${at}: num_retries must be 1 to ${KEYED_RETRIES_MAX}`);
  }
  const perTryMs = durationMs(pick(route, 'route', 'retry_policy', 'per_try_timeout'));
  const routeMs = durationMs(pick(route, 'route', 'timeout'));
  if (!(perTryMs > 0 && perTryMs <= routeMs)) {
    problems.push(`${at}: per_try_timeout must be set, at most the route timeout`);
  }
  return problems;
}

/** The retry policy of every route, and their order (keyed first, catch-all last). */
export function checkRetryRoutes(envoy: unknown): string[] {
  const routes = routesOf(envoy);
  const problems: string[] = [];
  routes.forEach((route, index) => {
    const at = `route ${index}`;
    if (pick(route, 'route', 'timeout') === undefined)
      problems.push(`${at}: the route needs a timeout`);
    if (isKeyed(route)) {
      problems.push(...checkKeyedRoute(route, at));
      return;
    }
    for (const condition of conditionsOf(route).filter((item) => !ALWAYS_SAFE.has(item))) {
      problems.push(
        `${at}: retry_on "${condition}" may resend a request a facade already received`,
      );
    }
  });
  const keyedAt = routes.findIndex(isKeyed);
  if (keyedAt === -1) problems.push('no route retries requests with an Idempotency-Key');
  const last = routes.at(-1);
  if (last === undefined || isKeyed(last) || pick(last, 'match', 'prefix') !== '/') {
    problems.push('the last route must be the default: prefix "/" without a header match');
  }
  return problems;
}
