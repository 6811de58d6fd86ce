/**
 * The one parser of configuration values, shared by the runtime configuration (`config.ts`, from
 * environment variables) and the stack options (`infra/options.ts`, from CDK context values). Each
 * side words its own error message; both read the same text the same way.
 */

/**
 * Reads an integer from an environment string or a context value (a string or a JSON number).
 * Surrounding whitespace is ignored.
 *
 * @returns `undefined` when the value is absent or blank, `NaN` when it is not a safe integer.
 * @example
 * ```ts
 * parseInteger(' 3000 '); // 3000
 * parseInteger('');       // undefined
 * parseInteger('3e3');    // NaN
 * parseInteger(-5);       // -5
 * ```
 */
export function parseInteger(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : Number.NaN;
  if (typeof value !== 'string') return Number.NaN;
  const text = value.trim();
  if (text === '') return undefined;
  const number = /^-?\d+$/.test(text) ? Number(text) : Number.NaN;
  return Number.isSafeInteger(number) ? number : Number.NaN;
}

/**
 * Reads a comma-separated string, or a list of strings, as trimmed, non-empty items.
 *
 * @returns `undefined` when the value is absent, `null` when it is neither a string nor a list of strings.
 * @example
 * ```ts
 * parseList(' a.com, B.com ,,');    // ['a.com', 'B.com']
 * parseList(['a.com', ' b.com ']);  // ['a.com', 'b.com']
 * parseList(42);                    // null
 * ```
 */
export function parseList(value: unknown): readonly string[] | undefined | null {
  if (value === undefined || value === null) return undefined;
  const items = typeof value === 'string' ? value.split(',') : Array.isArray(value) ? (value as unknown[]) : undefined;
  if (!items?.every((item): item is string => typeof item === 'string')) return null;
  return items.map((item) => item.trim()).filter(Boolean);
}

/**
 * Reads a boolean switch: `true`/`1` or `false`/`0`, any case; blank or absent is `false`.
 *
 * @returns `undefined` when the value is none of those.
 * @example
 * ```ts
 * parseSwitch('TRUE'); // true
 * parseSwitch('');     // false
 * parseSwitch('yes');  // undefined
 * ```
 */
export function parseSwitch(value: string | undefined): boolean | undefined {
  const text = (value ?? '').trim().toLowerCase();
  if (text === '' || text === 'false' || text === '0') return false;
  if (text === 'true' || text === '1') return true;
  return undefined;
}
