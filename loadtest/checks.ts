// The per-request checks of the official simulation as pure functions of (status, body),
// so each rule is testable alone and the runner only records verdicts. Every failure
// names a stable, groupable reason (values that vary go in `detail`) and says whether
// it shows an inconsistent balance, which the contest fines separately.

export type CheckResult =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly reason: string;
      readonly detail: string;
      readonly inconsistency: boolean;
    };

export const OK: CheckResult = Object.freeze({ ok: true });

export function failure(reason: string, detail = '', inconsistency = false): CheckResult {
  return { ok: false, reason, detail, inconsistency };
}

export interface TransactionBody {
  readonly limitCents: number;
  readonly balanceCents: number;
}

export interface StatementEntry {
  readonly amountCents: unknown;
  readonly kind: unknown;
  readonly description: unknown;
}

export interface StatementBody {
  readonly totalCents: number;
  readonly limitCents: number;
  readonly entries: readonly StatementEntry[];
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The body of a 200 transaction: `{"limite": n, "saldo": n}`; null when malformed. */
export function parseTransactionBody(body: string): TransactionBody | null {
  const value = parseJson(body);
  if (!isRecord(value)) return null;
  const { limite, saldo } = value;
  if (!Number.isSafeInteger(limite) || !Number.isSafeInteger(saldo)) return null;
  return { limitCents: limite as number, balanceCents: saldo as number };
}

/** The body of a 200 statement; null when malformed. */
export function parseStatementBody(body: string): StatementBody | null {
  const value = parseJson(body);
  if (!isRecord(value) || !isRecord(value.saldo)) return null;
  const { total, limite } = value.saldo;
  const transactions = value.ultimas_transacoes;
  if (!Number.isSafeInteger(total) || !Number.isSafeInteger(limite)) return null;
  if (!Array.isArray(transactions)) return null;
  const entries = transactions.map((entry: unknown) => {
    const fields = isRecord(entry) ? entry : {};
    return { amountCents: fields.valor, kind: fields.tipo, description: fields.descricao };
  });
  return { totalCents: total as number, limitCents: limite as number, entries };
}

function expectStatus(status: number, allowed: readonly number[]): CheckResult {
  if (allowed.includes(status)) return OK;
  const received = status === 0 ? 'no response' : `status ${status}`;
  return failure(`${received} (expected ${allowed.join(' or ')})`);
}

function balanceWithinLimit(balanceCents: number, limitCents: number, what: string): CheckResult {
  if (balanceCents >= -limitCents) return OK;
  return failure(`${what} below -limite`, `${what} ${balanceCents}, limite ${limitCents}`, true);
}

/** A load debit: 200 or 422; on 200, `saldo >= -limite`. */
export function checkDebit(status: number, body: string): CheckResult {
  const statusCheck = expectStatus(status, [200, 422]);
  if (!statusCheck.ok || status === 422) return statusCheck;
  return checkTransactionBalance(body);
}

/** A load credit (and the validation credits): 200, and `saldo >= -limite`. */
export function checkCredit(status: number, body: string): CheckResult {
  const statusCheck = expectStatus(status, [200]);
  if (!statusCheck.ok) return statusCheck;
  return checkTransactionBalance(body);
}

function checkTransactionBalance(body: string): CheckResult {
  const parsed = parseTransactionBody(body);
  if (parsed === null) return failure('malformed transaction body', body.slice(0, 200));
  return balanceWithinLimit(parsed.balanceCents, parsed.limitCents, 'saldo');
}

/** A load statement: 200, and `saldo.total >= -saldo.limite`. */
export function checkStatement(status: number, body: string): CheckResult {
  const statusCheck = expectStatus(status, [200]);
  if (!statusCheck.ok) return statusCheck;
  const parsed = parseStatementBody(body);
  if (parsed === null) return failure('malformed statement body', body.slice(0, 200));
  return balanceWithinLimit(parsed.totalCents, parsed.limitCents, 'saldo.total');
}

/** Any status among `allowed` passes (a concurrency transaction, an invalid payload, 404). */
export function checkStatusIn(status: number, allowed: readonly number[]): CheckResult {
  return expectStatus(status, allowed);
}

export interface EntryExpectation {
  readonly description: string;
  readonly kind: 'c' | 'd';
  readonly amountCents: number;
}

export interface StatementExpectation {
  readonly limitCents?: number;
  readonly totalCents?: number;
  readonly latestEntries?: readonly EntryExpectation[];
}

/**
 * A validation statement: 200 and each expectation met. The reason is the first failed
 * expectation (in the simulation's order: entries, limite, total); a wrong total is an
 * inconsistency wherever it appears, since the official results counted it as one.
 */
export function checkStatementMatches(
  status: number,
  body: string,
  expected: StatementExpectation,
): CheckResult {
  const statusCheck = expectStatus(status, [200]);
  if (!statusCheck.ok) return statusCheck;
  const parsed = parseStatementBody(body);
  if (parsed === null) return failure('malformed statement body', body.slice(0, 200));
  const failures: CheckResult[] = [];
  (expected.latestEntries ?? []).forEach((entry, index) => {
    failures.push(checkEntry(parsed.entries[index], entry, index));
  });
  if (expected.limitCents !== undefined && parsed.limitCents !== expected.limitCents) {
    failures.push(
      failure(`saldo.limite is not ${expected.limitCents}`, `found ${parsed.limitCents}`),
    );
  }
  if (expected.totalCents !== undefined && parsed.totalCents !== expected.totalCents) {
    const reason = `saldo.total is not ${expected.totalCents}`;
    failures.push(failure(reason, `found ${parsed.totalCents}`, true));
  }
  const first = failures.find((result) => !result.ok);
  if (first === undefined || first.ok) return OK;
  const inconsistency = failures.some((result) => !result.ok && result.inconsistency);
  return { ...first, inconsistency };
}

function checkEntry(
  actual: StatementEntry | undefined,
  expected: EntryExpectation,
  index: number,
): CheckResult {
  const where = `ultimas_transacoes[${index}]`;
  if (actual === undefined) return failure(`${where} missing (expected "${expected.description}")`);
  const matches =
    actual.description === expected.description &&
    actual.kind === expected.kind &&
    actual.amountCents === expected.amountCents;
  if (matches) return OK;
  const found = JSON.stringify([actual.description, actual.kind, actual.amountCents]);
  return failure(`${where} is not "${expected.description}"`, `found ${found}`);
}
