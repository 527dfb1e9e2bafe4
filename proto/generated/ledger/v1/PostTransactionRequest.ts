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
  /**
   * Optional (empty for none): 1 to 64 visible ASCII characters (0x21 to 0x7E) chosen
   * by the caller, scoped to the client account and kept at least 24 hours. A retry
   * with the same key and the same request gets the original outcome (the same
   * transaction_id and balance, or the same refusal), never a second posting; the same
   * key with a different request is refused with ALREADY_EXISTS. A request in flight
   * with a key waits for an earlier one with that key and then gets its outcome.
   */
  'idempotencyKey'?: (string);
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
  /**
   * Optional (empty for none): 1 to 64 visible ASCII characters (0x21 to 0x7E) chosen
   * by the caller, scoped to the client account and kept at least 24 hours. A retry
   * with the same key and the same request gets the original outcome (the same
   * transaction_id and balance, or the same refusal), never a second posting; the same
   * key with a different request is refused with ALREADY_EXISTS. A request in flight
   * with a key waits for an earlier one with that key and then gets its outcome.
   */
  'idempotencyKey': (string);
}
