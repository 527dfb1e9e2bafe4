// Renders the facade's OpenAPI document (http-facade/openapi.ts) from the app itself,
// built without listening, and writes it to docs/openapi.json. With --check it fails
// on any difference from the committed file instead, so the document cannot drift
// from the routes' schemas.
import { readFileSync, writeFileSync } from 'node:fs';
import { createLogger } from '../common/logger.js';
import { buildApp } from '../http-facade/app.js';
import { parseFacadeConfig } from '../http-facade/config.js';
import type { LedgerClient } from '../http-facade/ledger-client.js';
import { OPENAPI_PATH } from '../http-facade/openapi.js';

const DOCUMENT_FILE = 'docs/openapi.json';

/** Rendering calls no ledger: every call of this one would be a bug. */
const unusedLedger: LedgerClient = {
  postTransaction: () => Promise.reject(new Error('no ledger while rendering')),
  getStatement: () => Promise.reject(new Error('no ledger while rendering')),
  isServing: () => Promise.resolve(false),
  close: () => {},
};

export async function renderOpenApiDocument(): Promise<string> {
  const app = buildApp({
    config: parseFacadeConfig({}),
    ledger: unusedLedger,
    logger: createLogger('openapi', 'silent'),
  });
  try {
    const response = await app.inject({ url: OPENAPI_PATH });
    if (response.statusCode !== 200) throw new Error(`${OPENAPI_PATH}: ${response.statusCode}`);
    return `${response.body}\n`;
  } finally {
    await app.close();
  }
}

async function main(): Promise<void> {
  const rendered = await renderOpenApiDocument();
  if (!process.argv.includes('--check')) {
    writeFileSync(DOCUMENT_FILE, rendered);
    console.log(`wrote ${DOCUMENT_FILE}`);
    return;
  }
  let committed = '';
  try {
    committed = readFileSync(DOCUMENT_FILE, 'utf8');
  } catch {
    // missing: reported as a difference below
  }
  if (committed !== rendered) {
    console.error(`${DOCUMENT_FILE} is out of date: run npm run openapi:generate`);
    process.exit(1);
  }
  console.log(`${DOCUMENT_FILE} is up to date`);
}

if (process.argv[1]?.endsWith('generate-openapi.js')) await main();
