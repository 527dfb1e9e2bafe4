// Static rules for the Dockerfile: pinned base image, multi-stage with a build that
// runs `npm run build`, production dependencies only in the runtime, a non-root user,
// COPY sources that exist and pass .dockerignore, and a CMD naming a file the build
// produces. Returns problems, empty when the Dockerfile is right.
import { existsSync } from 'node:fs';
import { distFilesIn, sourceOfDistFile } from './stack-agreement.js';

export interface Instruction {
  readonly keyword: string;
  readonly argument: string;
}

/** Instructions with line continuations joined and comments dropped. */
export function parseDockerfile(text: string): Instruction[] {
  const logicalLines = text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  return logicalLines.map((line) => {
    const [keyword = '', ...rest] = line.split(/\s+/);
    return { keyword: keyword.toUpperCase(), argument: rest.join(' ') };
  });
}

function argumentsOf(instructions: Instruction[], keyword: string): string[] {
  return instructions.filter((i) => i.keyword === keyword).map((i) => i.argument);
}

/** The top-level names .dockerignore lets into the build context (allowlist form). */
export function contextAllowlist(dockerignore: string): Set<string> {
  const lines = dockerignore.split('\n').map((line) => line.trim());
  return new Set(lines.filter((line) => line.startsWith('!')).map((line) => line.slice(1)));
}

function checkBaseImages(instructions: Instruction[]): string[] {
  const problems: string[] = [];
  const nodeImage = /^ARG NODE_IMAGE=(\S+)$/m.exec(
    instructions.map((i) => `${i.keyword} ${i.argument}`).join('\n'),
  )?.[1];
  if (nodeImage === undefined || !/^node:\d+\.\d+\.\d+-\w+-slim$/.test(nodeImage)) {
    problems.push(`base image ${nodeImage} must be a node:X.Y.Z-<debian>-slim tag`);
  }
  const stages = argumentsOf(instructions, 'FROM');
  if (stages.length < 2) problems.push('needs a multi-stage build');
  if (!stages.every((from) => /^\$\{NODE_IMAGE\}/.test(from))) {
    problems.push('every stage must start from the pinned NODE_IMAGE');
  }
  return problems;
}

function checkCopySources(instructions: Instruction[], allowed: Set<string>): string[] {
  const problems: string[] = [];
  for (const argument of argumentsOf(instructions, 'COPY')) {
    if (argument.includes('--from=')) continue;
    const words = argument.split(/\s+/).filter((word) => !word.startsWith('--'));
    for (const source of words.slice(0, -1)) {
      if (!existsSync(source)) problems.push(`COPY ${source}: no such file in the repository`);
      if (!allowed.has(source)) problems.push(`COPY ${source}: excluded by .dockerignore`);
    }
  }
  return problems;
}

function checkRuntime(instructions: Instruction[]): string[] {
  const problems: string[] = [];
  const runs = argumentsOf(instructions, 'RUN').join('\n');
  if (!runs.includes('npm run build')) problems.push('the build stage must run npm run build');
  if (!/npm ci --omit=dev/.test(runs)) problems.push('runtime dependencies need npm ci --omit=dev');
  const users = argumentsOf(instructions, 'USER');
  if (users.length === 0 || ['root', '0'].includes(users.at(-1) ?? '')) {
    problems.push('the runtime must run as a non-root USER');
  }
  const copies = argumentsOf(instructions, 'COPY').join('\n');
  if (!/--from=build\b.*\/app\/dist/.test(copies)) problems.push('runtime must copy dist/');
  if (!/package\.json/.test(copies)) problems.push('runtime needs package.json (type: module)');
  return problems;
}

function checkCommand(instructions: Instruction[]): string[] {
  const cmd = argumentsOf(instructions, 'CMD').at(-1);
  if (cmd === undefined) return ['no CMD'];
  let words: unknown;
  try {
    words = JSON.parse(cmd);
  } catch {
    return ['CMD must use the exec form (a JSON list) so node receives SIGTERM'];
  }
  const files = distFilesIn(words);
  if (files.length === 0) return [`CMD ${cmd} names no dist/ file`];
  return files
    .filter((file) => sourceOfDistFile(file) === undefined)
    .map((file) => `CMD ${file} is not produced by the build`);
}

export function checkDockerfile(dockerfile: string, dockerignore: string): string[] {
  const instructions = parseDockerfile(dockerfile);
  return [
    ...checkBaseImages(instructions),
    ...checkCopySources(instructions, contextAllowlist(dockerignore)),
    ...checkRuntime(instructions),
    ...checkCommand(instructions),
  ];
}
