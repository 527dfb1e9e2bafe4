// Goal: the group-commit batcher keeps each posting's own answer, coalesces postings
// that arrive while a batch is in flight, orders a batch by client without reordering
// a client's own postings, refuses work beyond its queue, and never sends a posting
// whose deadline passed while it waited.
// Method: the batcher with a recording executor in place of the database round trip
// (the real round trip is covered by the ledger and concurrency tests).
import { describe, expect, it } from 'vitest';
import type { PostTransactionCommand } from './ledger.js';
import {
  type ExecuteBatch,
  orderForLocking,
  PostBatcher,
  type QueuedPosting,
} from './post-batcher.js';

const scope = { deadlineMs: Number.POSITIVE_INFINITY, isCancelled: () => false };

function command(clientId: number, description: string): PostTransactionCommand {
  return { clientId, amountCents: 1, kind: 'credit', description };
}

function recordingExecutor() {
  const batches: string[][] = [];
  let release: () => void = () => {};
  const gate = () => new Promise<void>((resolve) => (release = resolve));
  let pending = gate();
  const execute: ExecuteBatch = async (batch) => {
    batches.push(batch.map((posting) => posting.command.description));
    await pending;
    pending = gate();
    return batch.map((posting) => ({
      type: 'applied',
      limitCents: 0,
      balanceCents: posting.command.clientId,
    }));
  };
  return { batches, execute, release: () => release() };
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
    const executor = recordingExecutor();
    const batcher = new PostBatcher(executor.execute, {
      batchSizeMax: 10,
      inFlightMax: 1,
      queueLengthMax: 100,
    });
    const first = batcher.submit(command(2, 'first'), scope);
    const later = [batcher.submit(command(5, 'x'), scope), batcher.submit(command(4, 'y'), scope)];
    executor.release();
    await first;
    await new Promise((resolve) => setImmediate(resolve));
    executor.release();
    const outcomes = await Promise.all(later);
    expect(executor.batches).toEqual([['first'], ['y', 'x']]);
    // Each caller gets its own outcome, whatever the order inside the batch.
    expect(outcomes).toEqual([
      { type: 'applied', limitCents: 0, balanceCents: 5 },
      { type: 'applied', limitCents: 0, balanceCents: 4 },
    ]);
  });

  it('refuses a posting beyond the queue at once, as unavailable', async () => {
    const executor = recordingExecutor();
    const batcher = new PostBatcher(executor.execute, {
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
    await new Promise((resolve) => setImmediate(resolve));
    executor.release();
    await queued;
    expect(executor.batches.flat()).toEqual(['sent', 'queued']);
  });

  it('does not send a posting whose deadline passed while it waited', async () => {
    const executor = recordingExecutor();
    const batcher = new PostBatcher(executor.execute, {
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
});
