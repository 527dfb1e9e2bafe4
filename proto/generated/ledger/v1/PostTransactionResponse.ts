// Original file: ledger/v1/ledger.proto

import type { Long } from '@grpc/proto-loader';

export interface PostTransactionResponseInput {
  /**
   * The client's overdraft limit in cents: the balance never goes below -limit.
   */
  'limit'?: (number | string | Long);
  /**
   * The balance in cents right after this transaction was applied.
   */
  'balance'?: (number | string | Long);
}

export interface PostTransactionResponse {
  /**
   * The client's overdraft limit in cents: the balance never goes below -limit.
   */
  'limit': (number);
  /**
   * The balance in cents right after this transaction was applied.
   */
  'balance': (number);
}
