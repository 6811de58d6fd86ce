/**
 * An error that maps to an HTTP answer. `publicMessage` is the only text a caller ever sees;
 * `cause` and `logReason` are for logs.
 */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    readonly publicMessage: string,
    /** A stable, machine-readable reason for logs and metrics, e.g. `signature_mismatch`. */
    readonly logReason: string,
    options?: { cause?: unknown },
  ) {
    super(`${status} ${publicMessage} (${logReason})`, options);
  }
}

/** Thrown when no webhook secret can be obtained (not configured, or the store failed with nothing cached). */
export class SecretUnavailableError extends Error {
  override readonly name = 'SecretUnavailableError';
}

/** Thrown when a handler file is misnamed or does not export what it should. The message names the file. */
export class HandlerFileError extends Error {
  override readonly name = 'HandlerFileError';
}
