/**
 * The stack with the Admin API turned on: settings for the functions that run handlers, the key's
 * secret (created empty, or an existing one), read access for those functions only, the outputs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CfnSecret } from 'aws-cdk-lib/aws-secretsmanager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addSecurityChecks } from './security-checks';
import { AuthgearWebhooksStack, StackConfigError } from './stack';
import { cdkApp, tempDir, makeProject, removeTempDirs, synth, type Synth } from '../test/support/stack-helpers';
import { actionsOf, allStatements, envOf, flatten, resourcesOfType, statementsOfFunction } from '../test/support/template-readers';

afterAll(removeTempDirs);

const ENDPOINT = 'https://myapp.authgear.cloud';
const KEY_ID = '8d3f1c2a-5b7e-4f90-a1c3-2e4d6f8a0b1c';
const KEY_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:authgear/admin-api-key-Xy9Zq1';
const project = () => makeProject({ blocking: ['user.pre_create.ts'], nonBlocking: ['user.created.ts'] });

/** Logical ids of the policy statements that allow GetSecretValue on `resource`, by function. */
function readersOf(s: Synth, resource: unknown): string[] {
  return (
    [
      ['blocking', s.blockingId],
      ['receiver', s.nonBlockingId],
      ['worker', s.workerId],
    ] as const
  )
    .filter(([, fnId]) =>
      statementsOfFunction(s.json, fnId).some(
        // minimizePolicies may merge this secret with the webhook secret into one statement.
        (st) =>
          actionsOf(st).includes('secretsmanager:GetSecretValue') &&
          [st.Resource].flat().some((r) => JSON.stringify(r) === JSON.stringify(resource)),
      ),
    )
    .map(([name]) => name);
}

describe('the stack with the Admin API (authgearEndpoint and adminApiKeyId)', () => {
  let s: Synth;
  let keySecretId: string;

  beforeAll(() => {
    // Act
    s = synth(project(), { authgearEndpoint: ENDPOINT, adminApiKeyId: KEY_ID });
    keySecretId = s.stack.getLogicalId(s.stack.adminApiPrivateKeySecret?.node.defaultChild as CfnSecret);
  });

  it('creates an empty secret for the private key, with no generated value', () => {
    // Act
    const secrets = resourcesOfType(s.json, 'AWS::SecretsManager::Secret');
    const key = s.json.Resources[keySecretId];

    // Assess
    expect(secrets).toHaveLength(2); // the webhook secret and the Admin API key
    expect(key?.Type).toBe('AWS::SecretsManager::Secret');
    expect(key?.Properties.GenerateSecretString).toBeUndefined();
    expect(key?.Properties.SecretString).toBeUndefined();
    expect(String(key?.Properties.Description)).toMatch(/Admin API private key/);
  });

  it('gives the blocking function and the worker the settings, and the receiver none', () => {
    // Prepare
    const expected = {
      AUTHGEAR_ENDPOINT: ENDPOINT,
      AUTHGEAR_ADMIN_API_KEY_ID: KEY_ID,
      AUTHGEAR_ADMIN_API_PRIVATE_KEY_SECRET_ID: { Ref: keySecretId },
    };

    // Assess
    expect(envOf(s.json, s.blockingId)).toMatchObject(expected);
    expect(envOf(s.json, s.workerId)).toMatchObject(expected);
    expect(
      Object.keys(envOf(s.json, s.nonBlockingId)).filter((k) => k.startsWith('AUTHGEAR_') && k !== 'AUTHGEAR_WEBHOOK_SECRET_ID'),
    ).toEqual([]);
    expect(envOf(s.json, s.blockingId).AUTHGEAR_PROJECT_ID).toBeUndefined();
  });

  it('lets only the blocking function and the worker read the key, with GetSecretValue alone', () => {
    // Act
    const readers = readersOf(s, { Ref: keySecretId });
    const touching = allStatements(s.json).filter((st) => JSON.stringify(st.Resource).includes(keySecretId));

    // Assess
    expect(readers).toEqual(['blocking', 'worker']);
    expect(touching).toHaveLength(2);
    for (const st of touching) expect(actionsOf(st)).toEqual(['secretsmanager:GetSecretValue']);
  });

  it('prints the secret and the command that stores the PEM from a file', () => {
    // Act
    const command = flatten(s.json.Outputs.AdminApiPutKeyCommand?.Value, { 'AWS::Region': 'eu-west-1', [keySecretId]: 'arn:key' });

    // Assess
    expect(flatten(s.json.Outputs.AdminApiPrivateKeySecretArn?.Value, { [keySecretId]: 'arn:key' })).toBe('arn:key');
    expect(command).toBe(
      'aws secretsmanager put-secret-value --region eu-west-1 --secret-id arn:key --secret-string file://admin-api-key.pem',
    );
  });
});

describe('the stack with the Admin API and an existing key secret', () => {
  it('reads an existing secret by ARN, without creating one, and passes the project id for a custom domain', () => {
    // Act
    const s = synth(project(), {
      authgearEndpoint: 'https://auth.example.com',
      authgearProjectId: 'myapp',
      adminApiKeyId: KEY_ID,
      adminApiPrivateKeySecret: KEY_ARN,
    });

    // Assess
    expect(s.stack.adminApiPrivateKeySecret).toBeUndefined();
    expect(resourcesOfType(s.json, 'AWS::SecretsManager::Secret')).toHaveLength(1);
    expect(envOf(s.json, s.workerId)).toMatchObject({
      AUTHGEAR_ENDPOINT: 'https://auth.example.com',
      AUTHGEAR_PROJECT_ID: 'myapp',
      AUTHGEAR_ADMIN_API_PRIVATE_KEY_SECRET_ID: KEY_ARN,
    });
    expect(readersOf(s, KEY_ARN)).toEqual(['blocking', 'worker']);
    expect(Object.keys(s.json.Rules ?? {})).toContain('AdminApiKeyInStackRegion');
  });

  it('reads an existing secret by name, allowing its ARN suffix', () => {
    // Act
    const s = synth(project(), { authgearEndpoint: ENDPOINT, adminApiKeyId: KEY_ID, adminApiPrivateKeySecret: 'authgear/admin-api-key' });
    const statement = statementsOfFunction(s.json, s.workerId).find((st) => actionsOf(st).includes('secretsmanager:GetSecretValue'));

    // Assess
    expect(envOf(s.json, s.workerId).AUTHGEAR_ADMIN_API_PRIVATE_KEY_SECRET_ID).toBe('authgear/admin-api-key');
    expect(flatten(statement?.Resource, { 'AWS::Partition': 'aws', 'AWS::Region': 'eu-west-1', 'AWS::AccountId': '123456789012' })).toBe(
      'arn:aws:secretsmanager:eu-west-1:123456789012:secret:authgear/admin-api-key-??????',
    );
    expect(s.json.Outputs.AdminApiPrivateKeySecretName?.Value).toBe('authgear/admin-api-key');
  });
});

describe('the stack without the Admin API, and with wrong settings', () => {
  it('adds nothing when authgearEndpoint is not set', () => {
    // Act
    const s = synth(project());

    // Assess
    expect(resourcesOfType(s.json, 'AWS::SecretsManager::Secret')).toHaveLength(1);
    expect(envOf(s.json, s.blockingId).AUTHGEAR_ENDPOINT).toBeUndefined();
    expect(envOf(s.json, s.workerId).AUTHGEAR_ENDPOINT).toBeUndefined();
    expect(Object.keys(s.json.Outputs).filter((k) => k.startsWith('AdminApi'))).toEqual([]);
  });

  it.each([
    [{ adminApiKeyId: KEY_ID }, /adminApiKeyId need authgearEndpoint/],
    [{ authgearEndpoint: 'myapp.authgear.cloud', adminApiKeyId: KEY_ID }, /authgearEndpoint must be a URL/],
    [{ authgearEndpoint: ENDPOINT }, /adminApiKeyId is needed with authgearEndpoint/],
    [{ authgearEndpoint: 'http://localhost:3100', adminApiKeyId: KEY_ID }, /authgearProjectId is needed/],
    [{ authgearEndpoint: ENDPOINT, adminApiKeyId: KEY_ID, adminApiPrivateKeySecret: 'arn:aws:secretsmanager:x' }, /complete secret ARN/],
    [{ authgearEndpoint: 42 }, /authgearEndpoint must be a string/],
  ])('refuses %j with a clear message', (context, message) => {
    // Act + Assess
    expect(() => synth(project(), context)).toThrow(StackConfigError);
    expect(() => synth(project(), context)).toThrow(message);
  });
});

describe('cdk-nag with the Admin API', () => {
  it.each([
    ['a created key secret', { authgearEndpoint: ENDPOINT, adminApiKeyId: KEY_ID }],
    ['an existing key secret by ARN', { authgearEndpoint: ENDPOINT, adminApiKeyId: KEY_ID, adminApiPrivateKeySecret: KEY_ARN }],
  ])('finds nothing unacknowledged with %s, and the created secret acknowledges rotation alone', (_name, context) => {
    // Prepare
    const outdir = tempDir('authgear-admin-nag-');
    // An alarm recipient, so synth's no-recipient warning does not count as a finding here.
    const app = cdkApp({ alarmEmail: 'oncall@example.com', ...context }, outdir);
    const stack = new AuthgearWebhooksStack(app, 'NagStack', { projectRoot: project() });
    addSecurityChecks(app);

    // Act
    app.synth();
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: { violations: unknown[]; metadata?: { error?: string } }[];
    };
    const acks = (stack.adminApiPrivateKeySecret?.node.metadata ?? []).map((m) => JSON.stringify(m.data));

    // Assess
    expect(report.pluginReports.flatMap((p) => [...p.violations, ...(p.metadata?.error ? [p.metadata.error] : [])])).toEqual([]);
    if (stack.adminApiPrivateKeySecret) expect(acks.join(' ')).toContain('AwsSolutions-SMG4');
  });
});
