import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { ConfigError } from '../core/config';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads a `.env` file and returns `env` with the file's variables added. A variable already in
 * `env` wins over the file, so `PORT=3001 npm start` overrides a `PORT` in `.env`.
 * A missing file leaves `env` unchanged.
 *
 * @throws ConfigError naming the file and line when the file cannot be read or a line is malformed.
 * @example
 * ```ts
 * const env = loadEnvFile('.env', process.env);
 * env.AUTHGEAR_WEBHOOK_SECRET; // from the environment if set there, else from .env
 * ```
 */
export function loadEnvFile(path: string, env: Env): Record<string, string | undefined> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { ...env };
    throw new ConfigError(`${path} could not be read: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (text.startsWith('\uFEFF')) text = text.slice(1);
  const problem = findProblem(text);
  if (problem) throw new ConfigError(`${path} is malformed: ${problem}. Write one NAME=value per line; start comments with #.`);
  const fromFile = parseEnv(text);
  const merged: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(fromFile)) if (value !== undefined) merged[name] = value;
  for (const [name, value] of Object.entries(env)) if (value !== undefined) merged[name] = value;
  return merged;
}

const ASSIGNMENT = /^\s*(?:export\s+)?([^=\s]*)\s*=\s*(.*)$/;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const QUOTES = new Set(['"', "'", '`']);

/**
 * `parseEnv` accepts anything and silently misreads some mistakes (a line without `=` becomes
 * part of the next variable's name). Checks each line first, skipping quoted multi-line values.
 */
function findProblem(text: string): string | undefined {
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const match = ASSIGNMENT.exec(line);
    if (!match) return `line ${i + 1} has no "="`;
    const name = match[1] ?? '';
    const value = match[2] ?? '';
    if (!NAME.test(name)) return `line ${i + 1}: "${name}" is not a valid variable name`;
    const quote = value[0];
    if (quote === undefined || !QUOTES.has(quote) || value.indexOf(quote, 1) !== -1) continue;
    // A quoted value that continues on later lines: find the line that closes it.
    const start = i;
    while (++i < lines.length && !(lines[i] ?? '').includes(quote));
    if (i >= lines.length) return `line ${start + 1} opens a ${quote} quote that is never closed`;
  }
  return undefined;
}
