import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { TimestampInput as _google_protobuf_TimestampInput, Timestamp as _google_protobuf_Timestamp } from './google/protobuf/Timestamp';
import type { GetStatementRequestInput as _ledger_v1_GetStatementRequestInput, GetStatementRequest as _ledger_v1_GetStatementRequest } from './ledger/v1/GetStatementRequest';
import type { GetStatementResponseInput as _ledger_v1_GetStatementResponseInput, GetStatementResponse as _ledger_v1_GetStatementResponse } from './ledger/v1/GetStatementResponse';
import type { LedgerServiceClient as _ledger_v1_LedgerServiceClient, LedgerServiceDefinition as _ledger_v1_LedgerServiceDefinition } from './ledger/v1/LedgerService';
import type { PipelineRequestInput as _ledger_v1_PipelineRequestInput, PipelineRequest as _ledger_v1_PipelineRequest } from './ledger/v1/PipelineRequest';
import type { PipelineResponseInput as _ledger_v1_PipelineResponseInput, PipelineResponse as _ledger_v1_PipelineResponse } from './ledger/v1/PipelineResponse';
import type { PostTransactionRequestInput as _ledger_v1_PostTransactionRequestInput, PostTransactionRequest as _ledger_v1_PostTransactionRequest } from './ledger/v1/PostTransactionRequest';
import type { PostTransactionResponseInput as _ledger_v1_PostTransactionResponseInput, PostTransactionResponse as _ledger_v1_PostTransactionResponse } from './ledger/v1/PostTransactionResponse';
import type { TransactionInput as _ledger_v1_TransactionInput, Transaction as _ledger_v1_Transaction } from './ledger/v1/Transaction';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  google: {
    protobuf: {
      Timestamp: MessageTypeDefinition<_google_protobuf_TimestampInput, _google_protobuf_Timestamp>
    }
  }
  ledger: {
    v1: {
      GetStatementRequest: MessageTypeDefinition<_ledger_v1_GetStatementRequestInput, _ledger_v1_GetStatementRequest>
      GetStatementResponse: MessageTypeDefinition<_ledger_v1_GetStatementResponseInput, _ledger_v1_GetStatementResponse>
      /**
       * The ledger of client accounts. It alone owns the accounts' storage.
       */
      LedgerService: SubtypeConstructor<typeof grpc.Client, _ledger_v1_LedgerServiceClient> & { service: _ledger_v1_LedgerServiceDefinition }
      PipelineRequest: MessageTypeDefinition<_ledger_v1_PipelineRequestInput, _ledger_v1_PipelineRequest>
      PipelineResponse: MessageTypeDefinition<_ledger_v1_PipelineResponseInput, _ledger_v1_PipelineResponse>
      PostTransactionRequest: MessageTypeDefinition<_ledger_v1_PostTransactionRequestInput, _ledger_v1_PostTransactionRequest>
      PostTransactionResponse: MessageTypeDefinition<_ledger_v1_PostTransactionResponseInput, _ledger_v1_PostTransactionResponse>
      Transaction: MessageTypeDefinition<_ledger_v1_TransactionInput, _ledger_v1_Transaction>
      TransactionKind: EnumTypeDefinition
    }
  }
}

