// Goal: hostile gRPC input is harmless: any field values give the canonical status
// the contract names (INVALID_ARGUMENT naming the field, NOT_FOUND, FAILED_PRECONDITION),
// never UNKNOWN or INTERNAL, rejected calls leave every statement identical, and raw
// garbage on the gRPC port crashes nothing.
// Method: fast-check properties through the facade's own client (createLedgerClient),
// over both of its transports (unary calls, as internal services and grpcurl make
// them, and the Pipeline stream the facades use), against the ledger of a real stack;
// an oracle computes the expected status from the contract's rules, written here
// apart from the ledger's own code (its own code-point count, NUL and lone-surrogate
// checks), and a snapshot of the balances; then random bytes as gRPC messages (never
// INTERNAL or UNKNOWN: a caller's garbage is INVALID_ARGUMENT) and, with and without
// the HTTP/2 preface, on raw sockets; the pids compared at the end.
import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLedgerClient,
  type LedgerClient,
  LedgerStatus,
  type LedgerTransport,
} from '../../http-facade/ledger-client.js';
import type { PipelineRequestInput } from '../../proto/generated/ledger/v1/PipelineRequest.js';
import type { PipelineResponse } from '../../proto/generated/ledger/v1/PipelineResponse.js';
import type { TransactionKindInput } from '../../proto/generated/ledger/v1/TransactionKind.js';
import { loadLedgerPackageDefinition } from '../../proto/loader.js';
import { validDescricao } from '../support/hostile-json.js';
import { appliedPosting, rawLedgerServiceClient } from '../support/ledger.js';
import { sendRaw } from '../support/raw-http.js';
import { type StackProcess, startStackProcess } from '../support/stack-process.js';

const CALL_TIMEOUT_MS = 5000;
const INT32_MAX = 2_147_483_647;
const LIMITS = new Map([
  [1, 100_000],
  [2, 80_000],
  [3, 1_000_000],
  [4, 10_000_000],
  [5, 500_000],
]);

const TRANSPORTS: readonly LedgerTransport[] = ['unary', 'pipeline'];

let stack: StackProcess;
let clients: Record<LedgerTransport, LedgerClient>;
let ledger: LedgerClient;
let pidsAtStart: Record<string, number>;

beforeAll(async () => {
  stack = await startStackProcess(['--fresh']);
  clients = {
    unary: createLedgerClient(stack.ledgerAddress, 'unary'),
    pipeline: createLedgerClient(stack.ledgerAddress, 'pipeline'),
  };
  ledger = clients.unary;
  pidsAtStart = stack.state().pids;
});

afterAll(async () => {
  for (const client of Object.values(clients ?? {})) client.close();
  await stack?.stop();
});

async function snapshot(): Promise<unknown[]> {
  const statements = [];
  for (const clientId of LIMITS.keys()) {
    const reply = await ledger.getStatement(clientId, CALL_TIMEOUT_MS);
    if (!reply.ok) throw new Error(`statement of ${clientId}: ${reply.details}`);
    const { statementTime: _, ...rest } = reply.value;
    statements.push(rest);
  }
  return statements;
}

interface Request {
  clientId: number;
  amount: number | string;
  kind: TransactionKindInput;
  description: string;
}

interface Expected {
  code: LedgerStatus;
  /** The fields the refusal may name; empty when the message names none. */
  fields: string[];
}

const KIND_BY_INPUT = new Map<unknown, 'credit' | 'debit'>([
  ['TRANSACTION_KIND_CREDIT', 'credit'],
  [1, 'credit'],
  ['TRANSACTION_KIND_DEBIT', 'debit'],
  [2, 'debit'],
]);

const DESCRIPTION_CODE_POINTS_MAX = 10; // the contract: 1 to 10 characters

/**
 * The contract's description rule, computed apart from the ledger's code: walks the
 * UTF-16 units itself. 'unpaired' when a surrogate has no partner (such a string has
 * no UTF-8 form), 'invalid' when it breaks the rule, null when it is valid.
 */
function descriptionProblem(text: string): 'unpaired' | 'invalid' | null {
  let codePoints = 0;
  let hasNul = false;
  for (let index = 0; index < text.length; index++) {
    const unit = text.charCodeAt(index);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(index + 1); // NaN past the end
      if (!(next >= 0xdc00 && next <= 0xdfff)) return 'unpaired';
      index++;
    } else if (unit >= 0xdc00 && unit <= 0xdfff) {
      return 'unpaired';
    }
    if (unit === 0) hasNul = true;
    codePoints++;
  }
  return codePoints < 1 || codePoints > DESCRIPTION_CODE_POINTS_MAX || hasNul ? 'invalid' : null;
}

const refused = (...fields: string[]): Expected => ({
  code: LedgerStatus.INVALID_ARGUMENT,
  fields,
});

/** The ledger's rules, in the order it checks them, against known balances. */
function expectedStatus(request: Request, balances: ReadonlyMap<number, number>): Expected {
  const description = descriptionProblem(request.description);
  // An unpaired surrogate travels as bytes that are not UTF-8 (the client's encoder
  // writes short strings byte by byte): refused as it is decoded, before the other
  // fields are looked at; or, in a long string, as U+FFFD and then for its length.
  const unpaired = description === 'unpaired' ? ['description'] : [];
  const { clientId } = request;
  if (!(clientId >= 1 && clientId <= INT32_MAX)) return refused(...unpaired, 'client_id');
  const amount = Number(request.amount);
  if (!(Number.isSafeInteger(amount) && amount >= 1 && amount <= INT32_MAX)) {
    return refused(...unpaired, 'amount');
  }
  const kind = KIND_BY_INPUT.get(request.kind);
  if (kind === undefined) return refused(...unpaired, 'kind');
  if (description !== null) return refused('description');
  const limit = LIMITS.get(clientId);
  if (limit === undefined) return { code: LedgerStatus.NOT_FOUND, fields: [] };
  const balance = balances.get(clientId) ?? 0;
  if (kind === 'debit' && balance - amount < -limit) {
    return { code: LedgerStatus.FAILED_PRECONDITION, fields: [] };
  }
  return { code: LedgerStatus.OK, fields: [] };
}

const int32 = fc.integer({ min: -2_147_483_648, max: INT32_MAX });
const hostileRequest: fc.Arbitrary<Request> = fc.record({
  clientId: fc.oneof(int32, fc.constantFrom(0, -1, 1, 2, 3, 4, 5, 6, INT32_MAX)),
  amount: fc.oneof(
    fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }),
    fc.integer({ min: 1, max: INT32_MAX }),
    fc.constantFrom(
      0,
      -1,
      1,
      INT32_MAX,
      INT32_MAX + 1,
      '0',
      '-5',
      '2147483648',
      '9007199254740991',
    ),
  ),
  // Numbers outside the enum travel as unknown enum values (proto3 keeps them).
  kind: fc.constantFrom(
    'TRANSACTION_KIND_CREDIT',
    'TRANSACTION_KIND_DEBIT',
    'TRANSACTION_KIND_UNSPECIFIED',
    0,
    1,
    2,
    3,
    99,
  ) as fc.Arbitrary<TransactionKindInput>,
  description: fc.oneof(
    validDescricao,
    fc.string({ unit: 'binary', minLength: 11, maxLength: 2000 }),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 10 }),
    fc.constantFrom(
      '',
      '\u0000',
      'a\u0000b',
      '12345678901',
      "'; DROP TABLE transactions; --",
      '\ud800',
      'a\udc00',
      '\ud83d\ude00\ud800',
      '\u{1F600}'.repeat(10),
      '\u{1F600}'.repeat(11),
    ),
  ),
});

describe('PostTransaction with any field values', () => {
  it('answers the canonical status and, when it refuses, changes nothing', async () => {
    const before = await snapshot();
    const balances = new Map(
      (before as Array<{ balance: number }>).map((s, index) => [index + 1, s.balance]),
    );
    const rejected = hostileRequest.filter(
      (request) => expectedStatus(request, balances).code !== LedgerStatus.OK,
    );
    await fc.assert(
      fc.asyncProperty(rejected, fc.constantFrom(...TRANSPORTS), async (request, transport) => {
        const expected = expectedStatus(request, balances);
        const reply = await clients[transport].postTransaction(request, CALL_TIMEOUT_MS);
        expect(reply.ok).toBe(false);
        if (reply.ok) return;
        expect({ code: reply.code, details: reply.details }, JSON.stringify(request)).toMatchObject(
          {
            code: expected.code,
            details:
              expected.fields.length > 0
                ? expect.stringMatching(new RegExp(`^(${expected.fields.join('|')}): `))
                : expect.any(String),
          },
        );
      }),
      { numRuns: 1500 },
    );
    expect(await snapshot()).toEqual(before);
  }, 60_000);

  it('applies valid requests exactly, descriptions verbatim', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(1, 2, 3, 4, 5),
        fc.integer({ min: 1, max: 100_000 }),
        validDescricao,
        fc.constantFrom(...TRANSPORTS),
        async (clientId, amount, description, transport) => {
          const before = await ledger.getStatement(clientId, CALL_TIMEOUT_MS);
          expect(before.ok).toBe(true);
          if (!before.ok) return;
          const reply = await clients[transport].postTransaction(
            { clientId, amount, kind: 'TRANSACTION_KIND_CREDIT', description },
            CALL_TIMEOUT_MS,
          );
          expect(reply).toEqual({
            ok: true,
            value: appliedPosting(before.value.limit, before.value.balance + amount),
          });
          const after = await ledger.getStatement(clientId, CALL_TIMEOUT_MS);
          expect(after.ok && after.value.latestTransactions[0]).toMatchObject({
            amount,
            kind: 'TRANSACTION_KIND_CREDIT',
            description,
          });
        },
      ),
      { numRuns: 200 },
    );
  }, 60_000);

  it('GetStatement: INVALID_ARGUMENT below 1, NOT_FOUND beyond the five clients', async () => {
    await fc.assert(
      fc.asyncProperty(int32, fc.constantFrom(...TRANSPORTS), async (clientId, transport) => {
        const reply = await clients[transport].getStatement(clientId, CALL_TIMEOUT_MS);
        const expected =
          clientId < 1
            ? LedgerStatus.INVALID_ARGUMENT
            : LIMITS.has(clientId)
              ? LedgerStatus.OK
              : LedgerStatus.NOT_FOUND;
        expect(reply.ok ? LedgerStatus.OK : reply.code, String(clientId)).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('a message beyond the 64 KiB limit is refused, and the next call works', async () => {
    const huge = {
      clientId: 1,
      amount: 1,
      kind: 'TRANSACTION_KIND_CREDIT',
      description: 'x'.repeat(100_000),
    } as const;
    const before = await snapshot();
    expect(await clients.unary.postTransaction(huge, CALL_TIMEOUT_MS)).toMatchObject({
      ok: false,
      code: LedgerStatus.RESOURCE_EXHAUSTED,
    });
    // Over the stream the oversized message ends the stream; the next call opens another.
    const streamed = await clients.pipeline.postTransaction(huge, CALL_TIMEOUT_MS);
    console.log(
      `[reliability] oversized message over the Pipeline stream: ${JSON.stringify(streamed)}`,
    );
    expect(streamed.ok).toBe(false);
    expect((await clients.pipeline.getStatement(1, CALL_TIMEOUT_MS)).ok).toBe(true);
    expect(await snapshot()).toEqual(before);
  });
});

describe('the Pipeline stream with any envelope', () => {
  it('answers each operation with its canonical status and changes nothing', async () => {
    const before = await snapshot();
    const balances = new Map(
      (before as Array<{ balance: number }>).map((s, index) => [index + 1, s.balance]),
    );
    const client = rawLedgerServiceClient(stack.ledgerAddress);
    const envelope = fc.record({
      timeoutMs: fc.oneof(
        fc.constantFrom(0, 1, 60_000, 60_001, 4_294_967_295),
        fc.integer({ min: 0, max: 120_000 }),
      ),
      operation: fc.oneof(
        hostileRequest
          .filter((request) => expectedStatus(request, balances).code !== LedgerStatus.OK)
          .map((request) => ({ postTransaction: request })),
        int32.filter((id) => !LIMITS.has(id)).map((clientId) => ({ getStatement: { clientId } })),
        fc.constant({}),
      ),
    });
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(envelope, { minLength: 1, maxLength: 20 }), async (envelopes) => {
          const stream = client.Pipeline();
          const answers = new Map<number, PipelineResponse>();
          const done = new Promise<void>((resolve, reject) => {
            stream.on('data', (response: PipelineResponse) =>
              answers.set(response.requestId, response),
            );
            stream.on('end', () => resolve());
            stream.on('error', reject);
          });
          envelopes.forEach((e, index) => {
            const message: PipelineRequestInput = {
              requestId: index + 1,
              timeoutMs: e.timeoutMs,
              ...e.operation,
            };
            stream.write(message);
          });
          stream.end();
          await done;
          expect(answers.size).toBe(envelopes.length);
          envelopes.forEach((e, index) => {
            const answer = answers.get(index + 1);
            const op = e.operation as {
              postTransaction?: Request;
              getStatement?: { clientId: number };
            };
            const expected =
              e.timeoutMs < 1 || e.timeoutMs > 60_000 || (!op.postTransaction && !op.getStatement)
                ? LedgerStatus.INVALID_ARGUMENT
                : op.postTransaction
                  ? expectedStatus(op.postTransaction, balances).code
                  : (op.getStatement?.clientId ?? 0) < 1
                    ? LedgerStatus.INVALID_ARGUMENT
                    : LedgerStatus.NOT_FOUND;
            // A database round trip may outlive a deadline of a few ms: then it says so.
            const allowed =
              expected === LedgerStatus.INVALID_ARGUMENT || e.timeoutMs >= 1000
                ? [expected]
                : [expected, LedgerStatus.DEADLINE_EXCEEDED, LedgerStatus.CANCELLED];
            expect(allowed, JSON.stringify(e)).toContain(answer?.statusCode);
          });
        }),
        { numRuns: 150 },
      );
    } finally {
      client.close();
    }
    expect(await snapshot()).toEqual(before);
  }, 60_000);
});

/** The statuses a caller's bytes may get; INTERNAL and UNKNOWN would be our bugs. */
const CALLER_STATUSES = [
  LedgerStatus.OK,
  LedgerStatus.INVALID_ARGUMENT,
  LedgerStatus.NOT_FOUND,
  LedgerStatus.FAILED_PRECONDITION,
];

describe('random bytes as gRPC messages', () => {
  const passThrough = (bytes: Buffer) => bytes;
  const ignore = () => ({});
  const decodePipelineResponse = (
    loadLedgerPackageDefinition()['ledger.v1.LedgerService'] as Record<
      string,
      { responseDeserialize: (bytes: Buffer) => PipelineResponse }
    >
  ).Pipeline?.responseDeserialize as (bytes: Buffer) => PipelineResponse;
  // A valid message with random bytes after it, or random bytes alone.
  const messageBytes = fc.oneof(
    fc.uint8Array({ minLength: 1, maxLength: 64 }),
    fc
      .uint8Array({ minLength: 1, maxLength: 16 })
      .map((tail) => Buffer.concat([Buffer.from([0x08, 0x06, 0x10, 0x01, 0x18, 0x01]), tail])),
  );

  it('get a canonical status, never INTERNAL or UNKNOWN', async () => {
    const client = new grpc.Client(stack.ledgerAddress, grpc.credentials.createInsecure());
    const unary = (method: string, bytes: Uint8Array) =>
      new Promise<grpc.status>((resolve) => {
        client.makeUnaryRequest(
          `/ledger.v1.LedgerService/${method}`,
          passThrough,
          ignore,
          Buffer.from(bytes),
          { deadline: Date.now() + CALL_TIMEOUT_MS },
          (error) => resolve(error ? error.code : LedgerStatus.OK),
        );
      });
    /** The stream's status, and the status of each operation it answered. */
    const stream = (bytes: Uint8Array) =>
      new Promise<grpc.status[]>((resolve) => {
        const codes: grpc.status[] = [];
        const call = client.makeBidiStreamRequest(
          '/ledger.v1.LedgerService/Pipeline',
          passThrough,
          decodePipelineResponse,
          { deadline: Date.now() + CALL_TIMEOUT_MS },
        );
        call.on('data', (answer: PipelineResponse) => codes.push(answer.statusCode));
        call.on('status', ({ code }: grpc.StatusObject) => resolve([code, ...codes]));
        call.on('error', () => {});
        call.write(Buffer.from(bytes));
        call.end();
      });
    try {
      await fc.assert(
        fc.asyncProperty(messageBytes, async (bytes) => {
          expect(CALLER_STATUSES).toContain(await unary('PostTransaction', bytes));
          expect(CALLER_STATUSES).toContain(await unary('GetStatement', bytes));
          const [streamCode, ...operationCodes] = await stream(bytes);
          expect([LedgerStatus.OK, LedgerStatus.INVALID_ARGUMENT]).toContain(streamCode);
          for (const code of operationCodes) expect(CALLER_STATUSES).toContain(code);
        }),
        { numRuns: 300 },
      );
    } finally {
      client.close();
    }
  }, 60_000);
});

describe('raw bytes on the gRPC port', () => {
  it('garbage, with or without the HTTP/2 preface, crashes nothing', async () => {
    const port = Number(stack.ledgerAddress.split(':')[1]);
    const preface = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.uint8Array({ minLength: 1, maxLength: 4000 }),
        async (withPreface, bytes) => {
          // Garbage that happens to parse as the start of a valid HTTP/2 session may be
          // left open by the server until its own timeouts: that is not a failure. What
          // must hold is that nothing crashes and the ledger keeps answering (below).
          await sendRaw({
            port,
            chunks: withPreface ? [preface, Buffer.from(bytes)] : [Buffer.from(bytes)],
            endAfterWrite: true,
            timeoutMs: 250,
          });
        },
      ),
      { numRuns: 150 },
    );
    const reply = await ledger.getStatement(1, CALL_TIMEOUT_MS);
    expect(reply.ok).toBe(true);
  }, 60_000);

  it('no process crashed', () => {
    expect(stack.state().pids).toEqual(pidsAtStart);
  });
});
