// PostgreSQL storage of the ledger; the only module that imports `pg`, and so the one
// place that tells an operating error (database unreachable, lock wait or statement cut
// short) from a bug. A plain store: a batch of postings in, one outcome per posting out,
// in one round trip and one commit (post_transactions() in init.sql); a statement as one
// snapshot query. It neither batches nor orders: post-batcher.ts does.
import assert from 'node:assert/strict';
import pg from 'pg';
import type { Logger } from '../common/logger.js';
import type { LedgerConfig } from './config.js';
import {
  type Classify,
  classifier,
  classifyDatabaseError,
  type DatabaseErrorListener,
  isConnectionError,
} from './database-errors.js';
import { type CallScope, lockWaitMs, refusalBeforeSending } from './deadlines.js';
import type { LedgerStore, PostTransactionCommand } from './ledger.js';
import type { PoolStats } from './metrics.js';
import {
  AUDIT_SQL,
  type AuditRow,
  batchValues,
  type ClientAudit,
  POST_BATCH_SQL,
  type PostRow,
  PRUNE_KEYS_SQL,
  STATEMENT_SQL,
  type StatementRow,
  toClientAudit,
  toPostOutcome,
  toStatement,
} from './sql.js';

export type { ClientAudit } from './sql.js';

const INT8_OID = 20;

/** int8 arrives as text; every int8 of ours is kept within the safe range by init.sql. */
function parseSafeInteger(text: string): number {
  const value = Number(text);
  assert.ok(Number.isSafeInteger(value), `int8 beyond the safe integer range: ${text}`);
  return value;
}

const typeParsers = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary'
      ? parseSafeInteger
      : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
};

/** The store, plus what the pool holds, for the metrics. */
export interface PostgresStore extends LedgerStore {
  poolStats(): PoolStats;
}

type Query = { readonly name: string; readonly text: string };

function poolOptionsOf(config: LedgerConfig): pg.PoolConfig {
  return {
    connectionString: config.databaseUrl,
    max: config.poolSize,
    connectionTimeoutMillis: config.poolWaitMs,
    idleTimeoutMillis: 0,
    keepAlive: true,
    statement_timeout: config.statementTimeoutMs,
    lock_timeout: config.lockTimeoutMs,
    idle_in_transaction_session_timeout: config.statementTimeoutMs,
    // Last resort if the server stops answering entirely; the server-side
    // statement_timeout normally fires first.
    query_timeout: config.statementTimeoutMs + 1000,
    application_name: 'ledger',
    types: typeParsers,
  };
}

/** Gives a connection back: a broken one is discarded, one that reported an SQL error is kept. */
function release(client: pg.PoolClient, error?: unknown): void {
  client.release(error !== undefined && isConnectionError(error) ? (error as Error) : undefined);
}

/**
 * One query on one pooled connection. The lock wait is computed once the connection is
 * in hand (waiting for it spent part of the deadline); a scope whose caller left or
 * whose deadline is too near by then sends nothing.
 */
async function run<Row extends pg.QueryResultRow>(
  pool: pg.Pool,
  lockTimeoutMs: number,
  request: { query: Query; values: (lockWaitMs: number) => unknown[]; scope: CallScope },
  classify: Classify,
): Promise<Row[]> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    throw classify(error);
  }
  const refusal = refusalBeforeSending(request.scope);
  if (refusal !== null) {
    release(client);
    throw refusal;
  }
  const waitMs = lockWaitMs(request.scope, lockTimeoutMs);
  try {
    const result = await client.query<Row>({ ...request.query, values: request.values(waitMs) });
    release(client);
    return result.rows;
  } catch (error) {
    release(client, error);
    throw classify(error, waitMs < lockTimeoutMs);
  }
}

/**
 * Opens every pooled connection and prepares both statements on each. Client id 0 never
 * exists: both run, get planned and write nothing.
 */
async function warmUpPool(pool: pg.Pool, config: LedgerConfig): Promise<void> {
  const warmUpPosting: PostTransactionCommand = {
    clientId: 0,
    amountCents: 1,
    kind: 'credit',
    description: 'warm-up',
    idempotencyKey: null,
  };
  const settled = await Promise.allSettled(
    Array.from({ length: config.poolSize }, () => pool.connect()),
  );
  const clients = settled.flatMap((each) => (each.status === 'fulfilled' ? [each.value] : []));
  const warmed = await Promise.allSettled(
    clients.map(async (client) => {
      try {
        const values = batchValues([warmUpPosting], config.lockTimeoutMs);
        await client.query({ ...POST_BATCH_SQL, values });
        await client.query({ ...STATEMENT_SQL, values: [0] });
        release(client);
      } catch (error) {
        release(client, error);
        throw error;
      }
    }),
  );
  const failure = [...settled, ...warmed].find((each) => each.status === 'rejected');
  if (failure !== undefined) throw classifyDatabaseError(failure.reason);
}

export function createPostgresStore(
  config: LedgerConfig,
  logger: Logger,
  onError?: DatabaseErrorListener,
): PostgresStore {
  const classify = classifier(onError);
  const pool = new pg.Pool(poolOptionsOf(config));
  // Health has its own connection: a pool busy with traffic is not a database down.
  const healthPool = new pg.Pool({
    ...poolOptionsOf(config),
    max: 1,
    application_name: 'ledger-health',
  });
  for (const each of [pool, healthPool]) {
    each.on('error', (error) => logger.warn({ err: error }, 'idle database connection failed'));
  }
  return {
    async postBatch(commands, scope) {
      const rows = await run<PostRow>(
        pool,
        config.lockTimeoutMs,
        {
          query: POST_BATCH_SQL,
          values: (waitMs) => batchValues(commands, waitMs),
          scope,
        },
        classify,
      );
      assert.equal(rows.length, commands.length, 'one outcome per posting');
      return rows.map(toPostOutcome);
    },
    async getStatement(clientId, scope) {
      const rows = await run<StatementRow>(
        pool,
        config.lockTimeoutMs,
        { query: STATEMENT_SQL, values: () => [clientId], scope },
        classify,
      );
      return toStatement(rows);
    },
    async pruneIdempotencyKeys(before, limit) {
      try {
        const { rows } = await pool.query<{ deleted: number }>({
          ...PRUNE_KEYS_SQL,
          values: [before, limit],
        });
        return rows[0]?.deleted ?? 0;
      } catch (error) {
        throw classify(error);
      }
    },
    async ping() {
      try {
        await healthPool.query('SELECT 1');
      } catch (error) {
        throw classify(error);
      }
    },
    warmUp: () => warmUpPool(pool, config),
    poolStats: () => ({
      total: pool.totalCount,
      idle: pool.idleCount,
      waiting: pool.waitingCount,
    }),
    async close() {
      await Promise.all([pool.end(), healthPool.end()]);
    },
  };
}

export async function auditDatabase(databaseUrl: string): Promise<ClientAudit[]> {
  const client = new pg.Client({ connectionString: databaseUrl, types: typeParsers });
  await client.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const { rows } = await client.query<AuditRow>(AUDIT_SQL);
    await client.query('COMMIT');
    return rows.map(toClientAudit);
  } finally {
    await client.end();
  }
}
