// The ledger's domain vocabulary: commands, outcomes and statements as plain values.
// A business "no" (unknown client, limit exceeded) is an outcome, not an exception:
// callers switch on `type` exhaustively and map it to a status in one table.
import type { CallScope } from './deadlines.js';

export type TransactionKind = 'credit' | 'debit';

export interface PostTransactionCommand {
  readonly clientId: number;
  readonly amountCents: number;
  readonly kind: TransactionKind;
  readonly description: string;
  /** The caller's key for a safe retry (scoped to the client), or null for none. */
  readonly idempotencyKey: string | null;
}

/**
 * What became of a posting. `replayed` marks the recorded outcome of an earlier posting
 * with the same idempotency key, answered again instead of applied again.
 */
export type PostTransactionOutcome =
  | {
      readonly type: 'applied';
      readonly limitCents: number;
      readonly balanceCents: number;
      readonly transactionId: number;
      readonly createdAtMicros: number;
      readonly replayed: boolean;
    }
  | { readonly type: 'client_not_found' }
  | {
      readonly type: 'limit_exceeded';
      readonly limitCents: number;
      readonly balanceCents: number;
      readonly replayed: boolean;
    }
  | { readonly type: 'balance_overflow'; readonly replayed: boolean }
  /** The idempotency key was first used for a different request: nothing written. */
  | { readonly type: 'key_reused' };

export interface StatementEntry {
  readonly amountCents: number;
  readonly kind: TransactionKind;
  readonly description: string;
  readonly createdAtMicros: number;
}

export interface Statement {
  readonly limitCents: number;
  readonly balanceCents: number;
  readonly statementTimeMicros: number;
  /** Newest first, at most STATEMENT_TRANSACTIONS_MAX. */
  readonly latestTransactions: readonly StatementEntry[];
}

/** What the ledger needs from storage; db.ts implements it on PostgreSQL. */
export interface LedgerStore {
  /**
   * Applies a batch of postings in one round trip and one commit, in the given order
   * (the caller orders it for locking), and returns one outcome per posting in that
   * order. It fails as a whole (nothing written) or answers every posting.
   */
  postBatch(
    commands: readonly PostTransactionCommand[],
    scope: CallScope,
  ): Promise<PostTransactionOutcome[]>;
  /** Null when the client does not exist. */
  getStatement(clientId: number, scope: CallScope): Promise<Statement | null>;
  /**
   * Deletes up to `limit` idempotency keys recorded before `before`, oldest first, and
   * resolves with how many it deleted.
   */
  pruneIdempotencyKeys(before: Date, limit: number): Promise<number>;
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  /**
   * Opens every pooled connection and prepares both statements on each, so the first
   * requests after a start do not pay for connecting, authenticating and planning.
   */
  warmUp(): Promise<void>;
  close(): Promise<void>;
}

/** The database could not be reached or did not answer in time: retry later. */
export class DatabaseUnavailableError extends Error {
  override name = 'DatabaseUnavailableError';
}
