/**
 * The cap on a blocking answer. Deployed, a Lambda response over 6 MB is an invocation error,
 * which API Gateway turns into a 5xx that skips the error policy; Authgear has no use for a large
 * answer either. An answer over `MAX_ANSWER_BYTES` is therefore answered by the error policy.
 */

/**
 * The highest `MAX_ANSWER_BYTES` accepted. Lambda returns the body inside a JSON document, where
 * escaping can at most double it: 2 MiB stays under 6 MB with room for headers.
 */
export const MAX_ANSWER_BYTES_CEILING = 2 * 1024 * 1024;

/** The lowest `MAX_ANSWER_BYTES` accepted: a deny with a title and a reason must still fit. */
export const MAX_ANSWER_BYTES_FLOOR = 1024;

/**
 * The UTF-8 size of `json` when it is over `limit` bytes, else `undefined`. An answer of up to a
 * third of the limit in UTF-16 units cannot be over it, so the everyday answer is not counted.
 *
 * @example
 * ```ts
 * answerOverLimit('{"is_allowed":true}', 65_536);                               // undefined
 * answerOverLimit(JSON.stringify({ is_allowed: false, reason: 'x'.repeat(70_000) }), 65_536); // 70033
 * ```
 */
export function answerOverLimit(json: string, limit: number): number | undefined {
  if (json.length * 3 <= limit) return undefined;
  const bytes = Buffer.byteLength(json, 'utf8');
  return bytes > limit ? bytes : undefined;
}
