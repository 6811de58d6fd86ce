import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

/** A running `npm start` (tsx shared/local/main.ts) and what it printed. */
export interface NpmStart {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout (or stderr, with `stream: 'stderr'`) matches `pattern` after `from` characters. */
  waitFor(pattern: RegExp, options?: { stream?: 'stdout' | 'stderr'; from?: number }): Promise<RegExpMatchArray>;
  readonly exited: Promise<number | null>;
}

/** The line `npm start` prints when it is ready. */
export const READY = /Press Ctrl\+C to stop/;

/** Configuration a developer's shell may hold, removed so that only what a test passes applies. */
const CONFIGURATION = [
  'AUTHGEAR_WEBHOOK_SECRET',
  'AUTHGEAR_WEBHOOK_SECRET_ID',
  'PORT',
  'DENIED_EMAIL_DOMAINS',
  'MAX_BODY_BYTES',
  'LOG_LEVEL',
];

/**
 * Runs `npm start`'s command in `cwd` (a project folder with `shared/`, `node_modules/` and
 * `package.json`), with only `env` configured on top of this process's environment.
 *
 * @example
 * ```ts
 * const cli = startNpmStart(root, { PORT: String(port) });
 * await cli.waitFor(READY);
 * ```
 */
export function startNpmStart(cwd: string, env: Record<string, string>): NpmStart {
  const base = { ...process.env };
  for (const name of CONFIGURATION) delete base[name];
  const child = spawn(join(cwd, 'node_modules/.bin/tsx'), ['shared/local/main.ts'], {
    cwd,
    env: { ...base, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const text = { stdout: '', stderr: '' };
  child.stdout?.on('data', (c: Buffer) => (text.stdout += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (text.stderr += c.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return {
    child,
    stdout: () => text.stdout,
    stderr: () => text.stderr,
    exited,
    waitFor: (pattern, options = {}) =>
      new Promise((done, fail) => {
        const stream = options.stream ?? 'stdout';
        const from = options.from ?? 0;
        const source = stream === 'stdout' ? child.stdout : child.stderr;
        const check = (): boolean => {
          const match = pattern.exec(text[stream].slice(from));
          if (match) done(match);
          return match !== null;
        };
        if (check()) return;
        const onData = (): void => {
          // After this stream's own listener (registered first), so the text is up to date.
          if (check()) source?.off('data', onData);
        };
        source?.on('data', onData);
        void exited.then(() =>
          fail(new Error(`npm start exited before printing ${pattern}\nstdout:\n${text.stdout}\nstderr:\n${text.stderr}`)),
        );
      }),
  };
}
