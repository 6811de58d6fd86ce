/**
 * Personal-data redaction for log lines that carry text a handler wrote: its error messages and
 * stacks, strings it threw, and the message and fields it passes to its context logger.
 *
 * The core's own log fields never hold personal data (see `docs/logging.md`); handler text can hold
 * anything, so without `LOG_PERSONAL_DATA` every personal value of the event being handled is
 * replaced with {@link REDACTED}, and so is anything shaped like an e-mail address or an
 * international phone number, whichever event it came from.
 */
import { describeError, type LogFields, type Logger } from './logger';
import { collectPersonalValues, isPersonalKey } from './personal-data';
import { tidyStack } from './stack';

/** What replaces a personal value in a log line. */
export const REDACTED = '[redacted]';

/** Turns handler text and fields into what may be logged. */
export interface Redactor {
  /** The text with every personal value replaced. */
  text(value: string): string;
  /** A copy of `fields` with personal values replaced at any depth (values under personal keys entirely). */
  fields(fields: LogFields): LogFields;
  /** `describeError` of a thrown value, redacted, with the stack's paths made relative to the project. */
  error(error: unknown): LogFields;
}

export interface RedactorOptions {
  /** `LOG_PERSONAL_DATA`: when true nothing is replaced (stacks are still tidied). */
  readonly personalData: boolean;
  /** Stack paths under this folder are shown relative to it. Default: the working directory. */
  readonly root?: string;
}

// Shapes that are personal whatever event they come from. Both are bounded and linear.
// The last label must start with a letter, so `package@1.2.3` is not taken for an address.
const EMAIL = /[\p{L}\p{N}._%+'-]{1,64}@(?:[\p{L}\p{N}-]{1,63}\.){1,8}\p{L}[\p{L}\p{N}-]{0,62}/gu;
const PHONE = /\+[1-9][\d ().-]{5,20}\d/g;
/** Values shorter than this are replaced only where they stand as a whole word. */
const WORD_MATCH_BELOW = 8;
const MAX_DEPTH = 8;
const MAX_NODES = 2_000;

let defaultRoot: string | undefined;

/**
 * Creates the redactor for one event. The event is walked only when something is redacted, so a
 * handler that neither logs nor fails costs nothing.
 *
 * @example
 * ```ts
 * const redactor = createRedactor(event, { personalData: false });
 * redactor.text('lookup failed for ana@example.com'); // 'lookup failed for [redacted]'
 * redactor.fields({ email: 'ana@example.com', plan: 'pro' }); // { email: '[redacted]', plan: 'pro' }
 * ```
 */
export function createRedactor(event: unknown, options: RedactorOptions): Redactor {
  defaultRoot ??= process.cwd();
  const root = options.root ?? defaultRoot;
  if (options.personalData) {
    return {
      text: (value) => value,
      fields: (fields) => fields,
      error: (error) => tidied(describeError(error), root),
    };
  }
  let values: readonly string[] | undefined;
  const text = (value: string): string => {
    values ??= collectPersonalValues(event);
    return redactText(value, values);
  };
  return {
    text,
    fields: (fields) => redactFields(fields, text, root),
    error: (error) => {
      const described = tidied(describeError(error), root);
      const out: LogFields = {};
      for (const [key, value] of Object.entries(described))
        out[key] = key === 'error_name' || typeof value !== 'string' ? value : text(value);
      return out;
    },
  };
}

/**
 * A logger that redacts the message and fields of every line before passing it on.
 *
 * @example
 * ```ts
 * const safe = redactingLogger(logger, createRedactor(event, { personalData: false }));
 * safe.info('synced', { email }); // {"msg":"synced","email":"[redacted]"}
 * ```
 */
export function redactingLogger(logger: Logger, redactor: Redactor): Logger {
  const fields = (extra: LogFields | undefined): LogFields | undefined => (extra === undefined ? undefined : redactor.fields(extra));
  return {
    debug: (msg, extra) => logger.debug(redactor.text(String(msg)), fields(extra)),
    info: (msg, extra) => logger.info(redactor.text(String(msg)), fields(extra)),
    warn: (msg, extra) => logger.warn(redactor.text(String(msg)), fields(extra)),
    error: (msg, extra) => logger.error(redactor.text(String(msg)), fields(extra)),
  };
}

/**
 * Replaces each of `values` (longest first, as {@link collectPersonalValues} orders them), then
 * e-mail and phone shapes. A short value is replaced only as a whole word, so that a name like
 * "Ana" does not eat "Analytics".
 *
 * @example
 * ```ts
 * redactText('no CRM record for Ana (ana@example.com)', ['ana@example.com', 'Ana']); // 'no CRM record for [redacted] ([redacted])'
 * ```
 */
export function redactText(text: string, values: readonly string[]): string {
  let out = text;
  for (const value of values) {
    if (!out.includes(value)) continue;
    out = value.length < WORD_MATCH_BELOW ? replaceWholeWord(out, value) : out.split(value).join(REDACTED);
  }
  return out.replace(EMAIL, REDACTED).replace(PHONE, REDACTED);
}

function replaceWholeWord(text: string, value: string): string {
  let out = '';
  let from = 0;
  for (let at = text.indexOf(value); at !== -1; at = text.indexOf(value, at + value.length)) {
    if (isWordChar(text.charAt(at - 1)) || isWordChar(text.charAt(at + value.length))) continue;
    out += text.slice(from, at) + REDACTED;
    from = at + value.length;
  }
  return out + text.slice(from);
}

const isWordChar = (c: string): boolean => c !== '' && /[\p{L}\p{N}_]/u.test(c);

/** Fields as JSON would write them, with strings redacted and personal keys blanked; cycles and depth bounded. */
function redactFields(fields: LogFields, text: (value: string) => string, root: string): LogFields {
  let nodes = 0;
  const seen = new Set<object>();
  const walk = (value: unknown, depth: number): unknown => {
    nodes += 1;
    if (typeof value === 'string') return text(value);
    if (typeof value !== 'object' || value === null) return value;
    if (nodes > MAX_NODES || depth > MAX_DEPTH) return '[too deep to log]';
    if (seen.has(value)) return '[circular]';
    const toJson = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJson === 'function') return walk(toJson.call(value), depth + 1);
    seen.add(value);
    try {
      if (Array.isArray(value)) return value.map((item) => walk(item, depth + 1));
      if (value instanceof Error) return walk(tidied(describeError(value), root), depth + 1);
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) {
        out[key] =
          isPersonalKey(key) && item !== null && item !== undefined && typeof item !== 'boolean' ? REDACTED : walk(item, depth + 1);
      }
      return out;
    } finally {
      seen.delete(value);
    }
  };
  return walk(fields, 0) as LogFields;
}

function tidied(described: LogFields, root: string): LogFields {
  return typeof described.error_stack === 'string' ? { ...described, error_stack: tidyStack(described.error_stack, root) } : described;
}
