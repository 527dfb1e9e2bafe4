// Original file: ledger/v1/ledger.proto

import type { TransactionKindInput as _ledger_v1_TransactionKindInput, TransactionKind as _ledger_v1_TransactionKind } from '../../ledger/v1/TransactionKind';
import type { Long } from '@grpc/proto-loader';

export interface PostTransactionRequestInput {
  /**
   * The client account, a positive integer (the five accounts are 1 to 5).
   */
  'clientId'?: (number);
  /**
   * The amount in cents: 1 to 2147483647.
   */
  'amount'?: (number | string | Long);
  /**
   * Credit or debit; UNSPECIFIED is rejected.
   */
  'kind'?: (_ledger_v1_TransactionKindInput);
  /**
   * Free text of 1 to 10 Unicode code points, stored verbatim; no NUL character.
   */
  'description'?: (string);
}

export interface PostTransactionRequest {
  /**
   * The client account, a positive integer (the five accounts are 1 to 5).
   */
  'clientId': (number);
  /**
   * The amount in cents: 1 to 2147483647.
   */
  'amount': (number);
  /**
   * Credit or debit; UNSPECIFIED is rejected.
   */
  'kind': (_ledger_v1_TransactionKind);
  /**
   * Free text of 1 to 10 Unicode code points, stored verbatim; no NUL character.
   */
  'description': (string);
}
