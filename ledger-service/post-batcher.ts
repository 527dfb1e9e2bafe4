// Group commit for postings, the way TigerBeetle batches transfers: concurrent
// postings are coalesced into one database round trip and one commit (one WAL flush),
// while each keeps its own answer. A batch starts as soon as a slot is free, so under
// light load a posting goes alone with no added wait, and under heavy load batches
// grow by themselves. Within a batch postings are ordered by client id (each client's
// own arrival order kept), so concurrent batches lock rows in one order: no deadlocks.
import { performance } from 'node:perf_hooks';
import { batchScope, type CallScope, refusalBeforeSending } from './deadlines.js';
import {
  DatabaseUnavailableError,
  type LedgerStore,
  type PostTransactionCommand,
  type PostTransactionOutcome,
} from './ledger.js';
import type { LedgerMetrics } from './metrics.js';

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

export class PostBatcher {
  private readonly queue: Pending[] = [];
  private inFlight = 0;

  constructor(
    private readonly store: Pick<LedgerStore, 'postBatch'>,
    private readonly limits: PostBatcherLimits,
    private readonly metrics?: Pick<LedgerMetrics, 'batchFinished'>,
  ) {}

  /** Postings waiting for a batch. */
  get queueLength(): number {
    return this.queue.length;
  }

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
    // A posting whose caller left or whose deadline is spent while it queued is refused
    // alone, before the batch is sent: it never shortens the others' wait.
    const live = taken.filter((pending) => {
      const refusal = refusalBeforeSending(pending.scope);
      if (refusal !== null) pending.reject(refusal);
      return refusal === null;
    });
    const ordered = orderForLocking(live);
    try {
      if (ordered.length > 0) {
        const startMs = performance.now();
        const outcomes = await this.store.postBatch(
          ordered.map((pending) => pending.command),
          batchScope(ordered.map((pending) => pending.scope)),
        );
        this.metrics?.batchFinished(ordered.length, startMs);
        ordered.forEach((pending, index) => {
          pending.resolve(outcomes[index] as PostTransactionOutcome);
        });
      }
    } catch (error) {
      // The batch's transaction rolled back: nothing was written for any posting.
      for (const pending of ordered) pending.reject(error);
    } finally {
      this.inFlight--;
      this.startBatches();
    }
  }
}
