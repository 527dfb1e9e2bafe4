// Goal: logs are for whoever reads them: one readable line per event on a terminal (a
// person watching `npm start`), JSON lines everywhere else (compose, files, pipes).
// Method: a real process that logs through common/logger.ts, once with its stdout on a
// pseudo-terminal made by script(1), once on a pipe; skipped where script is missing.
// It runs dist/ (built by `npm test`'s pretest), as the services do.
import { execFileSync } from 'node:child_process';
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';

const LOG_ONE_EVENT = [
  "import { createLogger } from './dist/common/logger.js';",
  "createLogger('probe', 'info').warn({ clientId: 3 }, 'disk nearly full');",
].join('\n');

function hasScript(): boolean {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('logs', () => {
  it('are JSON lines when stdout is not a terminal', () => {
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', LOG_ONE_EVENT]);
    const lines = output.toString().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({
      level: 40,
      name: 'probe',
      clientId: 3,
      msg: 'disk nearly full',
    });
  });

  it.skipIf(!hasScript())('are one readable line per event on a terminal', () => {
    // script(1) runs the command with its stdout on a new pseudo-terminal.
    const command = `${process.execPath} --input-type=module -e "${LOG_ONE_EVENT.replaceAll('"', '\\"')}"`;
    const output = execFileSync('script', ['-qec', command, '/dev/null']).toString();
    // Colours are escape sequences; what a person reads is the text between them.
    const text = stripVTControlCharacters(output).trim();
    expect(text).toMatch(
      /^\[\d\d:\d\d:\d\d\.\d{3}\] WARN \(probe\/\d+\): disk nearly full \{"clientId":3\}$/,
    );
  });
});
