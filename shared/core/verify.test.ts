import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { VECTORS, VECTOR_SECRET, vector } from '../../test/fixtures/authgear-vectors';
import { trickyPreCreateBody } from '../../test/fixtures/go-json';
import { checkSignatureFormat, readHeader, signBody, signatureMatches, verifySignature } from './verify';

const utf8 = (text: string): Buffer => Buffer.from(text, 'utf8');

/** HMAC computed independently of the code under test. */
const referenceSignature = (body: string | Uint8Array, secret: string): string =>
  createHmac('sha256', Buffer.from(secret, 'utf8')).update(body).digest('hex');

/** Flips the lowest bit of one hex digit, keeping the string valid lowercase hex. */
const flipHexDigit = (hex: string, index: number): string => {
  const digit = Number.parseInt(hex.charAt(index), 16) ^ 1;
  return `${hex.slice(0, index)}${digit.toString(16)}${hex.slice(index + 1)}`;
};

describe('verifySignature with the signed Authgear vectors', () => {
  it.each(VECTORS.map((v) => [v.type, v] as const))('accepts the %s vector signed with the portal secret', (_type, signed) => {
    // Prepare
    const body = utf8(signed.body);

    // Act
    const verdict = verifySignature(body, signed.signature, [VECTOR_SECRET]);

    // Assess
    expect(verdict).toBe('valid');
  });

  it('produces the exact signatures of vectors A and B of the protocol reference', () => {
    // Prepare
    const vectorA = vector('authentication.pre_initialize');
    const vectorB = vector('user.created');

    // Act
    const signatureA = signBody(utf8(vectorA.body), VECTOR_SECRET);
    const signatureB = signBody(utf8(vectorB.body), VECTOR_SECRET);

    // Assess
    expect(utf8(vectorA.body).byteLength).toBe(785);
    expect(utf8(vectorB.body).byteLength).toBe(1573);
    expect(signatureA).toBe('9a210a38179cf1c9d1a9c2eef5b4667f5d120bd90d64fab5991dfaa140c2b9e3');
    expect(signatureB).toBe('753bd22f707e5c0cf6583dcf3d8eff35e9e900d5f245bc06a88b77988b1dd71a');
  });

  it('verifies vectors A and B against the signatures printed in the protocol reference', () => {
    // Prepare
    const bodyA = utf8(vector('authentication.pre_initialize').body);
    const bodyB = utf8(vector('user.created').body);

    // Act
    const verdicts = [
      verifySignature(bodyA, '9a210a38179cf1c9d1a9c2eef5b4667f5d120bd90d64fab5991dfaa140c2b9e3', [VECTOR_SECRET]),
      verifySignature(bodyB, '753bd22f707e5c0cf6583dcf3d8eff35e9e900d5f245bc06a88b77988b1dd71a', [VECTOR_SECRET]),
    ];

    // Assess
    expect(verdicts).toEqual(['valid', 'valid']);
  });

  it('reports a mismatch when one bit of the body is flipped', () => {
    // Prepare
    const signed = vector('user.pre_create');
    const body = utf8(signed.body);
    const middle = Math.floor(body.byteLength / 2);
    body[middle] = (body[middle] ?? 0) ^ 0x01;

    // Act
    const verdict = verifySignature(body, signed.signature, [VECTOR_SECRET]);

    // Assess
    expect(verdict).toBe('mismatch');
  });

  it.each([0, 31, 63])('reports a mismatch when one bit of hex digit %i of the signature is flipped', (index) => {
    // Prepare
    const signed = vector('user.pre_create');
    const tampered = flipHexDigit(signed.signature, index);

    // Act
    const verdict = verifySignature(utf8(signed.body), tampered, [VECTOR_SECRET]);

    // Assess
    expect(tampered).not.toBe(signed.signature);
    expect(verdict).toBe('mismatch');
  });

  it('reports a mismatch when the secret is wrong', () => {
    // Prepare
    const signed = vector('user.created');

    // Act
    const verdict = verifySignature(utf8(signed.body), signed.signature, ['k3Y9mP2qR7sT1vW5xZ8aB4cD6eF0gH_J']);

    // Assess
    expect(verdict).toBe('mismatch');
  });

  it('accepts the right signature written in uppercase hex, because hex case carries no meaning (Authgear itself sends lowercase)', () => {
    // Prepare
    const signed = vector('user.created');
    const upper = signed.signature.toUpperCase();

    // Act
    const verdict = verifySignature(utf8(signed.body), upper, [VECTOR_SECRET]);

    // Assess
    expect(upper).not.toBe(signed.signature);
    expect(verdict).toBe('valid');
  });
});

describe('verifySignature with several candidate secrets', () => {
  const OLD_SECRET = 'oldOldOldOldOldOldOldOldOldOld_1';
  const NEW_SECRET = 'newNewNewNewNewNewNewNewNewNew_2';
  const body = utf8('{"id":"000000000000bc55","type":"user.created"}');

  it('accepts a body signed with the old secret while the new one is listed first', () => {
    // Prepare
    const signature = referenceSignature(body, OLD_SECRET);

    // Act
    const verdict = verifySignature(body, signature, [NEW_SECRET, OLD_SECRET]);

    // Assess
    expect(verdict).toBe('valid');
  });

  it('accepts a body signed with the new secret while the old one is listed first', () => {
    // Prepare
    const signature = referenceSignature(body, NEW_SECRET);

    // Act
    const verdict = verifySignature(body, signature, [OLD_SECRET, NEW_SECRET]);

    // Assess
    expect(verdict).toBe('valid');
  });

  it('reports a mismatch when no candidate signed the body', () => {
    // Prepare
    const signature = referenceSignature(body, VECTOR_SECRET);

    // Act
    const verdict = verifySignature(body, signature, [OLD_SECRET, NEW_SECRET]);

    // Assess
    expect(verdict).toBe('mismatch');
  });

  it('reports a mismatch when there is no candidate secret at all', () => {
    // Prepare
    const signature = referenceSignature(body, VECTOR_SECRET);

    // Act
    const verdict = verifySignature(body, signature, []);

    // Assess
    expect(verdict).toBe('mismatch');
  });
});

describe('verifySignature and the Go-escaped body trap', () => {
  it('accepts the raw tricky body but refuses the same event re-serialised by JSON.stringify', () => {
    // Prepare
    const raw = trickyPreCreateBody();
    const reserialised = JSON.stringify(JSON.parse(raw));
    const signature = referenceSignature(utf8(raw), VECTOR_SECRET);

    // Act
    const rawVerdict = verifySignature(utf8(raw), signature, [VECTOR_SECRET]);
    const reserialisedVerdict = verifySignature(utf8(reserialised), signature, [VECTOR_SECRET]);

    // Assess
    expect(reserialised).not.toBe(raw);
    expect(raw).toContain('\\u003c');
    expect(rawVerdict).toBe('valid');
    expect(reserialisedVerdict).toBe('mismatch');
  });
});

describe('verifySignature and checkSignatureFormat on malformed headers', () => {
  const signed = vector('user.created');

  it.each([
    ['an empty string', ''],
    ['undefined', undefined],
  ])('reports %s as missing', (_name, header) => {
    // Prepare
    const body = utf8(signed.body);

    // Act
    const verdict = verifySignature(body, header, [VECTOR_SECRET]);
    const format = checkSignatureFormat(header);

    // Assess
    expect(verdict).toBe('missing');
    expect(format).toBe('missing');
  });

  it.each([
    ['a 64-character string with a non-hex letter', `${'g'}${signed.signature.slice(1)}`],
    ['a signature padded with a space', ` ${signed.signature}`],
    ['a signature with a sha256= prefix', `sha256=${signed.signature}`],
    ['base64 text', Buffer.from(signed.signature, 'hex').toString('base64')],
  ])('reports %s as not hex', (_name, header) => {
    // Prepare
    const body = utf8(signed.body);

    // Act
    const verdict = verifySignature(body, header, [VECTOR_SECRET]);

    // Assess
    expect(verdict).toBe('not_hex');
  });

  it.each([
    ['63 characters', signed.signature.slice(0, 63)],
    ['65 characters', `${signed.signature}0`],
    ['128 characters', `${signed.signature}${signed.signature}`],
  ])('reports a hex signature of %s as the wrong length', (_name, header) => {
    // Prepare
    const body = utf8(signed.body);

    // Act
    const verdict = verifySignature(body, header, [VECTOR_SECRET]);

    // Assess
    expect(verdict).toBe('wrong_length');
  });

  it('accepts the form of any 64 lowercase hex characters before any secret is involved', () => {
    // Prepare
    const header = '0'.repeat(64);

    // Act
    const format = checkSignatureFormat(header);

    // Assess
    expect(format).toBe('valid');
  });
});

describe('readHeader', () => {
  const NAME = 'x-authgear-body-signature';

  it('finds a header whatever the case of its name', () => {
    // Prepare
    const headers = { 'X-Authgear-Body-Signature': 'ab', 'Content-Type': 'application/json' };

    // Act
    const found = readHeader(headers, NAME);

    // Assess
    expect(found).toEqual({ value: 'ab' });
  });

  it('finds a header already in lowercase', () => {
    // Prepare
    const headers = { [NAME]: 'cd' };

    // Act
    const found = readHeader(headers, NAME);

    // Assess
    expect(found).toEqual({ value: 'cd' });
  });

  it('returns nothing when the header is absent', () => {
    // Prepare
    const headers = { 'content-type': 'application/json', 'x-authgear-body-signaturex': 'ef' };

    // Act
    const found = readHeader(headers, NAME);

    // Assess
    expect(found).toEqual({});
  });

  it('takes the only value of a one-element array', () => {
    // Prepare
    const headers = { 'X-AUTHGEAR-BODY-SIGNATURE': ['ab'] };

    // Act
    const found = readHeader(headers, NAME);

    // Assess
    expect(found).toEqual({ value: 'ab' });
  });

  it('reports a two-element array as duplicated instead of picking one', () => {
    // Prepare
    const headers = { [NAME]: ['ab', 'cd'] };

    // Act
    const found = readHeader(headers, NAME);

    // Assess
    expect(found).toEqual({ duplicated: true });
  });

  it('treats an empty array as an absent header', () => {
    // Prepare
    const headers = { [NAME]: [] };

    // Act
    const found = readHeader(headers, NAME);

    // Assess
    expect(found).toEqual({});
  });

  it('reports two keys that differ only in case (neither lowercase) as duplicated', () => {
    // Prepare
    const headers = { 'X-Authgear-Body-Signature': 'ab', 'X-AUTHGEAR-BODY-SIGNATURE': 'cd' };

    // Act
    const found = readHeader(headers, NAME);

    // Assess
    expect(found).toEqual({ duplicated: true });
  });

  it('reports a lowercase key and a differently-cased key for the same header as duplicated', () => {
    // Prepare
    const headers = { [NAME]: 'ab', 'X-Authgear-Body-Signature': 'cd' };

    // Act
    const found = readHeader(headers, NAME);

    // Assess
    expect(found).toEqual({ duplicated: true });
  });
});

describe('signBody', () => {
  it('matches node:crypto HMAC-SHA256 over a UTF-8 string with non-ASCII text', () => {
    // Prepare
    const body = '{"name":"Zoë 山田 👩‍💻"}';

    // Act
    const signature = signBody(body, VECTOR_SECRET);

    // Assess
    expect(signature).toBe(referenceSignature(utf8(body), VECTOR_SECRET));
    expect(signature).toMatch(/^[0-9a-f]{64}$/);
  });

  it('matches node:crypto HMAC-SHA256 over raw bytes that are not valid UTF-8', () => {
    // Prepare
    const body = new Uint8Array([0x7b, 0xff, 0xfe, 0x00, 0x7d]);

    // Act
    const signature = signBody(body, VECTOR_SECRET);

    // Assess
    expect(signature).toBe(referenceSignature(body, VECTOR_SECRET));
  });

  it('gives the same signature for a string and for its UTF-8 bytes', () => {
    // Prepare
    const body = trickyPreCreateBody();

    // Act
    const fromString = signBody(body, VECTOR_SECRET);
    const fromBytes = signBody(utf8(body), VECTOR_SECRET);

    // Assess
    expect(fromString).toBe(fromBytes);
    expect(verifySignature(utf8(body), fromString, [VECTOR_SECRET])).toBe('valid');
  });
});

describe('signatureMatches', () => {
  const signed = vector('user.pre_create');

  it('verifies a body given as the string as it verifies its UTF-8 bytes', () => {
    // Act
    const verdicts = [
      signatureMatches(signed.body, signed.signature, [VECTOR_SECRET]),
      signatureMatches(utf8(signed.body), signed.signature, [VECTOR_SECRET]),
    ];

    // Assess
    expect(verdicts).toEqual([true, true]);
  });

  it('never matches a signature that is not exactly 64 hex characters, even after a matching one', () => {
    // Prepare: the reused digest buffer holds the right bytes after this call
    signatureMatches(signed.body, signed.signature, [VECTOR_SECRET]);

    // Act
    const verdicts = [
      signatureMatches(signed.body, signed.signature.slice(0, 62), [VECTOR_SECRET]),
      signatureMatches(signed.body, `${signed.signature}00`, [VECTOR_SECRET]),
      signatureMatches(signed.body, `${signed.signature.slice(0, 62)}zz`, [VECTOR_SECRET]),
      signatureMatches(signed.body, '', [VECTOR_SECRET]),
    ];

    // Assess
    expect(verdicts).toEqual([false, false, false, false]);
  });
});
