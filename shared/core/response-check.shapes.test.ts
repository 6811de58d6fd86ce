/** What the check says is wrong and where, and the shapes it accepts for each part of a response. */
import { describe, it, expect } from 'vitest';
import { violationsOf } from '../../test/support/response-violations';
import { checkBlockingResponse, type ResponseViolation } from './response-check';
import { AMR_CONSTRAINT_VALUES, RATE_LIMIT_KEYS } from './responses';

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
