// Logs a recurring warning at most once per interval, with how many were folded into
// it, so that an outage or an overload (thousands of identical failures a second)
// cannot turn the logs themselves into the next bottleneck.
import type { Logger } from './logger.js';

export type SampledLog = (fields: Record<string, unknown>, message: string) => void;

export function sampledWarn(logger: Logger, intervalMs: number): SampledLog {
  let lastLoggedAt = Number.NEGATIVE_INFINITY;
  let folded = 0;
  return (fields, message) => {
    const now = Date.now();
    if (now - lastLoggedAt < intervalMs) {
      folded++;
      return;
    }
    logger.warn({ ...fields, foldedSinceLast: folded }, message);
    lastLoggedAt = now;
    folded = 0;
  };
}
