// Original file: ledger/v1/ledger.proto

import type { TimestampInput as _google_protobuf_TimestampInput, Timestamp as _google_protobuf_Timestamp } from '../../google/protobuf/Timestamp';
import type { TransactionInput as _ledger_v1_TransactionInput, Transaction as _ledger_v1_Transaction } from '../../ledger/v1/Transaction';
import type { Long } from '@grpc/proto-loader';

export interface GetStatementResponseInput {
  /**
   * The current balance in cents, counting every transaction ever recorded.
   */
  'balance'?: (number | string | Long);
  /**
   * The client's overdraft limit in cents.
   */
  'limit'?: (number | string | Long);
  /**
   * When this statement was taken.
   */
  'statementTime'?: (_google_protobuf_TimestampInput | null);
  /**
   * At most the 10 latest transactions, newest (last committed) first.
   */
  'latestTransactions'?: (_ledger_v1_TransactionInput)[];
}

export interface GetStatementResponse {
  /**
   * The current balance in cents, counting every transaction ever recorded.
   */
  'balance': (number);
  /**
   * The client's overdraft limit in cents.
   */
  'limit': (number);
  /**
   * When this statement was taken.
   */
  'statementTime': (_google_protobuf_Timestamp | null);
  /**
   * At most the 10 latest transactions, newest (last committed) first.
   */
  'latestTransactions': (_ledger_v1_Transaction)[];
}
