// A hand-written LedgerClient for facade tests that need a ledger answer the real one
// cannot easily give (INTERNAL, RESOURCE_EXHAUSTED...), or a ledger that answers
// without a database. It stubs the gRPC client only: tests that touch balances use
// the real ledger on a real PostgreSQL (tests/support/ledger.ts).
import type { LedgerClient, LedgerReply, LedgerStatus } from '../../http-facade/ledger-client.js';
import type { GetStatementResponse } from '../../proto/generated/ledger/v1/GetStatementResponse.js';
import type { PostTransactionRequestInput } from '../../proto/generated/ledger/v1/PostTransactionRequest.js';
import type { PostTransactionResponse } from '../../proto/generated/ledger/v1/PostTransactionResponse.js';

export interface StubLedger extends LedgerClient {
  /** Every posting received, in order. */
  readonly postings: PostTransactionRequestInput[];
}

/** A ledger whose every call fails with one status. */
export function failingLedger(code: LedgerStatus, details: string): StubLedger {
  const failure = { ok: false, code, details } as const;
  return {
    postings: [],
    async postTransaction(request) {
      this.postings.push(request);
      return failure;
    },
    getStatement: async () => failure,
    isServing: async () => false,
    close: () => {},
  };
}

/** A ledger in memory that applies credits to one running balance, in arrival order. */
export function countingLedger(limit = 100_000): StubLedger {
  let balance = 0;
  const postings: PostTransactionRequestInput[] = [];
  return {
    postings,
    async postTransaction(request): Promise<LedgerReply<PostTransactionResponse>> {
      postings.push(request);
      balance += Number(request.amount);
      return { ok: true, value: { balance, limit } as PostTransactionResponse };
    },
    async getStatement(): Promise<LedgerReply<GetStatementResponse>> {
      const value = { balance, limit, statementTime: null, latestTransactions: [] };
      return { ok: true, value: value as unknown as GetStatementResponse };
    },
    isServing: async () => true,
    close: () => {},
  };
}
