// Reconciliation of what clients were told against what the database holds: every
// POST carries a unique description, so each answer can be matched to its row (or
// to its absence). Pure: the answers come from the load driver, the rows from
// readCommittedRows(); the counts say what was lost, what was wrongly written and
// how many ambiguous outcomes (an error or no answer while the commit raced a
// fault) turned out committed.
import pg from 'pg';

export type TransactionKindCode = 'c' | 'd';

export interface PostAnswer {
  readonly description: string;
  readonly clientId: number;
  readonly amountCents: number;
  readonly kind: TransactionKindCode;
  /** The HTTP status; 0 when no answer arrived. */
  readonly status: number;
  /** True when the connection was refused: the request never reached a server. */
  readonly refused: boolean;
}

export interface CommittedRow {
  readonly description: string;
  readonly clientId: number;
  readonly amountCents: number;
  readonly kind: TransactionKindCode;
}

export interface Reconciliation {
  readonly sentCount: number;
  /** Answered 200: each must be present, once, with its client, amount and kind. */
  readonly acknowledgedCount: number;
  readonly lostCount: number;
  readonly wrongCount: number;
  /** Answered 4xx: each must be absent. */
  readonly rejectedCount: number;
  readonly rejectedCommittedCount: number;
  /** Never reached a server: each must be absent. */
  readonly refusedCount: number;
  readonly refusedCommittedCount: number;
  /** Answered 5xx or not at all: present or absent, the race decides. */
  readonly ambiguousCount: number;
  readonly ambiguousCommittedCount: number;
  /** Descriptions recorded more than once. */
  readonly duplicateCount: number;
  /** One line per broken promise, for assertion messages. */
  readonly problems: readonly string[];
}

function sameTransaction(answer: PostAnswer, row: CommittedRow): boolean {
  return (
    answer.clientId === row.clientId &&
    answer.amountCents === row.amountCents &&
    answer.kind === row.kind
  );
}

export function reconcile(
  answers: readonly PostAnswer[],
  rows: readonly CommittedRow[],
): Reconciliation {
  const rowsByDescription = new Map<string, CommittedRow[]>();
  for (const row of rows) {
    const list = rowsByDescription.get(row.description) ?? [];
    list.push(row);
    rowsByDescription.set(row.description, list);
  }
  const counts = {
    acknowledgedCount: 0,
    lostCount: 0,
    wrongCount: 0,
    rejectedCount: 0,
    rejectedCommittedCount: 0,
    refusedCount: 0,
    refusedCommittedCount: 0,
    ambiguousCount: 0,
    ambiguousCommittedCount: 0,
    duplicateCount: 0,
  };
  const problems: string[] = [];
  for (const answer of answers) {
    const found = rowsByDescription.get(answer.description) ?? [];
    const label = `${answer.description} (client ${answer.clientId}, ${answer.kind} ${answer.amountCents}, status ${answer.status})`;
    if (found.length > 1) {
      counts.duplicateCount++;
      problems.push(`${label}: recorded ${found.length} times`);
    }
    const row = found[0];
    if (answer.status === 200) {
      counts.acknowledgedCount++;
      if (row === undefined) {
        counts.lostCount++;
        problems.push(`${label}: acknowledged but not in the database`);
      } else if (!sameTransaction(answer, row)) {
        counts.wrongCount++;
        problems.push(`${label}: recorded as ${JSON.stringify(row)}`);
      }
    } else if (answer.status >= 400 && answer.status < 500) {
      counts.rejectedCount++;
      if (row !== undefined) {
        counts.rejectedCommittedCount++;
        problems.push(`${label}: rejected but written`);
      }
    } else if (answer.refused) {
      counts.refusedCount++;
      if (row !== undefined) {
        counts.refusedCommittedCount++;
        problems.push(`${label}: never sent but written`);
      }
    } else {
      counts.ambiguousCount++;
      if (row !== undefined) counts.ambiguousCommittedCount++;
    }
  }
  return { sentCount: answers.length, ...counts, problems };
}

interface TransactionRow {
  description: string;
  client_id: number;
  amount_cents: string;
  kind: string;
}

/** Every transaction of the ledger's database, read in one query. */
export async function readCommittedRows(databaseUrl: string): Promise<CommittedRow[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<TransactionRow>(
      'SELECT description, client_id, amount_cents, kind FROM transactions',
    );
    return rows.map((row) => ({
      description: row.description,
      clientId: row.client_id,
      amountCents: Number(row.amount_cents),
      kind: row.kind === 'c' ? 'c' : 'd',
    }));
  } finally {
    await client.end();
  }
}

/** Rows whose description no answer carries: written without anyone asking. */
export function countPhantoms(
  answers: readonly PostAnswer[],
  rows: readonly CommittedRow[],
): number {
  const sent = new Set(answers.map((answer) => answer.description));
  return rows.filter((row) => !sent.has(row.description)).length;
}
