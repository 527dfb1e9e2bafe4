// Original file: ledger/v1/ledger.proto

import type { PostTransactionRequestInput as _ledger_v1_PostTransactionRequestInput, PostTransactionRequest as _ledger_v1_PostTransactionRequest } from '../../ledger/v1/PostTransactionRequest';
import type { GetStatementRequestInput as _ledger_v1_GetStatementRequestInput, GetStatementRequest as _ledger_v1_GetStatementRequest } from '../../ledger/v1/GetStatementRequest';
import type { Long } from '@grpc/proto-loader';

export interface PipelineRequestInput {
  /**
   * Chosen by the caller and echoed in the response; unique among its pending operations.
   */
  'requestId'?: (number | string | Long);
  /**
   * How long the caller waits for this operation, in milliseconds (1 to 60000): the
   * operation's deadline, honoured as a unary call's deadline is.
   */
  'timeoutMs'?: (number);
  'postTransaction'?: (_ledger_v1_PostTransactionRequestInput | null);
  'getStatement'?: (_ledger_v1_GetStatementRequestInput | null);
  /**
   * The id of the request this operation serves (the facade's x-request-id), for log
   * lines: 1 to 128 visible ASCII characters, ignored otherwise. Unary calls carry it
   * as `x-request-id` metadata; a stream's metadata is one for all its operations.
   */
  'requestTag'?: (string);
  /**
   * Exactly one operation.
   */
  'operation'?: "postTransaction"|"getStatement";
}

export interface PipelineRequest {
  /**
   * Chosen by the caller and echoed in the response; unique among its pending operations.
   */
  'requestId': (number);
  /**
   * How long the caller waits for this operation, in milliseconds (1 to 60000): the
   * operation's deadline, honoured as a unary call's deadline is.
   */
  'timeoutMs': (number);
  'postTransaction'?: (_ledger_v1_PostTransactionRequest | null);
  'getStatement'?: (_ledger_v1_GetStatementRequest | null);
  /**
   * The id of the request this operation serves (the facade's x-request-id), for log
   * lines: 1 to 128 visible ASCII characters, ignored otherwise. Unary calls carry it
   * as `x-request-id` metadata; a stream's metadata is one for all its operations.
   */
  'requestTag': (string);
  /**
   * Exactly one operation.
   */
  'operation'?: "postTransaction"|"getStatement";
}
