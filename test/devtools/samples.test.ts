/**
 * The sample generator: every event type, Authgear's id/seq rule, field order, null-versus-omitted
 * rules, Go's escapes, and byte-for-byte agreement with the signed vectors.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { BLOCKING_EVENT_TYPES, NON_BLOCKING_EVENT_TYPES, isBlockingEventType, type EventType } from '../../shared/core/constants';
import type { BlockingEventMap, NonBlockingEventMap } from '../../shared/core/events';
import { createJsonLogger } from '../../shared/core/logger';
import { signBody, verifySignature } from '../../shared/core/verify';
import { goJson, goTime, sortGoMap } from '../../shared/devtools/go-json';
import { SAMPLE_EVENT_TYPES, eventId, sampleBody, sampleEvent, type SampleOptions } from '../../shared/devtools/samples';
import { startLocalServer, type LocalServer } from '../../shared/local/server';
import { VECTORS, VECTOR_SECRET } from '../fixtures/authgear-vectors';
import { REPO_ROOT } from '../support/paths';

const REPO = REPO_ROOT;
const ENVELOPE_KEYS = ['id', 'seq', 'type', 'payload', 'context'];
// Authgear's Context struct order, restated on purpose: the generator's own list (CONTEXT_KEYS in
// shared/devtools/samples/story.ts) is what these tests check, so it must not be their source.
const CONTEXT_ORDER = [
  'timestamp',
  'user_id',
  'triggered_by',
  'audit_context',
  'preferred_languages',
  'language',
  'oauth',
  'ip_address',
  'geo_location_code',
  'user_agent',
  'app_id',
  'client_id',
  'tracking_id',
];
const ALWAYS_IN_CONTEXT = ['timestamp', 'user_id', 'triggered_by', 'audit_context', 'preferred_languages', 'language', 'geo_location_code'];
const USER_ORDER = [
  'id',
  'created_at',
  'updated_at',
  'last_login_at',
  'is_anonymous',
  'is_verified',
  'is_disabled',
  'disable_reason',
  'is_deactivated',
  'delete_at',
  'delete_reason',
  'is_anonymized',
  'anonymize_at',
  'temporarily_disabled_from',
  'temporarily_disabled_until',
  'account_valid_from',
  'account_valid_until',
  'can_reauthenticate',
  'standard_attributes',
  'custom_attributes',
  'x_web3',
  'roles',
  'groups',
  'mfa_grace_period_end_at',
];
/** The user fields a delivery may leave out; every other one is always there. */
const OPTIONAL_IN_USER = [
  'last_login_at',
  'disable_reason',
  'delete_at',
  'delete_reason',
  'anonymize_at',
  'temporarily_disabled_from',
  'temporarily_disabled_until',
  'account_valid_from',
  'account_valid_until',
  'mfa_grace_period_end_at',
];
const ALWAYS_IN_USER = USER_ORDER.filter((key) => !OPTIONAL_IN_USER.includes(key));
/** Only these may be null; everything else optional is left out instead. */
const NULLABLE = new Set([
  'user_id',
  'geo_location_code',
  'user',
  'identity',
  'id_token',
  'authentication_flow',
  'authenticator',
  'clientID',
  'session',
  'identities',
]);

type Json = Record<string, unknown>;

/** Whether `keys` appear in the order of `order` (skipping ones that are left out). */
function inOrder(keys: readonly string[], order: readonly string[]): boolean {
  const positions = keys.map((k) => order.indexOf(k));
  return positions.every((p, i) => p >= 0 && (i === 0 || p > (positions[i - 1] ?? -1)));
}

/** Every User object anywhere in a payload. */
function usersIn(value: unknown, key = ''): Json[] {
  if (Array.isArray(value)) return value.flatMap((item) => usersIn(item));
  if (typeof value !== 'object' || value === null) return [];
  const found = ['user', 'anonymous_user'].includes(key) ? [value as Json] : [];
  return [...found, ...Object.entries(value).flatMap(([k, v]) => usersIn(v, k))];
}

/** Paths of all null values. */
function nullPaths(value: unknown, path: string[] = []): string[] {
  if (value === null) return [path.join('.')];
  if (typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => nullPaths(v, [...path, k]));
}

/** The options that reproduce a signed vector, taken from its values. */
function optionsOf(body: string): SampleOptions {
  const event = JSON.parse(body) as Json & { context: Json; payload: Json };
  const payload = event.payload as { user?: Json; authentication_context?: { user: Json | null }; jwt?: { payload: Json } };
  const user = payload.user ?? payload.authentication_context?.user ?? undefined;
  const attrs = user?.standard_attributes as Json | undefined;
  const context = event.context;
  return {
    seq: event.seq as number,
    timestamp: context.timestamp as number,
    email: 'jane.doe@example.com',
    givenName: (attrs?.given_name as string | undefined) ?? null,
    familyName: (attrs?.family_name as string | undefined) ?? null,
    appId: 'myapp',
    clientId: 'a3f91c2b7d4e6058',
    ...(user
      ? {
          user: {
            id: user.id as string,
            createdAt: user.created_at as string,
            updatedAt: user.updated_at as string,
            lastLoginAt: (user.last_login_at as string | undefined) ?? null,
            roles: user.roles as string[],
          },
        }
      : {}),
    identityId: 'c7e1b9a4-3d52-4f8e-b6a0-91d4e2f7c815',
    authenticatorId: '0f6d2a91-7c3b-4e85-a1d9-5b8e3f2c7a60',
    sessionId: 'e4b8c2d1-6a3f-4b97-9e05-2c7d1f8a9b36',
    context: {
      audit_context: context.audit_context as { http_url: string },
      preferred_languages: context.preferred_languages as string[],
      oauth: context.oauth as { state: string } | undefined,
      ip_address: context.ip_address as string,
      geo_location_code: context.geo_location_code as string,
      user_agent: context.user_agent as string,
      tracking_id: context.tracking_id as string,
    },
    ...(payload.jwt ? { claims: { jti: payload.jwt.payload.jti } } : {}),
  };
}

describe('sample events', () => {
  it('exist for all 40 event types Authgear delivers: 9 blocking, 31 non-blocking', () => {
    // Act
    const types = new Set(SAMPLE_EVENT_TYPES);

    // Assess
    expect(types.size).toBe(40);
    expect(SAMPLE_EVENT_TYPES.filter((t) => isBlockingEventType(t))).toEqual([...BLOCKING_EVENT_TYPES]);
    expect(SAMPLE_EVENT_TYPES.filter((t) => !isBlockingEventType(t))).toEqual([...NON_BLOCKING_EVENT_TYPES]);
  });

  it.each(SAMPLE_EVENT_TYPES.map((t) => [t]))("%s: envelope, id/seq, context and user follow Authgear's structs", (type) => {
    // Prepare
    const seq = 48_213 + SAMPLE_EVENT_TYPES.indexOf(type);

    // Act
    const body = sampleBody(type, { seq });
    const event = JSON.parse(body) as Json & { context: Json; payload: Json };

    // Assess
    expect(Object.keys(event)).toEqual(ENVELOPE_KEYS);
    expect(event.type).toBe(type);
    expect(event.seq).toBe(seq);
    expect(event.id).toMatch(/^[0-9a-f]{16}$/);
    expect(Number.parseInt(event.id as string, 16)).toBe(seq);
    const contextKeys = Object.keys(event.context);
    expect(inOrder(contextKeys, CONTEXT_ORDER), contextKeys.join(',')).toBe(true);
    expect(contextKeys).toEqual(expect.arrayContaining(ALWAYS_IN_CONTEXT));
    expect(Number.isInteger(event.context.timestamp)).toBe(true);
    for (const user of usersIn(event.payload)) {
      expect(inOrder(Object.keys(user), USER_ORDER), Object.keys(user).join(',')).toBe(true);
      expect(Object.keys(user)).toEqual(expect.arrayContaining(ALWAYS_IN_USER));
      expect(user.x_web3).toEqual({});
      expect(typeof (user.standard_attributes as Json).updated_at).toBe('number');
    }
    for (const path of nullPaths(event)) expect(NULLABLE.has(path.split('.').at(-1) ?? ''), `${path} is null`).toBe(true);
    expect(body).toBe(goJson(event));
  });

  it('puts user_id null exactly where there is no user', () => {
    // Act
    const userless = SAMPLE_EVENT_TYPES.filter((type) => sampleEvent(type).context.user_id === null);

    // Assess
    expect(userless).toEqual(['authentication.pre_initialize', 'usage.alert.triggered']);
  });

  it.each(VECTORS.map((v) => [v.type, v] as const))('reproduces the signed %s vector byte for byte', (type, vector) => {
    // Prepare
    const options = optionsOf(vector.body);

    // Act
    const body = sampleBody(type as EventType, options);

    // Assess
    expect(body).toBe(vector.body);
    expect(signBody(body, VECTOR_SECRET)).toBe(vector.signature);
  });

  it('escapes <, >, &, U+2028 and U+2029 as Go does and keeps other non-ASCII text as UTF-8', () => {
    // Prepare
    const options: SampleOptions = {
      seq: 5,
      timestamp: 1_787_217_331,
      email: 'zoë+<a>&b@example.com',
      givenName: 'Zoë\u2028',
      familyName: '山田 👩‍💻\u2029',
    };

    // Act
    const body = sampleBody('user.created', options);
    const event = sampleEvent('user.created', options);

    // Assess
    expect(body).not.toMatch(/[<>&\u2028\u2029]/);
    expect(body).toContain('"email":"zoë+\\u003ca\\u003e\\u0026b@example.com"');
    expect(body).toContain('"given_name":"Zoë\\u2028"');
    expect(body).toContain('"family_name":"山田 👩‍💻\\u2029"');
    expect(body).toContain('"name":"Zoë\\u2028 山田 👩‍💻\\u2029"');
    expect(JSON.parse(body)).toEqual(event);
    expect(verifySignature(Buffer.from(body, 'utf8'), signBody(body, 's'), ['s'])).toBe('valid');
  });

  it('leaves name attributes out when they are null, and sorts Go maps by UTF-8 bytes', () => {
    // Prepare
    const customAttributes = { '😀': 1, '｡': 2, plan: 'pro', Plan: 'x' };

    // Act
    const event = sampleEvent('user.profile.updated', { givenName: null, familyName: null, user: { customAttributes } });

    // Assess
    expect(Object.keys(event.payload.user.standard_attributes)).toEqual(['email', 'email_verified', 'updated_at']);
    // UTF-16 order would put the emoji (a surrogate pair, 0xD83D…) before U+FF61; Go's byte order does not.
    expect(Object.keys(event.payload.user.custom_attributes)).toEqual(['Plan', 'plan', '｡', '😀']);
  });

  it('stamps now by default and gives each sample its own increasing seq', () => {
    // Prepare
    const before = Math.floor(Date.now() / 1000);

    // Act
    const first = sampleEvent('user.created');
    const second = sampleEvent('user.created');

    // Assess
    expect(first.context.timestamp).toBeGreaterThanOrEqual(before);
    expect(first.context.timestamp).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
    expect(second.seq).toBe(first.seq + 1);
    expect(second.id).toBe(eventId(second.seq));
  });

  it("applies context overrides in Authgear's order and leaves out keys given as undefined", () => {
    // Act
    const event = sampleEvent('user.pre_create', {
      context: { oauth: undefined, client_id: undefined, language: 'de', preferred_languages: ['de-AT'] },
    });

    // Assess
    expect(Object.keys(event.context)).toEqual(CONTEXT_ORDER.filter((key) => key !== 'oauth' && key !== 'client_id'));
    expect(event.context.language).toBe('de');
  });

  it('refuses what Authgear never sends', () => {
    // Act
    const unknown = () => sampleEvent('user.signed_out' as EventType);
    const negative = () => sampleEvent('user.created', { seq: -1 });

    // Assess
    expect(unknown).toThrow(/not an event type Authgear sends to webhooks/);
    expect(negative).toThrow(RangeError);
  });

  it('is typed as the event a handler of that type receives', () => {
    // Act
    const blocking = sampleEvent('oidc.jwt.pre_create');
    const nonBlocking = sampleEvent('identity.email.updated');

    // Assess
    expectTypeOf(blocking).toEqualTypeOf<BlockingEventMap['oidc.jwt.pre_create']>();
    expectTypeOf(nonBlocking).toEqualTypeOf<NonBlockingEventMap['identity.email.updated']>();
    expect(Object.keys(nonBlocking.payload)).toEqual(['user', 'new_identity', 'old_identity']);
  });
});

describe('Go JSON helpers', () => {
  it('format times with trimmed fractions and sort map keys', () => {
    // Act
    const times = [goTime(1_787_217_331_482_913), goTime(1_787_217_331_480_000), goTime(1_787_217_331_000_000)];
    const keys = Object.keys(sortGoMap({ b: 1, a: 2, 'https://x': 3, A: 4 }));

    // Assess
    expect(times).toEqual(['2026-08-20T09:15:31.482913Z', '2026-08-20T09:15:31.48Z', '2026-08-20T09:15:31Z']);
    expect(keys).toEqual(['A', 'a', 'b', 'https://x']);
  });

  it('writes lone surrogates as U+FFFD and refuses NaN, as Go does', () => {
    // Act
    const lone = goJson({ s: 'a\uD800b' });
    const nan = () => goJson({ n: Number.NaN });

    // Assess
    expect(lone).toBe('{"s":"a\uFFFDb"}');
    expect(nan).toThrow(/cannot be encoded/);
  });
});

describe('signed samples on the local server', () => {
  const SECRET = 'samples-test-secret-7d41c0';
  const dirs: string[] = [];
  const lines: string[] = [];
  let server: LocalServer;

  beforeAll(async () => {
    // A project with a handler for every blocking type; token handlers echo every claim and add one.
    const root = mkdtempSync(join(tmpdir(), 'samples-test-'));
    dirs.push(root);
    symlinkSync(join(REPO, 'shared'), join(root, 'shared'));
    mkdirSync(join(root, 'functions', 'blocking'), { recursive: true });
    for (const type of BLOCKING_EVENT_TYPES) {
      const token = type === 'oidc.jwt.pre_create' ? 'jwt' : type === 'oidc.id_token.pre_create' ? 'id_token' : undefined;
      const answer = token
        ? `({ is_allowed: true, mutations: { ${token}: { payload: { ...event.payload.${token}.payload, 'https://example.com/x': 1 } } } })`
        : '({ is_allowed: true })';
      writeFileSync(
        join(root, 'functions', 'blocking', `${type}.ts`),
        `import { defineBlockingHandler } from '../../shared';\nexport default defineBlockingHandler('${type}', (event) => ${answer});\n`,
      );
    }
    const logger = createJsonLogger({ level: 'info', sink: (_level, line) => lines.push(line) });
    server = await startLocalServer({ projectRoot: root, port: 0, env: { AUTHGEAR_WEBHOOK_SECRET: SECRET }, logger });
  });

  afterAll(async () => {
    await server?.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it.each(BLOCKING_EVENT_TYPES.map((t) => [t]))('%s: accepted by its handler, with a valid answer', async (type) => {
    // Prepare
    const body = sampleBody(type);

    // Act
    const res = await fetch(`${server.url}/blocking/${type}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-authgear-body-signature': signBody(body, SECRET) },
      body,
    });
    const answer = (await res.json()) as Json;

    // Assess
    expect(res.status).toBe(200);
    expect(answer.is_allowed).toBe(true);
    const id = (JSON.parse(body) as Json).id;
    const outcome = lines.map((l) => JSON.parse(l) as Json).find((l) => l.event_id === id && typeof l.outcome === 'string');
    expect(outcome?.outcome).toBe('allowed');
  });
});
