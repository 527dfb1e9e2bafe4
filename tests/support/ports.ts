// Ports for test servers: below 32768 (the range above is the kernel's for outgoing
// connections) and apart for each parallel vitest worker, so files never collide.
const BASE_PORT = 21000;
const PORTS_PER_WORKER = 200;

let next = 0;

export function testPort(): number {
  const worker = Number(process.env.VITEST_POOL_ID ?? '1');
  const port = BASE_PORT + worker * PORTS_PER_WORKER + (next++ % PORTS_PER_WORKER);
  return port;
}

/** The one embedded PostgreSQL that global setup starts for all files. */
export const SHARED_POSTGRES_PORT = 20432;
