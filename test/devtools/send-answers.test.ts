/** `npm run send`: judging the answer a receiver gave as Authgear would. */
import { describe, expect, it } from 'vitest';
import type { BlockingEventType } from '../../shared/core/constants';
import { describeVerdict, judgeAnswer } from '../../shared/devtools/check-response';
import { sampleEvent } from '../../shared/devtools/samples';

describe('judging answers as Authgear does', () => {
  // Every kind of answer Authgear's server refuses, with an event it is refused on.
  const rejected: readonly [string, BlockingEventType, string][] = [
    ['an empty object', 'user.pre_create', '{}'],
    ['is_allowed as a string', 'user.pre_create', '{"is_allowed":"true"}'],
    ['reason on an allow', 'user.pre_create', '{"is_allowed":true,"reason":""}'],
    ['mutations on a deny', 'user.pre_create', '{"is_allowed":false,"mutations":{}}'],
    ['an unknown amr constraint', 'authentication.pre_initialize', '{"is_allowed":true,"constraints":{"amr":["x_passkey"]}}'],
    ['constraints on user.pre_create', 'user.pre_create', '{"is_allowed":true,"constraints":{"amr":["mfa"]}}'],
    ['bot_protection on pre_authenticated', 'authentication.pre_authenticated', '{"is_allowed":true,"bot_protection":{"mode":"always"}}'],
    ['mutations on pre_initialize', 'authentication.pre_initialize', '{"is_allowed":true,"mutations":{}}'],
    ['mutations on post_identified', 'authentication.post_identified', '{"is_allowed":true,"mutations":{}}'],
    ['mutations on pre_authenticated', 'authentication.pre_authenticated', '{"is_allowed":true,"mutations":{}}'],
    [
      'an unknown rate limit',
      'authentication.pre_initialize',
      '{"is_allowed":true,"rate_limits":{"authentication.password":{"weight":1}}}',
    ],
    ['an unknown key', 'user.pre_create', '{"is_allowed":true,"extra":1}'],
    ['a JSON value that is not an object', 'user.pre_create', 'true'],
    ['a list', 'user.pre_create', '[]'],
  ];

  it.each(rejected)('flags %s', (_name, type, body) => {
    // Act
    const verdict = judgeAnswer(type, { status: 200, body });

    // Assess
    expect(verdict.kind).toBe('rejected');
    expect(describeVerdict(verdict)).toMatch(/^REJECTED: /);
  });

  it('flags a non-2xx status, a redirect and a body that is not JSON', () => {
    // Act
    const verdicts = [
      judgeAnswer('user.pre_create', { status: 500, body: '{"is_allowed":true}' }),
      judgeAnswer('user.pre_create', { status: 302, body: '' }),
      judgeAnswer('user.pre_create', { status: 200, body: '<html>ok</html>' }),
    ];

    // Assess
    expect(verdicts).toEqual([
      { kind: 'rejected', problems: ['HTTP 500: Authgear needs a 2xx status'] },
      { kind: 'rejected', problems: ['HTTP 302: Authgear does not follow redirects and needs a 2xx status'] },
      { kind: 'rejected', problems: [expect.stringMatching(/^the body is not JSON \(starts with "<html>ok<\/html>"\)/)], notJson: true },
    ]);
  });

  it('flags a token mutation that drops an original claim, naming the claim', () => {
    // Prepare
    const event = sampleEvent('oidc.jwt.pre_create');
    const { jti: _dropped, ...kept } = event.payload.jwt.payload;
    const body = JSON.stringify({ is_allowed: true, mutations: { jwt: { payload: kept } } });

    // Act
    const verdict = judgeAnswer('oidc.jwt.pre_create', { status: 200, body }, event);

    // Assess
    expect(verdict).toEqual({
      kind: 'rejected',
      problems: ['mutations.jwt.payload.jti: claim "jti" of the original token was removed; echo every original claim'],
    });
  });

  it('accepts the answers Authgear accepts, and judges non-blocking answers by status alone', () => {
    // Act
    const verdicts = [
      judgeAnswer('user.pre_create', {
        status: 200,
        body: '{"is_allowed":false,"title":"Sign-up blocked","reason":"Email domain is not allowed"}',
      }),
      judgeAnswer('user.pre_create', { status: 201, body: '{"is_allowed":true,"mutations":{"user":{"roles":["member"],"groups":[]}}}' }),
      judgeAnswer('authentication.post_identified', { status: 200, body: '{"is_allowed":true,"bot_protection":{"mode":"always"}}' }),
      judgeAnswer('user.created', { status: 204, body: 'whatever' }),
      judgeAnswer('user.created', { status: 503, body: '' }),
      judgeAnswer('user.pre_create', { status: 404, body: '{"message":"Not Found"}' }),
    ];

    // Assess
    expect(verdicts.map(describeVerdict)).toEqual([
      'accepted: denied',
      'accepted: allowed',
      'accepted: allowed',
      'delivered',
      'FAILED: HTTP 503: Authgear needs a 2xx status',
      'not served (no handler at this URL)',
    ]);
  });
});
