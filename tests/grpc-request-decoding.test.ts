// Goal: what the ledger makes of request bytes, before any business rule (issue 14,
// items 5, 8 and 11): request_id (uint64) is echoed exactly, even beyond 2^53;
// invalid UTF-8 in a description is refused INVALID_ARGUMENT naming the field, never
// stored as U+FFFD; bytes that are not a message are INVALID_ARGUMENT, never INTERNAL;
// and in each case nothing is written.
// Method: the real ledger on loopback on a real database; messages written byte by
// byte here (a varint encoder of the test's own) and sent through a grpc-js client
// whose serializer passes bytes through, so the wire carries exactly these bytes;
// answers decoded with `longs: String`, so large ids come back unrounded.
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PIPELINE_OPERATIONS_AWAITED_MAX } from '../http-facade/ledger-pipeline.js';
import { PIPELINE_OPERATIONS_IN_FLIGHT_MAX } from '../ledger-service/pipeline.js';
import { loadLedgerPackageDefinition } from '../proto/loader.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { startTestLedger, type TestLedger } from './support/ledger.js';

let database: TestDatabase;
let ledger: TestLedger;
let client: grpc.Client;

beforeAll(async () => {
  database = await createTestDatabase();
  ledger = await startTestLedger(database.url);
  client = new grpc.Client(ledger.address, grpc.credentials.createInsecure());
});

afterAll(async () => {
  client?.close();
  await ledger?.stop();
  await database?.drop();
});

type Deserialize = (bytes: Buffer) => Record<string, unknown>;
const service = loadLedgerPackageDefinition({ longs: String })['ledger.v1.LedgerService'] as Record<
  string,
  { path: string; responseDeserialize: Deserialize }
>;
const method = (name: string) => {
  const definition = service[name];
  if (definition === undefined) throw new Error(`no method ${name}`);
  return definition;
};

function varint(value: bigint): number[] {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80n) {
    bytes.push(Number(rest & 0x7fn) | 0x80);
    rest >>= 7n;
  }
  bytes.push(Number(rest));
  return bytes;
}

const varintField = (field: number, value: bigint | number) => [
  ...varint(BigInt(field << 3)),
  ...varint(BigInt(value)),
];
const bytesField = (field: number, bytes: number[]) => [
  ...varint(BigInt((field << 3) | 2)),
  ...varint(BigInt(bytes.length)),
  ...bytes,
];

/** A credit of 1 cent to client 1 whose description is the given raw bytes. */
const credit = (description: number[]) => [
  ...varintField(1, 1),
  ...varintField(2, 1),
  ...varintField(3, 1),
  ...bytesField(4, description),
];
const statementOf = (clientId: number) => varintField(1, clientId);
const envelope = (requestId: bigint, operationField: 3 | 4, operation: number[]) => [
  ...varintField(1, requestId),
  ...varintField(2, 5000),
  ...bytesField(operationField, operation),
];

const passThrough = (bytes: Buffer) => bytes;

function unary(name: string, bytes: number[]) {
  const { path, responseDeserialize } = method(name);
  return new Promise<{ code: grpc.status; details: string; value?: unknown }>((resolve) => {
    client.makeUnaryRequest(
      path,
      passThrough,
      responseDeserialize,
      Buffer.from(bytes),
      { deadline: Date.now() + 5000 },
      (error, value) =>
        resolve(
          error
            ? { code: error.code, details: error.details }
            : { code: grpc.status.OK, details: '', value },
        ),
    );
  });
}

/** Writes each message on one Pipeline stream and ends it; the answers and the status. */
function pipeline(messages: number[][]) {
  const { path, responseDeserialize } = method('Pipeline');
  const stream = client.makeBidiStreamRequest(path, passThrough, responseDeserialize, {
    deadline: Date.now() + 5000,
  });
  const answers: Record<string, unknown>[] = [];
  stream.on('data', (answer: Record<string, unknown>) => answers.push(answer));
  const status = new Promise<{ code: grpc.status; details: string }>((resolve) => {
    stream.on('status', ({ code, details }: grpc.StatusObject) => resolve({ code, details }));
    stream.on('error', () => {}); // the status above says it all
  });
  for (const message of messages) stream.write(Buffer.from(message));
  stream.end();
  return status.then((end) => ({ answers, end }));
}

async function balanceOf(clientId: number): Promise<unknown> {
  const [row] = await database.query('SELECT balance_cents FROM clients WHERE id = $1', [clientId]);
  const [count] = await database.query('SELECT count(*) FROM transactions');
  return { balance: row?.balance_cents, transactions: count?.count };
}

describe('request_id', () => {
  it('is echoed exactly, beyond 2^53 and up to 2^64 - 1', async () => {
    const ids = [0n, 1n, 2n ** 53n - 1n, 2n ** 53n + 1n, 2n ** 64n - 2n, 2n ** 64n - 1n];
    const { answers, end } = await pipeline(ids.map((id) => envelope(id, 4, statementOf(1))));
    expect(end.code).toBe(grpc.status.OK);
    expect(answers.map((answer) => [answer.requestId, answer.statusCode]).sort()).toEqual(
      ids.map((id) => [String(id), grpc.status.OK]).sort(),
    );
  });

  it('keeps the low 64 bits of a longer varint, as protobuf decoders do', async () => {
    // Ten bytes of 0xff..0x01 encode 2^70 - 1; as a uint64 that is 2^64 - 1.
    const tooLong = [0x08, ...Array(9).fill(0xff), 0x7f, ...varintField(2, 5000)];
    const { answers } = await pipeline([[...tooLong, ...bytesField(4, statementOf(1))]]);
    expect(answers.map((answer) => answer.requestId)).toEqual([String(2n ** 64n - 1n)]);
  });
});

describe('a description that is not valid UTF-8', () => {
  // ff fe (not UTF-8 at all), c0 80 (an overlong NUL), ed a0 80 (a lone surrogate),
  // e2 82 (a truncated sequence).
  const invalid = [
    [0xff, 0xfe],
    [0x61, 0xc0, 0x80],
    [0xed, 0xa0, 0x80],
    [0x61, 0xe2, 0x82],
  ];

  it('is refused on a unary call, naming the field, and nothing is written', async () => {
    const before = await balanceOf(1);
    for (const bytes of invalid) {
      expect(await unary('PostTransaction', credit(bytes))).toEqual({
        code: grpc.status.INVALID_ARGUMENT,
        details: 'description: must be valid UTF-8',
      });
    }
    expect(await balanceOf(1)).toEqual(before);
  });

  it('is refused by its id on the Pipeline, the other operations answered', async () => {
    const before = await balanceOf(1);
    const messages = invalid.map((bytes, index) => envelope(BigInt(index + 1), 3, credit(bytes)));
    const { answers, end } = await pipeline([...messages, envelope(9n, 4, statementOf(1))]);
    expect(end.code).toBe(grpc.status.OK);
    const byId = Object.fromEntries(
      answers.map((answer) => [answer.requestId, [answer.statusCode, answer.statusMessage]]),
    );
    expect(byId).toEqual({
      1: [grpc.status.INVALID_ARGUMENT, 'description: must be valid UTF-8'],
      2: [grpc.status.INVALID_ARGUMENT, 'description: must be valid UTF-8'],
      3: [grpc.status.INVALID_ARGUMENT, 'description: must be valid UTF-8'],
      4: [grpc.status.INVALID_ARGUMENT, 'description: must be valid UTF-8'],
      9: [grpc.status.OK, ''],
    });
    expect(await balanceOf(1)).toEqual(before);
  });

  it('while a real U+FFFD (ef bf bd) is valid and stored verbatim', async () => {
    const reply = await unary('PostTransaction', credit([0x61, 0xef, 0xbf, 0xbd]));
    expect(reply.code).toBe(grpc.status.OK);
    const [row] = await database.query(
      'SELECT description FROM transactions ORDER BY id DESC LIMIT 1',
    );
    expect(row?.description).toBe('a\uFFFD');
  });
});

describe('bytes that are not a message', () => {
  // A truncated varint, a length that overruns the message, wire type 7, field 1 as
  // a string, field number 0. The generic decoder alone took all but the first.
  const garbage = [
    [0x08, 0xff],
    [0x22, 0x05, 0x61],
    [0x0f, 0x01],
    [0x0a, 0x00],
    [0x00, 0x01],
  ];

  it('are INVALID_ARGUMENT on both unary calls, never INTERNAL, and write nothing', async () => {
    const before = await balanceOf(1);
    for (const bytes of garbage) {
      const posted = await unary('PostTransaction', [...credit([0x61]), ...bytes]);
      expect(posted).toEqual({
        code: grpc.status.INVALID_ARGUMENT,
        details: expect.stringMatching(/^malformed PostTransactionRequest: /),
      });
      const statement = await unary('GetStatement', [...statementOf(1), ...bytes]);
      expect(statement).toEqual({
        code: grpc.status.INVALID_ARGUMENT,
        details: expect.stringMatching(/^malformed GetStatementRequest: /),
      });
    }
    expect(await balanceOf(1)).toEqual(before);
  });

  it('as an operation on the Pipeline: that operation alone is refused by its id', async () => {
    const { answers, end } = await pipeline([
      envelope(1n, 3, [...credit([0x61]), 0x08, 0xff]),
      envelope(2n, 4, statementOf(1)),
    ]);
    expect(end.code).toBe(grpc.status.OK);
    expect(answers.map((answer) => [answer.requestId, answer.statusCode]).sort()).toEqual([
      ['1', grpc.status.INVALID_ARGUMENT],
      ['2', grpc.status.OK],
    ]);
  });

  it('as a whole Pipeline message: the stream ends INVALID_ARGUMENT after its answers', async () => {
    for (const bytes of garbage) {
      const { answers, end } = await pipeline([
        envelope(1n, 4, statementOf(1)),
        [...varintField(1, 2), ...bytes],
        envelope(3n, 4, statementOf(1)),
      ]);
      expect(end).toEqual({
        code: grpc.status.INVALID_ARGUMENT,
        details: expect.stringMatching(/^malformed PipelineRequest: /),
      });
      // The operation before the bad message is answered; nothing after it is taken.
      expect(answers.map((answer) => [answer.requestId, answer.statusCode])).toEqual([
        ['1', grpc.status.OK],
      ]);
    }
  });
});

it('the facade awaits at most half of what the ledger lets one stream hold in flight', () => {
  expect(PIPELINE_OPERATIONS_AWAITED_MAX * 2).toBeLessThanOrEqual(
    PIPELINE_OPERATIONS_IN_FLIGHT_MAX,
  );
});
