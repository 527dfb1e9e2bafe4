// What the floor processes of `npm run bench:floor` share: the environment the
// benchmark starts them with, the posting they all send, and how they say they listen.
import type { PostTransactionCommand } from '../../ledger-service/ledger.js';

/** Connections each floor process holds; at the benchmark's rates that is plenty. */
export const FLOOR_POOL_SIZE = 4;

/** A variable the benchmark always sets (scripts/bench-floor.ts). */
export function floorVariable(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is not set`);
  return value;
}

export function floorPosting(
  clientId: number,
  amountCents: number,
  tipo: 'c' | 'd',
  description: string,
): PostTransactionCommand {
  const kind = tipo === 'c' ? 'credit' : 'debit';
  return { clientId, amountCents, kind, description, idempotencyKey: null };
}

/** Tells the benchmark, over the IPC channel it forked us with, that we listen. */
export function ready(): void {
  process.send?.('ready');
}

// The benchmark stops us with SIGTERM; exiting normally lets --cpu-prof write.
process.on('SIGTERM', () => process.exit(0));
