// Logs on stdout (pino), one logger per process, named by role: JSON lines for machines
// (compose, files, pipes), and, when stdout is a terminal, one readable line per event
// for the person watching `npm start`. pino-pretty is loaded only then, so a service
// whose output is collected never pays for it.
import { createRequire } from 'node:module';
import { type DestinationStream, type Logger, pino } from 'pino';
import type PinoPretty from 'pino-pretty';

export type { Logger };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A synchronous prettifier: a line is on the terminal before the process can exit. */
function prettyStream(): DestinationStream {
  const require = createRequire(import.meta.url);
  const pretty = require('pino-pretty') as typeof PinoPretty;
  return pretty({
    sync: true,
    colorize: true,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'hostname',
  });
}

export function createLogger(
  name: string,
  level: LogLevel,
  terminal: boolean = process.stdout.isTTY === true,
): Logger {
  const options = { name, level, base: { pid: process.pid } };
  return terminal ? pino(options, prettyStream()) : pino(options);
}
