// `npm run audit [-- DATABASE_URL]`: recomputes every balance from the recorded
// transactions and prints a verdict; exits 1 on any violation, 2 if it cannot run.

import { judgeAudit } from '../ledger-service/audit.js';
import { DEFAULT_DATABASE_URL } from '../ledger-service/config.js';
import { auditDatabase } from '../ledger-service/db.js';

const databaseUrl = process.argv[2] ?? process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
try {
  const verdict = judgeAudit(await auditDatabase(databaseUrl));
  for (const client of verdict.clients) {
    console.log(
      `client ${client.clientId}: balance ${client.balanceCents} limit ${client.limitCents} ` +
        `recomputed ${client.recomputedBalanceCents} lowest ${client.lowestBalanceCents} ` +
        `transactions ${client.transactionCount}`,
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
