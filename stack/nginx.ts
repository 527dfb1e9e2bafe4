// nginx as the native stack's load balancer, in Envoy's place, where Debian's (or
// any) nginx is installed: round robin over the facades' Unix sockets with pooled
// keep-alive upstream connections, as Envoy pools them in production. Client
// connections (one per request in the Rinha) then end in C, not in Node, which costs
// the facades a fraction of what node:cluster's per-connection hand-off does.
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  constants,
  existsSync,
  mkdirSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';

const NGINX_CANDIDATES = [
  '/usr/sbin/nginx',
  '/usr/local/sbin/nginx',
  '/usr/local/nginx/sbin/nginx',
];
/** Idle upstream connections kept per worker; a few dozen cover hundreds of requests/s. */
const UPSTREAM_KEEPALIVE_CONNECTIONS = 64;
/**
 * Every client-side wait (a header, a gap in a body, a slow reader, an idle
 * connection) is cut after the facades' request timeout (FACADE_REQUEST_TIMEOUT_MS,
 * 5 s), so a slow client holds nginx no longer than it would hold a facade. A body
 * trickled byte by byte resets nginx's per-read timer: it is streamed to the facade
 * (no request buffering), whose total timeout cuts it.
 */
const CLIENT_TIMEOUT = '5s';
/**
 * Requests passed to the facades at once, by default (STACK_BALANCER_REQUESTS_MAX); past
 * it a request gets a JSON 503 from nginx instead of a place in the facades' queues (as
 * fast as nginx's own CPU allows). The contest's load keeps a few in flight, and a
 * quarter of a second of stalled facades about 85; two facades serve ~500/s, so 256 is
 * already half a second of queue.
 */
export const DEFAULT_REQUESTS_IN_FLIGHT_MAX = 256;
/** The most STACK_BALANCER_REQUESTS_MAX may say: two connections each must fit below. */
export const REQUESTS_IN_FLIGHT_LIMIT = 1024;
/**
 * Connections the worker holds at once, client and upstream sides counted alike: the
 * requests in flight use two each, the rest are clients being answered or refused.
 * Past it nginx refuses new connections. It bounds memory (~10 KB per connection): at
 * 8192, a flood at eight times the contest's rates took nginx to its 80MB limit and
 * the kernel killed its worker; at 4096 it peaked at 51 MB.
 */
const WORKER_CONNECTIONS = 4096;
/** Run as root, nginx's worker runs as this user and group, never as root. */
const WORKER_USER = 'nobody';
const WORKER_GROUPS = ['nogroup', 'nobody'];

/**
 * Every error nginx itself may answer, as the contract's JSON instead of its HTML
 * pages; 494 (headers too large) is answered 431, as the facades do.
 */
const NGINX_ERRORS: ReadonlyArray<readonly [number, number, string, string]> = [
  [400, 400, 'bad_request', 'malformed HTTP request'],
  [404, 404, 'not_found', 'no such route'],
  [405, 405, 'method_not_allowed', 'method not allowed'],
  [408, 408, 'request_timeout', 'request not received within the request timeout'],
  [413, 413, 'body_too_large', 'request body too large'],
  [414, 414, 'url_too_long', 'request target too long'],
  [494, 431, 'headers_too_large', 'request headers too large'],
  [500, 500, 'internal_error', 'internal error'],
  [501, 501, 'not_implemented', 'method or transfer coding not implemented'],
  [502, 502, 'facade_unavailable', 'no facade answered, retry later'],
  [503, 503, 'service_unavailable', 'no facade can take the request now, retry later'],
  [504, 504, 'facade_timeout', 'the facade did not answer in time'],
  [505, 505, 'http_version_not_supported', 'HTTP version not supported'],
];

/** Error pages as internal locations: a named one fails (500) for an unparsed request line. */
function errorPages(): string {
  return NGINX_ERRORS.map(
    ([
      status,
      answered,
      error,
      message,
    ]) => `    error_page ${status} =${answered} /_errors/${status};
    location = /_errors/${status} {
      internal;
      default_type application/json;
      return ${answered} '{"error":"${error}","message":"${message}"}';
    }`,
  ).join('\n');
}

function groupIdOf(name: string): number | undefined {
  try {
    const line = execFileSync('getent', ['group', name], { encoding: 'utf8' });
    return Number(line.split(':')[2]);
  } catch {
    return undefined;
  }
}

/**
 * Run as root: the worker's `user` line, after making runDir the worker group's
 * (setgid, so the facades' sockets inherit the group; the facades make them
 * group-writable). Throws a sentence naming the fix when the worker could not reach it.
 */
function unprivilegedWorker(runDir: string): string {
  const group = WORKER_GROUPS.map((name) => ({ name, id: groupIdOf(name) })).find(
    (candidate) => candidate.id !== undefined,
  );
  if (group?.id === undefined) {
    throw new Error(`nginx: no group ${WORKER_GROUPS.join(' or ')} for its worker; create one`);
  }
  chownSync(runDir, 0, group.id);
  chmodSync(runDir, 0o2750);
  for (let dir = path.dirname(runDir); ; dir = path.dirname(dir)) {
    // Others need search permission on every ancestor to reach the sockets.
    const { mode } = statSync(dir);
    if ((mode & constants.S_IXOTH) === 0) {
      throw new Error(
        `nginx: its worker (user ${WORKER_USER}) cannot enter ${dir}; use a data directory ` +
          'under a path others can traverse (chmod o+x, or --data-dir elsewhere)',
      );
    }
    if (dir === path.dirname(dir)) break;
  }
  return `user ${WORKER_USER} ${group.name};  # not root: the sockets' directory is its group's`;
}

/** The nginx binary, or undefined when none is installed. */
export function findNginx(): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return NGINX_CANDIDATES.find((candidate) => existsSync(candidate));
  }
}

export interface NginxSite {
  readonly runDir: string;
  readonly listenHost: string;
  readonly listenPort: number;
  readonly facadeSockets: readonly string[];
  /** Requests passed to the facades at once; past it nginx answers 503. */
  readonly requestsInFlightMax: number;
}

/** Writes nginx.conf into runDir (with nginx's temporary directories) and returns its path. */
export function writeNginxConfig(site: NginxSite): string {
  mkdirSync(site.runDir, { recursive: true });
  const temp = (name: string) => path.join(site.runDir, name);
  const asRoot = process.getuid?.() === 0;
  const config = `# Written by stack/nginx.ts for one run of the native stack.
${asRoot ? `${unprivilegedWorker(site.runDir)}\n` : ''}worker_processes 1;
pid ${temp('nginx.pid')};
error_log stderr warn;
events { worker_connections ${WORKER_CONNECTIONS}; multi_accept on; }
http {
  access_log off;
  server_tokens off;
  client_body_temp_path ${temp('client-body')};
  proxy_temp_path ${temp('proxy')};
  fastcgi_temp_path ${temp('fastcgi')};
  uwsgi_temp_path ${temp('uwsgi')};
  scgi_temp_path ${temp('scgi')};
  client_header_timeout ${CLIENT_TIMEOUT};
  client_body_timeout ${CLIENT_TIMEOUT};
  send_timeout ${CLIENT_TIMEOUT};
  keepalive_timeout ${CLIENT_TIMEOUT};
  client_max_body_size 16k;
  # One count for the whole server (its port; an empty key would count nothing): the
  # requests it has passed on and not yet answered.
  limit_conn_zone $server_port zone=requests_in_flight:1m;
  upstream facades {
${site.facadeSockets.map((socket) => `    server unix:${socket} max_fails=0;`).join('\n')}
    keepalive ${UPSTREAM_KEEPALIVE_CONNECTIONS};
    keepalive_timeout 60s;
  }
  server {
    listen ${site.listenHost}:${site.listenPort} backlog=4096;
    limit_conn requests_in_flight ${site.requestsInFlightMax};
    limit_conn_status 503;
    # Each refusal at warn would flood the log exactly when the machine is busiest.
    limit_conn_log_level info;
    # Requests nginx itself refuses get the contract's JSON error, like the facades'.
${errorPages()}
    location / {
      proxy_pass http://facades;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      # Retry on the other facade only when the connection failed: never a POST that
      # may have reached one (nginx does not retry non-idempotent requests by default).
      proxy_next_upstream error;
      proxy_next_upstream_tries 2;
      proxy_connect_timeout 1s;
      proxy_send_timeout 5s;
      proxy_read_timeout 5s;
      proxy_buffering off;
      # Streamed, so the facade's total request timeout also cuts a trickled body.
      proxy_request_buffering off;
    }
  }
}
`;
  const file = temp('nginx.conf');
  writeFileSync(file, config);
  return file;
}

/** nginx's command line for a config: in the foreground, logging to stderr. */
export function nginxArguments(configFile: string, runDir: string): string[] {
  return ['-e', 'stderr', '-p', runDir, '-c', configFile, '-g', 'daemon off;'];
}
