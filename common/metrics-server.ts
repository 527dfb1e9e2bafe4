// A process's Prometheus listener: GET /metrics answers the registry in the text
// exposition format, anything else 404. It is a listener of its own, never the
// public one, so a scrape cannot be reached through the balancer on port 9999.
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import type { MetricsAddress } from './env.js';

export const METRICS_PATH = '/metrics';

export interface MetricsServer {
  readonly port: number;
  close(): Promise<void>;
}

function serve(registry: Registry): Server {
  return createServer((request, response) => {
    if (request.method !== 'GET' || request.url !== METRICS_PATH) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (error: unknown) =>
        response.writeHead(500, { 'content-type': 'text/plain' }).end(`${String(error)}\n`),
    );
  });
}

/**
 * Listens on the address. `exclusive`: a node:cluster worker binds its own port
 * instead of sharing the primary's, so each worker's metrics stay its own.
 */
export function listenMetrics(registry: Registry, address: MetricsAddress): Promise<MetricsServer> {
  const server = serve(registry);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: address.host, port: address.port, exclusive: true }, () => {
      server.off('error', reject);
      const bound = server.address();
      resolve({
        port: typeof bound === 'object' && bound !== null ? bound.port : address.port,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}
