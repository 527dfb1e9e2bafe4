// PostgreSQL storage of the ledger; the only module that imports `pg`, and so the one
// place that tells an operating error (database unreachable, lock wait or statement cut
// short) from a bug. A plain store: a batch of postings in, one outcome per posting out,
// in one round trip and one commit (post_transactions() in init.sql); a statement as one
// snapshot query. It neither batches nor orders: post-batcher.ts does.
import assert from 'node:assert/strict';
import pg from 'pg';
import type { Logger } from '../common/logger.js';
import type { LedgerConfig } from './config.js';
import { classifyDatabaseError, isConnectionError } from './database-errors.js';
import { type CallScope, lockWaitMs, refusalBeforeSending } from './deadlines.js';
import type { LedgerStore, PostTransactionCommand, TransactionKind } from './ledger.js';
import {
  AUDIT_SQL,
  type AuditRow,
  type ClientAudit,
  POST_BATCH_SQL,
  type PostRow,
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

const KIND_CODES: Record<TransactionKind, 'c' | 'd'> = { credit: 'c', debit: 'd' };
type Query = { readonly name: string; readonly text: string };

export function createPostgresStore(config: LedgerConfig, logger: Logger): LedgerStore {
  const poolOptions: pg.PoolConfig = {
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
  const pool = new pg.Pool(poolOptions);
  // Health has its own connection: a pool busy with traffic is not a database down.
  const healthPool = new pg.Pool({ ...poolOptions, max: 1, application_name: 'ledger-health' });
  for (const each of [pool, healthPool]) {
    each.on('error', (error) => logger.warn({ err: error }, 'idle database connection failed'));
  }

  /**
   * One query on one pooled connection. The lock wait is computed once the connection is
   * in hand (waiting for it spent part of the deadline); a scope whose caller left or
   * whose deadline is too near by then sends nothing.
   */
  async function run<Row extends pg.QueryResultRow>(
    query: Query,
    values: (lockWaitMs: number) => unknown[],
    scope: CallScope,
  ): Promise<Row[]> {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (error) {
      throw classifyDatabaseError(error);
    }
    const refusal = refusalBeforeSending(scope);
    if (refusal !== null) {
      client.release();
      throw refusal;
    }
    const waitMs = lockWaitMs(scope, config.lockTimeoutMs);
    try {
      const result = await client.query<Row>({ ...query, values: values(waitMs) });
      client.release();
      return result.rows;
    } catch (error) {
      // A broken connection must not go back to the pool; one that merely reported an
      // SQL error (a lock timeout, say) is fine and keeps its prepared statements.
      client.release(isConnectionError(error) ? (error as Error) : undefined);
      throw classifyDatabaseError(error, waitMs < config.lockTimeoutMs);
    }
  }

  const batchValues = (commands: readonly PostTransactionCommand[], waitMs: number) => [
    commands.map((command) => command.clientId),
    commands.map((command) => command.amountCents),
    commands.map((command) => KIND_CODES[command.kind]),
    commands.map((command) => command.description),
    waitMs,
  ];

  return {
    async postBatch(commands, scope) {
      const rows = await run<PostRow>(
        POST_BATCH_SQL,
        (waitMs) => batchValues(commands, waitMs),
        scope,
      );
      assert.equal(rows.length, commands.length, 'one outcome per posting');
      return rows.map(toPostOutcome);
    },

    async getStatement(clientId, scope) {
      return toStatement(await run<StatementRow>(STATEMENT_SQL, () => [clientId], scope));
    },

    async ping() {
      try {
        await healthPool.query('SELECT 1');
      } catch (error) {
        throw classifyDatabaseError(error);
      }
    },

    async warmUp() {
      const settled = await Promise.allSettled(
        Array.from({ length: config.poolSize }, () => pool.connect()),
      );
      const clients = settled.flatMap((each) => (each.status === 'fulfilled' ? [each.value] : []));
      // Client id 0 never exists: both statements run, get prepared and write nothing.
      const warmUpPosting: PostTransactionCommand = {
        clientId: 0,
        amountCents: 1,
        kind: 'credit',
        description: 'warm-up',
      };
      const warmed = await Promise.allSettled(
        clients.map(async (client) => {
          try {
            await client.query({
              ...POST_BATCH_SQL,
              values: batchValues([warmUpPosting], config.lockTimeoutMs),
            });
            await client.query({ ...STATEMENT_SQL, values: [0] });
            client.release();
          } catch (error) {
            client.release(isConnectionError(error) ? (error as Error) : undefined);
            throw error;
          }
        }),
      );
      const failure = [...settled, ...warmed].find((each) => each.status === 'rejected');
      if (failure !== undefined) throw classifyDatabaseError(failure.reason);
    },

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
