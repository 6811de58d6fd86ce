/**
 * One check of handler files everywhere: `npm run typecheck` (its handler step), `npm start` and
 * `cdk synth` (infra/app.ts, which the cdk CLI runs) refuse the same mistakes with the same
 * message naming the files, exit 1, and print no stack trace. Each command runs as a child
 * process, pointed at a folder of broken handler files by AUTHGEAR_WEBHOOKS_FUNCTIONS_DIR.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './support/paths';

const TSX = join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
const SHARED = JSON.stringify(join(REPO_ROOT, 'shared', 'index.ts'));
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A folder of handler files outside the repository. */
function functionsDir(files: Readonly<Record<string, string>>): string {
  const dir = mkdtempSync(join(tmpdir(), 'authgear-handler-check-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const COMMANDS = {
  typecheck: ['shared/discovery/check-cli.ts'],
  start: ['shared/local/main.ts'],
  synth: ['infra/app.ts'],
} as const;

/** Runs one command in the repository with the folder of handler files, and waits for it to exit. */
function run(command: keyof typeof COMMANDS, dir: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const outdir = mkdtempSync(join(tmpdir(), 'authgear-handler-check-out-'));
  dirs.push(outdir);
  const env = {
    PATH: process.env.PATH ?? '',
    AUTHGEAR_WEBHOOKS_FUNCTIONS_DIR: dir,
    PORT: '0',
    AUTHGEAR_WEBHOOK_SECRET: 'handler-check-secret-0123456789ab',
    CDK_OUTDIR: outdir,
  };
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, [...COMMANDS[command]], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe.concurrent('typecheck, npm start and cdk synth check handler files alike', () => {
  it.each([
    [
      'a misnamed file and a file in the wrong folder',
      {
        'blocking/user.precreate.ts': 'export default {};\n',
        'blocking/user.created.ts': 'export default {};\n',
      },
      [
        '"user.precreate" is not an Authgear blocking event type',
        'user.created is a non-blocking event; move the file to functions/non-blocking/',
      ],
    ],
    [
      'a missing default export, a default export that is not a handler, and a handler of another event',
      {
        'blocking/user.pre_create.ts': 'export const handler = () => ({ is_allowed: true });\n',
        'non-blocking/user.created.ts': 'export default async function handle() {}\n',
        'blocking/oidc.jwt.pre_create.ts': `import { defineBlockingHandler } from ${SHARED};\nexport default defineBlockingHandler('oidc.id_token.pre_create', () => ({ is_allowed: true }));\n`,
      },
      [
        "user.pre_create.ts: the default export must be defineBlockingHandler('user.pre_create', …)",
        "user.created.ts: the default export must be defineNonBlockingHandler('user.created', …)",
        "oidc.jwt.pre_create.ts: handles 'oidc.id_token.pre_create' but the file is named for 'oidc.jwt.pre_create'",
      ],
    ],
  ])('%s: the same message from each, naming every file, exit 1, no stack trace', async (_name, files, problems) => {
    // Prepare
    const dir = functionsDir(files);

    // Act
    const [typecheck, start, synth] = await Promise.all([run('typecheck', dir), run('start', dir), run('synth', dir)]);

    // Assess
    for (const result of [typecheck, start, synth]) {
      expect(result.code).toBe(1);
      expect(result.stderr).not.toMatch(/^\s+at /m);
      for (const problem of problems) expect(result.stderr).toContain(problem);
      expect(result.stderr).toContain('Valid blocking event types');
    }
    expect(start.stderr.trim()).toBe(typecheck.stderr.trim());
    expect(synth.stderr.trim()).toBe(typecheck.stderr.trim());
    expect(start.stdout).toBe('');
    expect(synth.stdout).toBe('');
  });
});
