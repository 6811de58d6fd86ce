import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { describeError } from '../core/logger';
import { setStackMapper } from '../core/stack';
import { mapStacksThroughSourceMap, projectRootPrefix, sourceMapStackMapper } from './source-map-stacks';

// A small project bundled like the functions (minified ESM with a map beside it, the entry
// generated under .build/entries/ importing the handler file by its absolute path, as synth
// writes it): a handler whose named function throws, called by the entry.
const HANDLER = [
  '// line 1',
  'export function lookupCustomer(id: string): string {',
  '  if (id.length > 0) {',
  "    throw new Error('no customer');",
  '  }',
  "  return 'none';",
  '}',
].join('\n');
const entrySource = (handlerFile: string): string =>
  [
    `import { lookupCustomer } from ${JSON.stringify(handlerFile)};`,
    '',
    'export function run(): unknown {',
    "  try { return lookupCustomer('c1'); } catch (error) { return error; }",
    '}',
  ].join('\n');

/** A bundle of the project, the stack its error has without source maps, and with Node's own mapping. */
interface Built {
  readonly bundle: string;
  readonly rawStack: string;
  readonly nodeMappedStack: string;
  readonly map: () => SourceMap;
}

let dir: string;
let project: string;
/** Where synth puts each function's bundle: two folders below the project (`cdk.out/asset.…/`). */
let inside: Built;
/** A bundle written outside the project, as the tests' synthesis into a temporary folder does. */
let outside: Built;

/** Loads the bundle in a fresh `node` (this test process maps stacks itself) and returns the error's stack. */
function stackFromChild(bundle: string, nodeOptions: string[]): string {
  const script = `import(${JSON.stringify(pathToFileURL(bundle).href)}).then((m) => process.stdout.write(m.run().stack));`;
  return execFileSync(process.execPath, [...nodeOptions, '--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '' },
  });
}

async function buildInto(bundle: string): Promise<Built> {
  await build({
    entryPoints: [join(project, '.build', 'entries', 'blocking.ts')],
    outfile: bundle,
    bundle: true,
    format: 'esm',
    platform: 'node',
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    logLevel: 'silent',
  });
  return {
    bundle,
    rawStack: stackFromChild(bundle, []),
    nodeMappedStack: stackFromChild(bundle, ['--enable-source-maps']),
    map: () => new SourceMap(JSON.parse(readFileSync(`${bundle}.map`, 'utf8'))),
  };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'source-map-stacks-'));
  project = join(dir, 'project');
  const functions = join(project, 'functions', 'blocking');
  mkdirSync(functions, { recursive: true });
  writeFileSync(join(functions, 'user.pre_create.ts'), HANDLER);
  mkdirSync(join(project, '.build', 'entries'), { recursive: true });
  writeFileSync(join(project, '.build', 'entries', 'blocking.ts'), entrySource(join(functions, 'user.pre_create.ts')));
  inside = await buildInto(join(project, 'cdk.out', 'asset.1', 'index.mjs'));
  outside = await buildInto(join(dir, 'synth-output', 'asset.2', 'index.mjs'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => setStackMapper(undefined));

function errorWith(stack: string): Error {
  const error = new Error('no customer');
  error.stack = stack;
  return error;
}

/** The `file:line:column` of each line of a stack (undefined for the message line). */
const positions = (stack: string) => stack.split('\n').map((frame) => /\(?(\S+:\d+:\d+)\)?$/.exec(frame)?.[1]);

describe('mapStacksThroughSourceMap: a real esbuild bundle and its map', () => {
  it('names the source file, line and column in place of the bundle position', () => {
    // Prepare
    expect(inside.rawStack).toMatch(/index\.mjs:1:\d+/);
    mapStacksThroughSourceMap(pathToFileURL(inside.bundle).href);

    // Act
    const { error_stack: stack } = describeError(errorWith(inside.rawStack)) as { error_stack: string };

    // Assess
    const frames = stack.split('\n');
    expect(frames[0]).toBe('Error: no customer');
    expect(frames[1]).toMatch(/^ {4}at \S+ \(functions\/blocking\/user\.pre_create\.ts:4:11\)$/);
    expect(frames[2]).toMatch(/^ {4}at \S+ \(\.build\/entries\/blocking\.ts:4:16\)$/);
    expect(stack).not.toContain('index.mjs');
  });

  it.each([
    ['in cdk.out, inside the project', () => inside],
    ['outside the project', () => outside],
  ])("gives the positions Node's --enable-source-maps gives, relative to the project, for a bundle %s", (_where, built) => {
    // Prepare
    const { bundle, rawStack, nodeMappedStack, map } = built();
    const mapper = sourceMapStackMapper(bundle, map);

    // Act
    const ours = mapper(rawStack);

    // Assess
    expect(positions(ours)).toEqual(positions(nodeMappedStack.split(`${project}/`).join('')));
    expect(positions(ours).filter((p) => p?.startsWith('functions/blocking/user.pre_create.ts:'))).toHaveLength(1);
  });

  it('reads the map once, when the first stack is mapped, and not before', () => {
    // Prepare
    let loads = 0;
    const real = inside.map();
    const mapper = sourceMapStackMapper(inside.bundle, () => {
      loads += 1;
      return real;
    });
    expect(loads).toBe(0);

    // Act
    const first = mapper(inside.rawStack);
    const second = mapper(inside.rawStack);

    // Assess
    expect(loads).toBe(1);
    expect(second).toBe(first);
    expect(first).toContain('functions/blocking/user.pre_create.ts:4:11');
  });

  it('leaves the stack alone when the map cannot be read', () => {
    // Prepare
    const missing = sourceMapStackMapper(inside.bundle, () => {
      throw new Error('ENOENT');
    });

    // Act & Assess
    expect(missing(inside.rawStack)).toBe(inside.rawStack);
  });

  it("leaves another file's frames alone, even at positions the bundle's map knows", () => {
    // Prepare: the bundle's own stack, with every frame after the first moved to another file.
    const mapper = sourceMapStackMapper(inside.bundle, inside.map);
    const other = join(dirname(inside.bundle), 'other.mjs');
    const [message, first, ...rest] = inside.rawStack.split('\n');
    const moved = rest.map((frame) => frame.split(inside.bundle).join(other));
    expect(moved.filter((frame) => frame.includes(other)).length).toBeGreaterThan(0);

    // Act
    const mapped = mapper([message, first, ...moved].join('\n')).split('\n');

    // Assess
    expect(mapped[1]).toContain('functions/blocking/user.pre_create.ts:4:11');
    expect(mapped.slice(2)).toEqual(moved);
  });

  it('installs nothing without a file URL (a CommonJS build has no import.meta.url)', () => {
    // Prepare
    setStackMapper((stack) => `${stack}\n    (the mapper installed before)`);

    // Act
    mapStacksThroughSourceMap(undefined);

    // Assess: the mapper installed before is still the one in use.
    expect(describeError(errorWith('Error: x')).error_stack).toBe('Error: x\n    (the mapper installed before)');
  });
});

describe('projectRootPrefix', () => {
  it.each([
    ['in cdk.out, inside the project', () => inside],
    ['outside the project', () => outside],
  ])('is the path from a bundle %s to the project, as its map spells it', (_where, built) => {
    // Prepare
    const { bundle, map } = built();
    const sources = map().payload.sources as string[];

    // Act & Assess
    expect(projectRootPrefix(sources)).toBe(`${relative(dirname(bundle), project)}/`);
  });

  it('without the generated entry among the sources, is the climb of the first one; with no sources, empty', () => {
    // Prepare
    const sources = (inside.map().payload.sources as string[]).filter((s) => !s.includes('.build/entries/'));

    // Act & Assess
    expect(projectRootPrefix(sources)).toBe(`${relative(dirname(inside.bundle), project)}/`);
    expect(projectRootPrefix([])).toBe('');
  });
});
