// nginx as the native stack's load balancer, in Envoy's place, where Debian's (or
// any) nginx is installed: round robin over the facades' Unix sockets with pooled
// keep-alive upstream connections, as Envoy pools them in production. Client
// connections (one per request in the Rinha) then end in C, not in Node, which costs
// the facades a fraction of what node:cluster's per-connection hand-off does.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const NGINX_CANDIDATES = [
  '/usr/sbin/nginx',
  '/usr/local/sbin/nginx',
  '/usr/local/nginx/sbin/nginx',
];
/** Idle upstream connections kept per worker; a few dozen cover hundreds of requests/s. */
const UPSTREAM_KEEPALIVE_CONNECTIONS = 64;

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
}

/** Writes nginx.conf into runDir (with nginx's temporary directories) and returns its path. */
export function writeNginxConfig(site: NginxSite): string {
  mkdirSync(site.runDir, { recursive: true });
  const temp = (name: string) => path.join(site.runDir, name);
  const asRoot = process.getuid?.() === 0;
  const config = `# Written by stack/nginx.ts for one run of the native stack.
${asRoot ? "user root root;  # the facades' sockets belong to root\n" : ''}worker_processes 1;
pid ${temp('nginx.pid')};
error_log stderr warn;
events { worker_connections 8192; multi_accept on; }
http {
  access_log off;
  server_tokens off;
  client_body_temp_path ${temp('client-body')};
  proxy_temp_path ${temp('proxy')};
  fastcgi_temp_path ${temp('fastcgi')};
  uwsgi_temp_path ${temp('uwsgi')};
  scgi_temp_path ${temp('scgi')};
  keepalive_timeout 5s;
  client_max_body_size 16k;
  upstream facades {
${site.facadeSockets.map((socket) => `    server unix:${socket} max_fails=0;`).join('\n')}
    keepalive ${UPSTREAM_KEEPALIVE_CONNECTIONS};
    keepalive_timeout 60s;
  }
  server {
    listen ${site.listenHost}:${site.listenPort} backlog=4096;
    # Bodies nginx itself refuses get the contract's JSON error, like the facades'.
    error_page 413 @body_too_large;
    location @body_too_large {
      default_type application/json;
      return 413 '{"error":"body_too_large","message":"request body too large"}';
    }
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
