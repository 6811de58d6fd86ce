import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURE_FUNCTIONS_DIR } from './support/fixture-handlers';
import { REPO_ROOT, SHARED_FROM_HANDLER } from './support/paths';

const REPO = REPO_ROOT;
const roots: string[] = [];

/** A project with `shared/` and `node_modules/` linked from the repository and the given handler files. */
function project(files: Readonly<Record<string, string>>): string {
  const root = mkdtempSync(join(tmpdir(), 'authgear-typecheck-'));
  roots.push(root);
  for (const name of ['shared', 'node_modules']) symlinkSync(join(REPO, name), join(root, name));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

/** Runs the handler-file step of `npm run typecheck` in `cwd`. */
function checkHandlers(cwd: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(join(REPO, 'node_modules', '.bin', 'tsx'), [join(cwd, 'shared', 'discovery', 'check-cli.ts')], {
    cwd,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

describe('npm run typecheck: handler files', () => {
  it('passes for valid handler files, and counts them', () => {
    // Prepare
    const root = project({});
    symlinkSync(FIXTURE_FUNCTIONS_DIR, join(root, 'functions'));

    // Act
    const result = checkHandlers(root);

    // Assess
    expect(result.status).toBe(0);
    expect(result.stdout).toBe('handler files OK: 3 blocking, 2 non-blocking\n');
  });

  it('fails for a misnamed file, naming the file and the valid types, without a stack trace', () => {
    // Prepare
    const root = project({ 'functions/blocking/user.precreate.ts': 'export default {};\n' });

    // Act
    const result = checkHandlers(root);

    // Assess
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('functions/blocking/user.precreate.ts');
    expect(result.stderr).toContain('Valid blocking event types');
    expect(result.stderr).toContain('user.pre_create');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('fails for a file whose handler declares another event than its name', () => {
    // Prepare
    const root = project({
      'functions/blocking/user.pre_create.ts': `import { defineBlockingHandler } from '${SHARED_FROM_HANDLER}';\nexport default defineBlockingHandler('user.profile.pre_update', () => ({ is_allowed: true }));\n`,
    });

    // Act
    const result = checkHandlers(root);

    // Assess
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("functions/blocking/user.pre_create.ts: handles 'user.profile.pre_update'");
  });
});
