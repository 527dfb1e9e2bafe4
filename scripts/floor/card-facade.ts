// The card's facade floor for `npm run bench:floor`: the least a Fastify facade can do
// per posting. One route with the contract's body and answer schemas (contract.ts),
// one Pipeline stream to the ledger floor, operations matched to answers by id. No
// hooks, logger, request ids, deadlines, metrics or error table.
import * as grpc from '@grpc/grpc-js';
import Fastify from 'fastify';
import {
  TRANSACAO_BODY_SCHEMA,
  TRANSACAO_RESPONSE_SCHEMA,
  type TransacaoBody,
} from '../../http-facade/contract.js';
import type { PipelineRequestInput } from '../../proto/generated/ledger/v1/PipelineRequest.js';
import type { PipelineResponse } from '../../proto/generated/ledger/v1/PipelineResponse.js';
import { loadLedgerPackageDefinition } from '../../proto/loader.js';
import { floorVariable } from './floor-env.js';

const service = loadLedgerPackageDefinition()['ledger.v1.LedgerService'] as grpc.ServiceDefinition;
const LedgerClient = grpc.makeGenericClientConstructor(service, 'LedgerService');
const ledger = new LedgerClient(
  `unix:${floorVariable('FLOOR_LEDGER_SOCKET_PATH')}`,
  grpc.credentials.createInsecure(),
);
const stream = (
  ledger as unknown as {
    Pipeline(): grpc.ClientDuplexStream<PipelineRequestInput, PipelineResponse>;
  }
).Pipeline();
const waiting = new Map<number, (response: PipelineResponse) => void>();
let nextRequestId = 1;
stream.on('data', (response: PipelineResponse) => {
  waiting.get(response.requestId)?.(response);
  waiting.delete(response.requestId);
});

/** The deadline each operation carries, as our facade sends its own; the floor ledger ignores it. */
const LEDGER_TIMEOUT_MS = 1000;

const app = Fastify({ logger: false });
app.post<{ Params: { id: string }; Body: TransacaoBody }>(
  '/clientes/:id/transacoes',
  { schema: { body: TRANSACAO_BODY_SCHEMA, response: { 200: TRANSACAO_RESPONSE_SCHEMA } } },
  async (request, reply) => {
    const requestId = nextRequestId++;
    const response = await new Promise<PipelineResponse>((resolve) => {
      waiting.set(requestId, resolve);
      stream.write({
        requestId,
        timeoutMs: LEDGER_TIMEOUT_MS,
        postTransaction: {
          clientId: Number(request.params.id),
          amount: request.body.valor,
          kind: request.body.tipo === 'd' ? 'TRANSACTION_KIND_DEBIT' : 'TRANSACTION_KIND_CREDIT',
          description: request.body.descricao,
        },
      });
    });
    if (response.statusCode !== grpc.status.OK) return reply.code(422).send({});
    const posted = response.postTransaction;
    return { limite: posted?.limit, saldo: posted?.balance };
  },
);
await app.listen({ path: floorVariable('FLOOR_SOCKET_PATH') });
