/** The load test's mix: what each kind sends, and that its check tells a right answer from a wrong one. */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { expectAcknowledged, expectBlockingAnswer, expectStatus, KINDS, MAX_BODY_BYTES } from './kinds';

const SECRET = 'kinds-test-secret-0123456789abcdef';
const kind = (name: string) => {
  const found = KINDS.find((k) => k.name === name);
  if (!found) throw new Error(`no kind ${name}`);
  return found;
};
const signatureOk = (body: Buffer, signature: string | undefined): boolean =>
  signature === createHmac('sha256', SECRET).update(body).digest('hex');

describe('the request kinds', () => {
  it('signs the signed kinds with the run secret, the forged ones not, and stamps each event with its id', () => {
    // Act
    const built = KINDS.map((k) => ({ name: k.name, out: k.build(SECRET, '00000000001000ab') }));

    // Assess
    const valid = built.filter(({ out }) => signatureOk(out.body, out.headers['x-authgear-body-signature'])).map(({ name }) => name);
    expect(valid).toEqual([
      'signed user.pre_create',
      'signed oidc.jwt.pre_create',
      'signed user.created',
      'signed user.authenticated (no handler)',
      'signed unknown future type',
      'replay: stamped 10 min ago',
      'malformed: signed, not JSON',
      'malformed: wrong route',
      'malformed: unknown path',
      'malformed: oversized body',
    ]);
    for (const { name, out } of built.filter(({ name }) => name.startsWith('signed')))
      expect(JSON.parse(out.body.toString('utf8')), name).toMatchObject({ id: '00000000001000ab' });
  });

  it('stamps events now, the replay ten minutes ago, and makes the oversized body just over the limit', () => {
    // Prepare
    const now = Math.floor(Date.now() / 1000);

    // Act
    const fresh = JSON.parse(kind('signed user.created').build(SECRET, '1').body.toString('utf8')) as { context: { timestamp: number } };
    const replay = JSON.parse(kind('replay: stamped 10 min ago').build(SECRET, '1').body.toString('utf8')) as {
      context: { timestamp: number };
    };
    const oversized = kind('malformed: oversized body').build(SECRET, '1');

    // Assess
    expect(Math.abs(fresh.context.timestamp - now)).toBeLessThanOrEqual(1);
    expect(Math.abs(replay.context.timestamp - (now - 600))).toBeLessThanOrEqual(1);
    expect(oversized.body.length).toBeGreaterThan(MAX_BODY_BYTES);
  });

  it('sends the body-changed forgery with the signature of the original body', () => {
    // Act
    const out = kind('forged: body changed after signing').build(SECRET, '00000000001000ac');

    // Assess
    expect(out.body.toString('utf8')).toContain('"user.deleted"');
    const original = Buffer.from(out.body.toString('utf8').replace('"user.deleted"', '"user.created"'));
    expect(signatureOk(original, out.headers['x-authgear-body-signature'])).toBe(true);
  });
});

describe('the checks', () => {
  it('accept the right answers and say what is wrong with the others', () => {
    // Act
    const verdicts = [
      expectBlockingAnswer({ status: 200, body: '{"is_allowed":false}' }),
      expectBlockingAnswer({ status: 200, body: '{"is_allowed":"yes"}' }),
      expectBlockingAnswer({ status: 200, body: '<html>' }),
      expectBlockingAnswer({ status: 500, body: 'boom' }),
      expectAcknowledged({ status: 202, body: '' }),
      expectAcknowledged({ status: 503, body: 'later' }),
      expectStatus(401, '{"error":"unauthorized"}')({ status: 401, body: '{"error":"unauthorized"}' }),
      expectStatus(401, '{"error":"unauthorized"}')({ status: 401, body: 'no' }),
      expectStatus(413)({ status: 413, body: 'anything' }),
      expectStatus(413)({ status: 400, body: 'bad' }),
    ];

    // Assess
    expect(verdicts).toEqual([
      '',
      'no boolean is_allowed in {"is_allowed":"yes"}',
      'not JSON: <html>',
      'expected 200, got 500 boom',
      '',
      'expected 2xx, got 503 later',
      '',
      'expected body {"error":"unauthorized"}, got no',
      '',
      'expected 413, got 400 bad',
    ]);
  });
});
