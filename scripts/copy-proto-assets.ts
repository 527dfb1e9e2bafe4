// Copies what the compiled proto loader reads at run time (the .proto tree and the
// descriptor set) beside it in dist/, so dist/ runs on its own (as in the image).
import { cpSync } from 'node:fs';

for (const entry of ['ledger', 'grpc', 'descriptor-set.binpb']) {
  cpSync(`proto/${entry}`, `dist/proto/${entry}`, { recursive: true });
}
