import { SecretUnavailableError } from '../errors';
import { withTimeout } from '../run-handler';
import { signatureMatches } from '../verify';
import { SIGNATURE_HINTS } from './admit';
import { ANSWERS, rejected } from './outcomes';
import type { Outcome, Pipeline, Signed, Step } from './types';

/**
 * Step 2: the secret (503 when none can be had) and the HMAC (401). With the secret cached and a
 * matching signature it answers at once, without a promise; it waits only for the first fetch of
 * the secret, or for one rate-limited re-fetch after a mismatch (the secret may have been rotated).
 *
 * @returns the same `signed` request when it is authentic, or the outcome that ends it.
 * @example
 * ```ts
 * const checked = authenticate(signed, pipeline, started);
 * const authentic = checked instanceof Promise ? await checked : checked;
 * ```
 */
export function authenticate(signed: Signed, pipeline: Pipeline, started: number): Step<Signed> {
  const candidates = pipeline.secrets.peek();
  if (!candidates) return loadSecretThenVerify(signed, pipeline, started);
  return signatureMatches(signed.body, signed.signature, candidates) ? signed : verifyAfterRefresh(signed, pipeline);
}

/** Cold start: wait for the secret, on the login path never past the deadline. */
async function loadSecretThenVerify(signed: Signed, pipeline: Pipeline, started: number): Promise<Signed | Outcome> {
  const { config, secrets, now } = pipeline;
  let candidates: readonly string[];
  try {
    const budget = signed.route.kind === 'blocking' ? started + config.blockingDeadlineMs - now() : config.nonBlockingDeadlineMs;
    candidates = await withTimeout(
      secrets.get(),
      budget,
      () => new SecretUnavailableError('the webhook secret did not load before the deadline'),
    );
  } catch (error) {
    if (!(error instanceof SecretUnavailableError)) throw error;
    return {
      response: ANSWERS.unavailable,
      outcome: 'rejected',
      level: 'error',
      message: `no webhook secret is available: ${error.message}`,
      fields: { reason: 'secret_unavailable' },
    };
  }
  return signatureMatches(signed.body, signed.signature, candidates) ? signed : verifyAfterRefresh(signed, pipeline);
}

/** After a mismatch: the secret may have been rotated in Secrets Manager since we cached it. */
async function verifyAfterRefresh(signed: Signed, pipeline: Pipeline): Promise<Signed | Outcome> {
  const fresh = await pipeline.secrets.refreshAfterMismatch();
  if (!fresh || !signatureMatches(signed.body, signed.signature, fresh)) {
    return rejected(ANSWERS.unauthorized, 'signature_mismatch', SIGNATURE_HINTS.mismatch);
  }
  return signed;
}
