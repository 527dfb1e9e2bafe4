// Goal: the group-commit batcher keeps each posting's own answer, coalesces postings
// that arrive while a batch is in flight, orders a batch by client without reordering
// a client's own postings, refuses work beyond its queue, never sends a posting whose
// deadline passed while it waited, and never lets a nearly spent deadline shorten the
// wait of the others in its batch.
// Method: the batcher's policy alone, with a recording store in place of the database
// round trip (the real round trip is covered by the ledger and concurrency tests).
import { describe, expect, it } from 'vitest';
import type { CallScope } from './deadlines.js';
import type { PostTransactionCommand } from './ledger.js';
import { orderForLocking, PostBatcher, type QueuedPosting } from './post-batcher.js';

const scope = { deadlineMs: Number.POSITIVE_INFINITY, isCancelled: () => false };

function command(clientId: number, description: string): PostTransactionCommand {
  return { clientId, amountCents: 1, kind: 'credit', description, idempotencyKey: null };
}

/** A store that records each batch and holds it until released. */
function recordingStore() {
  const batches: string[][] = [];
  const scopes: CallScope[] = [];
  let release: () => void = () => {};
  const gate = () => new Promise<void>((resolve) => (release = resolve));
  let pending = gate();
  const postBatch = async (commands: readonly PostTransactionCommand[], batch: CallScope) => {
    batches.push(commands.map((each) => each.description));
    scopes.push(batch);
    await pending;
    pending = gate();
    return commands.map((each) => ({
      type: 'applied' as const,
      limitCents: 0,
      balanceCents: each.clientId,
      transactionId: 1,
      createdAtMicros: 0,
      replayed: false,
    }));
  };
  /** Resolves once the store has received this many batches. */
  const batchesReceived = async (count: number) => {
    while (batches.length < count) await new Promise((resolve) => setImmediate(resolve));
  };
  return { batches, scopes, store: { postBatch }, release: () => release(), batchesReceived };
}

describe('orderForLocking', () => {
  it('sorts by client id and keeps each client’s arrival order', () => {
    const batch: QueuedPosting[] = [
      { command: command(3, 'a'), scope },
      { command: command(1, 'b'), scope },
      { command: command(3, 'c'), scope },
      { command: command(1, 'd'), scope },
    ];
    expect(orderForLocking(batch).map((posting) => posting.command.description)).toEqual([
      'b',
      'd',
      'a',
      'c',
    ]);
  });
});

describe('PostBatcher', () => {
  it('sends the first posting at once and coalesces those that arrive meanwhile', async () => {
    const executor = recordingStore();
    const batcher = new PostBatcher(executor.store, {
      batchSizeMax: 10,
      inFlightMax: 1,
      queueLengthMax: 100,
    });
    const first = batcher.submit(command(2, 'first'), scope);
    const later = [batcher.submit(command(5, 'x'), scope), batcher.submit(command(4, 'y'), scope)];
    executor.release();
    await first;
    await executor.batchesReceived(2);
    executor.release();
    const outcomes = await Promise.all(later);
    expect(executor.batches).toEqual([['first'], ['y', 'x']]);
    // Each caller gets its own outcome, whatever the order inside the batch.
    expect(outcomes).toEqual([
      expect.objectContaining({ type: 'applied', balanceCents: 5 }),
      expect.objectContaining({ type: 'applied', balanceCents: 4 }),
    ]);
  });

  it('refuses a posting beyond the queue at once, as unavailable', async () => {
    const executor = recordingStore();
    const batcher = new PostBatcher(executor.store, {
      batchSizeMax: 10,
      inFlightMax: 1,
      queueLengthMax: 1,
    });
    const inFlight = batcher.submit(command(1, 'sent'), scope);
    const queued = batcher.submit(command(1, 'queued'), scope);
    await expect(batcher.submit(command(1, 'refused'), scope)).rejects.toMatchObject({
      name: 'DatabaseUnavailableError',
    });
    executor.release();
    await inFlight;
    await executor.batchesReceived(2);
    executor.release();
    await queued;
    expect(executor.batches.flat()).toEqual(['sent', 'queued']);
  });
});

describe('PostBatcher and deadlines', () => {
  it('does not send a posting whose deadline passed while it waited', async () => {
    const executor = recordingStore();
    const batcher = new PostBatcher(executor.store, {
      batchSizeMax: 10,
      inFlightMax: 1,
      queueLengthMax: 10,
    });
    const inFlight = batcher.submit(command(1, 'sent'), scope);
    const expired = batcher.submit(command(1, 'expired'), {
      deadlineMs: 0,
      isCancelled: () => true,
    });
    executor.release();
    await inFlight;
    await expect(expired).rejects.toMatchObject({ name: 'DeadlineExceededError' });
    expect(executor.batches).toEqual([['sent']]);
  });

  it('refuses a nearly spent posting alone and lets the others wait as long as they may', async () => {
    const executor = recordingStore();
    const batcher = new PostBatcher(executor.store, {
      batchSizeMax: 10,
      inFlightMax: 1,
      queueLengthMax: 10,
    });
    const inFlight = batcher.submit(command(1, 'first'), scope);
    const patientDeadlineMs = Date.now() + 60_000;
    const patient = { deadlineMs: patientDeadlineMs, isCancelled: () => false };
    const patientOnes = [
      batcher.submit(command(1, 'patient-1'), patient),
      batcher.submit(command(2, 'patient-2'), patient),
    ];
    // Less than a millisecond left: too little for even the shortest lock wait.
    const spent = batcher.submit(command(1, 'spent'), {
      deadlineMs: Date.now() + 0.5,
      isCancelled: () => false,
    });
    executor.release();
    await inFlight;
    await expect(spent).rejects.toMatchObject({ name: 'DeadlineExceededError' });
    await executor.batchesReceived(2);
    executor.release();
    await expect(Promise.all(patientOnes)).resolves.toHaveLength(2);
    expect(executor.batches).toEqual([['first'], ['patient-1', 'patient-2']]);
    // The batch is as patient as its most patient posting.
    expect(executor.scopes[1]?.deadlineMs).toBe(patientDeadlineMs);
  });
});
