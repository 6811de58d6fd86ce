/** Step 5, guardAnswer: the handler's answer as Authgear would accept it, else its error policy, through the app. */
import { readConfig } from '../config';
import { DeadlineExceeded } from '../run-handler';
import { guardAnswer } from './guard-answer';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ERROR_RESPONSE, defineBlockingHandler } from '../handler';
import { USER_ID, harness, deliver } from '../../../test/support/app-harness';

// ---------------------------------------------------------------------------------------------
// Blocking handlers
// ---------------------------------------------------------------------------------------------

describe('createWebhookApp: blocking handlers', () => {
  it.each([
    ['a plain allow', { is_allowed: true }],
    ['a deny with title and reason', { is_allowed: false, title: 'Sign-up blocked', reason: 'Use a permanent e-mail address.' }],
    ['an allow with user mutations', { is_allowed: true, mutations: { user: { custom_attributes: { plan: 'free' }, roles: ['member'] } } }],
  ] as const)('answers 200 with exactly the JSON of %s', async (_name, answer) => {
    // Prepare
    const h = harness({ blocking: [defineBlockingHandler('user.pre_create', () => structuredClone(answer) as never)] });

    // Act
    const response = await deliver(h, 'user.pre_create');

    // Assess
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.body).toBe(JSON.stringify(answer));
    expect(h.outcome()).toMatchObject({ status: 200, outcome: answer.is_allowed ? 'allowed' : 'denied' });
  });

  it('answers the generic deny of the default policy and logs handler_threw when the handler rejects', async () => {
    // Prepare
    const h = harness({
      blocking: [defineBlockingHandler('user.pre_create', async () => Promise.reject(new Error('CRM down: jane.doe@example.com')))],
    });

    // Act
    const response = await deliver(h, 'user.pre_create');

    // Assess
    expect(response.status).toBe(200);
    expect(response.body).toBe(JSON.stringify(DEFAULT_ERROR_RESPONSE));
    expect(h.outcome()).toMatchObject({
      level: 'error',
      reason: 'handler_threw',
      outcome: 'error_policy_deny',
      error_message: 'CRM down: [redacted]', // no personal data in logs without LOG_PERSONAL_DATA
    });
  });

  it('handles a synchronous throw like a rejection', async () => {
    // Prepare
    const h = harness({
      blocking: [
        defineBlockingHandler('user.pre_create', () => {
          throw new TypeError('sync boom');
        }),
      ],
    });

    // Act
    const response = await deliver(h, 'user.pre_create');

    // Assess
    expect(response.status).toBe(200);
    expect(response.body).toBe(JSON.stringify(DEFAULT_ERROR_RESPONSE));
    expect(h.outcome()).toMatchObject({ reason: 'handler_threw', error_name: 'TypeError', error_message: 'sync boom' });
  });

  it('answers a thrown non-Error value by the policy too', async () => {
    // Prepare
    const h = harness({
      blocking: [
        defineBlockingHandler('user.pre_create', () => {
          throw 'a string';
        }),
      ],
    });

    // Act
    const response = await deliver(h, 'user.pre_create');

    // Assess
    expect(response.body).toBe(JSON.stringify(DEFAULT_ERROR_RESPONSE));
    expect(h.outcome()).toMatchObject({ reason: 'handler_threw', error_message: 'a string' });
  });

  it('answers the configured title and reason when a deny-policy handler fails', async () => {
    // Prepare
    const failing = defineBlockingHandler(
      'user.pre_create',
      () => {
        throw new Error('x');
      },
      { errorResponse: { title: 'Try later', reason: 'Sign-up is paused.' } },
    );
    const h = harness({ blocking: [failing] });

    // Act
    const response = await deliver(h, 'user.pre_create');

    // Assess
    expect(JSON.parse(response.body)).toEqual({ is_allowed: false, title: 'Try later', reason: 'Sign-up is paused.' });
  });

  it('answers {"is_allowed":true} when an allow-policy handler fails', async () => {
    // Prepare
    const failing = defineBlockingHandler(
      'user.pre_create',
      () => {
        throw new Error('x');
      },
      { onError: 'allow' },
    );
    const h = harness({ blocking: [failing] });

    // Act
    const response = await deliver(h, 'user.pre_create');

    // Assess
    expect(response.status).toBe(200);
    expect(response.body).toBe('{"is_allowed":true}');
    expect(h.outcome()).toMatchObject({ outcome: 'error_policy_allow', reason: 'handler_threw' });
  });

  it.each([
    ['constraints on user.pre_create', { is_allowed: true, constraints: { amr: ['mfa'] } }, 'constraints'],
    ['a title with is_allowed true', { is_allowed: true, title: 'Welcome' }, 'title'],
    ['is_allowed as a string', { is_allowed: 'true' }, 'is_allowed'],
    ['an empty object', {}, 'is_allowed'],
    ['mutations on a deny', { is_allowed: false, mutations: {} }, 'mutations'],
    ['a bare boolean', true, ''],
  ])('answers by the policy and logs the violations when the handler returns %s', async (_name, answer, path) => {
    // Prepare
    const h = harness({ blocking: [defineBlockingHandler('user.pre_create', () => answer as never)] });

    // Act
    const response = await deliver(h, 'user.pre_create');

    // Assess
    expect(response.status).toBe(200);
    expect(response.body).toBe(JSON.stringify(DEFAULT_ERROR_RESPONSE));
    const line = h.outcome();
    expect(line).toMatchObject({ level: 'error', reason: 'invalid_response', outcome: 'error_policy_deny' });
    expect(line.violations).toEqual(expect.arrayContaining([expect.objectContaining({ path })]));
  });

  it.each([
    ['undefined', () => undefined],
    ['an object holding a BigInt', () => ({ is_allowed: true, weight: 1n })],
    [
      'a circular object',
      () => {
        const answer: Record<string, unknown> = { is_allowed: true };
        answer.self = answer;
        return answer;
      },
    ],
  ])('answers by the policy when the handler returns %s, which is not JSON', async (_name, make) => {
    // Prepare
    const h = harness({ blocking: [defineBlockingHandler('user.pre_create', () => make() as never)] });

    // Act
    const response = await deliver(h, 'user.pre_create');

    // Assess
    expect(response.body).toBe(JSON.stringify(DEFAULT_ERROR_RESPONSE));
    expect(h.outcome()).toMatchObject({ reason: 'invalid_response', outcome: 'error_policy_deny' });
    expect(h.outcome().msg).toMatch(/not JSON/);
  });

  it('answers an oidc.jwt.pre_create mutation that keeps every claim and adds one with exactly that JSON', async () => {
    // Prepare
    const h = harness({
      blocking: [
        defineBlockingHandler('oidc.jwt.pre_create', (event) => ({
          is_allowed: true,
          mutations: { jwt: { payload: { ...event.payload.jwt.payload, 'https://example.com/tenant': 'acme' } } },
        })),
      ],
    });

    // Act
    const response = await deliver(h, 'oidc.jwt.pre_create');

    // Assess
    expect(response.status).toBe(200);
    const sent = JSON.parse(response.body) as { mutations: { jwt: { payload: Record<string, unknown> } } };
    expect(sent.mutations.jwt.payload['https://example.com/tenant']).toBe('acme');
    expect(sent.mutations.jwt.payload.sub).toBe(USER_ID);
  });

  it('answers by the policy when an oidc.jwt.pre_create mutation drops an original claim', async () => {
    // Prepare
    const h = harness({
      blocking: [
        defineBlockingHandler('oidc.jwt.pre_create', (event) => {
          const { sub: _dropped, ...rest } = event.payload.jwt.payload;
          return { is_allowed: true, mutations: { jwt: { payload: { ...rest, 'https://example.com/tenant': 'acme' } } } };
        }),
      ],
    });

    // Act
    const response = await deliver(h, 'oidc.jwt.pre_create');

    // Assess
    expect(response.body).toBe(JSON.stringify(DEFAULT_ERROR_RESPONSE));
    expect(h.outcome()).toMatchObject({ reason: 'invalid_response' });
    expect(h.outcome().violations).toEqual([expect.objectContaining({ path: 'mutations.jwt.payload.sub' })]);
  });
});

describe('guardAnswer', () => {
  const config = readConfig({});
  const event = { id: '000000000000c002', type: 'user.pre_create', payload: {}, context: { timestamp: 1 } } as never;

  it('passes a valid answer through as serialised, and answers a failure by the handler policy with the reason', () => {
    // Prepare
    const deny = defineBlockingHandler('user.pre_create', () => ({ is_allowed: true }));
    const allow = defineBlockingHandler('user.pre_create', () => ({ is_allowed: true }), { onError: 'allow' });

    // Act
    const valid = guardAnswer(deny, event, { ok: true, value: { is_allowed: false, title: 'No', reason: 'Not today' } }, config);
    const late = guardAnswer(allow, event, { ok: false, error: new DeadlineExceeded() }, config);
    const broken = guardAnswer(deny, event, { ok: true, value: { is_allowed: 'yes' } }, config);

    // Assess
    expect(valid).toMatchObject({
      outcome: 'denied',
      response: { status: 200, body: '{"is_allowed":false,"title":"No","reason":"Not today"}' },
    });
    expect(late).toMatchObject({
      outcome: 'error_policy_allow',
      level: 'error',
      fields: { reason: 'deadline_exceeded' },
      response: { body: '{"is_allowed":true}' },
    });
    expect(broken).toMatchObject({ outcome: 'error_policy_deny', fields: { reason: 'invalid_response' } });
    expect(JSON.parse(broken.response.body)).toEqual(DEFAULT_ERROR_RESPONSE);
  });
});
