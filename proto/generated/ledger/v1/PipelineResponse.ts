// Original file: ledger/v1/ledger.proto

import type { PostTransactionResponseInput as _ledger_v1_PostTransactionResponseInput, PostTransactionResponse as _ledger_v1_PostTransactionResponse } from '../../ledger/v1/PostTransactionResponse';
import type { GetStatementResponseInput as _ledger_v1_GetStatementResponseInput, GetStatementResponse as _ledger_v1_GetStatementResponse } from '../../ledger/v1/GetStatementResponse';
import type { Long } from '@grpc/proto-loader';

export interface PipelineResponseInput {
  /**
   * The request_id of the operation this answers.
   */
  'requestId'?: (number | string | Long);
  /**
   * The operation's canonical status code, numbered as grpc-status (0 OK, 3
   * INVALID_ARGUMENT, 4 DEADLINE_EXCEEDED, 5 NOT_FOUND, 9 FAILED_PRECONDITION,
   * 14 UNAVAILABLE...).
   */
  'statusCode'?: (number);
  /**
   * Why, when the status is not OK.
   */
  'statusMessage'?: (string);
  'postTransaction'?: (_ledger_v1_PostTransactionResponseInput | null);
  'getStatement'?: (_ledger_v1_GetStatementResponseInput | null);
  /**
   * True when a posting's refusal is the recorded outcome of an earlier request with the
   * same idempotency key (an OK replay says so in PostTransactionResponse.replayed). The
   * unary PostTransaction says it in the trailing metadata `idempotency-replayed: true`.
   */
  'replayed'?: (boolean);
  /**
   * The result when the status is OK, of the operation's kind.
   */
  'result'?: "postTransaction"|"getStatement";
}

export interface PipelineResponse {
  /**
   * The request_id of the operation this answers.
   */
  'requestId': (number);
  /**
   * The operation's canonical status code, numbered as grpc-status (0 OK, 3
   * INVALID_ARGUMENT, 4 DEADLINE_EXCEEDED, 5 NOT_FOUND, 9 FAILED_PRECONDITION,
   * 14 UNAVAILABLE...).
   */
  'statusCode': (number);
  /**
   * Why, when the status is not OK.
   */
  'statusMessage': (string);
  'postTransaction'?: (_ledger_v1_PostTransactionResponse | null);
  'getStatement'?: (_ledger_v1_GetStatementResponse | null);
  /**
   * True when a posting's refusal is the recorded outcome of an earlier request with the
   * same idempotency key (an OK replay says so in PostTransactionResponse.replayed). The
   * unary PostTransaction says it in the trailing metadata `idempotency-replayed: true`.
   */
  'replayed': (boolean);
  /**
   * The result when the status is OK, of the operation's kind.
   */
  'result'?: "postTransaction"|"getStatement";
}
