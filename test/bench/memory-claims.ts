/**
 * Stands in for `shared/runtime/claims-choice.ts` in the benchmark's "before" variant of the worker:
 * the per-container memory the worker had before the shared DynamoDB record, so the bundle holds
 * no DynamoDB client and no Powertools, and the first invocation makes no DynamoDB call.
 */
import { type EventClaims, MemoryEventClaims } from '../../shared/core/claims';

export function claimsFromEnv(): EventClaims {
  return new MemoryEventClaims();
}
