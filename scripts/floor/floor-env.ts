// What the floor processes of `npm run bench:floor` share: the environment the
// benchmark starts them with, the posting they all send, and how they end.
import pg from 'pg';
import type { PostTransactionCommand } from '../../ledger-service/ledger.js';

const INT8_OID = 20;
// As the ledger reads them (db.ts), int8 columns arrive as numbers, not strings.
pg.types.setTypeParser(INT8_OID, Number);

/** Connections each floor process holds; at the benchmark's rates that is plenty. */
export const FLOOR_POOL_SIZE = 4;
/** The posting function's lock wait (init.sql); the ledger's own default is also 1 s. */
export const FLOOR_LOCK_WAIT_MS = 1000;

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

// The benchmark stops us with SIGTERM; exiting normally lets --cpu-prof write. If the
// benchmark dies instead, its IPC channel closes, and we go with it.
process.on('SIGTERM', () => process.exit(0));
process.on('disconnect', () => process.exit(0));
