// Original file: ledger/v1/ledger.proto

import type { TransactionKindInput as _ledger_v1_TransactionKindInput, TransactionKind as _ledger_v1_TransactionKind } from '../../ledger/v1/TransactionKind';
import type { TimestampInput as _google_protobuf_TimestampInput, Timestamp as _google_protobuf_Timestamp } from '../../google/protobuf/Timestamp';
import type { Long } from '@grpc/proto-loader';

/**
 * One recorded transaction.
 */
export interface TransactionInput {
  /**
   * The amount in cents, always positive.
   */
  'amount'?: (number | string | Long);
  /**
   * Credit or debit.
   */
  'kind'?: (_ledger_v1_TransactionKindInput);
  /**
   * The description as it was posted.
   */
  'description'?: (string);
  /**
   * When the transaction was committed (microsecond precision).
   */
  'createdAt'?: (_google_protobuf_TimestampInput | null);
}

/**
 * One recorded transaction.
 */
export interface Transaction {
  /**
   * The amount in cents, always positive.
   */
  'amount': (number);
  /**
   * Credit or debit.
   */
  'kind': (_ledger_v1_TransactionKind);
  /**
   * The description as it was posted.
   */
  'description': (string);
  /**
   * When the transaction was committed (microsecond precision).
   */
  'createdAt': (_google_protobuf_Timestamp | null);
}
