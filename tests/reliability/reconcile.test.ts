// Goal: the reconciliation the crash tests rely on fails when a promise is broken:
// an acknowledged transaction missing or altered, a rejected or never-sent one
// written, a description recorded twice; and it counts ambiguous outcomes apart.
// Method: the pure function on hand-made answers and rows.
import { describe, expect, it } from 'vitest';
import {
  type CommittedRow,
  countPhantoms,
  type PostAnswer,
  reconcile,
} from '../support/reconcile.js';

const answer = (description: string, status: number, refused = false): PostAnswer => ({
  description,
  clientId: 1,
  amountCents: 100,
  kind: 'd',
  status,
  refused,
});
const row = (description: string, amountCents = 100): CommittedRow => ({
  description,
  clientId: 1,
  amountCents,
  kind: 'd',
});

describe('reconcile', () => {
  it('passes when every 200 is present and every 4xx absent', () => {
    const result = reconcile(
      [answer('ok1', 200), answer('no1', 422), answer('amb1', 503), answer('amb2', 0)],
      [row('ok1'), row('amb1')],
    );
    expect(result).toEqual({
      sentCount: 4,
      acknowledgedCount: 1,
      lostCount: 0,
      wrongCount: 0,
      rejectedCount: 1,
      rejectedCommittedCount: 0,
      refusedCount: 0,
      refusedCommittedCount: 0,
      ambiguousCount: 2,
      ambiguousCommittedCount: 1,
      duplicateCount: 0,
      problems: [],
    });
  });

  it('reports an acknowledged row that is missing', () => {
    const result = reconcile([answer('ok1', 200), answer('ok2', 200)], [row('ok1')]);
    expect(result.lostCount).toBe(1);
    expect(result.problems).toEqual([
      'ok2 (client 1, d 100, status 200): acknowledged but not in the database',
    ]);
  });

  it('reports a wrong amount, a written rejection, a written refusal and a duplicate', () => {
    const result = reconcile(
      [answer('ok1', 200), answer('no1', 422), answer('ref1', 0, true), answer('ok2', 200)],
      [row('ok1', 99), row('no1'), row('ref1'), row('ok2'), row('ok2')],
    );
    expect(result).toMatchObject({
      lostCount: 0,
      wrongCount: 1,
      rejectedCommittedCount: 1,
      refusedCommittedCount: 1,
      duplicateCount: 1,
    });
    expect(result.problems).toHaveLength(4);
  });

  it('counts rows nobody asked for', () => {
    expect(countPhantoms([answer('ok1', 200)], [row('ok1'), row('ghost')])).toBe(1);
  });
});
