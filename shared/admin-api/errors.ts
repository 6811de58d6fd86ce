/**
 * The two ways an Admin API call fails: it could not be made at all ({@link AdminApiConfigError}),
 * or Authgear (or the way to it) refused it ({@link AdminApiError}). Neither message ever carries
 * the JWT or the private key.
 */

/** One entry of a GraphQL response's `errors`, as Authgear sends it. */
export interface AdminApiGraphQLError {
  readonly message: string;
  /** Where in the query it happened, e.g. `['addUserToGroups']`. */
  readonly path?: readonly (string | number)[];
  /** Authgear adds `errorName` and `reason`, e.g. `{ errorName: 'NotFound', reason: 'UserNotFound' }`. */
  readonly extensions?: Readonly<Record<string, unknown>>;
}

/**
 * Why a call failed:
 * - `http_status`: Authgear answered something other than 200 (403: the JWT was refused);
 * - `graphql_errors`: Authgear ran the query and reported `errors` (an unknown user, a group key that does not exist, …);
 * - `network`: no answer (DNS, TLS, connection reset);
 * - `timeout`: the handler's deadline or the request timeout passed first;
 * - `aborted`: the handler's signal was aborted for another reason;
 * - `invalid_response`: a 200 whose body is not a GraphQL response.
 */
export type AdminApiErrorKind = 'http_status' | 'graphql_errors' | 'network' | 'timeout' | 'aborted' | 'invalid_response';

/**
 * An Admin API call that Authgear, or the network, refused.
 *
 * @example
 * ```ts
 * try {
 *   await context.adminApi.addUserToGroups(userId, ['beta-testers']);
 * } catch (error) {
 *   if (error instanceof AdminApiError && error.kind === 'graphql_errors') {
 *     logger.warn('group not changed', { reasons: error.errors.map((e) => e.extensions?.reason) });
 *   } else throw error; // a 403, a timeout…: let the queue retry
 * }
 * ```
 */
export class AdminApiError extends Error {
  override readonly name = 'AdminApiError';
  readonly kind: AdminApiErrorKind;
  /** The HTTP status, when Authgear answered. */
  readonly status: number | undefined;
  /** The GraphQL `errors` (empty unless `kind` is `graphql_errors`). */
  readonly errors: readonly AdminApiGraphQLError[];
  /** The GraphQL `data` that came with the errors, if any (GraphQL may answer in part). */
  readonly data: unknown;
  /** The operation name of the query, when it has one, e.g. `addUserToGroups`. */
  readonly operation: string | undefined;

  constructor(
    message: string,
    details: {
      readonly kind: AdminApiErrorKind;
      readonly status?: number;
      readonly errors?: readonly AdminApiGraphQLError[];
      readonly data?: unknown;
      readonly operation?: string;
      readonly cause?: unknown;
    },
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.kind = details.kind;
    this.status = details.status;
    this.errors = details.errors ?? [];
    this.data = details.data;
    this.operation = details.operation;
  }
}

/**
 * The Admin API cannot be used as configured: a setting is missing or invalid, or the private key
 * could not be loaded. The message names what to set.
 */
export class AdminApiConfigError extends Error {
  override readonly name = 'AdminApiConfigError';
}
