/**
 * Benchmark bodies: real Authgear events of the login path (Go-style compact JSON, the field order
 * of the signed vectors) padded to an exact byte size, stamped with the current time.
 *
 * - up to 2 KiB: `authentication.pre_initialize` (785 bytes unpadded), padded in
 *   `context.audit_context`, Authgear's free-form map of request details;
 * - larger: `authentication.pre_authenticated` (2,149 bytes unpadded), padded with the user's
 *   `custom_attributes`, where a project's own data makes real events grow.
 */
import { vector } from '../fixtures/authgear-vectors';
import { goJson } from '../fixtures/go-json';

export const BENCH_SECRET = 'k3Y9mP2qR7sT1vW5xZ8aB4cD6eF0gH_j';

/** The event types {@link paddedEvent} produces; the warm benchmark serves both with a no-op allow. */
export const BENCH_EVENT_TYPES = ['authentication.pre_initialize', 'authentication.pre_authenticated'] as const;
export type BenchEventType = (typeof BENCH_EVENT_TYPES)[number];

export interface BenchEvent {
  readonly type: BenchEventType;
  /** Exactly the requested number of UTF-8 bytes. */
  readonly body: string;
}

interface Shape {
  payload: { authentication_context: { user: { custom_attributes: Record<string, unknown> } | null } };
  context: { timestamp: number; audit_context: Record<string, unknown> };
}

/**
 * An Authgear login-path event of exactly `bytes` UTF-8 bytes, stamped `nowMs`.
 * @throws Error when `bytes` is below ~810 (the smallest login-path event plus one padding entry).
 */
export function paddedEvent(bytes: number, nowMs = Date.now()): BenchEvent {
  const type: BenchEventType = bytes <= 2048 ? 'authentication.pre_initialize' : 'authentication.pre_authenticated';
  const event = JSON.parse(vector(type).body) as Shape;
  event.context.timestamp = Math.floor(nowMs / 1000);
  const user = event.payload.authentication_context.user;
  const bag: Record<string, unknown> = user ? (user.custom_attributes = {}) : event.context.audit_context;
  const size = (): number => Buffer.byteLength(goJson(event), 'utf8');
  if (size() > bytes) throw new Error(`the unpadded ${type} event is ${size()} bytes, more than ${bytes}`);
  // Entries of ~100 bytes each, then one string that lands on the exact size.
  for (let i = 0; size() + 120 < bytes; i++) {
    bag[`attr_${String(i).padStart(3, '0')}`] = `value ${i}: plan=enterprise; region=eu-west-1; cohort=${(i * 7919) % 1000}; source=crm`;
  }
  const key = user ? 'filler' : 'http_referer';
  bag[key] = '';
  const room = bytes - size();
  if (room < 0) throw new Error(`${bytes} bytes is too small to pad a ${type} event`);
  const prefix = user || room < 40 ? '' : 'https://myapp.example.com/';
  bag[key] = prefix + 'p'.repeat(room - prefix.length);
  const body = goJson(event);
  const actual = Buffer.byteLength(body, 'utf8');
  if (actual !== bytes) throw new Error(`padding missed: ${actual} bytes instead of ${bytes}`);
  return { type, body };
}
