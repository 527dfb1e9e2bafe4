// Original file: ledger/v1/ledger.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { GetStatementRequestInput as _ledger_v1_GetStatementRequestInput, GetStatementRequest as _ledger_v1_GetStatementRequest } from '../../ledger/v1/GetStatementRequest';
import type { GetStatementResponseInput as _ledger_v1_GetStatementResponseInput, GetStatementResponse as _ledger_v1_GetStatementResponse } from '../../ledger/v1/GetStatementResponse';
import type { PipelineRequestInput as _ledger_v1_PipelineRequestInput, PipelineRequest as _ledger_v1_PipelineRequest } from '../../ledger/v1/PipelineRequest';
import type { PipelineResponseInput as _ledger_v1_PipelineResponseInput, PipelineResponse as _ledger_v1_PipelineResponse } from '../../ledger/v1/PipelineResponse';
import type { PostTransactionRequestInput as _ledger_v1_PostTransactionRequestInput, PostTransactionRequest as _ledger_v1_PostTransactionRequest } from '../../ledger/v1/PostTransactionRequest';
import type { PostTransactionResponseInput as _ledger_v1_PostTransactionResponseInput, PostTransactionResponse as _ledger_v1_PostTransactionResponse } from '../../ledger/v1/PostTransactionResponse';

/**
 * The ledger of client accounts. It alone owns the accounts' storage.
 */
export interface LedgerServiceClient extends grpc.Client {
  /**
   * Reads a client's balance, limit and latest transactions as one consistent snapshot.
   */
  GetStatement(argument: _ledger_v1_GetStatementRequestInput, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_ledger_v1_GetStatementResponse>): grpc.ClientUnaryCall;
  GetStatement(argument: _ledger_v1_GetStatementRequestInput, metadata: grpc.Metadata, callback: grpc.requestCallback<_ledger_v1_GetStatementResponse>): grpc.ClientUnaryCall;
  GetStatement(argument: _ledger_v1_GetStatementRequestInput, options: grpc.CallOptions, callback: grpc.requestCallback<_ledger_v1_GetStatementResponse>): grpc.ClientUnaryCall;
  GetStatement(argument: _ledger_v1_GetStatementRequestInput, callback: grpc.requestCallback<_ledger_v1_GetStatementResponse>): grpc.ClientUnaryCall;
  /**
   * Reads a client's balance, limit and latest transactions as one consistent snapshot.
   */
  getStatement(argument: _ledger_v1_GetStatementRequestInput, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_ledger_v1_GetStatementResponse>): grpc.ClientUnaryCall;
  getStatement(argument: _ledger_v1_GetStatementRequestInput, metadata: grpc.Metadata, callback: grpc.requestCallback<_ledger_v1_GetStatementResponse>): grpc.ClientUnaryCall;
  getStatement(argument: _ledger_v1_GetStatementRequestInput, options: grpc.CallOptions, callback: grpc.requestCallback<_ledger_v1_GetStatementResponse>): grpc.ClientUnaryCall;
  getStatement(argument: _ledger_v1_GetStatementRequestInput, callback: grpc.requestCallback<_ledger_v1_GetStatementResponse>): grpc.ClientUnaryCall;
  
  /**
   * The same two operations for high-volume internal callers (the HTTP facades): many
   * operations over one long-lived stream, each with its own id, timeout and status,
   * answered as each completes (not in request order). Same rules, same invariant,
   * same status codes as the unary RPCs; a unary call costs several times the CPU of a
   * message on an open stream. If the stream breaks, the outcome of the operations
   * still pending is unknown to the caller, as for unary calls cut off in flight.
   */
  Pipeline(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_ledger_v1_PipelineRequestInput, _ledger_v1_PipelineResponse>;
  Pipeline(options?: grpc.CallOptions): grpc.ClientDuplexStream<_ledger_v1_PipelineRequestInput, _ledger_v1_PipelineResponse>;
  /**
   * The same two operations for high-volume internal callers (the HTTP facades): many
   * operations over one long-lived stream, each with its own id, timeout and status,
   * answered as each completes (not in request order). Same rules, same invariant,
   * same status codes as the unary RPCs; a unary call costs several times the CPU of a
   * message on an open stream. If the stream breaks, the outcome of the operations
   * still pending is unknown to the caller, as for unary calls cut off in flight.
   */
  pipeline(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_ledger_v1_PipelineRequestInput, _ledger_v1_PipelineResponse>;
  pipeline(options?: grpc.CallOptions): grpc.ClientDuplexStream<_ledger_v1_PipelineRequestInput, _ledger_v1_PipelineResponse>;
  
  /**
   * Applies one credit or debit atomically and returns the balance right after it.
   * The OK answer is sent only once the transaction is durably committed.
   */
  PostTransaction(argument: _ledger_v1_PostTransactionRequestInput, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_ledger_v1_PostTransactionResponse>): grpc.ClientUnaryCall;
  PostTransaction(argument: _ledger_v1_PostTransactionRequestInput, metadata: grpc.Metadata, callback: grpc.requestCallback<_ledger_v1_PostTransactionResponse>): grpc.ClientUnaryCall;
  PostTransaction(argument: _ledger_v1_PostTransactionRequestInput, options: grpc.CallOptions, callback: grpc.requestCallback<_ledger_v1_PostTransactionResponse>): grpc.ClientUnaryCall;
  PostTransaction(argument: _ledger_v1_PostTransactionRequestInput, callback: grpc.requestCallback<_ledger_v1_PostTransactionResponse>): grpc.ClientUnaryCall;
  /**
   * Applies one credit or debit atomically and returns the balance right after it.
   * The OK answer is sent only once the transaction is durably committed.
   */
  postTransaction(argument: _ledger_v1_PostTransactionRequestInput, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_ledger_v1_PostTransactionResponse>): grpc.ClientUnaryCall;
  postTransaction(argument: _ledger_v1_PostTransactionRequestInput, metadata: grpc.Metadata, callback: grpc.requestCallback<_ledger_v1_PostTransactionResponse>): grpc.ClientUnaryCall;
  postTransaction(argument: _ledger_v1_PostTransactionRequestInput, options: grpc.CallOptions, callback: grpc.requestCallback<_ledger_v1_PostTransactionResponse>): grpc.ClientUnaryCall;
  postTransaction(argument: _ledger_v1_PostTransactionRequestInput, callback: grpc.requestCallback<_ledger_v1_PostTransactionResponse>): grpc.ClientUnaryCall;
  
}

/**
 * The ledger of client accounts. It alone owns the accounts' storage.
 */
export interface LedgerServiceHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Reads a client's balance, limit and latest transactions as one consistent snapshot.
   */
  GetStatement: grpc.handleUnaryCall<_ledger_v1_GetStatementRequest, _ledger_v1_GetStatementResponseInput>;
  
  /**
   * The same two operations for high-volume internal callers (the HTTP facades): many
   * operations over one long-lived stream, each with its own id, timeout and status,
   * answered as each completes (not in request order). Same rules, same invariant,
   * same status codes as the unary RPCs; a unary call costs several times the CPU of a
   * message on an open stream. If the stream breaks, the outcome of the operations
   * still pending is unknown to the caller, as for unary calls cut off in flight.
   */
  Pipeline: grpc.handleBidiStreamingCall<_ledger_v1_PipelineRequest, _ledger_v1_PipelineResponseInput>;
  
  /**
   * Applies one credit or debit atomically and returns the balance right after it.
   * The OK answer is sent only once the transaction is durably committed.
   */
  PostTransaction: grpc.handleUnaryCall<_ledger_v1_PostTransactionRequest, _ledger_v1_PostTransactionResponseInput>;
  
}

export interface LedgerServiceDefinition extends grpc.ServiceDefinition {
  GetStatement: MethodDefinition<_ledger_v1_GetStatementRequestInput, _ledger_v1_GetStatementResponseInput, _ledger_v1_GetStatementRequest, _ledger_v1_GetStatementResponse>
  Pipeline: MethodDefinition<_ledger_v1_PipelineRequestInput, _ledger_v1_PipelineResponseInput, _ledger_v1_PipelineRequest, _ledger_v1_PipelineResponse>
  PostTransaction: MethodDefinition<_ledger_v1_PostTransactionRequestInput, _ledger_v1_PostTransactionResponseInput, _ledger_v1_PostTransactionRequest, _ledger_v1_PostTransactionResponse>
}
