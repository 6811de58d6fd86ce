import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BLOCKING_EVENT_TYPES, NON_BLOCKING_EVENT_TYPES } from '../core/constants';
import { HandlerFileError } from '../core/errors';
import { findHandlerFiles, loadHandlers } from './handler-files';

let root: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'handler-files-'));
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

/** Creates `functions/<folder>/<name>` (or a directory when `name` ends with `/`). */
function put(folder: 'blocking' | 'non-blocking', name: string, content = 'export default undefined;\n'): void {
  const dir = join(root, 'functions', folder);
  mkdirSync(dir, { recursive: true });
  if (name.endsWith('/')) mkdirSync(join(dir, name), { recursive: true });
  else writeFileSync(join(dir, name), content);
}

/** Calls findHandlerFiles and returns its HandlerFileError, failing the test if it did not throw one. */
function problemOf(): HandlerFileError {
  try {
    findHandlerFiles(root);
  } catch (error) {
    if (error instanceof HandlerFileError) return error;
    throw error;
  }
  throw new Error('findHandlerFiles accepted the folder');
}

describe('findHandlerFiles: valid files', () => {
  it('finds correctly named files in both folders, sorted, with absolute and project-relative paths', () => {
    // Prepare
    put('blocking', 'user.pre_create.ts');
    put('blocking', 'oidc.jwt.pre_create.ts');
    put('non-blocking', 'user.created.ts');

    // Act
    const found = findHandlerFiles(root);

    // Assess
    expect(found.blocking).toEqual([
      {
        kind: 'blocking',
        eventType: 'oidc.jwt.pre_create',
        path: join(root, 'functions', 'blocking', 'oidc.jwt.pre_create.ts'),
        file: 'functions/blocking/oidc.jwt.pre_create.ts',
      },
      {
        kind: 'blocking',
        eventType: 'user.pre_create',
        path: join(root, 'functions', 'blocking', 'user.pre_create.ts'),
        file: 'functions/blocking/user.pre_create.ts',
      },
    ]);
    expect(found.nonBlocking).toEqual([
      {
        kind: 'non-blocking',
        eventType: 'user.created',
        path: join(root, 'functions', 'non-blocking', 'user.created.ts'),
        file: 'functions/non-blocking/user.created.ts',
      },
    ]);
  });

  it.each(['.ts', '.mts', '.js', '.mjs'])('recognises the %s extension', (ext) => {
    // Prepare
    put('non-blocking', `user.deleted${ext}`);

    // Act
    const found = findHandlerFiles(root);

    // Assess
    expect(found.nonBlocking.map((f) => [f.eventType, f.file])).toEqual([['user.deleted', `functions/non-blocking/user.deleted${ext}`]]);
  });

  it('accepts every blocking and every non-blocking event type as a file name', () => {
    // Prepare
    for (const type of BLOCKING_EVENT_TYPES) put('blocking', `${type}.ts`);
    for (const type of NON_BLOCKING_EVENT_TYPES) put('non-blocking', `${type}.ts`);

    // Act
    const found = findHandlerFiles(root);

    // Assess
    expect(found.blocking.map((f) => f.eventType).sort()).toEqual([...BLOCKING_EVENT_TYPES].sort());
    expect(found.nonBlocking.map((f) => f.eventType).sort()).toEqual([...NON_BLOCKING_EVENT_TYPES].sort());
  });

  it('returns empty lists when there is no functions folder', () => {
    // Prepare
    const empty = root;

    // Act
    const found = findHandlerFiles(empty);

    // Assess
    expect(found).toEqual({ blocking: [], nonBlocking: [] });
  });

  it('handles a project with only the non-blocking folder', () => {
    // Prepare
    put('non-blocking', 'user.created.ts');

    // Act
    const found = findHandlerFiles(root);

    // Assess
    expect(found.blocking).toEqual([]);
    expect(found.nonBlocking.map((f) => f.eventType)).toEqual(['user.created']);
  });

  it.each([
    ['a helper starting with _', '_lib.ts'],
    ['a hidden file', '.hidden.ts'],
    ['a test file', 'x.test.ts'],
    ['a test file named after an event', 'user.pre_create.test.ts'],
    ['a spec file', 'user.pre_create.spec.mts'],
    ['a declaration file', 'types.d.ts'],
    ['an ES-module declaration file', 'types.d.mts'],
    ['a sub-folder', 'helpers/'],
    ['a sub-folder named like an event', 'user.profile.pre_update.ts/'],
    ['a README', 'README.md'],
    ['a JSON file', 'user.pre_schedule_deletion.json'],
  ])('ignores %s (%s) next to a valid handler', (_name, ignored) => {
    // Prepare
    put('blocking', 'user.pre_create.ts');
    put('blocking', ignored);

    // Act
    const found = findHandlerFiles(root);

    // Assess
    expect(found.blocking.map((f) => f.file)).toEqual(['functions/blocking/user.pre_create.ts']);
  });

  it('does not look inside sub-folders for handlers', () => {
    // Prepare
    put('blocking', 'nested/');
    writeFileSync(join(root, 'functions', 'blocking', 'nested', 'user.pre_create.ts'), 'export default undefined;\n');

    // Act
    const found = findHandlerFiles(root);

    // Assess
    expect(found.blocking).toEqual([]);
  });
});

describe('findHandlerFiles: mistakes', () => {
  it('names a misnamed file and lists the valid types of both kinds', () => {
    // Prepare
    put('blocking', 'user.precreate.ts');

    // Act
    const error = problemOf();

    // Assess
    expect(error.name).toBe('HandlerFileError');
    expect(error.message).toContain('functions/blocking/user.precreate.ts');
    expect(error.message).toContain('"user.precreate" is not an Authgear blocking event type');
    expect(error.message).toContain(`Valid blocking event types (functions/blocking/<type>.ts): ${BLOCKING_EVENT_TYPES.join(', ')}`);
    expect(error.message).toContain(NON_BLOCKING_EVENT_TYPES.join(', '));
  });

  it('names a misnamed non-blocking file', () => {
    // Prepare
    put('non-blocking', 'user.signed_up.ts');

    // Act
    const error = problemOf();

    // Assess
    expect(error.message).toContain(
      'functions/non-blocking/user.signed_up.ts: "user.signed_up" is not an Authgear non-blocking event type',
    );
  });

  it('tells to move a non-blocking event type found in the blocking folder', () => {
    // Prepare
    put('blocking', 'user.created.ts');

    // Act
    const error = problemOf();

    // Assess
    expect(error.message).toContain(
      'functions/blocking/user.created.ts: user.created is a non-blocking event; move the file to functions/non-blocking/',
    );
  });

  it('tells to move a blocking event type found in the non-blocking folder', () => {
    // Prepare
    put('non-blocking', 'user.pre_create.ts');

    // Act
    const error = problemOf();

    // Assess
    expect(error.message).toContain(
      'functions/non-blocking/user.pre_create.ts: user.pre_create is a blocking event; move the file to functions/blocking/',
    );
  });

  it('refuses a .ts and a .js file for the same event, naming both', () => {
    // Prepare
    put('non-blocking', 'user.created.ts');
    put('non-blocking', 'user.created.js');

    // Act
    const error = problemOf();

    // Assess
    expect(error.message).toMatch(
      /functions\/non-blocking\/user\.created\.(ts|js): functions\/non-blocking\/user\.created\.(ts|js) already handles user\.created; keep one file per event/,
    );
    expect(error.message).toContain('user.created.ts');
    expect(error.message).toContain('user.created.js');
  });

  it('reports every mistake of both folders in one error', () => {
    // Prepare
    put('blocking', 'user.pre_create.ts');
    put('blocking', 'user.created.ts');
    put('blocking', 'nope.ts');
    put('non-blocking', 'oidc.jwt.pre_create.ts');

    // Act
    const error = problemOf();

    // Assess
    const listed = error.message.split('\n').filter((line) => line.startsWith('  - '));
    expect(listed).toHaveLength(3);
    expect(error.message).toContain('functions/blocking/user.created.ts');
    expect(error.message).toContain('functions/blocking/nope.ts');
    expect(error.message).toContain('functions/non-blocking/oidc.jwt.pre_create.ts');
    expect(error.message).not.toContain('functions/blocking/user.pre_create.ts');
  });
});

describe('loadHandlers', () => {
  const handlerModule = pathToFileURL(fileURLToPath(new URL('../core/handler.ts', import.meta.url))).href;

  it('imports each file and assembles the handlers it exports', async () => {
    // Prepare
    put(
      'blocking',
      'user.pre_create.ts',
      `import { defineBlockingHandler } from ${JSON.stringify(handlerModule)};\nexport default defineBlockingHandler('user.pre_create', () => ({ is_allowed: true }));\n`,
    );
    put(
      'non-blocking',
      'user.created.ts',
      `import { defineNonBlockingHandler } from ${JSON.stringify(handlerModule)};\nexport default defineNonBlockingHandler('user.created', () => undefined);\n`,
    );
    const files = findHandlerFiles(root);

    // Act
    const handlers = await loadHandlers(files);

    // Assess
    expect([...(handlers.blocking?.keys() ?? [])]).toEqual(['user.pre_create']);
    expect([...(handlers.nonBlocking?.keys() ?? [])]).toEqual(['user.created']);
  });

  it('names a file that cannot be loaded and the reason', async () => {
    // Prepare
    put('blocking', 'user.pre_create.mjs', "throw new Error('missing CRM_URL');\n");
    const files = findHandlerFiles(root);

    // Act
    const outcome = await loadHandlers(files).then(
      () => undefined,
      (error: unknown) => error,
    );

    // Assess
    expect(outcome).toBeInstanceOf(HandlerFileError);
    expect((outcome as Error).message).toContain('functions/blocking/user.pre_create.mjs: could not be loaded: missing CRM_URL');
  });

  it('names a file whose default export is not a handler', async () => {
    // Prepare
    put('non-blocking', 'user.created.mjs', 'export default async function handle() {}\n');
    const files = findHandlerFiles(root);

    // Act
    const outcome = await loadHandlers(files).then(
      () => undefined,
      (error: unknown) => error,
    );

    // Assess
    expect(outcome).toBeInstanceOf(HandlerFileError);
    expect((outcome as Error).message).toContain(
      "functions/non-blocking/user.created.mjs: the default export must be defineNonBlockingHandler('user.created', …)",
    );
  });
});
