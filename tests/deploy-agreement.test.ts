// Goal: the deployment files agree with each other and with the code: Envoy targets
// the compose facade services at the port the facades listen on, the health-check
// paths exist in the facade, the ledger address and ports match the services'
// defaults, the timeouts nest (facade deadline < Envoy route timeout; Envoy closes
// idle upstream connections before the facade does), every environment block is a
// valid configuration for the real parsers, and the Dockerfile and compose commands
// name files the build produces.
// Method: parse envoy.yaml, docker-compose.yml and the Dockerfile, import the
// services' own config parsers and route constants, compare; each rule is shown
// failing on a deliberately broken copy.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { READY_PATH } from '../http-facade/app.js';
import { DEFAULT_FACADE_PORT, parseFacadeConfig } from '../http-facade/config.js';
import { DEFAULT_LEDGER_ADDRESS, parseLedgerConfig } from '../ledger-service/config.js';
import { type ComposeFile, parseCompose, pick } from './support/compose-rules.js';
import { checkDockerfile } from './support/dockerfile-rules.js';
import { parseEnvoyYaml } from './support/envoy-schema.js';
import {
  checkEnvoyMatchesCompose,
  checkLedgerAddresses,
  distFilesIn,
  READINESS_PATH,
  sourceOfDistFile,
} from './support/stack-agreement.js';

const ENVOY_YAML = readFileSync('envoy.yaml', 'utf8');
const COMPOSE_YAML = readFileSync('docker-compose.yml', 'utf8');
const DOCKERFILE = readFileSync('Dockerfile', 'utf8');
const DOCKERIGNORE = readFileSync('.dockerignore', 'utf8');

function replaced(text: string, from: string | RegExp, to: string): string {
  const result = text.replace(from, to);
  expect(result, `mutation ${String(from)} must change the file`).not.toBe(text);
  return result;
}

function environmentOf(compose: ComposeFile, service: string): Record<string, string> {
  const environment = pick(compose.services[service], 'environment');
  return Object.fromEntries(Object.entries(environment ?? {}).map(([k, v]) => [k, String(v)]));
}

/** A protobuf JSON duration such as "30s" or "0.5s", in milliseconds. */
function durationMs(value: unknown): number {
  expect(value).toMatch(/^\d+(\.\d+)?s$/);
  return Number(String(value).slice(0, -1)) * 1000;
}

describe('envoy.yaml and docker-compose.yml agree', () => {
  const compose = parseCompose(COMPOSE_YAML);
  const envoy = parseEnvoyYaml(ENVOY_YAML);

  it('envoy targets the facade services at their port, published on 9999', () => {
    expect(checkEnvoyMatchesCompose(envoy, compose)).toEqual([]);
  });

  it('the facades listen on their default port, and dial the ledger where it listens', () => {
    expect(environmentOf(compose, 'facade1').FACADE_PORT).toBe(String(DEFAULT_FACADE_PORT));
    expect(checkLedgerAddresses(compose, DEFAULT_LEDGER_ADDRESS)).toEqual([]);
  });

  it('the health-check paths are the facade routes', () => {
    expect(READY_PATH).toBe(READINESS_PATH);
    const facadeCheck = JSON.stringify(pick(compose.services.facade1, 'healthcheck', 'test'));
    expect(facadeCheck).toContain(`:${DEFAULT_FACADE_PORT}${READY_PATH}`);
    expect(JSON.stringify(pick(compose.services.ledger, 'healthcheck', 'test'))).toContain(
      `127.0.0.1:${DEFAULT_LEDGER_ADDRESS.split(':')[1]}`,
    );
  });

  it('every environment block parses with the service’s own config parser', () => {
    const ledger = parseLedgerConfig(environmentOf(compose, 'ledger'));
    expect(ledger.listenAddress).toBe('0.0.0.0:50051');
    for (const facade of ['facade1', 'facade2']) {
      expect(parseFacadeConfig(environmentOf(compose, facade)).host).toBe('0.0.0.0');
    }
  });

  it('the timeouts nest', () => {
    const facade = parseFacadeConfig(environmentOf(compose, 'facade1'));
    const hcm = pick(envoy, 'static_resources', 'listeners', 0, 'filter_chains', 0, 'filters', 0);
    const route = pick(hcm, 'typed_config', 'route_config', 'virtual_hosts', 0, 'routes', 0);
    expect(facade.ledgerTimeoutMs).toBeLessThan(durationMs(pick(route, 'route', 'timeout')));
    const upstreamOptions = pick(
      envoy,
      'static_resources',
      'clusters',
      0,
      'typed_extension_protocol_options',
    );
    const options = Object.values(upstreamOptions ?? {})[0];
    const upstreamIdleMs = durationMs(
      pick(options, 'common_http_protocol_options', 'idle_timeout'),
    );
    expect(upstreamIdleMs).toBeLessThan(facade.keepAliveTimeoutMs);
    const ledger = parseLedgerConfig(environmentOf(compose, 'ledger'));
    const stopGraceMs = durationMs(compose.services.ledger?.stop_grace_period);
    expect(ledger.shutdownGraceMs).toBeLessThan(stopGraceMs);
  });

  const brokenCopies: [string, string, string, string, RegExp][] = [
    ['a misnamed endpoint', 'envoy', 'address: facade2,', 'address: facade-2,', /envoy targets/],
    [
      'another facade port',
      'envoy',
      'facade1, port_value: 8080',
      'facade1, port_value: 8081',
      /facade1:8081/,
    ],
    ['a remapped 9999', 'compose', '"9999:9999"', '"80:9999"', /publish envoy's 9999/],
    [
      'a wrong ledger address',
      'compose',
      'LEDGER_ADDRESS: ledger:50051',
      'LEDGER_ADDRESS: ledger:50052',
      /LEDGER_ADDRESS ledger:50052/,
    ],
  ];
  it.each(brokenCopies)('fails on %s', (_case, file, from, to, expected) => {
    const brokenEnvoy = file === 'envoy' ? parseEnvoyYaml(replaced(ENVOY_YAML, from, to)) : envoy;
    const brokenCompose =
      file === 'compose' ? parseCompose(replaced(COMPOSE_YAML, from, to)) : compose;
    const problems = [
      ...checkEnvoyMatchesCompose(brokenEnvoy, brokenCompose),
      ...checkLedgerAddresses(brokenCompose, DEFAULT_LEDGER_ADDRESS),
    ];
    expect(problems.join('\n')).toMatch(expected);
  });
});

describe('Dockerfile and commands refer to files the build produces', () => {
  it('the Dockerfile meets every rule', () => {
    expect(checkDockerfile(DOCKERFILE, DOCKERIGNORE)).toEqual([]);
  });

  it('every dist/ file named by a compose command or health check is built from a source', () => {
    const compose = parseCompose(COMPOSE_YAML);
    const named = Object.values(compose.services).flatMap((service) => [
      ...distFilesIn(service.command),
      ...distFilesIn(pick(service, 'healthcheck', 'test')),
    ]);
    expect(named.sort()).toEqual([
      'dist/http-facade/main.js',
      'dist/http-facade/main.js',
      'dist/ledger-service/main.js',
      'dist/scripts/healthcheck.js',
      'dist/scripts/healthcheck.js',
      'dist/scripts/healthcheck.js',
    ]);
    expect(named.filter((file) => sourceOfDistFile(file) === undefined)).toEqual([]);
    expect(sourceOfDistFile('dist/http-facade/missing.js')).toBeUndefined();
  });

  const brokenCopies: [string, string | RegExp, string, RegExp][] = [
    ['an unpinned base', 'node:24.20.0-bookworm-slim', 'node:24-slim', /must be a node:X\.Y\.Z/],
    [
      'a missing source dir',
      'COPY common ./common',
      'COPY commons ./commons',
      /COPY commons: no such file/,
    ],
    ['an ignored source', 'COPY common ./common', 'COPY tests ./tests', /COPY tests: excluded/],
    [
      'a CMD the build does not produce',
      /"dist\/ledger-service\/main\.js"\]/,
      '"dist/ledger/main.js"]',
      /dist\/ledger\/main\.js is not produced/,
    ],
    ['a shell-form CMD', /CMD \[.*\]/, 'CMD node dist/ledger-service/main.js', /exec form/],
    ['a root runtime', 'USER node', 'USER root', /non-root USER/],
    ['dev dependencies at runtime', 'npm ci --omit=dev', 'npm ci', /--omit=dev/],
    ['no build', 'RUN npm run build', 'RUN true', /npm run build/],
  ];
  it.each(brokenCopies)('fails on %s', (_case, from, to, expected) => {
    const problems = checkDockerfile(replaced(DOCKERFILE, from, to), DOCKERIGNORE);
    expect(problems.join('\n')).toMatch(expected);
  });
});
