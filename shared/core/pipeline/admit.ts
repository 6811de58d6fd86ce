import { isLongerThan, wellFormed } from '../body';
import { SIGNATURE_HEADER } from '../constants';
import type { LogFields } from '../logger';
import { checkSignatureFormat, readHeader } from '../verify';
import { ANSWERS, rejected } from './outcomes';
import type { Outcome, Pipeline, Signed, WebhookRequest } from './types';

/** What each signature failure usually means, for the operator reading the logs. */
export const SIGNATURE_HINTS = {
  missing: 'x-authgear-body-signature header is missing: the request did not come from Authgear',
  not_hex: 'x-authgear-body-signature is not hex: the request did not come from Authgear or a proxy rewrote the header',
  wrong_length: 'x-authgear-body-signature is not 64 hex characters (HMAC-SHA256)',
  mismatch:
    'signature does not match: check that the stored secret is exactly the one shown in the Authgear portal, and that nothing between Authgear and this function re-encodes or re-serialises the body',
} as const;

/**
 * Step 1, the checks that need no secret: route (404), method (405), size (413) and the form of
 * the signature header (401). Sets `log.route`.
 *
 * @returns the request ready for {@link authenticate}, or the outcome that ends it.
 * @example
 * ```ts
 * const signed = admit({ method: 'GET', path: '/non-blocking', headers: {}, body: '' }, pipeline, log); // 405 outcome
 * ```
 */
export function admit(request: WebhookRequest, pipeline: Pipeline, log: LogFields): Signed | Outcome {
  const route = pipeline.routes.get(request.path);
  if (!route) {
    return {
      response: ANSWERS.notFound,
      outcome: 'rejected',
      level: 'warn',
      message: 'no route for this path',
      fields: { reason: 'not_found' },
    };
  }
  log.route = route.kind === 'blocking' ? route.eventType : 'non-blocking';
  if (request.method !== 'POST') return rejected(ANSWERS.methodNotAllowed, 'method_not_allowed', 'only POST is accepted');
  const { maxBodyBytes } = pipeline.config;
  if (request.bodyTooLarge || isLongerThan(request.body, maxBodyBytes)) {
    return rejected(ANSWERS.tooLarge, 'body_too_large', `body exceeds MAX_BODY_BYTES (${maxBodyBytes})`);
  }

  const header = readHeader(request.headers, SIGNATURE_HEADER);
  if (header.duplicated) {
    return rejected(ANSWERS.unauthorized, 'signature_header_duplicated', 'x-authgear-body-signature was sent more than once');
  }
  const format = checkSignatureFormat(header.value);
  if (format !== 'valid') return rejected(ANSWERS.unauthorized, `signature_${format}`, SIGNATURE_HINTS[format]);
  return { route, body: wellFormed(request.body), signature: header.value as string };
}
