import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { describeError } from '../core/logger';
import { setStackMapper } from '../core/stack';
import { mapStacksThroughSourceMap, projectRootPrefix, sourceMapStackMapper } from './source-map-stacks';

// A small project bundled like the functions (minified ESM with a map beside it, the entry
// generated under .build/entries/): a handler file whose named function throws, called by the entry.
const HANDLER = [
  '// line 1',
  'export function lookupCustomer(id: string): string {',
  '  if (id.length > 0) {',
  "    throw new Error('no customer');",
  '  }',
  "  return 'none';",
  '}',
].join('\n');
const ENTRY = [
  "import { lookupCustomer } from '../../functions/blocking/user.pre_create';",
  '',
  'export function run(): unknown {',
  "  try { return lookupCustomer('c1'); } catch (error) { return error; }",
  '}',
].join('\n');

let dir: string;
let bundle: string;
/** The stack of the bundle's error, from a process without source maps, as Lambda now runs it. */
let rawStack: string;
/** The same, from a process with Node's `--enable-source-maps`: what the mapper must match. */
let nodeMappedStack: string;

/** Loads the bundle in a fresh `node` (this test process maps stacks itself) and returns the error's stack. */
function stackFromChild(nodeOptions: string[]): string {
  const script = `import(${JSON.stringify(pathToFileURL(bundle).href)}).then((m) => process.stdout.write(m.run().stack));`;
  return execFileSync(process.execPath, [...nodeOptions, '--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '' },
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'source-map-stacks-'));
  const sources = join(dir, 'project');
  const functions = join(sources, 'functions', 'blocking');
  mkdirSync(functions, { recursive: true });
  writeFileSync(join(functions, 'user.pre_create.ts'), HANDLER);
  mkdirSync(join(sources, '.build', 'entries'), { recursive: true });
  writeFileSync(join(sources, '.build', 'entries', 'blocking.ts'), ENTRY);
  // Where synth puts each function's bundle: two folders below the project.
  bundle = join(sources, 'cdk.out', 'asset.1', 'index.mjs');
  await build({
    entryPoints: [join(sources, '.build', 'entries', 'blocking.ts')],
    outfile: bundle,
    bundle: true,
    format: 'esm',
    platform: 'node',
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    logLevel: 'silent',
  });
  rawStack = stackFromChild([]);
  nodeMappedStack = stackFromChild(['--enable-source-maps']);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => setStackMapper(undefined));

function errorWith(stack: string): Error {
  const error = new Error('no customer');
  error.stack = stack;
  return error;
}

describe('mapStacksThroughSourceMap: a real esbuild bundle and its map', () => {
  it('names the source file, line and column in place of the bundle position', () => {
    // Prepare
    expect(rawStack).toMatch(/index\.mjs:1:\d+/);
    mapStacksThroughSourceMap(pathToFileURL(bundle).href);

    // Act
    const { error_stack: stack } = describeError(errorWith(rawStack)) as { error_stack: string };

    // Assess
    const frames = stack.split('\n');
    expect(frames[0]).toBe('Error: no customer');
    expect(frames[1]).toMatch(/^ {4}at \S+ \(functions\/blocking\/user\.pre_create\.ts:4:11\)$/);
    expect(frames[2]).toMatch(/^ {4}at \S+ \(\.build\/entries\/blocking\.ts:4:16\)$/);
    expect(stack).not.toContain('index.mjs');
  });

  it("gives the positions Node's --enable-source-maps gives, with paths relative to the project", () => {
    // Prepare
    const mapper = sourceMapStackMapper(bundle, () => new SourceMap(JSON.parse(readFileSync(`${bundle}.map`, 'utf8'))));
    const positions = (stack: string) => stack.split('\n').map((frame) => /\(?(\S+:\d+:\d+)\)?$/.exec(frame)?.[1]);

    // Act
    const ours = mapper(rawStack);

    // Assess
    expect(positions(ours)).toEqual(positions(nodeMappedStack.split(`${join(dir, 'project')}/`).join('')));
    expect(positions(ours).filter((p) => p?.includes('.ts:'))).toHaveLength(2);
  });

  it('reads the map once, when the first stack is mapped, and not before', () => {
    // Prepare
    let loads = 0;
    const real = new SourceMap(JSON.parse(readFileSync(`${bundle}.map`, 'utf8')));
    const mapper = sourceMapStackMapper(bundle, () => {
      loads += 1;
      return real;
    });
    expect(loads).toBe(0);

    // Act
    const first = mapper(rawStack);
    const second = mapper(rawStack);

    // Assess
    expect(loads).toBe(1);
    expect(second).toBe(first);
    expect(first).toContain('functions/blocking/user.pre_create.ts:4:11');
  });

  it('leaves stacks alone when the map cannot be read, and frames from other files always', () => {
    // Prepare
    const missing = sourceMapStackMapper(bundle, () => {
      throw new Error('ENOENT');
    });
    const stack = `Error: x\n    at a (file://${bundle}:1:10)\n    at b (node:internal/process/task_queues:95:5)`;

    // Act & Assess
    expect(missing(stack)).toBe(stack);
    const other = 'Error: x\n    at a (/var/task/other.mjs:1:10)';
    expect(sourceMapStackMapper(bundle, () => ({ findEntry: () => ({}) }))(other)).toBe(other);
  });

  it('installs nothing without a file URL (a CommonJS build has no import.meta.url)', () => {
    // Prepare
    const error = errorWith(rawStack);

    // Act
    mapStacksThroughSourceMap(undefined);

    // Assess
    expect(describeError(error).error_stack).toBe(error.stack);
  });
});

describe('projectRootPrefix', () => {
  it.each([
    [['../../shared/core/app.ts', '../../.build/entries/blocking.ts'], '../../'],
    [['../../../home/ana/app/shared/core/app.ts', '../../../home/ana/app/.build/entries/worker.ts'], '../../../home/ana/app/'],
    [['../../shared/core/app.ts'], '../../'],
    [[], ''],
  ])('%j → %j', (sources, prefix) => {
    // Act & Assess
    expect(projectRootPrefix(sources)).toBe(prefix);
  });
});
