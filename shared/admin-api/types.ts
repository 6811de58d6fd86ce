/**
 * What a handler sees of the Admin API: `context.adminApi`. Checked against Authgear's Admin API
 * schema (see `test/fixtures/authgear-admin-api.graphql` for the version).
 */

/** Variables of a GraphQL request. */
export type GraphQLVariables = Readonly<Record<string, unknown>>;

/** Sends one GraphQL request and resolves to its `data`. */
export type GraphQLRequest = <T = unknown>(query: string, variables?: GraphQLVariables) => Promise<T>;

/** A user as the typed helpers return it, read in the same call that changed it. */
export interface AdminApiUser {
  /** The plain user id, as in webhook events (`event.payload.user.id`). */
  readonly id: string;
  /** The Admin API node id (`User:<id>`, base64url). */
  readonly nodeId: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly lastLoginAt: string | null;
  readonly isAnonymous: boolean;
  readonly isDisabled: boolean;
  readonly disableReason: string | null;
  readonly isDeactivated: boolean;
  readonly isAnonymized: boolean;
  /** When a scheduled deletion happens, or null. */
  readonly deleteAt: string | null;
  /** When a scheduled anonymization happens, or null. */
  readonly anonymizeAt: string | null;
  /** OIDC standard attributes: `email`, `given_name`, `picture`, `address`, … */
  readonly standardAttributes: Readonly<Record<string, unknown>>;
  /** The project's custom attributes, by their keys. */
  readonly customAttributes: Readonly<Record<string, unknown>>;
  /** Keys of the roles given to the user directly (not through a group). */
  readonly roles: readonly string[];
  /** Keys of the groups the user is in. */
  readonly groups: readonly string[];
}

/** The attribute sets {@link AdminApi.updateUser} writes; each one given replaces that whole set. */
export interface UserAttributeChanges {
  readonly standardAttributes?: Readonly<Record<string, unknown>>;
  readonly customAttributes?: Readonly<Record<string, unknown>>;
}

/**
 * Authgear's Admin API, bound to the running handler: every request stops at the handler's
 * deadline and with its abort signal. Users are named by their plain id (as events carry it) or
 * by their node id; roles and groups by their keys.
 *
 * @example
 * ```ts
 * export default defineNonBlockingHandler('user.created', async (event, { adminApi }) => {
 *   await adminApi.addUserToGroups(event.payload.user.id, ['newcomers']);
 * });
 * ```
 */
export interface AdminApi {
  /**
   * Sends any query or mutation and resolves to its `data`.
   *
   * @throws AdminApiError with the HTTP status, or the GraphQL `errors` (message, path, extensions).
   * @throws AdminApiConfigError when the Admin API is not configured or its key cannot be loaded.
   */
  graphql<T = unknown>(query: string, variables?: GraphQLVariables): Promise<T>;
  /** The user, or null when there is none with this id. */
  getUser(userId: string): Promise<AdminApiUser | null>;
  /**
   * Replaces the user's standard and/or custom attributes: each set given is written whole, so
   * spread the current values (from the event or {@link getUser}) to change one attribute.
   */
  updateUser(userId: string, changes: UserAttributeChanges): Promise<AdminApiUser>;
  /** Gives the user these roles (by key). */
  addUserToRoles(userId: string, roleKeys: readonly string[]): Promise<AdminApiUser>;
  /** Takes these roles (by key) from the user. */
  removeUserFromRoles(userId: string, roleKeys: readonly string[]): Promise<AdminApiUser>;
  /** Puts the user in these groups (by key). */
  addUserToGroups(userId: string, groupKeys: readonly string[]): Promise<AdminApiUser>;
  /** Takes the user out of these groups (by key). */
  removeUserFromGroups(userId: string, groupKeys: readonly string[]): Promise<AdminApiUser>;
  /** Disables the user: their sessions end and they cannot sign in. `reason` is shown in the portal. */
  disableUser(userId: string, reason?: string): Promise<AdminApiUser>;
  /** Enables a disabled user again. */
  reenableUser(userId: string): Promise<AdminApiUser>;
  /** Deletes the user at once (not a scheduled deletion). */
  deleteUser(userId: string): Promise<void>;
}

/** What the client needs of the handler's run: its deadline, its signal, and a logger. */
export interface AdminApiRunScope {
  /** Epoch milliseconds; requests abort then. */
  readonly deadline?: number;
  readonly signal?: AbortSignal;
  readonly logger?: { debug(message: string, fields?: Record<string, unknown>): void };
}

/** Makes the `context.adminApi` of one handler run. */
export type AdminApiFactory = (scope: AdminApiRunScope) => AdminApi;
