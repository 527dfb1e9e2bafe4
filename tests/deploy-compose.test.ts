// Goal: docker-compose.yml and docker-compose.rinha.yml follow the Rinha rules and
// ours: limits within 1.5 CPU and 550MB, health checks, restart policies, pinned
// images, only the balancer's 9999 published (never the ledger's plaintext gRPC), start
// order by health, PostgreSQL durable by default, the ledger logging in as its own role,
// and an override that switches synchronous_commit off and nothing else. The
// `monitoring` profile (Prometheus) is outside the budget and scrapes every hop.
// Method: parse the files and run the rules of tests/support/compose-rules.ts; each
// rule is shown failing on a deliberately broken copy. When Debian's docker-compose
// 1.29 is installed, it validates both files too (on a copy without start_interval,
// the one newer key it does not know; our own rules cover that key).
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  type ComposeFile,
  checkBudget,
  checkOnlyBalancerPublishes,
  checkPostgres,
  checkProfiles,
  checkPublishedPorts,
  checkRinhaOverride,
  checkServiceBasics,
  checkStartOrder,
  parseCompose,
  profilesOf,
} from './support/compose-rules.js';

const COMPOSE_YAML = readFileSync('docker-compose.yml', 'utf8');
const RINHA_YAML = readFileSync('docker-compose.rinha.yml', 'utf8');
const PUBLISHED = { envoy: ['9999'] };
const START_ORDER = {
  ledger: ['postgres'],
  facade1: ['ledger'],
  facade2: ['ledger'],
  envoy: ['facade1', 'facade2'],
  prometheus: ['envoy'],
};
const PROFILES = { prometheus: ['monitoring'] };

function allRules(compose: ComposeFile): string[] {
  return [
    ...checkBudget(compose),
    ...checkServiceBasics(compose),
    ...checkPublishedPorts(compose, PUBLISHED),
    ...checkOnlyBalancerPublishes(compose, 'envoy'),
    ...checkStartOrder(compose, START_ORDER),
    ...checkProfiles(compose, PROFILES),
    ...checkPostgres(compose),
  ];
}

function replaced(text: string, from: string | RegExp, to: string): string {
  const result = text.replace(from, to);
  expect(result, `mutation ${String(from)} must change the file`).not.toBe(text);
  return result;
}

describe('docker-compose.yml', () => {
  it('meets every rule', () => {
    expect(allRules(parseCompose(COMPOSE_YAML))).toEqual([]);
  });

  it('runs the five services of the design, and Prometheus only in the monitoring profile', () => {
    const services = parseCompose(COMPOSE_YAML).services;
    const started = Object.keys(services).filter(
      (name) => profilesOf(services[name] ?? {}).length === 0,
    );
    expect(started.sort()).toEqual(['envoy', 'facade1', 'facade2', 'ledger', 'postgres']);
    expect(profilesOf(services.prometheus ?? {})).toEqual(['monitoring']);
  });

  it('has the monitoring profile scrape the ledger, both facades and Envoy', () => {
    const compose = parseCompose(COMPOSE_YAML);
    const prometheus = compose.services.prometheus ?? {};
    // Envoy's admin port is on its loopback: only its network namespace reaches it.
    expect(prometheus.network_mode).toBe('service:envoy');
    const config = parseYaml(readFileSync('deploy/prometheus/prometheus.yml', 'utf8')) as {
      scrape_configs: {
        job_name: string;
        metrics_path?: string;
        static_configs: { targets: string[] }[];
      }[];
    };
    const targets = Object.fromEntries(
      config.scrape_configs.map((job) => [
        job.job_name,
        {
          path: job.metrics_path ?? '/metrics',
          targets: job.static_configs.flatMap((each) => each.targets),
        },
      ]),
    );
    expect(targets).toEqual({
      ledger: { path: '/metrics', targets: ['ledger:9464'] },
      facade: { path: '/metrics', targets: ['facade1:9464', 'facade2:9464'] },
      envoy: { path: '/stats/prometheus', targets: ['127.0.0.1:9901'] },
    });
    // Each scraped service serves its metrics where Prometheus looks for them.
    const environment = (name: string) =>
      compose.services[name]?.environment as Record<string, string>;
    expect(environment('ledger').LEDGER_METRICS_ADDRESS).toBe('0.0.0.0:9464');
    expect(environment('facade1').FACADE_METRICS_ADDRESS).toBe('0.0.0.0:9464');
    expect(environment('facade2').FACADE_METRICS_ADDRESS).toBe('0.0.0.0:9464');
    expect(readFileSync('envoy.yaml', 'utf8')).toMatch(/port_value: 9901/);
  });

  const brokenCopies: [string, string | RegExp, string, RegExp][] = [
    [
      'Prometheus inside the budget (no profile)',
      '    profiles: ["monitoring"]\n',
      '',
      /CPU limits sum to 2\.00/,
    ],
    [
      'a profile other than monitoring',
      'profiles: ["monitoring"]',
      'profiles: ["debug"]',
      /prometheus: profiles \[debug\], expected \[monitoring\]/,
    ],
    ['CPU above the budget', 'cpus: "0.35"', 'cpus: "0.45"', /CPU limits sum to 1\.60/],
    ['memory above the budget', 'memory: 80MB', 'memory: 85MB', /sum to 555MB/],
    ['memory not in MB', 'memory: 80MB', 'memory: 80m', /written in MB/],
    ['a numeric cpus', 'cpus: "0.35"', 'cpus: 0.35', /cpus must be a string/],
    [
      'a service without limits',
      /( +)deploy:\n +resources:\n +limits:\n +cpus: "0\.2"\n +memory: 80MB\n/,
      '',
      /envoy: deploy\.resources\.limits\.cpus/,
    ],
    [
      'an unpinned image',
      'image: envoyproxy/envoy:v1.38.7',
      'image: envoyproxy/envoy:latest',
      /not pinned/,
    ],
    [
      'a database published',
      /( +)image: postgres:16\.14\n/,
      '$1image: postgres:16.14\n$1ports: ["5432:5432"]\n',
      /postgres: publishes \[5432\]/,
    ],
    [
      'a facade published',
      /( +)expose:\n( +)- "8080"\n/,
      '$1ports: ["8080:8080"]\n$1expose:\n$2- "8080"\n',
      /facade1: publishes \[8080\]/,
    ],
    [
      "the ledger's gRPC published",
      /( +)expose:\n( +)- "50051"\n/,
      '$1ports: ["50051:50051"]\n$1expose:\n',
      /ledger: publishes \[50051\]; only envoy may publish a port/,
    ],
    [
      "the ledger's gRPC published on loopback",
      /( +)expose:\n( +)- "50051"\n/,
      '$1ports: ["127.0.0.1:50051:50051"]\n$1expose:\n',
      /ledger: publishes \[50051\]; only envoy may publish a port/,
    ],
    [
      'a port bound to all interfaces',
      '"9999:9999"',
      '"0.0.0.0:9999:9999"',
      /envoy: binds a published port to all interfaces explicitly/,
    ],
    [
      'the ledger as superuser',
      `DATABASE_URL: postgres://ledger:\${LEDGER_DATABASE_PASSWORD:-ledger-change-me}@`,
      `DATABASE_URL: postgres://postgres:\${POSTGRES_PASSWORD:-postgres-change-me}@`,
      /ledger: must log in as the ledger role, not postgres/,
    ],
    [
      'one password for both',
      `LEDGER_DATABASE_PASSWORD: \${LEDGER_DATABASE_PASSWORD:-ledger-change-me}`,
      `LEDGER_DATABASE_PASSWORD: \${POSTGRES_PASSWORD:-postgres-change-me}`,
      /password must be LEDGER_DATABASE_PASSWORD's, its own/,
    ],
    [
      'the ledger role not created',
      './ledger-role.sql:/docker-entrypoint-initdb.d/ledger-role.sql:ro',
      './ledger-role.sql:/ledger-role.sql:ro',
      /ledger-role\.sql must be mounted/,
    ],
    [
      'a start without health',
      'condition: service_healthy\n    healthcheck:\n      test: ["CMD", "node", "dist/scripts/healthcheck.js", "grpc"',
      'condition: service_started\n    healthcheck:\n      test: ["CMD", "node", "dist/scripts/healthcheck.js", "grpc"',
      /ledger: depends_on postgres must wait for service_healthy/,
    ],
    [
      'a missing health check',
      'healthcheck:\n      # TCP on purpose',
      'x-healthcheck:\n      # TCP on purpose',
      /postgres: needs a healthcheck/,
    ],
    [
      'no restart policy',
      /( +)restart: unless-stopped\n( +)stop_grace_period: 30s/,
      '$2stop_grace_period: 30s',
      /postgres: needs a restart policy/,
    ],
    ['fsync off by default', '- fsync=on', '- fsync=off', /fsync must be on/],
    [
      'synchronous_commit off by default',
      '- synchronous_commit=on',
      '- synchronous_commit=off',
      /synchronous_commit must be on/,
    ],
    [
      'init.sql not mounted',
      './init.sql:/docker-entrypoint-initdb.d/init.sql:ro',
      './init.sql:/init.sql:ro',
      /init\.sql must be mounted/,
    ],
  ];
  it.each(brokenCopies)('fails on %s', (_case, from, to, expected) => {
    const problems = allRules(parseCompose(replaced(COMPOSE_YAML, from, to)));
    expect(problems.join('\n')).toMatch(expected);
  });
});

describe('docker-compose.rinha.yml', () => {
  it('switches synchronous_commit off and changes nothing else', () => {
    const problems = checkRinhaOverride(parseCompose(COMPOSE_YAML), parseCompose(RINHA_YAML));
    expect(problems).toEqual([]);
  });

  const brokenCopies: [string, string | RegExp, string, RegExp][] = [
    ['fsync off', '- fsync=on', '- fsync=off', /fsync=off, expected on/],
    [
      'durability kept',
      '- synchronous_commit=off',
      '- synchronous_commit=on',
      /synchronous_commit=on, expected off/,
    ],
    [
      'a drifted setting',
      '- shared_buffers=32MB',
      '- shared_buffers=64MB',
      /shared_buffers=64MB, expected 32MB/,
    ],
    [
      'another key',
      /( +)command:\n/,
      '$1environment: { X: "1" }\n$1command:\n',
      /only command allowed/,
    ],
  ];
  it.each(brokenCopies)('fails on %s', (_case, from, to, expected) => {
    const override = parseCompose(replaced(RINHA_YAML, from, to));
    const problems = checkRinhaOverride(parseCompose(COMPOSE_YAML), override);
    expect(problems.join('\n')).toMatch(expected);
  });
});

function hasDockerCompose(): boolean {
  try {
    execFileSync('docker-compose', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Runs `docker-compose config -q` on copies without start_interval; returns stderr. */
function dockerComposeConfig(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'compose-check-'));
  try {
    for (const [name, text] of Object.entries(files)) {
      writeFileSync(path.join(dir, name), text.replace(/^ *start_interval: .*\n/gm, ''));
    }
    for (const name of ['init.sql', 'ledger-role.sql', 'envoy.yaml'])
      copyFileSync(name, path.join(dir, name));
    const args = Object.keys(files).flatMap((name) => ['-f', name]);
    execFileSync('docker-compose', [...args, 'config', '-q'], { cwd: dir, stdio: 'pipe' });
    return '';
  } catch (error) {
    return String((error as { stderr?: Buffer }).stderr ?? error);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe.skipIf(!hasDockerCompose())('docker-compose 1.29 (Debian) offline validation', () => {
  it('accepts the base file and the override', () => {
    const files = { 'docker-compose.yml': COMPOSE_YAML, 'docker-compose.rinha.yml': RINHA_YAML };
    expect(dockerComposeConfig(files)).toBe('');
  });

  it('rejects a broken copy', () => {
    const broken = replaced(
      COMPOSE_YAML,
      'restart: unless-stopped',
      'restart_policy: unless-stopped',
    );
    expect(dockerComposeConfig({ 'docker-compose.yml': broken })).toMatch(/restart_policy/);
  });
});
