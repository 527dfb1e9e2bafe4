// Goal: envoy.yaml is a configuration Envoy accepts and does what the issue asks.
// Method: walk the YAML strictly against Envoy's v3 API protos shipped by
// @grpc/grpc-js-xds (tests/support/envoy-schema.ts), then check the policy (port,
// admin on loopback, round robin, health checks, safe retries, timeouts, no access
// logs), and the retries route by route: a request with an Idempotency-Key retried on a
// reset too, any other only when it never reached a facade. Each check is shown failing
// on a deliberately broken copy of the file.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkRetryRoutes } from './support/envoy-retry-routes.js';
import {
  type EnvoyApi,
  loadEnvoyApi,
  parseEnvoyYaml,
  validateEnvoyConfig,
} from './support/envoy-schema.js';
import { checkEnvoyPolicy } from './support/stack-agreement.js';

/** Every policy rule: the deployment's and the retries' route by route. */
function policyProblems(envoy: unknown): string[] {
  return [...checkEnvoyPolicy(envoy), ...checkRetryRoutes(envoy)];
}

/** The default route's retry condition (the keyed route's has more after a comma). */
const DEFAULT_RETRY_ON = /retry_on: connect-failure\n/;

const ENVOY_YAML = readFileSync('envoy.yaml', 'utf8');

function replaced(text: string, from: string | RegExp, to: string): string {
  const result = text.replace(from, to);
  expect(result, `mutation ${String(from)} must change the file`).not.toBe(text);
  return result;
}

let api: EnvoyApi;
beforeAll(() => {
  api = loadEnvoyApi();
});

describe('envoy.yaml against the Envoy v3 API', () => {
  it('has no schema problem', () => {
    expect(validateEnvoyConfig(api, parseEnvoyYaml(ENVOY_YAML))).toEqual([]);
  });

  const brokenCopies: [string, string | RegExp, string, RegExp][] = [
    ['a misspelled field', 'lb_policy:', 'lb_polcy:', /unknown field "lb_polcy"/],
    ['an unknown enum value', 'type: STRICT_DNS', 'type: STRICT_DSN', /STRICT_DSN" is not a value/],
    ['a bad duration', 'connect_timeout: 1s', 'connect_timeout: 1sec', /not a duration/],
    ['a negative duration', 'connect_timeout: 1s', 'connect_timeout: -1s', /must be > 0/],
    ['an unknown @type', 'router.v3.Router', 'router.v3.Routr', /unknown type .*Routr/],
    ['a port out of range', 'port_value: 9999', 'port_value: 99999', /must be <= 65535/],
    ['a string for a number', 'port_value: 9999', 'port_value: nine', /is not a uint32/],
    ['a negative count', 'max_requests: 1024', 'max_requests: -1', /is not a uint32/],
    ['a string for a bool', 'dynamic_stats: false', 'dynamic_stats: "no"', /is not a bool/],
    [
      'a missing required field',
      '- timeout: 1s\n          interval',
      '- interval',
      /"timeout" is missing/,
    ],
    ['an empty list', /domains: \["\*"\]/, 'domains: []', /at least 1 items/],
    [
      'two members of one oneof',
      /( +)cluster: facades\n/,
      '$1cluster: facades\n$1cluster_header: x-target\n',
      /oneof "cluster_specifier" already has "cluster"/,
    ],
    [
      'a deprecated field',
      /( +)cluster: facades\n/,
      '$1cluster: facades\n$1max_grpc_timeout: 1s\n',
      /"max_grpc_timeout" is deprecated/,
    ],
    ['a null value', 'http_protocol_options: {}', 'http_protocol_options:', /null is not a value/],
  ];
  it.each(brokenCopies)('fails on %s', (_case, from, to, expected) => {
    const problems = validateEnvoyConfig(api, parseEnvoyYaml(replaced(ENVOY_YAML, from, to)));
    expect(problems.join('\n')).toMatch(expected);
  });

  it('fails on a duplicated key (YAML level)', () => {
    const duplicated = replaced(
      ENVOY_YAML,
      'lb_policy: ROUND_ROBIN',
      'lb_policy: ROUND_ROBIN\n      lb_policy: RANDOM',
    );
    expect(() => parseEnvoyYaml(duplicated)).toThrow(/unique/i);
  });
});

describe('envoy.yaml policy', () => {
  it('meets every rule', () => {
    expect(policyProblems(parseEnvoyYaml(ENVOY_YAML))).toEqual([]);
  });

  const brokenCopies: [string, string | RegExp, string, RegExp][] = [
    ['another listener port', 'port_value: 9999', 'port_value: 9998', /port 9999/],
    [
      'a public admin',
      'address: 127.0.0.1, port_value: 9901',
      'address: 0.0.0.0, port_value: 9901',
      /127\.0\.0\.1/,
    ],
    ['a retry on 5xx', DEFAULT_RETRY_ON, 'retry_on: connect-failure,5xx\n', /"5xx" may resend/],
    ['a retry on reset', DEFAULT_RETRY_ON, 'retry_on: reset\n', /"reset" may resend/],
    [
      'a keyed retry on 5xx',
      'connect-failure,reset,refused-stream',
      'connect-failure,reset,5xx',
      /route 0: retry_on "5xx" may resend/,
    ],
    [
      'a keyed route without reset',
      'connect-failure,reset,refused-stream',
      'connect-failure',
      /must be retried on "reset"/,
    ],
    ['three keyed retries', 'num_retries: 2', 'num_retries: 3', /num_retries must be 1 to 2/],
    ['no per-try timeout', /\n +per_try_timeout: 2\.5s\n/, '\n', /per_try_timeout must be set/],
    [
      'a keyed route matching another header',
      'name: idempotency-key',
      'name: x-idempotency-key',
      /route 0: retry_on "reset" may resend/,
    ],
    [
      'a keyed route matching the header’s absence',
      'present_match: true',
      'present_match: true\n                                invert_match: true',
      /no route retries requests with an Idempotency-Key/,
    ],
    [
      'the keyed route last',
      /(\n +)# Everything else, a posting without a key included\.\n +- match: \{ prefix: "\/" \}/,
      '$1- match: { prefix: "/api" }',
      /the last route must be the default/,
    ],
    ['another balancing', 'lb_policy: ROUND_ROBIN', 'lb_policy: RANDOM', /ROUND_ROBIN/],
    ['a health check elsewhere', 'path: /readyz', 'path: /healthz', /health check on \/readyz/],
    ['no route timeout', /\n +timeout: 3s\n/, '\n', /route needs a timeout/],
    [
      'no outlier detection',
      /\n +outlier_detection:\n/,
      '\n      outlier_detection_off:\n',
      /outlier_detection/,
    ],
    [
      'an access log',
      'stat_prefix: rinha',
      'stat_prefix: rinha\n                access_log: []',
      /access logs must be off/,
    ],
  ];
  it.each(brokenCopies)('fails on %s', (_case, from, to, expected) => {
    const problems = policyProblems(parseEnvoyYaml(replaced(ENVOY_YAML, from, to)));
    expect(problems.join('\n')).toMatch(expected);
  });
});
