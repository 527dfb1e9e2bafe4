// Keeps the standard health service truthful: SERVING while the database answers,
// NOT_SERVING while it does not, re-checked on a fixed interval.
import type { HealthImplementation, ServingStatus } from 'grpc-health-check';
import type { Logger } from '../common/logger.js';
import { LEDGER_SERVICE_NAME } from './grpc-server.js';
import type { LedgerStore } from './ledger.js';

export interface HealthMonitor {
  /** The status last set: SERVING while the database answered the last check. */
  serving(): boolean;
  /** Checks once now; resolves with the status it set. */
  check(): Promise<ServingStatus>;
  stop(): void;
}

export function startHealthMonitor(
  store: LedgerStore,
  health: HealthImplementation,
  intervalMs: number,
  logger: Logger,
): HealthMonitor {
  let current: ServingStatus | undefined;
  let checking: Promise<ServingStatus> | undefined;

  function set(status: ServingStatus): ServingStatus {
    if (status !== current) {
      logger.info({ status }, 'health changed');
      current = status;
    }
    health.setStatus('', status);
    health.setStatus(LEDGER_SERVICE_NAME, status);
    return status;
  }

  function check(): Promise<ServingStatus> {
    checking ??= store
      .ping()
      .then(
        () => set('SERVING'),
        () => set('NOT_SERVING'),
      )
      .finally(() => {
        checking = undefined;
      });
    return checking;
  }

  const timer = setInterval(() => void check(), intervalMs);
  timer.unref();
  void check();
  return {
    check,
    serving: () => current === 'SERVING',
    stop: () => clearInterval(timer),
  };
}
