// Regenerates what is derived from proto/: the TypeScript types (proto-loader-gen-types,
// with the runtime loader's own options) and the descriptor set served by reflection
// (buf build). With --check it writes to a temporary directory and fails on any
// difference from the committed files, so generated code cannot drift.
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LEDGER_PROTO_FILE, PROTO_LOADER_OPTIONS } from '../proto/loader.js';

const projectDir = process.cwd();
const protoDir = path.join(projectDir, 'proto');
const bin = (name: string) => path.join(projectDir, 'node_modules', '.bin', name);

function generate(outDir: string): void {
  const typesDir = path.join(outDir, 'generated');
  execFileSync(
    bin('proto-loader-gen-types'),
    [
      `--longs=${PROTO_LOADER_OPTIONS.longs.name}`,
      `--enums=${PROTO_LOADER_OPTIONS.enums.name}`,
      ...(PROTO_LOADER_OPTIONS.keepCase ? ['--keepCase'] : []),
      ...(PROTO_LOADER_OPTIONS.defaults ? ['--defaults'] : []),
      ...(PROTO_LOADER_OPTIONS.arrays ? ['--arrays'] : []),
      ...(PROTO_LOADER_OPTIONS.oneofs ? ['--oneofs'] : []),
      '--grpcLib=@grpc/grpc-js',
      '--includeComments',
      '--inputTemplate=%sInput',
      '--outputTemplate=%s',
      // Relative include paths keep this machine's directories out of the headers.
      '-I',
      '.',
      '-O',
      typesDir,
      LEDGER_PROTO_FILE,
    ],
    { cwd: protoDir },
  );
  // The generated files import each other without extensions, which only CommonJS
  // resolution allows; they hold types alone, so nothing of them exists at run time.
  writeFileSync(path.join(typesDir, 'package.json'), '{ "type": "commonjs" }\n');
  execFileSync(bin('buf'), ['build', '-o', path.join(outDir, 'descriptor-set.binpb')], {
    cwd: protoDir,
  });
}

function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory()
      ? listFiles(full, `${prefix}${name}/`)
      : [`${prefix}${name}`];
  });
}

const scratchDir = mkdtempSync(path.join(tmpdir(), 'ledger-proto-'));
try {
  generate(scratchDir);
  if (process.argv.includes('--check')) {
    const fresh = listFiles(scratchDir).sort();
    const committed = [
      ...listFiles(path.join(protoDir, 'generated')).map((file) => `generated/${file}`),
      'descriptor-set.binpb',
    ].sort();
    const drifted = [...new Set([...fresh, ...committed])].filter((file) => {
      const a = path.join(scratchDir, file);
      const b = path.join(protoDir, file);
      try {
        return !readFileSync(a).equals(readFileSync(b));
      } catch {
        return true;
      }
    });
    if (drifted.length > 0) {
      console.error(`Generated proto code is stale: ${drifted.join(', ')}`);
      console.error('Run `npm run proto:generate` and commit the result.');
      process.exit(1);
    }
    console.log(`proto: ${fresh.length} generated files up to date`);
  } else {
    rmSync(path.join(protoDir, 'generated'), { recursive: true, force: true });
    cpSync(scratchDir, protoDir, { recursive: true });
    console.log(`proto: regenerated ${listFiles(scratchDir).length} files`);
  }
} finally {
  rmSync(scratchDir, { recursive: true, force: true });
}
