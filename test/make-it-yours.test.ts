/**
 * A template is used by changing it: this copies the project to a temporary folder, changes
 * `functions/` as a user would, and runs `npm run typecheck`, `npx cdk synth` and `npm test` there.
 * They must pass as long as the user's own handler tests do, since the template's tests run
 * against handler files of their own (test/fixtures/handlers).
 *
 * Two projects: one where handlers are added (the README's example, and one with a secret),
 * deleted (with their test) and rewritten (with their test); one with every file of `functions/`
 * deleted. The copies leave out this file, so the suite they run does not copy itself again.
 *
 * Slow by nature (three commands, the whole suite included, twice): it reports its timings.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, SHARED_FROM_HANDLER } from './support/paths';

const THIS_FILE = 'test/make-it-yours.test.ts';
/** Not copied: installed or generated things, local settings, and history. */
const LEFT_OUT = new Set(['node_modules', '.git', 'cdk.out', '.build', 'bench-results', '.env', 'cdk-outputs.json']);

const copies: string[] = [];
afterAll(() => {
  for (const dir of copies) rmSync(dir, { recursive: true, force: true });
});

/** Copies the project without what {@link LEFT_OUT} names and without this test; node_modules is linked. */
function copyProject(): string {
  const root = mkdtempSync(join(tmpdir(), 'authgear-make-it-yours-'));
  copies.push(root);
  cpSync(REPO_ROOT, root, {
    recursive: true,
    filter: (source) => {
      const path = relative(REPO_ROOT, source).split('\\').join('/');
      return !LEFT_OUT.has(path.split('/')[0] ?? '') && path !== THIS_FILE && !path.endsWith('.log');
    },
  });
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(root, 'node_modules'));
  return root;
}

interface CommandResult {
  readonly code: number | null;
  readonly output: string;
  readonly seconds: number;
}

/** Runs a command in `cwd` and collects its output; never throws, so the assertion can show the output. */
function run(cwd: string, command: string, args: readonly string[]): Promise<CommandResult> {
  const started = performance.now();
  const env: Record<string, string | undefined> = { ...process.env, CI: 'true', FORCE_COLOR: '0', NO_COLOR: '1' };
  // Variables that vitest sets for its own workers must not leak into the suite the copy runs.
  for (const name of Object.keys(env)) if (name.startsWith('VITEST') || name === 'TEST' || name === 'NODE_ENV') delete env[name];
  return new Promise((resolve) => {
    const child = spawn(command, [...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.on('error', (error) => resolve({ code: -1, output: `${output}\n${error.message}`, seconds: 0 }));
    child.on('exit', (code) => resolve({ code, output, seconds: (performance.now() - started) / 1000 }));
  });
}

/**
 * The three commands a user runs after changing handlers, one after the other. `testArgs` narrows
 * `npm test` to some files (see the second case); without it the whole suite runs in the copy.
 */
async function checkProject(
  root: string,
  testArgs: readonly string[] = [],
): Promise<Record<'typecheck' | 'synth' | 'test', CommandResult>> {
  const typecheck = await run(root, 'npm', ['run', 'typecheck']);
  const synth = await run(root, 'npx', ['cdk', 'synth', '--quiet', '--output', join(root, 'cdk.out')]);
  const test = await run(root, 'npm', ['test', ...(testArgs.length > 0 ? ['--', ...testArgs] : [])]);
  return { typecheck, synth, test };
}

/** The end of a command's output, enough to see what failed. */
const tail = (result: CommandResult): string => result.output.split('\n').slice(-60).join('\n');

function expectGreen(results: Record<string, CommandResult>): void {
  for (const [name, result] of Object.entries(results)) {
    expect(result.code, `${name} failed:\n${tail(result)}`).toBe(0);
  }
  // The suite really ran in the copy: it printed its count, and it did not include this test.
  expect(results.test?.output).toMatch(/Tests\s+\d+ passed/);
  expect(results.test?.output).not.toContain(basename(THIS_FILE));
}

const timings = (results: Record<string, CommandResult>): string =>
  Object.entries(results)
    .map(([name, r]) => `${name} ${r.seconds.toFixed(1)} s`)
    .join(', ');

const put = (root: string, files: Readonly<Record<string, string>>): void => {
  for (const [path, text] of Object.entries(files)) writeFileSync(join(root, path), text);
};

// --- what the user writes ------------------------------------------------------------------------

/** The README's own example of a new handler. */
const PRE_AUTHENTICATED = `import { defineBlockingHandler } from '${SHARED_FROM_HANDLER}';

export default defineBlockingHandler(
  'authentication.pre_authenticated',
  (event) => {
    const roles = event.payload.authentication_context.user?.roles ?? [];
    // Admins must use MFA; everyone else logs in as usual.
    if (roles.includes('admin')) return { is_allowed: true, constraints: { amr: ['mfa'] } };
    return { is_allowed: true };
  },
  { onError: 'allow' },
);
`;

/** A handler that calls a CRM with an API key from Secrets Manager. */
const PROFILE_PRE_UPDATE = `import { defineBlockingHandler } from '${SHARED_FROM_HANDLER}';

export default defineBlockingHandler(
  'user.profile.pre_update',
  async (event, { secrets, signal }) => {
    const apiKey = await secrets.get('crm/api-key');
    const res = await fetch(\`https://crm.example.com/locked-profiles/\${event.payload.user.id}\`, {
      headers: { authorization: \`Bearer \${apiKey}\` },
      signal,
    });
    if (res.status === 200) return { is_allowed: false, title: 'Profile locked', reason: 'Contact support to change your profile.' };
    return { is_allowed: true };
  },
  { secrets: ['crm/api-key'] },
);
`;

const PROFILE_PRE_UPDATE_TEST = `import { afterEach, describe, expect, it, vi } from 'vitest';
import { invokeHandler } from '${SHARED_FROM_HANDLER}/testing';
import handler from './user.profile.pre_update';

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('user.profile.pre_update', () => {
  it('refuses changes to a profile the CRM has locked, asking with the API key', async () => {
    const fetch = vi.fn(async (_url: string, _init?: RequestInit) => new Response('{}', { status: 200 }));
    vi.stubGlobal('fetch', fetch);

    const result = await invokeHandler(handler, { secrets: { 'crm/api-key': 'test-key' } });

    expect(result.answer).toMatchObject({ is_allowed: false, title: 'Profile locked' });
    expect(fetch.mock.calls[0]?.[1]).toMatchObject({ headers: { authorization: 'Bearer test-key' } });
  });

  it('allows changes to other profiles', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response('', { status: 404 })));

    const result = await invokeHandler(handler, { secrets: { 'crm/api-key': 'test-key' } });

    expect(result.answer).toEqual({ is_allowed: true });
  });
});
`;

/** The example's deny list, rewritten as an allow list of one company domain. */
const PRE_CREATE = `import { defineBlockingHandler } from '${SHARED_FROM_HANDLER}';

export default defineBlockingHandler('user.pre_create', (event) => {
  const email = event.payload.user.standard_attributes.email ?? '';
  if (email.toLowerCase().endsWith('@example.org')) return { is_allowed: true };
  return { is_allowed: false, title: 'Staff only', reason: 'Sign up with your example.org address.' };
});
`;

const PRE_CREATE_TEST = `import { describe, expect, it } from 'vitest';
import { invokeHandler } from '${SHARED_FROM_HANDLER}/testing';
import handler from './user.pre_create';

describe('user.pre_create', () => {
  it('lets staff sign up', async () => {
    const result = await invokeHandler(handler, { sample: { email: 'ana@Example.org' } });
    expect(result.answer).toEqual({ is_allowed: true });
  });

  it('refuses everyone else', async () => {
    const result = await invokeHandler(handler, { sample: { email: 'bob@example.com' } });
    expect(result.answer).toMatchObject({ is_allowed: false, title: 'Staff only' });
  });
});
`;

describe('a copy of the project with changed handlers', () => {
  it('adds, deletes and rewrites handlers: typecheck, cdk synth and npm test pass', async () => {
    // Prepare
    const root = copyProject();
    rmSync(join(root, 'functions', 'blocking', 'oidc.jwt.pre_create.ts'));
    rmSync(join(root, 'functions', 'blocking', 'oidc.jwt.pre_create.test.ts'), { force: true });
    put(root, {
      'functions/blocking/authentication.pre_authenticated.ts': PRE_AUTHENTICATED,
      'functions/blocking/user.profile.pre_update.ts': PROFILE_PRE_UPDATE,
      'functions/blocking/user.profile.pre_update.test.ts': PROFILE_PRE_UPDATE_TEST,
      'functions/blocking/user.pre_create.ts': PRE_CREATE,
      'functions/blocking/user.pre_create.test.ts': PRE_CREATE_TEST,
    });

    // Act
    const results = await checkProject(root);
    console.log(`changed handlers: ${timings(results)}`);

    // Assess
    expectGreen(results);
    expect(results.typecheck.output).toContain('handler files OK: 3 blocking, 1 non-blocking');
    expect(results.test.output).toContain('functions/blocking/user.profile.pre_update.test.ts');
  }, 900_000);

  it('deletes every file in functions/: typecheck, cdk synth and the handler and docs tests pass', async () => {
    // Prepare
    const root = copyProject();
    for (const folder of ['blocking', 'non-blocking']) {
      for (const name of readdirSync(join(root, 'functions', folder))) rmSync(join(root, 'functions', folder, name));
    }

    // Act: the whole suite ran in the first case, against handlers unlike the repository's, so every
    // template test is known to use fixtures of its own; a second whole run would double the
    // suite's time. Here: the user's tests (none are left) and the docs check, the one template
    // test that reads the project's own files.
    const results = await checkProject(root, ['--passWithNoTests', 'functions', 'test/docs-links.test.ts']);
    console.log(`no handlers: ${timings(results)}`);

    // Assess
    expectGreen(results);
    expect(results.typecheck.output).toContain('handler files OK: 0 blocking, 0 non-blocking');
    expect(results.test.output).toContain('test/docs-links.test.ts');
  }, 900_000);
});
