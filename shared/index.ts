/**
 * What a handler file needs. A handler file in `functions/blocking/` or `functions/non-blocking/`
 * imports it from two folders up (see the README, "Add a handler", docs/make-it-yours.md, and the
 * examples in `functions/`).
 */
export { defineBlockingHandler, defineNonBlockingHandler, DEFAULT_ERROR_RESPONSE } from './core/handler';
export type { BlockingHandler, NonBlockingHandler, BlockingHandlerOptions, ErrorPolicy, HandlerContext } from './core/handler';
export type { BlockingResponse, Deny, UserMutation, Constraints, BotProtection, RateLimits, AmrConstraint } from './core/responses';
export type * from './core/events';
export type { BlockingEventType, NonBlockingEventType, EventType } from './core/constants';
export { BLOCKING_EVENT_TYPES, NON_BLOCKING_EVENT_TYPES } from './core/constants';
export type { Logger } from './core/logger';
export type { AdminApi, AdminApiUser, UserAttributeChanges, GraphQLVariables } from './admin-api/types';
export { AdminApiError, AdminApiConfigError, type AdminApiErrorKind, type AdminApiGraphQLError } from './admin-api/errors';
export {
  nodeId,
  parseNodeId,
  idFromNodeId,
  userNodeId,
  userIdFromNodeId,
  identityNodeId,
  identityIdFromNodeId,
  authenticatorNodeId,
  authenticatorIdFromNodeId,
  sessionNodeId,
  sessionIdFromNodeId,
  groupNodeId,
  groupIdFromNodeId,
  roleNodeId,
  roleIdFromNodeId,
  NODE_TYPES,
  type NodeType,
  type ParsedNodeId,
} from './admin-api/node-id';
