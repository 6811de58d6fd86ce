/**
 * The Admin API client: signs a short-lived RS256 token, posts GraphQL to
 * `<endpoint>/_api/admin/graphql` with the global `fetch`, and turns every failure into an
 * {@link AdminApiError}. One client serves a whole process (the key and the token are reused);
 * {@link AdminApiClient.forRun} binds it to one handler run's deadline and signal.
 */
import type { AdminApiSettings } from './config';
import { AdminApiError, type AdminApiGraphQLError } from './errors';
import { TokenCache } from './jwt';
import type { AdminApiKeyStore } from './key-store';
import { withOperations } from './operations';
import type { AdminApi, AdminApiRunScope, GraphQLVariables } from './types';

/** A request that outlives its handler is abandoned at the deadline; this bounds it otherwise. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

export interface AdminApiClientOptions {
  readonly settings: AdminApiSettings;
  readonly keys: AdminApiKeyStore;
  /** Default {@link DEFAULT_REQUEST_TIMEOUT_MS}; the handler's deadline wins when it is sooner. */
  readonly requestTimeoutMs?: number;
  /** Default: the global `fetch`. */
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
}

export interface AdminApiClient {
  /** The `context.adminApi` of one handler run. */
  forRun(scope: AdminApiRunScope): AdminApi;
}

/**
 * @example
 * ```ts
 * const client = createAdminApiClient({ settings, keys: new AdminApiKeyStore({ load: async () => pem, keyId, ttlMs: 300_000, refreshIntervalMs: 30_000, where: 'AUTHGEAR_ADMIN_API_PRIVATE_KEY' }) });
 * const adminApi = client.forRun({ deadline: Date.now() + 4_000 });
 * const user = await adminApi.getUser('5a2f…');
 * ```
 */
export function createAdminApiClient(options: AdminApiClientOptions): AdminApiClient {
  const { settings, keys } = options;
  const now = options.now ?? Date.now;
  const send = options.fetch ?? ((input, init) => fetch(input, init));
  const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const tokens = new TokenCache();

  async function request<T>(query: string, variables: GraphQLVariables | undefined, scope: AdminApiRunScope): Promise<T> {
    if (typeof query !== 'string' || query.trim() === '') throw new TypeError('graphql(query) needs the query text');
    const operation = operationName(query);
    const started = now();
    const budget = Math.min(requestTimeoutMs, (scope.deadline ?? Number.POSITIVE_INFINITY) - started);
    if (scope.signal?.aborted || budget <= 0) throw abortError(operation, scope.signal, budget <= 0);
    const timeout = AbortSignal.timeout(budget);
    const signal = scope.signal ? AbortSignal.any([scope.signal, timeout]) : timeout;
    const body = JSON.stringify(variables === undefined ? { query } : { query, variables });

    const attempt = async (): Promise<Response> => {
      const key = await untilAborted(keys.get(), signal);
      return send(settings.graphqlUrl, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${tokens.token(key, settings.projectId, now())}`,
          'content-type': 'application/json',
          accept: 'application/json',
        },
        body,
        signal,
      });
    };

    let response: Response;
    let text: string;
    try {
      response = await attempt();
      // Authgear checks the token before it runs anything, so a refused request is safe to repeat
      // once the key was rotated in its store.
      if (response.status === 403 && (await keys.refreshAfterRefusal())) {
        tokens.clear();
        await response.body?.cancel();
        response = await attempt();
      }
      text = await response.text();
    } catch (error) {
      if (error instanceof Error && error.name === 'AdminApiConfigError') throw error;
      if (signal.aborted) throw abortError(operation, scope.signal, timeout.aborted, error);
      throw new AdminApiError(`the Admin API at ${settings.graphqlUrl} could not be reached${describeCause(error)}`, {
        kind: 'network',
        operation,
        cause: error,
      });
    } finally {
      scope.logger?.debug('admin api request', { admin_api_operation: operation ?? null, admin_api_ms: now() - started });
    }
    return readResponse<T>(response.status, text, operation);
  }

  function readResponse<T>(status: number, text: string, operation: string | undefined): T {
    const parsed = parseGraphQLResponse(text);
    const label = operation ?? 'request';
    if (status !== 200) {
      throw new AdminApiError(`the Admin API refused ${label} with HTTP ${status}: ${statusHint(status, settings)}`, {
        kind: 'http_status',
        status,
        errors: parsed?.errors ?? [],
        operation,
      });
    }
    if (!parsed) {
      throw new AdminApiError(`the Admin API answered ${label} with a body that is not a GraphQL response`, {
        kind: 'invalid_response',
        status,
        operation,
      });
    }
    if (parsed.errors.length > 0) {
      const [first] = parsed.errors;
      const reason = typeof first?.extensions?.reason === 'string' ? ` (${first.extensions.reason})` : '';
      const more = parsed.errors.length > 1 ? `, and ${parsed.errors.length - 1} more error(s)` : '';
      throw new AdminApiError(`the Admin API reported an error for ${label}: ${first?.message}${reason}${more}`, {
        kind: 'graphql_errors',
        status,
        errors: parsed.errors,
        data: parsed.data,
        operation,
      });
    }
    return parsed.data as T;
  }

  return {
    forRun: (scope) => withOperations((query, variables) => request(query, variables, scope)),
  };
}

/** Settles like `promise`, or rejects once `signal` aborts (a slow key read must not outlive the deadline). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** `{ data, errors }` from a response body, or undefined when it is not one. */
function parseGraphQLResponse(text: string): { data: unknown; errors: AdminApiGraphQLError[] } | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const { data, errors } = body as { data?: unknown; errors?: unknown };
  if (data === undefined && errors === undefined) return undefined;
  const list = Array.isArray(errors) ? errors : errors === undefined || errors === null ? [] : [errors];
  return {
    data: data ?? null,
    errors: list.map((e): AdminApiGraphQLError => {
      const entry = (typeof e === 'object' && e !== null ? e : { message: String(e) }) as Record<string, unknown>;
      return {
        message: typeof entry.message === 'string' ? entry.message : 'unknown error',
        ...(Array.isArray(entry.path) ? { path: entry.path as (string | number)[] } : {}),
        ...(typeof entry.extensions === 'object' && entry.extensions !== null
          ? { extensions: entry.extensions as Record<string, unknown> }
          : {}),
      };
    }),
  };
}

/** The name after `query` or `mutation`, for messages and logs; never the query text. */
function operationName(query: string): string | undefined {
  return /^\s*(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)/.exec(query.replace(/^\s*#.*$/gm, ''))?.[1];
}

function statusHint(status: number, settings: AdminApiSettings): string {
  if (status === 403) {
    return (
      `the token was refused; check that the key id (AUTHGEAR_ADMIN_API_KEY_ID) belongs to this private key and is still listed in the portal (Advanced → Admin API), ` +
      `and that "${settings.projectId}" is the project id (set AUTHGEAR_PROJECT_ID when the endpoint is a custom domain)`
    );
  }
  if (status === 404) return `no Admin API at ${settings.graphqlUrl}; check AUTHGEAR_ENDPOINT`;
  if (status === 429) return 'Authgear is rate-limiting this project; try again later';
  if (status >= 500) return 'Authgear could not answer; try again later';
  return 'unexpected status';
}

function abortError(operation: string | undefined, signal: AbortSignal | undefined, timedOut: boolean, cause?: unknown): AdminApiError {
  const reason: unknown = signal?.reason;
  const deadline = timedOut || (reason instanceof Error && reason.name === 'DeadlineExceeded');
  return new AdminApiError(
    deadline
      ? `the Admin API did not answer ${operation ?? 'the request'} before the handler's deadline or the request timeout`
      : `the Admin API request${operation ? ` ${operation}` : ''} was aborted by the handler's signal`,
    { kind: deadline ? 'timeout' : 'aborted', operation, ...(cause === undefined ? {} : { cause }) },
  );
}

const describeCause = (error: unknown): string => {
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  return typeof cause?.code === 'string' ? ` (${cause.code})` : error instanceof Error ? ` (${error.message})` : '';
};
