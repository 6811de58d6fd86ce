import { generateKeyPairSync, type KeyObject } from 'node:crypto';

/** An Admin API key pair as the portal hands it out: the private key as PKCS#8 PEM, and a key id. */
export interface TestAdminApiKey {
  readonly keyId: string;
  readonly privatePem: string;
  readonly publicKey: KeyObject;
}

const made = new Map<string, TestAdminApiKey>();

/** A 2048-bit RSA key pair, made once per test process and name. */
export function testAdminApiKey(name = 'primary'): TestAdminApiKey {
  let key = made.get(name);
  if (!key) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    key = {
      keyId: `${name}-0f3a9c2e-1b7d-4e58-9a61-2c4d8e7f0b13`,
      privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
      publicKey,
    };
    made.set(name, key);
  }
  return key;
}
