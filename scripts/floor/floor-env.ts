// What the floor processes of `npm run bench:floor` share: the environment the
// benchmark starts them with, the one posting query they all send, and how they end.
import pg from 'pg';
import type { PostTransactionCommand } from '../../ledger-service/ledger.js';
import { batchValues, POST_BATCH_SQL, type PostRow } from '../../ledger-service/sql.js';

const INT8_OID = 20;
// As the ledger reads them (db.ts), int8 columns arrive as numbers, not strings.
pg.types.setTypeParser(INT8_OID, Number);

/** Connections each floor process holds; at the benchmark's rates that is plenty. */
const FLOOR_POOL_SIZE = 4;
/** The posting function's lock wait (init.sql); the ledger's own default is also 1 s. */
const FLOOR_LOCK_WAIT_MS = 1000;

/** A variable the benchmark always sets (scripts/bench-floor.ts). */
export function floorVariable(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is not set`);
  return value;
}

/** The pool a floor process posts through, to the database the benchmark made. */
export function floorPool(): pg.Pool {
  return new pg.Pool({
    connectionString: floorVariable('FLOOR_DATABASE_URL'),
    max: FLOOR_POOL_SIZE,
  });
}

/** One posting through the ledger's own query (sql.ts), as a batch of one. */
export async function postOne(
  pool: pg.Pool,
  posting: Omit<PostTransactionCommand, 'idempotencyKey'>,
): Promise<PostRow> {
  const command: PostTransactionCommand = { ...posting, idempotencyKey: null };
  const { rows } = await pool.query<PostRow>({
    ...POST_BATCH_SQL,
    values: batchValues([command], FLOOR_LOCK_WAIT_MS),
  });
  return rows[0] as PostRow;
}

// The benchmark stops us with SIGTERM; exiting normally lets --cpu-prof write. If the
// benchmark dies instead, its IPC channel closes, and we go with it.
process.on('SIGTERM', () => process.exit(0));
process.on('disconnect', () => process.exit(0));
