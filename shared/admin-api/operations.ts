/**
 * The typed helpers: each is one GraphQL request over any {@link GraphQLRequest} (the real client,
 * or a test kit's fake), with a query checked against Authgear's schema in `operations.test.ts`.
 */
import { toUserNodeId, userIdFromNodeId } from './node-id';
import type { AdminApi, AdminApiUser, GraphQLRequest, UserAttributeChanges } from './types';

/** The user fields every helper reads back. */
export const USER_FIELDS =
  'id createdAt updatedAt lastLoginAt isAnonymous isDisabled disableReason isDeactivated isAnonymized deleteAt anonymizeAt ' +
  'standardAttributes customAttributes roles { edges { node { key } } } groups { edges { node { key } } }';

/**
 * The user as the Admin API sends it, for {@link USER_FIELDS}: the fields of {@link AdminApiUser}
 * as they come (the node id as `id`), with roles and groups as connections.
 */
export type RawUser = Omit<AdminApiUser, 'nodeId' | 'roles' | 'groups'> & {
  readonly roles: KeyConnection | null;
  readonly groups: KeyConnection | null;
};

interface KeyConnection {
  readonly edges: readonly ({ readonly node: { readonly key: string } | null } | null)[] | null;
}

/** Every helper's query, by operation name (the test validates each against the schema). */
export const OPERATIONS = {
  getUser: `query getUser($id: ID!) { node(id: $id) { __typename ... on User { ${USER_FIELDS} } } }`,
  updateUser: `mutation updateUser($input: UpdateUserInput!) { updateUser(input: $input) { user { ${USER_FIELDS} } } }`,
  addUserToRoles: `mutation addUserToRoles($input: AddUserToRolesInput!) { addUserToRoles(input: $input) { user { ${USER_FIELDS} } } }`,
  removeUserFromRoles: `mutation removeUserFromRoles($input: RemoveUserFromRolesInput!) { removeUserFromRoles(input: $input) { user { ${USER_FIELDS} } } }`,
  addUserToGroups: `mutation addUserToGroups($input: AddUserToGroupsInput!) { addUserToGroups(input: $input) { user { ${USER_FIELDS} } } }`,
  removeUserFromGroups: `mutation removeUserFromGroups($input: RemoveUserFromGroupsInput!) { removeUserFromGroups(input: $input) { user { ${USER_FIELDS} } } }`,
  setDisabledStatus: `mutation setDisabledStatus($input: SetDisabledStatusInput!) { setDisabledStatus(input: $input) { user { ${USER_FIELDS} } } }`,
  deleteUser: 'mutation deleteUser($input: DeleteUserInput!) { deleteUser(input: $input) { deletedUserID } }',
} as const;

/** Turns the wire form into {@link AdminApiUser}. */
export function toAdminApiUser(raw: RawUser): AdminApiUser {
  const keys = (connection: KeyConnection | null): string[] =>
    (connection?.edges ?? []).flatMap((edge) => (edge?.node ? [edge.node.key] : []));
  return {
    id: userIdFromNodeId(raw.id),
    nodeId: raw.id,
    createdAt: raw.createdAt,
    updatedAt: raw.updatedAt,
    lastLoginAt: raw.lastLoginAt,
    isAnonymous: raw.isAnonymous,
    isDisabled: raw.isDisabled,
    disableReason: raw.disableReason,
    isDeactivated: raw.isDeactivated,
    isAnonymized: raw.isAnonymized,
    deleteAt: raw.deleteAt,
    anonymizeAt: raw.anonymizeAt,
    standardAttributes: raw.standardAttributes ?? {},
    customAttributes: raw.customAttributes ?? {},
    roles: keys(raw.roles),
    groups: keys(raw.groups),
  };
}

/**
 * The {@link AdminApi} over `graphql`: its raw requests plus the typed helpers.
 *
 * @example
 * ```ts
 * const adminApi = withOperations((query, variables) => send(query, variables));
 * await adminApi.addUserToRoles('5a2f…', ['admin']);
 * ```
 */
export function withOperations(graphql: GraphQLRequest): AdminApi {
  const userPayload = async (operation: keyof typeof OPERATIONS, input: Record<string, unknown>): Promise<AdminApiUser> => {
    const data = await graphql<Record<string, { user: RawUser }>>(OPERATIONS[operation], { input });
    const payload = data[operation];
    if (!payload?.user) throw new TypeError(`the Admin API answered ${operation} without a user`);
    return toAdminApiUser(payload.user);
  };
  const keysInput = (userId: string, name: 'roleKeys' | 'groupKeys', keys: readonly string[]): Record<string, unknown> => {
    if (!Array.isArray(keys) || keys.length === 0 || !keys.every((k) => typeof k === 'string' && k !== '')) {
      throw new TypeError(`${name} must be a non-empty list of non-empty keys`);
    }
    return { userID: toUserNodeId(userId), [name]: [...keys] };
  };
  return {
    graphql,
    async getUser(userId) {
      const data = await graphql<{ node: (RawUser & { __typename: string }) | null }>(OPERATIONS.getUser, { id: toUserNodeId(userId) });
      return data.node?.__typename === 'User' ? toAdminApiUser(data.node) : null;
    },
    async updateUser(userId, changes: UserAttributeChanges) {
      const input: Record<string, unknown> = { userID: toUserNodeId(userId) };
      if (changes?.standardAttributes !== undefined) input.standardAttributes = changes.standardAttributes;
      if (changes?.customAttributes !== undefined) input.customAttributes = changes.customAttributes;
      if (Object.keys(input).length === 1) throw new TypeError('updateUser needs standardAttributes, customAttributes or both');
      return userPayload('updateUser', input);
    },
    addUserToRoles: async (userId, roleKeys) => userPayload('addUserToRoles', keysInput(userId, 'roleKeys', roleKeys)),
    removeUserFromRoles: async (userId, roleKeys) => userPayload('removeUserFromRoles', keysInput(userId, 'roleKeys', roleKeys)),
    addUserToGroups: async (userId, groupKeys) => userPayload('addUserToGroups', keysInput(userId, 'groupKeys', groupKeys)),
    removeUserFromGroups: async (userId, groupKeys) => userPayload('removeUserFromGroups', keysInput(userId, 'groupKeys', groupKeys)),
    disableUser: async (userId, reason) =>
      userPayload('setDisabledStatus', { userID: toUserNodeId(userId), isDisabled: true, ...(reason === undefined ? {} : { reason }) }),
    reenableUser: async (userId) => userPayload('setDisabledStatus', { userID: toUserNodeId(userId), isDisabled: false }),
    async deleteUser(userId) {
      await graphql(OPERATIONS.deleteUser, { input: { userID: toUserNodeId(userId) } });
    },
  };
}
