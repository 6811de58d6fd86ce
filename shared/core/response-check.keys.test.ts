/** Which responses each blocking event accepts: worked examples, and the top-level keys per event. */
import { describe, it, expect } from 'vitest';
import { violationsOf } from '../../test/support/response-violations';
import { BLOCKING_EVENT_TYPES, type BlockingEventType } from './constants';
import { checkBlockingResponse } from './response-check';

const AUTHENTICATION_EVENTS = [
  'authentication.pre_initialize',
  'authentication.post_identified',
  'authentication.pre_authenticated',
] as const satisfies readonly BlockingEventType[];

describe('checkBlockingResponse: accepted examples', () => {
  const accepted: ReadonlyArray<readonly [string, BlockingEventType, string]> = [
    ['plain allow', 'user.pre_create', '{"is_allowed": true}'],
    [
      'deny with title and reason',
      'user.pre_create',
      '{"is_allowed": false, "title": "Sign-up blocked", "reason": "Email domain is not allowed"}',
    ],
    [
      'user mutations',
      'user.pre_create',
      `{
        "is_allowed": true,
        "mutations": {
          "user": {
            "standard_attributes": {"email": "jane.doe@example.com", "given_name": "Jane"},
            "custom_attributes": {"plan": "free"},
            "roles": ["member"],
            "groups": []
          }
        }
      }`,
    ],
    [
      'constraints and rate limits',
      'authentication.pre_authenticated',
      '{"is_allowed": true, "constraints": {"amr": ["mfa"]}, "rate_limits": {"authentication.account_enumeration": {"weight": 2}}}',
    ],
    ['bot protection', 'authentication.pre_initialize', '{"is_allowed": true, "bot_protection": {"mode": "always"}}'],
  ];

  it.each(accepted)('accepts %s on %s', (_name, eventType, body) => {
    // Prepare
    const response: unknown = JSON.parse(body);

    // Act
    const check = checkBlockingResponse(eventType, response);

    // Assess
    expect(check).toEqual({ ok: true });
  });

  it('accepts the constraints/rate-limits example on every event that takes both', () => {
    // Prepare
    const response: unknown = JSON.parse(
      '{"is_allowed": true, "constraints": {"amr": ["mfa"]}, "rate_limits": {"authentication.account_enumeration": {"weight": 2}}}',
    );

    // Act
    const results = AUTHENTICATION_EVENTS.map((type) => checkBlockingResponse(type, response).ok);

    // Assess
    expect(results).toEqual([true, true, true]);
  });

  it('accepts a deny on every event, with or without title and reason', () => {
    // Prepare
    const responses = [{ is_allowed: false }, { is_allowed: false, title: '', reason: '' }, { is_allowed: false, reason: 'No' }];

    // Act
    const failures = BLOCKING_EVENT_TYPES.flatMap((type) =>
      responses.filter((response) => !checkBlockingResponse(type, response).ok).map((response) => ({ type, response })),
    );

    // Assess
    expect(failures).toEqual([]);
  });
});

describe('checkBlockingResponse: rejected examples', () => {
  const rejected: ReadonlyArray<readonly [BlockingEventType, string]> = [
    ['user.pre_create', '{}'],
    ['user.pre_create', '{"is_allowed":"true"}'],
    ['user.pre_create', '{"is_allowed":true,"reason":""}'],
    ['user.pre_create', '{"is_allowed":false,"mutations":{}}'],
    ['user.pre_create', '{"is_allowed":true,"constraints":{"amr":["x_passkey"]}}'],
    ['authentication.pre_initialize', '{"is_allowed":true,"constraints":{"amr":["x_passkey"]}}'],
    ['user.pre_create', '{"is_allowed":true,"constraints":{"amr":["mfa"]}}'],
    ['authentication.pre_authenticated', '{"is_allowed":true,"bot_protection":{"mode":"always"}}'],
    ['authentication.pre_initialize', '{"is_allowed":true,"mutations":{}}'],
    ['authentication.post_identified', '{"is_allowed":true,"mutations":{}}'],
    ['authentication.pre_authenticated', '{"is_allowed":true,"mutations":{}}'],
    ['user.pre_create', '{"is_allowed":true,"rate_limits":{"authentication.password":{"weight":1}}}'],
    ['authentication.pre_initialize', '{"is_allowed":true,"rate_limits":{"authentication.password":{"weight":1}}}'],
    ['user.pre_create', '{"is_allowed":true,"extra":1}'],
  ];

  it.each(rejected)('rejects on %s: %s', (eventType, body) => {
    // Prepare
    const response: unknown = JSON.parse(body);

    // Act
    const check = checkBlockingResponse(eventType, response);

    // Assess
    expect(check.ok).toBe(false);
    expect(check.ok ? [] : check.violations).not.toHaveLength(0);
  });

  it.each([
    ['null', null],
    ['an array', []],
    ['a boolean', true],
    ['a string', '{"is_allowed":true}'],
    ['a number', 1],
    ['undefined', undefined],
  ])('rejects %s as the whole response, at the root path', (_name, response) => {
    // Prepare
    const eventType: BlockingEventType = 'user.pre_create';

    // Act
    const violations = violationsOf(eventType, response);

    // Assess
    expect(violations).toHaveLength(1);
    expect(violations[0]?.path).toBe('');
    expect(violations[0]?.rule).toMatch(/must be a JSON object/);
  });
});
describe('checkBlockingResponse: top-level keys per event', () => {
  const KEYS = ['mutations', 'constraints', 'bot_protection', 'rate_limits'] as const;
  const SAMPLE: Record<(typeof KEYS)[number], unknown> = {
    mutations: {},
    constraints: { amr: ['mfa'] },
    bot_protection: { mode: 'always' },
    rate_limits: { 'authentication.general': { weight: 1 } },
  };
  // Restates the table in response-check.ts on purpose: read from Authgear's server, it is the
  // oracle, so a change to the table there fails here instead of passing by construction.
  const EXPECTED: Record<BlockingEventType, readonly string[]> = {
    'user.pre_create': ['mutations'],
    'user.profile.pre_update': ['mutations'],
    'user.pre_schedule_deletion': ['mutations'],
    'user.pre_schedule_anonymization': ['mutations'],
    'oidc.jwt.pre_create': ['mutations'],
    'oidc.id_token.pre_create': ['mutations'],
    'authentication.pre_initialize': ['constraints', 'bot_protection', 'rate_limits'],
    'authentication.post_identified': ['constraints', 'bot_protection', 'rate_limits'],
    'authentication.pre_authenticated': ['constraints', 'rate_limits'],
  };

  it.each(BLOCKING_EVENT_TYPES.map((type) => [type] as const))('%s accepts exactly its keys', (eventType) => {
    // Prepare
    const responses = KEYS.map((key) => [key, { is_allowed: true, [key]: SAMPLE[key] }] as const);

    // Act
    const acceptedKeys = responses.filter(([, response]) => checkBlockingResponse(eventType, response).ok).map(([key]) => key);

    // Assess
    expect(acceptedKeys).toEqual(EXPECTED[eventType]);
  });

  it('covers all 9 blocking events', () => {
    // Prepare
    const tableEvents = Object.keys(EXPECTED);

    // Act
    const missing = BLOCKING_EVENT_TYPES.filter((type) => !tableEvents.includes(type));

    // Assess
    expect(BLOCKING_EVENT_TYPES).toHaveLength(9);
    expect(missing).toEqual([]);
  });
});
