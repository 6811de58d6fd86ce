import { describe, it, expect } from 'vitest';
import { vector } from '../../test/fixtures/authgear-vectors';
import { BLOCKING_EVENT_TYPES, type BlockingEventType } from './constants';
import { checkBlockingResponse, type ResponseViolation } from './response-check';
import { AMR_CONSTRAINT_VALUES, RATE_LIMIT_KEYS } from './responses';

const violationsOf = (eventType: BlockingEventType, response: unknown, original?: { payload?: unknown }) => {
  const check = checkBlockingResponse(eventType, response, original);
  return check.ok ? [] : [...check.violations];
};

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

describe('checkBlockingResponse: violation paths and rules', () => {
  it('names a title sent with an allow', () => {
    // Prepare
    const response = { is_allowed: true, title: 'Welcome' };

    // Act
    const violations = violationsOf('user.pre_create', response);

    // Assess
    expect(violations).toEqual([{ path: 'title', rule: 'title is not allowed when is_allowed is true' }]);
  });

  it('names a top-level key the event does not accept, and lists what it does accept', () => {
    // Prepare
    const response = { is_allowed: true, constraints: { amr: ['mfa'] } };

    // Act
    const violations = violationsOf('user.pre_create', response);

    // Assess
    expect(violations).toEqual([{ path: 'constraints', rule: '"constraints" is not accepted for user.pre_create (allowed: mutations)' }]);
  });

  it('names bot_protection on authentication.pre_authenticated', () => {
    // Prepare
    const response = { is_allowed: true, bot_protection: { mode: 'always' } };

    // Act
    const violations = violationsOf('authentication.pre_authenticated', response);

    // Assess
    expect(violations).toEqual([
      {
        path: 'bot_protection',
        rule: '"bot_protection" is not accepted for authentication.pre_authenticated (allowed: constraints, rate_limits)',
      },
    ]);
  });

  it('names a missing and a non-boolean is_allowed', () => {
    // Prepare
    const missing = {};
    const stringly = { is_allowed: 'true' };

    // Act
    const missingViolations = violationsOf('user.pre_create', missing);
    const stringlyViolations = violationsOf('user.pre_create', stringly);

    // Assess
    expect(missingViolations).toEqual([{ path: 'is_allowed', rule: 'is_allowed is required; set it to true or false' }]);
    expect(stringlyViolations).toEqual([{ path: 'is_allowed', rule: 'is_allowed must be the boolean true or false, not a string' }]);
  });

  it('names keys a deny may not carry, and non-string title/reason', () => {
    // Prepare
    const response = { is_allowed: false, title: 42, reason: 'ok', mutations: {} };

    // Act
    const violations = violationsOf('user.pre_create', response);

    // Assess
    expect(violations).toEqual([
      { path: 'title', rule: 'title must be a string, not a number' },
      { path: 'mutations', rule: '"mutations" is not allowed when is_allowed is false (allowed: title, reason)' },
    ]);
  });

  it('names an unknown top-level key', () => {
    // Prepare
    const response = { is_allowed: true, extra: 1 };

    // Act
    const violations = violationsOf('user.pre_create', response);

    // Assess
    expect(violations).toEqual([
      {
        path: 'extra',
        rule: '"extra" is not a response key (allowed for user.pre_create when is_allowed is true: mutations)',
      },
    ]);
  });

  it('points at the offending list entry and amr value', () => {
    // Prepare
    const userResponse = { is_allowed: true, mutations: { user: { roles: ['member', 7], groups: 'staff' } } };
    const amrResponse = { is_allowed: true, constraints: { amr: ['mfa', 'x_passkey'] } };

    // Act
    const userViolations = violationsOf('user.pre_create', userResponse);
    const amrViolations = violationsOf('authentication.pre_initialize', amrResponse);

    // Assess
    expect(userViolations).toEqual([
      { path: 'mutations.user.roles[1]', rule: 'each entry of roles must be a string, not a number' },
      { path: 'mutations.user.groups', rule: 'groups must be an array of strings, not a string' },
    ]);
    expect(amrViolations).toHaveLength(1);
    expect(amrViolations[0]?.path).toBe('constraints.amr[1]');
    expect(amrViolations[0]?.rule).toMatch(/^"x_passkey" is not a supported amr constraint \(allowed: mfa, otp, /);
  });

  it('quotes rate-limit names in paths', () => {
    // Prepare
    const response = {
      is_allowed: true,
      rate_limits: { 'authentication.password': { weight: 1 }, 'authentication.general': { weight: -1, burst: 2 } },
    };

    // Act
    const violations = violationsOf('authentication.pre_initialize', response);

    // Assess
    expect(violations.map((v) => v.path)).toEqual([
      'rate_limits["authentication.password"]',
      'rate_limits["authentication.general"].weight',
      'rate_limits["authentication.general"].burst',
    ]);
    expect(violations[0]?.rule).toBe(
      '"authentication.password" is not a rate limit a hook can adjust (allowed: authentication.general, authentication.account_enumeration)',
    );
    expect(violations[1]?.rule).toBe('weight must be a number >= 0, not -1');
  });

  it('reports every violation, not just the first', () => {
    // Prepare
    const response = {
      is_allowed: true,
      title: 'x',
      reason: 'y',
      mutations: { user: { standard_attributes: 'jane' }, profile: {} },
      constraints: { amr: ['mfa'] },
    };

    // Act
    const violations = violationsOf('user.pre_create', response);

    // Assess
    expect(violations.map((v: ResponseViolation) => v.path)).toEqual([
      'title',
      'reason',
      'mutations.user.standard_attributes',
      'mutations.profile',
      'constraints',
    ]);
  });
});

describe('checkBlockingResponse: shapes', () => {
  it('checks the mutations object and the user mutation', () => {
    // Prepare
    const cases: ReadonlyArray<readonly [unknown, boolean]> = [
      [{ mutations: null }, false],
      [{ mutations: [] }, false],
      [{ mutations: {} }, true],
      [{ mutations: { user: {} } }, true],
      [{ mutations: { user: null } }, false],
      [{ mutations: { user: { standard_attributes: {} } } }, true],
      [{ mutations: { user: { standard_attributes: [] } } }, false],
      [{ mutations: { user: { standard_attributes: null } } }, false],
      [{ mutations: { user: { custom_attributes: 'free' } } }, false],
      [{ mutations: { user: { roles: [] } } }, true],
      [{ mutations: { user: { roles: null } } }, true],
      [{ mutations: { user: { roles: [null] } } }, false],
      [{ mutations: { user: { groups: { a: 'b' } } } }, false],
      // Authgear ignores unknown user keys.
      [{ mutations: { user: { is_anonymous: true } } }, true],
      // Go matches struct fields case-insensitively, so this is the roles field and fails to decode.
      [{ mutations: { user: { Roles: 'admin' } } }, false],
      // Only the top level is narrowed per event: Authgear accepts (and ignores) a jwt mutation here.
      [{ mutations: { jwt: { payload: { a: 1 } } } }, true],
      [{ mutations: { id_token: {} } }, true],
      [{ mutations: { jwt: 'token' } }, false],
      [{ mutations: { jwt: { payload: [] } } }, false],
      [{ mutations: { user: {}, session: {} } }, false],
    ];

    // Act
    const results = cases.map(([extra]) => checkBlockingResponse('user.pre_create', { is_allowed: true, ...(extra as object) }).ok);

    // Assess
    expect(results).toEqual(cases.map(([, ok]) => ok));
  });

  it('checks constraints, bot_protection and rate_limits', () => {
    // Prepare
    const cases: ReadonlyArray<readonly [unknown, boolean]> = [
      [{ constraints: {} }, true],
      [{ constraints: { amr: [] } }, true],
      [{ constraints: { amr: [...AMR_CONSTRAINT_VALUES] } }, true],
      [{ constraints: { amr: 'mfa' } }, false],
      [{ constraints: { amr: [1] } }, false],
      [{ constraints: { acr: ['mfa'] } }, false],
      [{ constraints: [] }, false],
      [{ bot_protection: { mode: 'never' } }, true],
      [{ bot_protection: { mode: 'always' } }, true],
      // Authgear's schema does not require `mode`.
      [{ bot_protection: {} }, true],
      [{ bot_protection: { mode: 'sometimes' } }, false],
      [{ bot_protection: { mode: 'always', provider: 'x' } }, false],
      [{ bot_protection: 'always' }, false],
      [{ rate_limits: {} }, true],
      [{ rate_limits: Object.fromEntries(RATE_LIMIT_KEYS.map((key) => [key, { weight: 0 }])) }, true],
      [{ rate_limits: { 'authentication.general': { weight: 0.5 } } }, true],
      [{ rate_limits: { 'authentication.general': {} } }, true],
      [{ rate_limits: { 'authentication.general': { weight: -0.1 } } }, false],
      [{ rate_limits: { 'authentication.general': { weight: '1' } } }, false],
      [{ rate_limits: { 'authentication.general': { weight: Number.POSITIVE_INFINITY } } }, false],
      [{ rate_limits: { 'authentication.general': 1 } }, false],
      [{ rate_limits: [] }, false],
    ];

    // Act
    const results = cases.map(
      ([extra]) => checkBlockingResponse('authentication.pre_initialize', { is_allowed: true, ...(extra as object) }).ok,
    );

    // Assess
    expect(results).toEqual(cases.map(([, ok]) => ok));
  });

  it('treats properties whose value is undefined as absent, like JSON.stringify', () => {
    // Prepare
    const allow = { is_allowed: true, title: undefined, mutations: undefined };
    const deny = { is_allowed: false, title: undefined, mutations: undefined };

    // Act
    const allowCheck = checkBlockingResponse('authentication.pre_initialize', allow);
    const denyCheck = checkBlockingResponse('user.pre_create', deny);

    // Assess
    expect(allowCheck).toEqual({ ok: true });
    expect(denyCheck).toEqual({ ok: true });
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

describe('checkBlockingResponse: token claims must be echoed', () => {
  type TokenEvent = { payload: { jwt: { payload: Record<string, unknown> } } };
  const jwtEvent = JSON.parse(vector('oidc.jwt.pre_create').body) as TokenEvent;
  const originalClaims = jwtEvent.payload.jwt.payload;
  const withTenant = (): Record<string, unknown> => ({ ...originalClaims, 'https://myapp.example.com/tenant': 'acme' });
  const jwtResponse = (payload: Record<string, unknown>) => ({ is_allowed: true, mutations: { jwt: { payload } } });

  it('accepts every original claim echoed plus a new one (§11.5a)', () => {
    // Prepare
    const response = jwtResponse(withTenant());

    // Act
    const check = checkBlockingResponse('oidc.jwt.pre_create', response, jwtEvent);

    // Assess
    expect(check).toEqual({ ok: true });
  });

  it('rejects the same response with a claim removed, naming the claim', () => {
    // Prepare
    const { exp: _removed, ...rest } = withTenant();
    const response = jwtResponse(rest);

    // Act
    const violations = violationsOf('oidc.jwt.pre_create', response, jwtEvent);

    // Assess
    expect(violations).toEqual([
      {
        path: 'mutations.jwt.payload.exp',
        rule: 'claim "exp" of the original token was removed; echo every original claim',
      },
    ]);
  });

  it('rejects the same response with a claim changed, naming the claim', () => {
    // Prepare
    const response = jwtResponse({ ...withTenant(), 'https://authgear.com/claims/user/roles': ['member', 'admin'] });

    // Act
    const violations = violationsOf('oidc.jwt.pre_create', response, jwtEvent);

    // Assess
    expect(violations).toHaveLength(1);
    expect(violations[0]?.path).toBe('mutations.jwt.payload["https://authgear.com/claims/user/roles"]');
    expect(violations[0]?.rule).toContain('"https://authgear.com/claims/user/roles"');
    expect(violations[0]?.rule).toContain('changed');
  });

  it('reports every removed or changed claim, and rejects an empty replacement payload', () => {
    // Prepare
    const changed = jwtResponse({ ...withTenant(), sub: 'someone-else', iat: String(originalClaims.iat), scope: undefined });
    const empty = jwtResponse({});

    // Act
    const changedPaths = violationsOf('oidc.jwt.pre_create', changed, jwtEvent).map((v) => v.path);
    const emptyCount = violationsOf('oidc.jwt.pre_create', empty, jwtEvent).length;

    // Assess
    expect(changedPaths).toEqual(['mutations.jwt.payload.iat', 'mutations.jwt.payload.scope', 'mutations.jwt.payload.sub']);
    expect(emptyCount).toBe(Object.keys(originalClaims).length);
  });

  it('compares claims as JSON values: key order is free, array order is not', () => {
    // Prepare
    const original = { payload: { id_token: { payload: { sub: 'u1', addr: { city: 'A', zip: '1' }, amr: ['pwd', 'mfa'], n: 1 } } } };
    const reordered = { n: 1.0, amr: ['pwd', 'mfa'], addr: { zip: '1', city: 'A' }, sub: 'u1', extra: true };
    const swapped = { sub: 'u1', addr: { city: 'A', zip: '1' }, amr: ['mfa', 'pwd'], n: 1 };
    const allow = (payload: object) => ({ is_allowed: true, mutations: { id_token: { payload } } });

    // Act
    const reorderedCheck = checkBlockingResponse('oidc.id_token.pre_create', allow(reordered), original);
    const swappedViolations = violationsOf('oidc.id_token.pre_create', allow(swapped), original);

    // Assess
    expect(reorderedCheck).toEqual({ ok: true });
    expect(swappedViolations).toEqual([
      {
        path: 'mutations.id_token.payload.amr',
        rule: 'claim "amr" of the original token was changed; echo every original claim unchanged',
      },
    ]);
  });

  it('applies the rule only to the token the event issues, and only when a payload is sent', () => {
    // Prepare
    const dropsEverything = { is_allowed: true, mutations: { jwt: { payload: {} } } };
    const noPayload = { is_allowed: true, mutations: { jwt: {} } };

    // Act
    const onIdTokenEvent = checkBlockingResponse('oidc.id_token.pre_create', dropsEverything, {
      payload: { id_token: { payload: { sub: 'u1' } } },
    });
    const withoutPayload = checkBlockingResponse('oidc.jwt.pre_create', noPayload, jwtEvent);
    const withoutOriginal = checkBlockingResponse('oidc.jwt.pre_create', dropsEverything);

    // Assess
    expect(onIdTokenEvent).toEqual({ ok: true });
    expect(withoutPayload).toEqual({ ok: true });
    expect(withoutOriginal).toEqual({ ok: true });
  });
});
