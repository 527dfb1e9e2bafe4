// The ledger's SQL and the mapping of its rows to domain values: pure, so db.ts holds
// only the connection handling. The statement texts are prepared once per connection.
import assert from 'node:assert/strict';
import { STATEMENT_TRANSACTIONS_MAX } from '../proto/rules.js';
import type {
  PostTransactionCommand,
  PostTransactionOutcome,
  Statement,
  StatementEntry,
  TransactionKind,
} from './ledger.js';

const KIND_CODES: Record<TransactionKind, 'c' | 'd'> = { credit: 'c', debit: 'd' };
/** The batch function's parameters: one array per column, keys only when some posting has one. */
export function batchValues(
  commands: readonly PostTransactionCommand[],
  waitMs: number,
): unknown[] {
  return [
    commands.map((command) => command.clientId),
    commands.map((command) => command.amountCents),
    commands.map((command) => KIND_CODES[command.kind]),
    commands.map((command) => command.description),
    // A batch without keys sends none, so the function skips their handling at no cost.
    commands.some((command) => command.idempotencyKey !== null)
      ? commands.map((command) => command.idempotencyKey)
      : null,
    waitMs,
  ];
}
// One round trip and one commit for a whole batch of postings (init.sql).
export const POST_BATCH_SQL = {
  name: 'post_transactions',
  text: `SELECT outcome, limit_cents, balance_cents, transaction_id, created_at_us, replayed
           FROM post_transactions($1::int4[], $2::int8[], $3::"char"[], $4::text[], $5::text[], $6)`,
};

// Small batches (init.sql): pruning never holds up postings for long.
export const PRUNE_KEYS_SQL = {
  name: 'prune_idempotency_keys',
  text: 'SELECT prune_idempotency_keys($1, $2) AS deleted',
};

// One statement, so one snapshot: the balance and the latest rows agree.
export const STATEMENT_SQL = {
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

export interface PostRow {
  outcome: 'applied' | 'client_not_found' | 'limit_exceeded' | 'balance_overflow' | 'key_reused';
  limit_cents: number | null;
  balance_cents: number | null;
  transaction_id: number | null;
  created_at_us: number | null;
  replayed: boolean;
}

export interface StatementRow {
  limit_cents: number;
  balance_cents: number;
  statement_time_us: number;
  amount_cents: number | null;
  kind: 'c' | 'd' | null;
  description: string | null;
  created_at_us: number | null;
}

export function toPostOutcome(row: PostRow): PostTransactionOutcome {
  const { replayed } = row;
  switch (row.outcome) {
    case 'applied':
      assert.ok(row.limit_cents !== null && row.balance_cents !== null);
      assert.ok(row.transaction_id !== null && row.created_at_us !== null);
      return {
        type: 'applied',
        limitCents: row.limit_cents,
        balanceCents: row.balance_cents,
        transactionId: row.transaction_id,
        createdAtMicros: row.created_at_us,
        replayed,
      };
    case 'limit_exceeded':
      assert.ok(row.limit_cents !== null && row.balance_cents !== null);
      return {
        type: 'limit_exceeded',
        limitCents: row.limit_cents,
        balanceCents: row.balance_cents,
        replayed,
      };
    case 'balance_overflow':
      return { type: 'balance_overflow', replayed };
    case 'client_not_found':
    case 'key_reused':
      return { type: row.outcome };
  }
}

export function toStatement(rows: StatementRow[]): Statement | null {
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
  /** Idempotency keys that do not point at exactly one matching transaction of their own. */
  readonly keyViolationCount: number;
}

// Recomputes every balance from the recorded transactions in one read-only snapshot,
// independently of the balances the ledger maintains.
export const AUDIT_SQL = `
  WITH replay AS (
    SELECT client_id, id,
           sum(CASE kind WHEN 'c' THEN amount_cents ELSE -amount_cents END)
             OVER (PARTITION BY client_id ORDER BY id) AS balance_after,
           row_number() OVER (PARTITION BY client_id ORDER BY id DESC) AS newest_rank
      FROM transactions
  ), per_client AS (
    SELECT client_id, count(*) AS count, min(balance_after) AS lowest,
           max(balance_after) FILTER (WHERE newest_rank = 1) AS recomputed
      FROM replay
     GROUP BY client_id
  ), per_client_keys AS (
    -- An applied key must point at one transaction of its own, with the same request and
    -- the balance that the replayed history had right after it.
    SELECT k.client_id,
           count(*) FILTER (WHERE k.outcome = 'applied' AND (
             t.id IS NULL OR t.amount_cents <> k.amount_cents OR t.kind <> k.kind
             OR t.description <> k.description OR r.balance_after <> k.balance_cents))
           + count(k.transaction_id) - count(DISTINCT k.transaction_id) AS violations
      FROM idempotency_keys k
      LEFT JOIN transactions t ON t.client_id = k.client_id AND t.id = k.transaction_id
      LEFT JOIN replay r ON r.client_id = k.client_id AND r.id = k.transaction_id
     GROUP BY k.client_id
  )
  SELECT c.id AS client_id, c.limit_cents, c.balance_cents,
         coalesce(p.recomputed, 0)::int8 AS recomputed,
         least(coalesce(p.lowest, 0), 0)::int8 AS lowest,
         coalesce(p.count, 0)::int8 AS count,
         coalesce(pk.violations, 0)::int8 AS key_violations
    FROM clients c
    LEFT JOIN per_client p ON p.client_id = c.id
    LEFT JOIN per_client_keys pk ON pk.client_id = c.id
   ORDER BY c.id`;

export interface AuditRow {
  client_id: number;
  limit_cents: number;
  balance_cents: number;
  recomputed: number;
  lowest: number;
  count: number;
  key_violations: number;
}

export function toClientAudit(row: AuditRow): ClientAudit {
  return {
    clientId: row.client_id,
    limitCents: row.limit_cents,
    balanceCents: row.balance_cents,
    recomputedBalanceCents: row.recomputed,
    lowestBalanceCents: row.lowest,
    transactionCount: row.count,
    keyViolationCount: row.key_violations,
  };
}
