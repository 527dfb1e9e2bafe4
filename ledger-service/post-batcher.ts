// Group commit for postings, the way TigerBeetle batches transfers: concurrent
// postings are coalesced into one database round trip and one commit (one WAL flush),
// while each keeps its own answer. A batch starts as soon as a slot is free, so under
// light load a posting goes alone with no added wait, and under heavy load batches
// grow by themselves. Within a batch postings are ordered by client id (each client's
// own arrival order kept), so concurrent batches lock rows in one order: no deadlocks.
import assert from 'node:assert/strict';
import {
  CallCancelledError,
  type CallScope,
  DatabaseUnavailableError,
  DeadlineExceededError,
  type PostTransactionCommand,
  type PostTransactionOutcome,
} from './ledger.js';

export interface PostBatcherLimits {
  /** Postings per round trip. */
  readonly batchSizeMax: number;
  /** Batches in flight at once; more would mostly wait on the same rows' locks. */
  readonly inFlightMax: number;
  /** Postings waiting for a batch beyond which new ones are refused at once. */
  readonly queueLengthMax: number;
}

export interface QueuedPosting {
  readonly command: PostTransactionCommand;
  readonly scope: CallScope;
}

/** Runs one batch, already ordered, and returns one outcome per posting in that order. */
export type ExecuteBatch = (batch: readonly QueuedPosting[]) => Promise<PostTransactionOutcome[]>;

interface Pending extends QueuedPosting {
  readonly resolve: (outcome: PostTransactionOutcome) => void;
  readonly reject: (error: unknown) => void;
}

/** Stable by client id: each client's postings keep their arrival order. */
export function orderForLocking<T extends QueuedPosting>(batch: readonly T[]): T[] {
  return batch
    .map((posting, index) => ({ posting, index }))
    .sort((a, b) => a.posting.command.clientId - b.posting.command.clientId || a.index - b.index)
    .map(({ posting }) => posting);
}

/** A posting's deadline counts as reached this close to it. */
const DEADLINE_NEAR_MS = 100;

/**
 * A failed batch wrote nothing for any of its postings. A lock wait cut short by the
 * batch's nearest deadline is DEADLINE_EXCEEDED only for postings whose own deadline
 * is near too; the others may simply try again.
 */
function errorFor(pending: QueuedPosting, error: unknown): unknown {
  if (!(error instanceof DeadlineExceededError)) return error;
  if (pending.scope.deadlineMs - Date.now() <= DEADLINE_NEAR_MS) return error;
  return new DatabaseUnavailableError(
    'a posting batched with this one timed out; nothing was written',
  );
}

export class PostBatcher {
  private readonly queue: Pending[] = [];
  private inFlight = 0;

  constructor(
    private readonly execute: ExecuteBatch,
    private readonly limits: PostBatcherLimits,
  ) {}

  submit(command: PostTransactionCommand, scope: CallScope): Promise<PostTransactionOutcome> {
    if (this.queue.length >= this.limits.queueLengthMax) {
      return Promise.reject(
        new DatabaseUnavailableError(
          `${this.queue.length} postings already waiting for the database`,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ command, scope, resolve, reject });
      this.startBatches();
    });
  }

  private startBatches(): void {
    while (this.inFlight < this.limits.inFlightMax && this.queue.length > 0) {
      void this.runBatch(this.queue.splice(0, this.limits.batchSizeMax));
    }
  }

  private async runBatch(taken: Pending[]): Promise<void> {
    this.inFlight++;
    // A posting whose caller left or whose deadline passed while queued is not sent.
    const live = taken.filter((pending) => {
      if (!pending.scope.isCancelled()) return true;
      pending.reject(
        Date.now() >= pending.scope.deadlineMs
          ? new DeadlineExceededError(
              'deadline passed while waiting for the database; nothing was written',
            )
          : new CallCancelledError('call cancelled before it reached the database'),
      );
      return false;
    });
    const ordered = orderForLocking(live);
    try {
      if (ordered.length > 0) {
        const outcomes = await this.execute(ordered);
        assert.equal(outcomes.length, ordered.length, 'one outcome per posting');
        ordered.forEach((pending, index) => {
          pending.resolve(outcomes[index] as PostTransactionOutcome);
        });
      }
    } catch (error) {
      for (const pending of ordered) pending.reject(errorFor(pending, error));
    } finally {
      this.inFlight--;
      this.startBatches();
    }
  }
}
