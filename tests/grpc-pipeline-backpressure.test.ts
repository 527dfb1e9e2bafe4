// Goal: a Pipeline client that writes operations but never reads the answers cannot
// grow the ledger's memory without bound (issue 14, item 1): the stream stops reading
// requests while its answers back up, so what one stream holds is bounded, and other
// callers are still answered, during and after.
// Method: the built ledger in a child process on a real database; a raw HTTP/2 client
// (node:http2, its reader paused for good) writes get_statement operations at about
// 5,000 a second for 8 s, three times, while a well-behaved pipeline client asks for a
// statement every 100 ms; the ledger's resident memory is sampled from /proc
// throughout. Measured on the first round: before the fix the ledger took every
// byte and went 77 -> 114 MiB at 3 s -> 134 MiB at 8 s, and the other client got 4
// of 6 calls UNAVAILABLE; with it, 77 -> 91 -> 93 MiB, ~390 KB left unsent.
import http2 from 'node:http2';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLedgerClient, type LedgerClient } from '../http-facade/ledger-client.js';
import { loadLedgerPackageDefinition } from '../proto/loader.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { type LedgerProcess, startLedgerProcess } from './support/ledger.js';
import { residentMib, sampleMemory } from './support/process-memory.js';

const ROUND_MS = 8_000;
const ROUNDS = 3;
// The ledger takes requests until the client's receive window is full of answers; by
// then the round's start-up growth (JIT, buffers, pool) is over.
const SETTLE_MS = 3_000;
const WRITE_INTERVAL_MS = 10;
const OPERATIONS_PER_WRITE = 50; // 5,000 a second, the rate of the report
// Past SETTLE_MS, unbounded, the ledger grew by about 80 MiB in the rest of a round;
// bounded, by 2 to 9 MiB (the heap settling). The bound sits far from both.
const ROUND_GROWTH_MAX_MIB = 30;
// From the second round on, the peak moved by -4 to +7 MiB; unbounded, it rose by tens.
const REUSE_GROWTH_MAX_MIB = 20;
const CALL_TIMEOUT_MS = 5000;

let database: TestDatabase;
let ledger: LedgerProcess;
let client: LedgerClient;

beforeAll(async () => {
  database = await createTestDatabase();
  ledger = await startLedgerProcess(database.url);
  client = createLedgerClient(ledger.address, 'pipeline');
});

afterAll(async () => {
  client?.close();
  await ledger?.stop();
  await database?.drop();
});

const serialize = (
  loadLedgerPackageDefinition()['ledger.v1.LedgerService'] as Record<
    string,
    { requestSerialize: (value: object) => Buffer }
  >
).Pipeline?.requestSerialize;

function frame(requestId: number): Buffer {
  const message = serialize?.({ requestId, timeoutMs: 60_000, getStatement: { clientId: 1 } });
  if (message === undefined) throw new Error('no Pipeline serializer');
  const header = Buffer.alloc(5);
  header.writeUInt32BE(message.length, 1);
  return Buffer.concat([header, message]);
}

/** The smallest frame written (ids grow longer): a lower bound on bytes per operation. */
const FRAME_BYTES = frame(1).length;

interface Round {
  readonly written: number;
  /** What the client still holds: bytes the ledger did not take. */
  readonly unsentBytes: number;
  /** The ledger's RSS once the round has run SETTLE_MS, and its peak after that. */
  readonly settledMib: number;
  readonly peakMib: number;
}

/** Writes operations at a steady rate on one stream and never reads what comes back. */
async function runNonReader(): Promise<Round> {
  const session = http2.connect(`http://${ledger.address}`);
  session.on('error', () => {}); // the session is destroyed below; its errors are moot
  const stream = session.request({
    ':method': 'POST',
    ':path': '/ledger.v1.LedgerService/Pipeline',
    'content-type': 'application/grpc',
    te: 'trailers',
  });
  stream.on('error', () => {});
  stream.pause();
  let written = 0;
  const timer = setInterval(() => {
    const frames: Buffer[] = [];
    for (let i = 0; i < OPERATIONS_PER_WRITE; i++) frames.push(frame(++written));
    stream.write(Buffer.concat(frames));
  }, WRITE_INTERVAL_MS);
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  const settledMib = residentMib(ledger.pid);
  const sampler = sampleMemory({ ledger: ledger.pid });
  await new Promise((resolve) => setTimeout(resolve, ROUND_MS - SETTLE_MS));
  clearInterval(timer);
  sampler.stop();
  const unsentBytes = stream.bufferSize;
  session.destroy();
  return { written, unsentBytes, settledMib, peakMib: sampler.peaksMib().ledger ?? 0 };
}

/** Asks for a statement every 100 ms until stopped; counts the answers by status. */
function runWellBehaved(): { stop(): Promise<Map<string, number>> } {
  const outcomes = new Map<string, number>();
  let running = true;
  const loop = (async () => {
    while (running) {
      const reply = await client.getStatement(1, CALL_TIMEOUT_MS);
      const key = reply.ok ? 'OK' : `${reply.code} ${reply.details}`;
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return outcomes;
    },
  };
}

it('bounds the memory of a stream whose reader stopped, and keeps answering others', async () => {
  const startMib = residentMib(ledger.pid);
  const rounds: Round[] = [];
  for (let index = 1; index <= ROUNDS; index++) {
    const wellBehaved = runWellBehaved();
    const round = await runNonReader();
    const outcomes = await wellBehaved.stop();
    rounds.push(round);
    console.log(
      `[backpressure] round ${index}: ${round.written} operations written, ` +
        `${round.unsentBytes} bytes left unsent; ledger RSS at start ${startMib.toFixed(0)}, ` +
        `after ${SETTLE_MS} ms ${round.settledMib.toFixed(0)}, ` +
        `peak after that ${round.peakMib.toFixed(0)} MiB; ` +
        `well-behaved answers ${JSON.stringify(Object.fromEntries(outcomes))}`,
    );
    // The ledger stopped taking requests: most of what was written is still on the client.
    expect(round.unsentBytes).toBeGreaterThan(FRAME_BYTES * round.written * 0.5);
    expect(round.peakMib - round.settledMib).toBeLessThan(ROUND_GROWTH_MAX_MIB);
    // Every call of the other client was answered, nearly all OK. While the paused
    // stream's burst of operations waits for the database pool, a call of another
    // stream can wait past the pool's own bound and be answered UNAVAILABLE.
    const okShare = (outcomes.get('OK') ?? 0) / [...outcomes.values()].reduce((a, b) => a + b);
    expect([...outcomes.keys()].filter((key) => key !== 'OK' && !key.startsWith('14 '))).toEqual(
      [],
    );
    expect(okShare).toBeGreaterThan(0.75);
  }
  // What a stream held was freed when its client went: later rounds reuse it, so the
  // peak levels off (measured: 100, 115, 122, 118, 118 MiB over five rounds).
  const [, second, third] = rounds;
  expect((third?.peakMib ?? 0) - (second?.peakMib ?? 0)).toBeLessThan(REUSE_GROWTH_MAX_MIB);
  expect(await client.getStatement(1, CALL_TIMEOUT_MS)).toMatchObject({ ok: true });
}, 60_000);
