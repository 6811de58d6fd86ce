/** The rule that a token mutation echoes every claim of the original token. */
import { describe, it, expect } from 'vitest';
import { vector } from '../../test/fixtures/authgear-vectors';
import { violationsOf } from '../../test/support/response-violations';
import { checkBlockingResponse } from './response-check';

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
