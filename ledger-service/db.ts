// PostgreSQL storage of the ledger; the only module that imports `pg`. Each
// operation is one round trip on one pooled connection: a prepared call of the
// post_transaction() function (init.sql), or one snapshot query for a statement.
import assert from 'node:assert/strict';
import pg from 'pg';
import type { Logger } from '../common/logger.js';
import { STATEMENT_TRANSACTIONS_MAX } from '../proto/rules.js';
import type { LedgerConfig } from './config.js';
import {
  CallCancelledError,
  type CallScope,
  DatabaseUnavailableError,
  DeadlineExceededError,
  type LedgerStore,
  type PostTransactionCommand,
  type PostTransactionOutcome,
  type Statement,
  type StatementEntry,
  type TransactionKind,
} from './ledger.js';
import { type ExecuteBatch, PostBatcher } from './post-batcher.js';

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

// One round trip and one commit for a whole batch of postings (post-batcher.ts).
const POST_TRANSACTIONS_SQL = {
  name: 'post_transactions',
  text: `SELECT outcome, limit_cents, balance_cents
           FROM post_transactions($1::int4[], $2::int8[], $3::"char"[], $4::text[], $5)`,
};

// One statement, so one snapshot: the balance and the latest rows agree.
const STATEMENT_SQL = {
  name: 'statement',
  text: `
    SELECT c.limit_cents, c.balance_cents,
           (extract(epoch FROM now()) * 1000000)::int8 AS statement_time_us,
           t.amount_cents, t.kind, t.description,
           (extract(epoch FROM t.created_at) * 1000000)::int8 AS created_at_us
      FROM clients c
      LEFT JOIN LATERAL (
        SELECT id, amount_cents, kind, description, created_at
          FROM transactions
         WHERE client_id = c.id
         ORDER BY id DESC
         LIMIT ${STATEMENT_TRANSACTIONS_MAX}
      ) t ON true
     WHERE c.id = $1
     ORDER BY t.id DESC`,
};

interface PostRow {
  outcome: 'applied' | 'client_not_found' | 'limit_exceeded' | 'balance_overflow';
  limit_cents: number | null;
  balance_cents: number | null;
}

interface StatementRow {
  limit_cents: number;
  balance_cents: number;
  statement_time_us: number;
  amount_cents: number | null;
  kind: 'c' | 'd' | null;
  description: string | null;
  created_at_us: number | null;
}

const DEADLINE_MARGIN_SHARE = 0.2;
const DEADLINE_MARGIN_MAX_MS = 100;
const LOCK_NOT_AVAILABLE = '55P03';

const KIND_CODES: Record<TransactionKind, 'c' | 'd'> = { credit: 'c', debit: 'd' };

// SQLSTATE classes that mean "the database is not able to answer now", not "your
// request is wrong": connection exceptions, insufficient resources, operator
// intervention (shutdown, statement timeout), lock timeout, rollbacks to retry.
const UNAVAILABLE_SQLSTATE = /^(08|53|57|40|55P03)/;
const UNAVAILABLE_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
]);
const UNAVAILABLE_MESSAGE =
  /Connection terminated|timeout exceeded when trying to connect|not queryable|Query read timeout|connection timeout/i;

function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (UNAVAILABLE_NODE_CODES.has(code)) return true;
    if (code.length === 5 && UNAVAILABLE_SQLSTATE.test(code)) return true;
  }
  return UNAVAILABLE_MESSAGE.test(error.message);
}

/** The connection itself failed (no SQLSTATE, a socket code, or class 08). */
function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string') return true;
  return UNAVAILABLE_NODE_CODES.has(code) || code.startsWith('08');
}

function toStoreError(error: unknown, scope?: CallScope): unknown {
  // A lock wait cut short by the caller's deadline: the statement rolled back.
  if ((error as { code?: unknown }).code === LOCK_NOT_AVAILABLE && scope !== undefined) {
    if (scope.deadlineMs - Date.now() <= DEADLINE_MARGIN_MAX_MS) {
      return new DeadlineExceededError(
        'deadline reached while waiting for the account lock; nothing was written',
      );
    }
  }
  return isUnavailable(error)
    ? new DatabaseUnavailableError((error as Error).message, { cause: error })
    : error;
}

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
   * The lock wait allowed to a call: the configured cap, or, if the caller's deadline
   * is nearer, what is left of it minus a margin, so that the refusal (and the
   * certainty that nothing was written) reaches the caller before its deadline.
   */
  function lockWaitMs(scope: CallScope): number {
    const remainingMs = scope.deadlineMs - Date.now();
    const marginMs = Math.min(DEADLINE_MARGIN_MAX_MS, remainingMs * DEADLINE_MARGIN_SHARE);
    return Math.max(1, Math.floor(Math.min(config.lockTimeoutMs, remainingMs - marginMs)));
  }

  /** `values` may be computed once the connection is in hand (a lock wait from the deadline). */
  async function run<Row extends pg.QueryResultRow>(
    query: { name: string; text: string },
    values: unknown[] | (() => unknown[]),
    scope: CallScope,
  ): Promise<Row[]> {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (error) {
      throw toStoreError(error);
    }
    // Waiting for a connection may have outlived the caller: then send nothing.
    if (scope.isCancelled()) {
      client.release();
      throw Date.now() >= scope.deadlineMs
        ? new DeadlineExceededError(
            'deadline passed while waiting for a database connection; nothing was written',
          )
        : new CallCancelledError('call cancelled before it reached the database');
    }
    try {
      const result = await client.query<Row>({
        ...query,
        values: typeof values === 'function' ? values() : values,
      });
      client.release();
      return result.rows;
    } catch (error) {
      // A broken connection must not go back to the pool; one that merely reported an
      // SQL error (a lock timeout, say) is fine and keeps its prepared statements.
      client.release(isConnectionError(error) ? (error as Error) : undefined);
      throw toStoreError(error, scope);
    }
  }

  const executeBatch: ExecuteBatch = async (batch) => {
    // The batch waits for locks no longer than its most urgent posting may.
    const scope: CallScope = {
      deadlineMs: Math.min(...batch.map((posting) => posting.scope.deadlineMs)),
      // Sent unless every caller has gone while the batch waited for a connection.
      isCancelled: () => batch.every((posting) => posting.scope.isCancelled()),
    };
    const rows = await run<PostRow>(
      POST_TRANSACTIONS_SQL,
      () => [
        batch.map((posting) => posting.command.clientId),
        batch.map((posting) => posting.command.amountCents),
        batch.map((posting) => KIND_CODES[posting.command.kind]),
        batch.map((posting) => posting.command.description),
        lockWaitMs(scope),
      ],
      scope,
    );
    return rows.map(toPostOutcome);
  };
  const batcher = new PostBatcher(executeBatch, {
    batchSizeMax: config.batchSizeMax,
    inFlightMax: config.batchesInFlightMax,
    queueLengthMax: config.postingQueueMax,
  });

  return {
    postTransaction: (command: PostTransactionCommand, scope: CallScope) =>
      batcher.submit(command, scope),

    async getStatement(clientId: number, scope: CallScope) {
      const rows = await run<StatementRow>(STATEMENT_SQL, [clientId], scope);
      return toStatement(rows);
    },

    async ping() {
      try {
        await healthPool.query('SELECT 1');
      } catch (error) {
        throw toStoreError(error);
      }
    },

    async warmUp() {
      const settled = await Promise.allSettled(
        Array.from({ length: config.poolSize }, () => pool.connect()),
      );
      const clients = settled.flatMap((each) => (each.status === 'fulfilled' ? [each.value] : []));
      // Client id 0 never exists: both statements run, get prepared and write nothing.
      const warmed = await Promise.allSettled(
        clients.map(async (client) => {
          try {
            await client.query({
              ...POST_TRANSACTIONS_SQL,
              values: [[0], [1], ['c'], ['warm-up'], 1],
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
      if (failure !== undefined) throw toStoreError(failure.reason);
    },

    async close() {
      await Promise.all([pool.end(), healthPool.end()]);
    },
  };
}

function toPostOutcome(row: PostRow): PostTransactionOutcome {
  switch (row.outcome) {
    case 'applied':
    case 'limit_exceeded':
      assert.ok(row.limit_cents !== null && row.balance_cents !== null);
      return { type: row.outcome, limitCents: row.limit_cents, balanceCents: row.balance_cents };
    case 'client_not_found':
    case 'balance_overflow':
      return { type: row.outcome };
  }
}

function toStatement(rows: StatementRow[]): Statement | null {
  const first = rows[0];
  if (first === undefined) return null;
  const latestTransactions: StatementEntry[] = [];
  for (const row of rows) {
    if (row.amount_cents === null) continue; // the LEFT JOIN's row for a client with none
    assert.ok(row.kind !== null && row.description !== null && row.created_at_us !== null);
    latestTransactions.push({
      amountCents: row.amount_cents,
      kind: row.kind === 'c' ? 'credit' : 'debit',
      description: row.description,
      createdAtMicros: row.created_at_us,
    });
  }
  return {
    limitCents: first.limit_cents,
    balanceCents: first.balance_cents,
    statementTimeMicros: first.statement_time_us,
    latestTransactions,
  };
}

export interface ClientAudit {
  readonly clientId: number;
  readonly limitCents: number;
  readonly balanceCents: number;
  /** Credits minus debits of the client's recorded transactions. */
  readonly recomputedBalanceCents: number;
  /** The lowest balance reached when replaying the transactions in commit order. */
  readonly lowestBalanceCents: number;
  readonly transactionCount: number;
}

// Recomputes every balance from the recorded transactions in one read-only snapshot,
// independently of the balances the ledger maintains.
const AUDIT_SQL = `
  WITH replay AS (
    SELECT client_id,
           sum(CASE kind WHEN 'c' THEN amount_cents ELSE -amount_cents END)
             OVER (PARTITION BY client_id ORDER BY id) AS balance_after,
           row_number() OVER (PARTITION BY client_id ORDER BY id DESC) AS newest_rank
      FROM transactions
  ), per_client AS (
    SELECT client_id, count(*) AS count, min(balance_after) AS lowest,
           max(balance_after) FILTER (WHERE newest_rank = 1) AS recomputed
      FROM replay
     GROUP BY client_id
  )
  SELECT c.id AS client_id, c.limit_cents, c.balance_cents,
         coalesce(p.recomputed, 0)::int8 AS recomputed,
         least(coalesce(p.lowest, 0), 0)::int8 AS lowest,
         coalesce(p.count, 0)::int8 AS count
    FROM clients c
    LEFT JOIN per_client p ON p.client_id = c.id
   ORDER BY c.id`;

interface AuditRow {
  client_id: number;
  limit_cents: number;
  balance_cents: number;
  recomputed: number;
  lowest: number;
  count: number;
}

export async function auditDatabase(databaseUrl: string): Promise<ClientAudit[]> {
  const client = new pg.Client({ connectionString: databaseUrl, types: typeParsers });
  await client.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const { rows } = await client.query<AuditRow>(AUDIT_SQL);
    await client.query('COMMIT');
    return rows.map((row) => ({
      clientId: row.client_id,
      limitCents: row.limit_cents,
      balanceCents: row.balance_cents,
      recomputedBalanceCents: row.recomputed,
      lowestBalanceCents: row.lowest,
      transactionCount: row.count,
    }));
  } finally {
    await client.end();
  }
}
