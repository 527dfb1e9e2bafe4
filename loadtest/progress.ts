// The live progress line on stderr: rewritten in place on a terminal, one plain line
// every few seconds otherwise (CI logs). It reads the recorder's running totals only,
// so it costs nothing per request.
import { performance } from 'node:perf_hooks';
import type { Recorder } from './recorder.js';

export interface ProgressStream {
  readonly isTTY?: boolean;
  write(text: string): boolean;
}

const TTY_INTERVAL_MS = 1000;
const PLAIN_INTERVAL_MS = 10_000;
/** One send this late is worth a warning line even before the summary. */
export const LAG_WARNING_MS = 100;

export interface Progress {
  setPhase(phase: string): void;
  /** Writes a line without breaking the in-place progress line. */
  note(line: string): void;
  stop(): void;
}

export function startProgress(
  stream: ProgressStream,
  recorder: Recorder,
  plannedCount: number,
): Progress {
  const tty = stream.isTTY === true;
  let phase = 'starting';
  let lastSent = 0;
  let lastAnswered = 0;
  let lastMs = performance.now();
  let lagWarnedMaxMs = LAG_WARNING_MS;
  let drawn = false;
  const clear = (): void => {
    if (tty && drawn) stream.write('\r\x1b[2K');
    drawn = false;
  };
  const tick = (): void => {
    const nowMs = performance.now();
    const seconds = (nowMs - lastMs) / 1000;
    const answered = recorder.records.length;
    const sentPerS = (recorder.sentCount - lastSent) / seconds;
    const answeredPerS = (answered - lastAnswered) / seconds;
    [lastSent, lastAnswered, lastMs] = [recorder.sentCount, answered, nowMs];
    const line =
      `[${(recorder.elapsedMs(nowMs) / 1000).toFixed(0).padStart(4)} s] ${phase.padEnd(11)}` +
      ` sent ${recorder.sentCount}/${plannedCount}  ${sentPerS.toFixed(0)}/s sent` +
      `  ${answeredPerS.toFixed(0)}/s answered  in flight ${recorder.inFlightCount}` +
      `  KO ${recorder.koCount}  inconsistencies ${recorder.inconsistencyCount}`;
    if (recorder.lagMaxMs > lagWarnedMaxMs) {
      lagWarnedMaxMs = recorder.lagMaxMs * 2;
      note(
        `warning: the load generator fell behind: a send was ${recorder.lagMaxMs.toFixed(0)} ms late`,
      );
    }
    if (tty) {
      clear();
      stream.write(line);
      drawn = true;
    } else {
      stream.write(`${line}\n`);
    }
  };
  const note = (line: string): void => {
    clear();
    stream.write(`${line}\n`);
  };
  const timer = setInterval(tick, tty ? TTY_INTERVAL_MS : PLAIN_INTERVAL_MS);
  timer.unref();
  return {
    setPhase(next) {
      phase = next;
    },
    note,
    stop() {
      clearInterval(timer);
      tick();
      if (tty) stream.write('\n');
    },
  };
}
