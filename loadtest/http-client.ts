// One HTTP exchange with node:http, timed from the moment the request is created (so
// the TCP connect of a new connection counts, as in Gatling) to the last body byte.
// Transport failures become a status of 0 and a short reason, never a throw: the load
// test must keep its schedule whatever the server does.
import http from 'node:http';
import { performance } from 'node:perf_hooks';

export interface HttpTarget {
  readonly host: string;
  readonly port: number;
}

export interface HttpExchange {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly body?: string;
  /** Extra request headers (an Idempotency-Key, say). */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface HttpOutcome {
  /** 0 when no response arrived. */
  readonly status: number;
  readonly body: string;
  /** performance.now() when the request was created. */
  readonly sentAtMs: number;
  readonly durationMs: number;
  readonly error: string | null;
}

/** Bodies are small JSON; anything longer is cut here so memory stays bounded. */
const RESPONSE_BODY_BYTES_MAX = 64 * 1024;

const USER_AGENT = 'crebitos-loadtest';

/** The error of a request whose connection was refused: it never reached a server. */
export const CONNECTION_REFUSED = 'connection refused';

export function parseTarget(url: string): HttpTarget {
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:') throw new Error(`--url must be http://, got ${url}`);
  const port = parsed.port === '' ? 80 : Number(parsed.port);
  return Object.freeze({ host: parsed.hostname.replace(/^\[|\]$/g, ''), port });
}

function describeError(error: NodeJS.ErrnoException, timeoutMs: number): string {
  switch (error.code) {
    case 'ECONNREFUSED':
      return CONNECTION_REFUSED;
    case 'ECONNRESET':
      return 'connection reset';
    case 'EPIPE':
      return 'broken pipe';
    case 'EADDRNOTAVAIL':
      return 'no local port available';
    case 'ETIMEDOUT':
    case 'LOADTEST_TIMEOUT':
      return `timeout after ${timeoutMs} ms`;
    default:
      return error.code ?? error.message;
  }
}

/**
 * Sends one request. `agent: false` opens a new connection used once (a load arrival);
 * a keep-alive agent lets a validation user reuse its own connections.
 */
export function sendRequest(
  target: HttpTarget,
  exchange: HttpExchange,
  agent: http.Agent | false,
  timeoutMs: number,
): Promise<HttpOutcome> {
  const sentAtMs = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const settle = (status: number, body: string, error: string | null): void => {
      if (settled) return;
      settled = true;
      resolve({ status, body, sentAtMs, durationMs: performance.now() - sentAtMs, error });
    };
    const headers: http.OutgoingHttpHeaders = { 'user-agent': USER_AGENT, ...exchange.headers };
    if (exchange.body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(exchange.body);
    }
    const request = http.request(
      {
        host: target.host,
        port: target.port,
        method: exchange.method,
        path: exchange.path,
        headers,
        agent,
      },
      (response) => {
        const chunks: Buffer[] = [];
        let bytes = 0;
        response.on('data', (chunk: Buffer) => {
          if (bytes < RESPONSE_BODY_BYTES_MAX) chunks.push(chunk);
          bytes += chunk.length;
        });
        response.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8').slice(0, RESPONSE_BODY_BYTES_MAX);
          settle(response.statusCode ?? 0, body, null);
        });
        response.on('error', (error) => settle(0, '', describeError(error, timeoutMs)));
      },
    );
    request.setTimeout(timeoutMs, () => {
      const error: NodeJS.ErrnoException = new Error('timeout');
      error.code = 'LOADTEST_TIMEOUT';
      request.destroy(error);
    });
    request.on('error', (error) => settle(0, '', describeError(error, timeoutMs)));
    request.end(exchange.body);
  });
}
