// The card's ledger floor for `npm run bench:floor`: the least a grpc-js ledger can do
// per posting. The real proto's Pipeline stream (proto-loader, the loader's options),
// one pooled query per message (the ledger's own posting query, sql.ts), one answer.
// No validation, batching, deadlines, metrics or logs.
import * as grpc from '@grpc/grpc-js';
import type { PipelineRequest } from '../../proto/generated/ledger/v1/PipelineRequest.js';
import type { PipelineResponseInput } from '../../proto/generated/ledger/v1/PipelineResponse.js';
import { loadLedgerPackageDefinition } from '../../proto/loader.js';
import { floorPool, floorVariable, postOne } from './floor-env.js';

const pool = floorPool();
const service = loadLedgerPackageDefinition()['ledger.v1.LedgerService'] as grpc.ServiceDefinition;

type PipelineCall = grpc.ServerDuplexStream<PipelineRequest, PipelineResponseInput>;

async function answer(call: PipelineCall, message: PipelineRequest): Promise<void> {
  const request = message.postTransaction;
  if (request === null || request === undefined) {
    call.write({ requestId: message.requestId, statusCode: grpc.status.UNIMPLEMENTED });
    return;
  }
  const {
    outcome,
    limit_cents: limit,
    balance_cents: balance,
  } = await postOne(pool, {
    clientId: request.clientId,
    amountCents: request.amount,
    kind: request.kind === 'TRANSACTION_KIND_DEBIT' ? 'debit' : 'credit',
    description: request.description,
  });
  call.write({
    requestId: message.requestId,
    statusCode: outcome === 'applied' ? grpc.status.OK : grpc.status.FAILED_PRECONDITION,
    postTransaction: { limit: limit ?? 0, balance: balance ?? 0 },
  });
}

const unimplemented = (_call: unknown, callback: grpc.sendUnaryData<never>) =>
  callback({ code: grpc.status.UNIMPLEMENTED });
const server = new grpc.Server();
server.addService(service, {
  Pipeline(call: PipelineCall) {
    call.on('data', (message: PipelineRequest) => void answer(call, message));
    call.on('end', () => call.end());
  },
  PostTransaction: unimplemented,
  GetStatement: unimplemented,
});
server.bindAsync(
  `unix:${floorVariable('FLOOR_LEDGER_SOCKET_PATH')}`,
  grpc.ServerCredentials.createInsecure(),
  (error) => {
    if (error !== null) throw error;
  },
);
