// The one place that loads the ledger's .proto files. The same options drive the
// runtime loader and the generated TypeScript types (scripts/generate-proto.ts),
// so the types always describe the objects grpc-js really hands us.
import { fileURLToPath } from 'node:url';
import * as protoLoader from '@grpc/proto-loader';

/** The directory holding the .proto tree, beside this module in source and in dist. */
export const PROTO_ROOT_DIR = fileURLToPath(new URL('.', import.meta.url));

export const LEDGER_PROTO_FILE = 'ledger/v1/ledger.proto';

/** The descriptor set `buf build` compiles from this tree; served by reflection. */
export const DESCRIPTOR_SET_FILE = fileURLToPath(
  new URL('./descriptor-set.binpb', import.meta.url),
);

export const PROTO_LOADER_OPTIONS = Object.freeze({
  keepCase: false,
  // Amounts are at most 2^31 - 1 and balances are kept within 2^53 - 1 by the
  // database, so plain numbers are exact and cheaper than Long or strings. The one
  // 64-bit field that may exceed 2^53, PipelineRequest.request_id, the ledger reads
  // by hand (request-decoding.ts); the facade's own ids stay far below 2^53.
  longs: Number,
  enums: String,
  defaults: true,
  arrays: true,
  oneofs: true,
  includeDirs: [PROTO_ROOT_DIR],
} satisfies protoLoader.Options);

/** With the loader's options; a test may override some (say, `longs: String`). */
export function loadLedgerPackageDefinition(
  overrides: protoLoader.Options = {},
): protoLoader.PackageDefinition {
  return protoLoader.loadSync(LEDGER_PROTO_FILE, { ...PROTO_LOADER_OPTIONS, ...overrides });
}
