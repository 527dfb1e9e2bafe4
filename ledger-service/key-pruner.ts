// Keeps the idempotency keys to their retention window: on a fixed interval it deletes
// the keys older than the window in small batches, one batch at a time, so pruning
// costs the postings beside it no more than a few short statements.
import type { Logger } from '../common/logger.js';
import type { LedgerStore } from './ledger.js';

/** Keys deleted per statement: small enough to hold few locks briefly. */
export const PRUNE_BATCH_SIZE = 500;
const HOUR_MS = 3_600_000;

export interface KeyPruner {
  /** Prunes once now, every batch until none is left; resolves with the count deleted. */
  pruneNow(): Promise<number>;
  stop(): void;
}

export function startKeyPruner(
  store: Pick<LedgerStore, 'pruneIdempotencyKeys'>,
  options: { readonly retentionHours: number; readonly intervalMs: number },
  logger: Logger,
): KeyPruner {
  let running: Promise<number> | undefined;

  async function pruneAll(): Promise<number> {
    const before = new Date(Date.now() - options.retentionHours * HOUR_MS);
    let total = 0;
    for (;;) {
      const deleted = await store.pruneIdempotencyKeys(before, PRUNE_BATCH_SIZE);
      total += deleted;
      if (deleted < PRUNE_BATCH_SIZE) return total;
    }
  }

  function pruneNow(): Promise<number> {
    running ??= pruneAll().finally(() => {
      running = undefined;
    });
    return running;
  }

  const timer = setInterval(() => {
    pruneNow().then(
      (deleted) => {
        if (deleted > 0) logger.info({ deleted }, 'idempotency keys past retention pruned');
      },
      // The database may be down for a while: health reports it; the next round retries.
      (error: unknown) => logger.warn({ err: error }, 'pruning idempotency keys failed'),
    );
  }, options.intervalMs);
  timer.unref();
  return { pruneNow, stop: () => clearInterval(timer) };
}
