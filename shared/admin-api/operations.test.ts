/**
 * The typed helpers against Authgear's Admin API schema (test/fixtures/authgear-admin-api.graphql):
 * every query validates, every helper's variables coerce to the schema's input types, and the
 * answer, produced by executing the query on the schema, reads back into an AdminApiUser.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema, type GraphQLObjectType, graphql, isNonNullType, parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../test/support/paths';
import { sampleAdminApiUser } from '../devtools/fake-admin-api';
import { AdminApiError } from './errors';
import { userNodeId } from './node-id';
import { OPERATIONS, type RawUser, withOperations } from './operations';
import type { GraphQLVariables } from './types';

const schema = buildSchema(readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'authgear-admin-api.graphql'), 'utf8'));
const USER_ID = '5a2f4e7c-9b1d-4c3e-8f6a-0d2b7e9c1a34';

/** Whether each RawUser field may be null; `satisfies` makes the list follow the TypeScript type exactly. */
const RAW_USER_NULLABLE = {
  id: false,
  createdAt: false,
  updatedAt: false,
  lastLoginAt: true,
  isAnonymous: false,
  isDisabled: false,
  disableReason: true,
  isDeactivated: false,
  isAnonymized: false,
  deleteAt: true,
  anonymizeAt: true,
  standardAttributes: false,
  customAttributes: false,
  roles: true,
  groups: true,
} as const satisfies Record<keyof RawUser, boolean>;

/** Executes each request on the schema, as Authgear would, resolving users from the input. */
function schemaBackedAdminApi() {
  const requests: { query: string; variables: GraphQLVariables | undefined }[] = [];
  const user = (input: Record<string, unknown>, overrides: Partial<RawUser> = {}) => ({
    user: { __typename: 'User', ...sampleAdminApiUser(USER_ID, overrides), id: input.userID },
  });
  const edges = (keys: unknown) => ({
    edges: (keys as string[]).map((key) => ({ node: { key } })),
    pageInfo: { hasNextPage: false, hasPreviousPage: false },
  });
  const rootValue = {
    node: ({ id }: { id: string }) => (id === userNodeId(USER_ID) ? { __typename: 'User', ...sampleAdminApiUser(USER_ID) } : null),
    updateUser: ({ input }: { input: Record<string, unknown> }) =>
      user(input, {
        standardAttributes: (input.standardAttributes as Record<string, unknown>) ?? {},
        customAttributes: (input.customAttributes as Record<string, unknown>) ?? {},
      }),
    addUserToRoles: ({ input }: { input: Record<string, unknown> }) => user(input, { roles: edges(input.roleKeys) }),
    removeUserFromRoles: ({ input }: { input: Record<string, unknown> }) => user(input),
    addUserToGroups: ({ input }: { input: Record<string, unknown> }) => user(input, { groups: edges(input.groupKeys) }),
    removeUserFromGroups: ({ input }: { input: Record<string, unknown> }) => user(input),
    setDisabledStatus: ({ input }: { input: Record<string, unknown> }) =>
      user(input, { isDisabled: input.isDisabled as boolean, disableReason: (input.reason as string) ?? null }),
    deleteUser: ({ input }: { input: Record<string, unknown> }) => ({ deletedUserID: input.userID }),
  };
  const adminApi = withOperations(async <T>(query: string, variables?: GraphQLVariables): Promise<T> => {
    requests.push({ query, variables });
    const result = await graphql({ schema, source: query, variableValues: variables as Record<string, unknown>, rootValue });
    if (result.errors?.length) {
      throw new AdminApiError(result.errors.map((e) => e.message).join('; '), { kind: 'graphql_errors', errors: [...result.errors] });
    }
    return result.data as T;
  });
  return { adminApi, requests };
}

describe('the typed Admin API helpers, against the schema', () => {
  it.each(Object.entries(OPERATIONS))('%s is a valid operation of that name', (name, query) => {
    // Act
    const document = parse(query);
    const errors = validate(schema, document);

    // Assess
    expect(errors.map((e) => e.message)).toEqual([]);
    expect(document.definitions).toHaveLength(1);
    expect(document.definitions[0]).toMatchObject({ kind: 'OperationDefinition', name: { value: name } });
  });

  it('type each user field with the nullability the schema gives it', () => {
    // Prepare
    const fields = (schema.getType('User') as GraphQLObjectType).getFields();

    // Act
    const actual = Object.fromEntries(
      Object.keys(RAW_USER_NULLABLE).map((name) => [name, fields[name] ? !isNonNullType(fields[name].type) : 'missing']),
    );

    // Assess
    expect(actual).toEqual(RAW_USER_NULLABLE);
  });

  it('read, update, group, role, disable, re-enable and delete a user, each in one request the schema accepts', async () => {
    // Prepare
    const { adminApi, requests } = schemaBackedAdminApi();

    // Act
    const read = await adminApi.getUser(USER_ID);
    const missing = await adminApi.getUser('no-such-user');
    const updated = await adminApi.updateUser(USER_ID, { customAttributes: { plan: 'pro' } });
    const withStandard = await adminApi.updateUser(userNodeId(USER_ID), {
      standardAttributes: { given_name: 'Jane' },
      customAttributes: {},
    });
    const roles = await adminApi.addUserToRoles(USER_ID, ['admin', 'billing']);
    await adminApi.removeUserFromRoles(USER_ID, ['billing']);
    const groups = await adminApi.addUserToGroups(USER_ID, ['newcomers']);
    await adminApi.removeUserFromGroups(USER_ID, ['newcomers']);
    const disabled = await adminApi.disableUser(USER_ID, 'chargeback');
    const enabled = await adminApi.reenableUser(USER_ID);
    const deleted = await adminApi.deleteUser(USER_ID);

    // Assess
    expect(requests).toHaveLength(11);
    expect(read).toMatchObject({ id: USER_ID, nodeId: userNodeId(USER_ID), isDisabled: false, roles: [], groups: [] });
    expect(missing).toBeNull();
    expect(updated.customAttributes).toEqual({ plan: 'pro' });
    expect(requests[2]?.variables).toEqual({ input: { userID: userNodeId(USER_ID), customAttributes: { plan: 'pro' } } });
    expect(withStandard.standardAttributes).toEqual({ given_name: 'Jane' });
    expect(roles.roles).toEqual(['admin', 'billing']);
    expect(requests[5]?.variables).toEqual({ input: { userID: userNodeId(USER_ID), roleKeys: ['billing'] } });
    expect(groups.groups).toEqual(['newcomers']);
    expect(disabled).toMatchObject({ isDisabled: true, disableReason: 'chargeback' });
    expect(enabled).toMatchObject({ isDisabled: false, disableReason: null });
    expect(requests[9]?.variables).toEqual({ input: { userID: userNodeId(USER_ID), isDisabled: false } });
    expect(deleted).toBeUndefined();
    expect(requests[10]?.variables).toEqual({ input: { userID: userNodeId(USER_ID) } });
  });

  it('refuse a call that cannot be right before sending anything', async () => {
    // Prepare
    const { adminApi, requests } = schemaBackedAdminApi();

    // Act + Assess
    await expect(adminApi.addUserToGroups(USER_ID, [])).rejects.toThrow(/non-empty list/);
    await expect(adminApi.addUserToRoles(USER_ID, [''])).rejects.toThrow(/non-empty list/);
    await expect(adminApi.updateUser(USER_ID, {})).rejects.toThrow(/standardAttributes, customAttributes or both/);
    expect(requests).toEqual([]);
  });

  it('pass a schema error through as an AdminApiError', async () => {
    // Prepare
    const { adminApi } = schemaBackedAdminApi();

    // Act
    const failure = adminApi.graphql('mutation nope($input: UpdateUserInput!) { updateUser(input: $input) { user { id } } }', {
      input: { userID: 'x', unknownField: 1 },
    });

    // Assess
    await expect(failure).rejects.toBeInstanceOf(AdminApiError);
    await expect(failure).rejects.toThrow(/unknownField/);
  });
});
