import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeLambdaEntry, type LambdaEntryKind } from './lambda-entry';

const outDir = mkdtempSync(join(tmpdir(), 'lambda-entry-test-'));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

const files = [
  {
    kind: 'blocking' as const,
    eventType: 'user.pre_create',
    path: '/repo/functions/blocking/user.pre_create.ts',
    file: 'functions/blocking/user.pre_create.ts',
  },
];

describe('writeLambdaEntry', () => {
  it.each<[LambdaEntryKind, boolean]>([
    ['blocking', true],
    ['receiver', true],
    ['worker', false],
  ])('%s: the entry ends its init by awaiting the secret fetch: %s', (serve, awaits) => {
    // Act
    const source = readFileSync(writeLambdaEntry({ projectRoot: '/repo', outDir, serve, files }), 'utf8');

    // Assess
    expect(/^await handler\.ready;$/m.test(source)).toBe(awaits);
    if (awaits) expect(source.indexOf('await handler.ready;')).toBeGreaterThan(source.indexOf('export const handler'));
  });
});

describe('writeLambdaEntry: the worker and handler secrets', () => {
  it.each([
    [true, true],
    [false, false],
  ])('readsHandlerSecrets %s: imports and passes Secrets Manager as the secrets source: %s', (reads, passes) => {
    // Act
    const source = readFileSync(
      writeLambdaEntry({ projectRoot: '/repo', outDir, serve: 'worker', files, readsHandlerSecrets: reads }),
      'utf8',
    );

    // Assess
    expect(source.includes(`import { secretsManagerSources } from "/repo/shared/aws/handler-secret-sources.ts";`)).toBe(passes);
    expect(source.includes('  handlerSecretSources: secretsManagerSources(),')).toBe(passes);
  });
});

describe('writeLambdaEntry: stack traces', () => {
  it.each<LambdaEntryKind>(['blocking', 'receiver', 'worker'])(
    '%s: installs the source-map stack mapper for its own bundle before it makes the handler',
    (serve) => {
      // Act
      const source = readFileSync(writeLambdaEntry({ projectRoot: '/repo', outDir, serve, files }), 'utf8');

      // Assess
      expect(source).toContain('import { mapStacksThroughSourceMap } from "/repo/shared/bundling/source-map-stacks.ts";');
      const install = source.indexOf('mapStacksThroughSourceMap(import.meta.url);');
      expect(install).toBeGreaterThan(0);
      expect(install).toBeLessThan(source.indexOf('export const handler'));
    },
  );
});
