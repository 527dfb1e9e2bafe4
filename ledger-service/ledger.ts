// The ledger's domain vocabulary: commands, outcomes and statements as plain values.
// A business "no" (unknown client, limit exceeded) is an outcome, not an exception:
// callers switch on `type` exhaustively and map it to a status in one table.

export type TransactionKind = 'credit' | 'debit';

export interface PostTransactionCommand {
  readonly clientId: number;
  readonly amountCents: number;
  readonly kind: TransactionKind;
  readonly description: string;
}

export type PostTransactionOutcome =
  | { readonly type: 'applied'; readonly limitCents: number; readonly balanceCents: number }
  | { readonly type: 'client_not_found' }
  | { readonly type: 'limit_exceeded'; readonly limitCents: number; readonly balanceCents: number }
  | { readonly type: 'balance_overflow' };

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

/** Lets the storage layer skip work for a call whose caller has gone or whose deadline passed. */
export interface CallScope {
  readonly isCancelled: () => boolean;
  /** The caller's deadline in epoch milliseconds; Infinity when it set none. */
  readonly deadlineMs: number;
}

/** What the gRPC layer needs from storage; db.ts implements it on PostgreSQL. */
export interface LedgerStore {
  postTransaction(
    command: PostTransactionCommand,
    scope: CallScope,
  ): Promise<PostTransactionOutcome>;
  /** Null when the client does not exist. */
  getStatement(clientId: number, scope: CallScope): Promise<Statement | null>;
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

/** The caller cancelled or its deadline passed before the work was sent to the database. */
export class CallCancelledError extends Error {
  override name = 'CallCancelledError';
}

/** The caller's deadline came before the work could be done; nothing was written. */
export class DeadlineExceededError extends Error {
  override name = 'DeadlineExceededError';
}
