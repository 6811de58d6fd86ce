/** The `--set path=value` edits of `npm run send`. */
import { SendError } from './send-error';

// ---------------------------------------------------------------------------------------------------------------------
// --set
// ---------------------------------------------------------------------------------------------------------------------

/** One `--set path=value`, parsed. */
export interface Assignment {
  readonly text: string;
  readonly path: readonly string[];
  readonly value: unknown;
}

export const ENVELOPE_KEYS: ReadonlySet<string> = new Set(['id', 'seq', 'type', 'payload', 'context']);

/**
 * Parses `--set path=value`. The path is dot-separated from the event's top (`payload.user.roles`,
 * `context.language`); array items are `identities.0` or `identities[0]`; keys with dots go in
 * brackets as JSON strings: `payload.jwt.payload["https://example.com/plan"]`. The value is JSON
 * when it parses (`42`, `true`, `null`, `["a"]`, `"007"`), else the text as a string.
 *
 * @throws SendError for a malformed path or a missing `=`.
 * @example
 * ```ts
 * parseAssignment('payload.user.roles=["admin"]'); // { path: ['payload', 'user', 'roles'], value: ['admin'], … }
 * ```
 */
export function parseAssignment(text: string): Assignment {
  const path: string[] = [];
  let i = 0;
  const fail = (why: string): never => {
    throw new SendError(`--set ${text}: ${why}; write --set path=value, e.g. --set payload.user.standard_attributes.email=ana@example.com`);
  };
  for (;;) {
    if (text[i] === '[') {
      const close = text.indexOf(']', i);
      if (text[i + 1] === '"') {
        // A JSON string key: find the closing quote that is followed by "]".
        let end = i + 2;
        while (end < text.length && !(text[end] === '"' && text[end - 1] !== '\\' && text[end + 1] === ']')) end++;
        if (end >= text.length) fail('a ["…"] key is not closed');
        try {
          path.push(JSON.parse(text.slice(i + 1, end + 1)) as string);
        } catch {
          fail('a ["…"] key is not a valid JSON string');
        }
        i = end + 2;
      } else {
        const index = close === -1 ? '' : text.slice(i + 1, close);
        if (!/^\d+$/.test(index)) fail('brackets hold an array index like [0] or a quoted key like ["a.b"]');
        path.push(index);
        i = close + 1;
      }
    } else {
      let end = i;
      while (end < text.length && !'.=['.includes(text[end] as string)) end++;
      if (end === i) fail(i === 0 ? 'the path is empty' : 'the path has an empty part');
      path.push(text.slice(i, end));
      i = end;
    }
    const next = text[i];
    if (next === '=') break;
    if (next === undefined) fail('there is no "="');
    if (next === '.') i++;
    else if (next !== '[') fail(`unexpected "${next}" after ${path.join('.')}`);
  }
  const raw = text.slice(i + 1);
  let value: unknown = raw;
  try {
    value = JSON.parse(raw);
  } catch {
    // Not JSON: the text itself.
  }
  return { text, path, value };
}

/**
 * Applies one assignment to an event in place. Every part of the path but the last must exist, so
 * a typo is reported instead of creating a new branch; the last key may be new.
 *
 * @throws SendError naming the part of the path that does not exist or is not an object.
 * @example
 * ```ts
 * applyAssignment(event, parseAssignment('context.language=de'));
 * ```
 */
export function applyAssignment(event: Record<string, unknown>, assignment: Assignment): void {
  const { path, text } = assignment;
  const fail = (why: string): never => {
    throw new SendError(`--set ${text}: ${why}`);
  };
  const [top] = path;
  if (top === undefined || !ENVELOPE_KEYS.has(top))
    fail(`"${String(top)}" is not part of an event; paths start with payload., context., id, seq or type`);
  let node: unknown = event;
  for (let i = 0; i < path.length; i++) {
    const key = path[i] as string;
    const where = path.slice(0, i).join('.') || 'the event';
    const last = i === path.length - 1;
    if (Array.isArray(node)) {
      const index = /^\d+$/.test(key) ? Number(key) : Number.NaN;
      const limit = last ? node.length : node.length - 1;
      if (!(index <= limit)) fail(`${where} is a list of ${node.length}; "${key}" is not an index in it (0 to ${limit})`);
      if (last) node[index] = assignment.value;
      else node = node[index];
    } else if (typeof node === 'object' && node !== null) {
      const record = node as Record<string, unknown>;
      if (last) record[key] = assignment.value;
      else if (!Object.hasOwn(record, key)) fail(`${where} has no "${key}" (it has: ${Object.keys(record).join(', ') || 'nothing'})`);
      else node = record[key];
    } else {
      fail(`${where} is ${node === null ? 'null' : `a ${typeof node}`}, so it has no "${key}"`);
    }
  }
}
