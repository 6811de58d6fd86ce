/**
 * A fake `context.adminApi` for handler tests: canned answers by operation name, and a record of
 * every call. The typed helpers run unchanged on top of it, so a test sees exactly the GraphQL
 * request each helper sends.
 */
import { AdminApiError, type AdminApiGraphQLError } from '../admin-api/errors';
import { parseNodeId, userNodeId } from '../admin-api/node-id';
import { OPERATIONS, type RawUser } from '../admin-api/operations';
import { withOperations } from '../admin-api/operations';
import type { AdminApi, AdminApiFactory, GraphQLVariables } from '../admin-api/types';

/** One request the handler sent. */
export interface FakeAdminApiCall {
  /** The operation name, e.g. `addUserToGroups` (undefined for an anonymous query). */
  readonly operation: string | undefined;
  readonly query: string;
  readonly variables: GraphQLVariables | undefined;
}

/**
 * What the fake answers to an operation: the GraphQL `data`, a function of the variables that
 * returns it, or an error to throw (e.g. `new AdminApiError(…)` to test a failure path).
 */
export type FakeAnswer = unknown | ((variables: GraphQLVariables | undefined) => unknown) | Error;

export interface FakeAdminApi {
  /** Pass as `invokeHandler(handler, { adminApi })`, or to `createWebhookApp({ adminApi })`. */
  readonly factory: AdminApiFactory;
  /** Every request, in order. */
  readonly calls: readonly FakeAdminApiCall[];
  /** Sets the answer to `operation`; replaces an earlier one. */
  respond(operation: string, answer: FakeAnswer): void;
  /** The fake itself as a handler would see it, for calling a helper directly. */
  readonly adminApi: AdminApi;
}

/**
 * @param answers canned answers by operation name. The typed helpers' operations answer by
 * default with a plausible user (the groups, roles, attributes or status the mutation asked
 * for); any other operation without an answer fails like a GraphQL error, so a test notices.
 * @example
 * ```ts
 * const admin = fakeAdminApi();
 * await invokeHandler(handler, { adminApi: admin });
 * expect(admin.calls.map((c) => c.operation)).toEqual(['addUserToGroups']);
 * ```
 */
export function fakeAdminApi(answers: Readonly<Record<string, FakeAnswer>> = {}): FakeAdminApi {
  const calls: FakeAdminApiCall[] = [];
  const canned = new Map<string, FakeAnswer>(Object.entries(answers));
  const graphql = async <T>(query: string, variables?: GraphQLVariables): Promise<T> => {
    const operation = /^\s*(?:query|mutation)\s+([_A-Za-z][_0-9A-Za-z]*)/.exec(query)?.[1];
    calls.push({ operation, query, variables: variables === undefined ? undefined : structuredClone(variables) });
    const answer = operation !== undefined && canned.has(operation) ? canned.get(operation) : defaultAnswer(operation, variables);
    if (answer instanceof Error) throw answer;
    return (typeof answer === 'function' ? await answer(variables) : answer) as T;
  };
  const adminApi = withOperations(graphql);
  return {
    factory: () => adminApi,
    calls,
    adminApi,
    respond: (operation, answer) => void canned.set(operation, answer),
  };
}

/**
 * A user as the Admin API sends it (the wire form the helpers read), for canned answers.
 *
 * @example
 * ```ts
 * fakeAdminApi({ getUser: { node: { __typename: 'User', ...sampleAdminApiUser('5a2f…', { isDisabled: true }) } } });
 * ```
 */
export function sampleAdminApiUser(userId: string, overrides: Partial<Omit<RawUser, 'id'>> = {}): RawUser {
  return {
    id: userNodeId(userId),
    createdAt: '2026-08-20T09:15:31.482913Z',
    updatedAt: '2026-08-20T09:15:31.482913Z',
    lastLoginAt: null,
    isAnonymous: false,
    isDisabled: false,
    disableReason: null,
    isDeactivated: false,
    isAnonymized: false,
    deleteAt: null,
    anonymizeAt: null,
    standardAttributes: {},
    customAttributes: {},
    roles: { edges: [] },
    groups: { edges: [] },
    ...overrides,
  };
}

const keyEdges = (keys: unknown): RawUser['roles'] => ({
  edges: (Array.isArray(keys) ? keys : []).map((key) => ({ node: { key: String(key) } })),
});

/** The typed helpers' operations answer with a user that reflects the request. */
function defaultAnswer(operation: string | undefined, variables: GraphQLVariables | undefined): unknown {
  const input = (variables?.input ?? {}) as Record<string, unknown>;
  const userId = parseNodeId(String(input.userID ?? variables?.id ?? ''))?.id ?? 'unknown-user';
  const user = (overrides: Partial<Omit<RawUser, 'id'>> = {}): { user: RawUser } => ({ user: sampleAdminApiUser(userId, overrides) });
  switch (operation) {
    case 'getUser':
      return { node: { __typename: 'User', ...sampleAdminApiUser(userId) } };
    case 'updateUser':
      return {
        updateUser: user({
          standardAttributes: (input.standardAttributes as Record<string, unknown>) ?? {},
          customAttributes: (input.customAttributes as Record<string, unknown>) ?? {},
        }),
      };
    case 'addUserToRoles':
      return { addUserToRoles: user({ roles: keyEdges(input.roleKeys) }) };
    case 'addUserToGroups':
      return { addUserToGroups: user({ groups: keyEdges(input.groupKeys) }) };
    case 'removeUserFromRoles':
    case 'removeUserFromGroups':
      return { [operation]: user() };
    case 'setDisabledStatus':
      return {
        setDisabledStatus: user({ isDisabled: input.isDisabled === true, disableReason: (input.reason as string | undefined) ?? null }),
      };
    case 'deleteUser':
      return { deleteUser: { deletedUserID: input.userID } };
    default: {
      const errors: AdminApiGraphQLError[] = [{ message: `the fake Admin API has no answer for ${operation ?? 'this anonymous query'}` }];
      return new AdminApiError(`the fake Admin API has no answer for ${operation ?? 'an anonymous query'}; give one with respond()`, {
        kind: 'graphql_errors',
        errors,
        operation,
      });
    }
  }
}

/** The operation names the typed helpers send. */
export const HELPER_OPERATIONS = Object.keys(OPERATIONS) as readonly (keyof typeof OPERATIONS)[];
