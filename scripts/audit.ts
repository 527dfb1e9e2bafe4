// `npm run audit [-- DATABASE_URL]`: recomputes every balance from the recorded
// transactions and prints a verdict; exits 1 on any violation, 2 if it cannot run.
// Without a URL it reads the native stack's database (default data directory and port)
// as the ledger's own role, with the password the stack generated.
import path from 'node:path';
import { judgeAudit } from '../ledger-service/audit.js';
import { auditDatabase } from '../ledger-service/db.js';
import { connectionUrl, credentialsFile, readCredentials } from '../stack/postgres-credentials.js';
import { PROJECT_DIR } from '../stack/stack.js';

const NATIVE_DATA_DIR = path.join(PROJECT_DIR, '.data', 'postgres');
const NATIVE_POSTGRES_PORT = 5433;

function nativeStackUrl(): string {
  const credentials = readCredentials(credentialsFile(NATIVE_DATA_DIR));
  if (credentials === undefined) {
    throw new Error(`no ${credentialsFile(NATIVE_DATA_DIR)}: start the stack, or pass a URL`);
  }
  return connectionUrl(credentials.ledger, '127.0.0.1', NATIVE_POSTGRES_PORT, 'ledger');
}

try {
  const databaseUrl = process.argv[2] ?? process.env.DATABASE_URL ?? nativeStackUrl();
  const verdict = judgeAudit(await auditDatabase(databaseUrl));
  for (const client of verdict.clients) {
    console.log(
      `client ${client.clientId}: balance ${client.balanceCents} limit ${client.limitCents} ` +
        `recomputed ${client.recomputedBalanceCents} lowest ${client.lowestBalanceCents} ` +
        `transactions ${client.transactionCount} key violations ${client.keyViolationCount}`,
    );
  }
  if (verdict.ok) {
    console.log(`audit OK: ${verdict.clients.length} clients consistent`);
  } else {
    for (const violation of verdict.violations) console.log(`VIOLATION ${violation}`);
    console.log(`audit FAILED: ${verdict.violations.length} violations`);
    process.exitCode = 1;
  }
} catch (error) {
  console.error(`audit: cannot read the ledger: ${(error as Error).message}`);
  process.exitCode = 2;
}
