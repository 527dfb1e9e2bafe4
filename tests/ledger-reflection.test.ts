// Goal: an engineer with a stock gRPC tool and no .proto file can list and call the
// ledger, as with grpcurl: reflection serves correct descriptors (cross-file
// Timestamp, health's map field) and the health service is registered with it.
// Method: `buf curl` (a real client that is not ours, from the npm package
// @bufbuild/buf) against the real ledger on loopback and a real database.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splitDescriptorSet } from '../ledger-service/reflection.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { startTestLedger, type TestLedger } from './support/ledger.js';

const BUF = path.resolve('node_modules/.bin/buf');
const run = promisify(execFile);

let database: TestDatabase;
let ledger: TestLedger;

beforeAll(async () => {
  database = await createTestDatabase();
  ledger = await startTestLedger(database.url);
});

afterAll(async () => {
  await ledger?.stop();
  await database?.drop();
});

async function bufCurl(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(
      BUF,
      ['curl', '--protocol', 'grpc', '--http2-prior-knowledge', ...args],
      {
        timeout: 20_000,
      },
    );
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const failed = error as { stdout: string; stderr: string; code: number };
    return { stdout: failed.stdout, stderr: failed.stderr, code: failed.code };
  }
}

describe('buf curl through server reflection', () => {
  it('lists the ledger and health services and their methods', async () => {
    const services = await bufCurl(['--list-services', `http://${ledger.address}`]);
    expect(services.stdout.trim().split('\n').sort()).toEqual([
      'grpc.health.v1.Health',
      'ledger.v1.LedgerService',
    ]);
    const methods = await bufCurl(['--list-methods', `http://${ledger.address}`]);
    expect(methods.stdout).toContain('ledger.v1.LedgerService/PostTransaction');
    expect(methods.stdout).toContain('ledger.v1.LedgerService/GetStatement');
    expect(methods.stdout).toContain('grpc.health.v1.Health/Check');
  });

  it('posts a transaction and reads the statement with its Timestamp fields', async () => {
    const posted = await bufCurl([
      '-d',
      '{"client_id": 1, "amount": 250, "kind": "TRANSACTION_KIND_DEBIT", "description": "via buf"}',
      `http://${ledger.address}/ledger.v1.LedgerService/PostTransaction`,
    ]);
    expect(posted.code).toBe(0);
    expect(JSON.parse(posted.stdout)).toEqual({
      limit: '100000',
      balance: '-250',
      transactionId: '1',
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/),
    });

    const read = await bufCurl([
      '-d',
      '{"client_id": 1}',
      `http://${ledger.address}/ledger.v1.LedgerService/GetStatement`,
    ]);
    const statement = JSON.parse(read.stdout) as {
      balance: string;
      statementTime: string;
      latestTransactions: Array<{ description: string; createdAt: string; kind: string }>;
    };
    expect(statement.balance).toBe('-250');
    expect(statement.statementTime).toMatch(/^\d{4}-\d{2}-\d{2}T[\d:.]+Z$/);
    expect(statement.latestTransactions[0]).toMatchObject({
      description: 'via buf',
      kind: 'TRANSACTION_KIND_DEBIT',
    });
  });

  it('answers the standard health check', async () => {
    const health = await bufCurl([`http://${ledger.address}/grpc.health.v1.Health/Check`]);
    expect(JSON.parse(health.stdout)).toEqual({ status: 'SERVING' });
  });

  it('shows canonical error codes to the tool', async () => {
    const missing = await bufCurl([
      '-d',
      '{"client_id": 6}',
      `http://${ledger.address}/ledger.v1.LedgerService/GetStatement`,
    ]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr + missing.stdout).toContain('not_found');
  });
});

describe('splitDescriptorSet', () => {
  it('splits an encoded set into its files, byte for byte, lengths above 127 included', () => {
    const small = Buffer.from([1, 2, 3]);
    const large = Buffer.alloc(300, 7);
    const encoded = Buffer.concat([
      Buffer.from([0x0a, 3]),
      small,
      Buffer.from([0x0a, 0xac, 0x02]),
      large,
    ]);
    expect(splitDescriptorSet(encoded)).toEqual([small, large]);
  });

  it('refuses a set with an unexpected field', () => {
    expect(() => splitDescriptorSet(Buffer.from([0x12, 0]))).toThrow(/unexpected field/);
  });
});
