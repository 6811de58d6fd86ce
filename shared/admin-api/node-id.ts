/**
 * Admin API node ids. The Admin API names every object by a global id: base64url, without
 * padding, of `<type>:<id>`, e.g. `User:5a2f…` for the user whose id a webhook event carries.
 */

/** The node types a handler meets in events and Admin API answers. */
export const NODE_TYPES = ['User', 'Identity', 'Authenticator', 'Session', 'Authorization', 'Group', 'Role', 'AuditLog'] as const;
export type NodeType = (typeof NODE_TYPES)[number];

/** A decoded node id. */
export interface ParsedNodeId {
  readonly type: string;
  readonly id: string;
}

/**
 * The node id of an object of `type` with the plain `id`.
 *
 * @example
 * ```ts
 * nodeId('User', '5a2f4e7c-9b1d-4c3e-8f6a-0d2b7e9c1a34'); // 'VXNlcjo1YTJmNGU3Yy05YjFkLTRjM2UtOGY2YS0wZDJiN2U5YzFhMzQ'
 * ```
 */
export function nodeId(type: NodeType, id: string): string {
  if (typeof id !== 'string' || id === '') throw new TypeError(`a ${type} id must be a non-empty string`);
  return Buffer.from(`${type}:${id}`, 'utf8').toString('base64url');
}

/**
 * Decodes a node id; `undefined` when it is not one. Standard base64 with padding is accepted too,
 * as older Authgear versions wrote it.
 *
 * @example
 * ```ts
 * parseNodeId(userNodeId('5a2f…')); // { type: 'User', id: '5a2f…' }
 * parseNodeId('not a node id');     // undefined
 * ```
 */
export function parseNodeId(value: string): ParsedNodeId | undefined {
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) return undefined;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0 || colon === decoded.length - 1) return undefined;
  const type = decoded.slice(0, colon);
  if (!/^[A-Z][A-Za-z]*$/.test(type)) return undefined;
  return { type, id: decoded.slice(colon + 1) };
}

/**
 * The plain id inside a node id of `type`.
 *
 * @throws TypeError when `value` is not a node id of that type.
 * @example
 * ```ts
 * idFromNodeId('User', 'VXNlcjo1YTJm…'); // '5a2f…'
 * ```
 */
export function idFromNodeId(type: NodeType, value: string): string {
  const parsed = parseNodeId(value);
  if (parsed?.type !== type) throw new TypeError(`"${value}" is not a ${type} node id`);
  return parsed.id;
}

/** `User:<id>` as a node id; the id is `event.payload.user.id` or `event.context.user_id`. */
export const userNodeId = (userId: string): string => nodeId('User', userId);
/** The user id inside a `User` node id. */
export const userIdFromNodeId = (value: string): string => idFromNodeId('User', value);
/** `Identity:<id>` as a node id (`event.payload.identity.id`, `event.payload.identities[].id`). */
export const identityNodeId = (identityId: string): string => nodeId('Identity', identityId);
/** The identity id inside an `Identity` node id. */
export const identityIdFromNodeId = (value: string): string => idFromNodeId('Identity', value);
/** `Authenticator:<id>` as a node id. */
export const authenticatorNodeId = (authenticatorId: string): string => nodeId('Authenticator', authenticatorId);
/** The authenticator id inside an `Authenticator` node id. */
export const authenticatorIdFromNodeId = (value: string): string => idFromNodeId('Authenticator', value);
/** `Session:<id>` as a node id (`event.payload.session.id`). */
export const sessionNodeId = (sessionId: string): string => nodeId('Session', sessionId);
/** The session id inside a `Session` node id. */
export const sessionIdFromNodeId = (value: string): string => idFromNodeId('Session', value);
/** `Group:<id>` as a node id. Groups are usually named by their key instead (the helpers take keys). */
export const groupNodeId = (groupId: string): string => nodeId('Group', groupId);
/** The group id inside a `Group` node id. */
export const groupIdFromNodeId = (value: string): string => idFromNodeId('Group', value);
/** `Role:<id>` as a node id. Roles are usually named by their key instead (the helpers take keys). */
export const roleNodeId = (roleId: string): string => nodeId('Role', roleId);
/** The role id inside a `Role` node id. */
export const roleIdFromNodeId = (value: string): string => idFromNodeId('Role', value);

/**
 * A user node id from either a plain user id or a user node id, so the helpers take what the
 * handler has at hand.
 */
export function toUserNodeId(userIdOrNodeId: string): string {
  return parseNodeId(userIdOrNodeId)?.type === 'User' ? userIdOrNodeId : userNodeId(userIdOrNodeId);
}
