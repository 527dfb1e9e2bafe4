// Original file: ledger/v1/ledger.proto

import type { TimestampInput as _google_protobuf_TimestampInput, Timestamp as _google_protobuf_Timestamp } from '../../google/protobuf/Timestamp';
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
  /**
   * The ledger's id of the transaction, unique per client, increasing in commit order.
   */
  'transactionId'?: (number | string | Long);
  /**
   * When the transaction was committed (microsecond precision).
   */
  'createdAt'?: (_google_protobuf_TimestampInput | null);
  /**
   * True when this is the recorded outcome of an earlier request with the same
   * idempotency key, answered again rather than applied again.
   */
  'replayed'?: (boolean);
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
  /**
   * The ledger's id of the transaction, unique per client, increasing in commit order.
   */
  'transactionId': (number);
  /**
   * When the transaction was committed (microsecond precision).
   */
  'createdAt': (_google_protobuf_Timestamp | null);
  /**
   * True when this is the recorded outcome of an earlier request with the same
   * idempotency key, answered again rather than applied again.
   */
  'replayed': (boolean);
}
