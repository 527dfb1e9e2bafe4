// Ports for test servers: below 32768 (the range above is the kernel's for outgoing
// connections). Each run takes a random block, so two runs on one machine rarely
// meet, and each parallel vitest worker a slice of it, so files never collide.
import { inject } from 'vitest';

const BLOCK_COUNT = 40;
const PORTS_PER_BLOCK = 250;
const PORTS_PER_WORKER = 50;
const FIRST_BLOCK_PORT = 21000;
const FIRST_POSTGRES_PORT = 20400;

export function pickPortBlock(): number {
  return Math.floor(Math.random() * BLOCK_COUNT);
}

export function postgresPortOf(block: number): number {
  return FIRST_POSTGRES_PORT + block;
}

let next = 0;

export function testPort(): number {
  const worker = Number(process.env.VITEST_POOL_ID ?? '1') % (PORTS_PER_BLOCK / PORTS_PER_WORKER);
  const base = FIRST_BLOCK_PORT + inject('portBlock') * PORTS_PER_BLOCK + worker * PORTS_PER_WORKER;
  return base + (next++ % PORTS_PER_WORKER);
}
