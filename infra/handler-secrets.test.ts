/**
 * What handlers declare reaches the stack without editing infra/: their secrets become
 * GetSecretValue grants of the one function that runs them, `handlerEnv` becomes variables of the
 * functions that run handlers, and a broken handler file stops synth before anything is built.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { HandlerFileError } from '../shared/core/errors';
import { AuthgearWebhooksStack } from './stack';
import { applyStage } from './stages';
import {
  REPO_ROOT,
  cdkApp,
  makeProject,
  removeTempDirs,
  synth,
  synthBeforeAll,
  synthProject,
  type Synth,
} from '../test/support/stack-helpers';
import { type TemplateJson, actionsOf, envOf, flatten, resourcesOf, statementsOfFunction } from '../test/support/template-readers';

afterAll(removeTempDirs);

const CRM_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:crm/api-key-AbC123';
/** Stand-ins for what only a deployment knows, to read ARNs built from the stack's account and region. */
const NAMES = { 'AWS::Partition': 'aws', 'AWS::Region': 'eu-west-1', 'AWS::AccountId': '123456789012' };

/** The resources each function's role may call GetSecretValue on, flattened to strings. */
function secretReads(s: Synth, fnId: string): string[] {
  return statementsOfFunction(s.json, fnId)
    .filter((st) => actionsOf(st).includes('secretsmanager:GetSecretValue'))
    .flatMap((st) =>
      resourcesOf(st).map((r) => (typeof r === 'object' && r !== null && 'Ref' in r ? `Ref:${String(r.Ref)}` : flatten(r, NAMES))),
    );
}

describe('handler secrets in the stack', () => {
  // Two blocking handlers declare a name and an ARN; one of two non-blocking handlers declares a name.
  const s = synthBeforeAll({
    blocking: ['user.pre_create.ts', 'oidc.jwt.pre_create.ts'],
    nonBlocking: ['user.created.ts', 'user.deleted.ts'],
    secrets: {
      'user.pre_create': ['fraud/api-key'],
      'oidc.jwt.pre_create': [CRM_ARN, 'fraud/api-key'],
      'user.created': ['crm/sync-token'],
    },
  });
  let webhookSecret: string;

  beforeAll(() => {
    webhookSecret = `Ref:${s.stack.getLogicalId(s.stack.secret?.node.defaultChild as never)}`;
  });

  it('lets the blocking function read its handlers’ secrets, a name as its ARN pattern and an ARN as it is, besides the webhook secret', () => {
    // Act
    const reads = secretReads(s, s.blockingId);

    // Assess
    expect(reads.sort()).toEqual(
      [webhookSecret, 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:fraud/api-key-??????', CRM_ARN].sort(),
    );
  });

  it('lets the worker read only the non-blocking handlers’ secret, and the receiver only the webhook secret', () => {
    // Act
    const worker = secretReads(s, s.workerId);
    const receiver = secretReads(s, s.nonBlockingId);

    // Assess
    expect(worker).toEqual(['arn:aws:secretsmanager:eu-west-1:123456789012:secret:crm/sync-token-??????']);
    expect(receiver).toEqual([webhookSecret]);
  });

  it('adds no statement for a project whose handlers declare no secret', () => {
    // Prepare
    const plain = synthProject({ blocking: ['user.pre_create.ts'], nonBlocking: ['user.created.ts'] });

    // Act
    const sids = [plain.blockingId, plain.workerId, plain.nonBlockingId].flatMap((id) =>
      statementsOfFunction(plain.json, id).map((st) => (st as { Sid?: string }).Sid),
    );

    // Assess
    expect(sids).not.toContain('ReadHandlerSecrets');
    expect(secretReads(plain, plain.workerId)).toEqual([]);
  });

  it('finds the declarations of a handler file that uses top-level await (loaded as an ES module in a child process)', () => {
    // Prepare
    const root = makeProject({ nonBlocking: ['user.created.ts'] });
    // As in the template: package.json makes .ts files ES modules, where top-level await is allowed.
    writeFileSync(join(root, 'package.json'), '{"type":"module"}\n');
    writeFileSync(
      join(root, 'functions', 'non-blocking', 'user.created.ts'),
      [
        `import { defineNonBlockingHandler } from ${JSON.stringify(join(REPO_ROOT, 'shared', 'index.ts'))};`,
        "const names = await Promise.resolve(['crm/late-token']);",
        "export default defineNonBlockingHandler('user.created', () => undefined, { secrets: names });",
        '',
      ].join('\n'),
    );

    // Act
    const late = synth(root);

    // Assess
    expect(secretReads(late, late.workerId)).toEqual(['arn:aws:secretsmanager:eu-west-1:123456789012:secret:crm/late-token-??????']);
  });

  it('generates a worker entry that passes Secrets Manager as the source of handler secrets only when a handler declares one', () => {
    // Prepare
    const withSecret = makeProject({ nonBlocking: ['user.created.ts'], secrets: { 'user.created': ['crm/sync-token'] } });
    const without = makeProject({ nonBlocking: ['user.created.ts'] });

    // Act
    synth(withSecret);
    synth(without);
    const entryOf = (root: string) => readFileSync(join(root, '.build', 'entries', 'worker.ts'), 'utf8');

    // Assess
    expect(entryOf(withSecret)).toContain('handlerSecretSources: secretsManagerSources(),');
    expect(entryOf(without)).not.toContain('secretsManagerSources');
  });
});

describe('handlerEnv', () => {
  const project = () => makeProject({ blocking: ['user.pre_create.ts'], nonBlocking: ['user.created.ts'] });

  it('sets the settings on the blocking function and the worker, not on the receiver, from cdk.json or -c JSON text', () => {
    for (const handlerEnv of [
      { CRM_URL: 'https://crm.example.com', CRM_RETRIES: 3, CRM_DRY_RUN: false },
      '{"CRM_URL":"https://crm.example.com","CRM_RETRIES":"3","CRM_DRY_RUN":"false"}',
    ]) {
      // Act
      const s = synth(project(), { handlerEnv });

      // Assess
      const expected = { CRM_URL: 'https://crm.example.com', CRM_RETRIES: '3', CRM_DRY_RUN: 'false' };
      expect(envOf(s.json, s.blockingId)).toMatchObject(expected);
      expect(envOf(s.json, s.workerId)).toMatchObject(expected);
      expect(envOf(s.json, s.nonBlockingId)).not.toHaveProperty('CRM_URL');
    }
  });

  it('takes a stage block’s handlerEnv over the top-level one', () => {
    // Prepare
    const root = project();
    const app = cdkApp({
      handlerEnv: { CRM_URL: 'https://crm.example.com' },
      stages: { staging: { handlerEnv: { CRM_URL: 'https://staging.crm.example.com' } } },
      stage: 'staging',
    });

    // Act
    const selection = applyStage(app.node);
    const stack = new AuthgearWebhooksStack(app, selection.stackName, { projectRoot: root, stackName: selection.stackName });
    const json = Template.fromStack(stack).toJSON() as TemplateJson;
    const id = (fn: { node: { defaultChild?: unknown } }) => stack.getLogicalId(fn.node.defaultChild as CfnElement);

    // Assess
    expect(envOf(json, id(stack.blockingFunction))).toMatchObject({ CRM_URL: 'https://staging.crm.example.com' });
    expect(envOf(json, id(stack.workerFunction))).toMatchObject({ CRM_URL: 'https://staging.crm.example.com' });
  });

  it.each([
    [
      'a local secret variable',
      { SECRET_CRM_API_KEY: 'x' },
      /SECRET_CRM_API_KEY looks like a local secret value; deployed, declare the secret/,
    ],
    ['a Lambda variable', { AWS_REGION: 'eu-west-1' }, /AWS_REGION is reserved by AWS Lambda/],
    ['a variable of the template', { LOG_LEVEL: 'debug' }, /LOG_LEVEL is a variable of the template itself/],
    ['an invalid name', { 'CRM-URL': 'x' }, /"CRM-URL" is not a valid environment variable name/],
    ['a nested value', { CRM: { url: 'x' } }, /CRM must be a string, number or boolean/],
    ['a list', ['CRM_URL=x'], /handlerEnv must be an object/],
    ['text that is not JSON', 'CRM_URL=x', /handlerEnv must be a JSON object/],
    ['more than Lambda can hold', { BIG: 'x'.repeat(4_000) }, /Lambda allows 4 KB of variables per function/],
  ])('refuses %s with a message that says why', (_name, handlerEnv, message) => {
    // Act
    const construct = () => synth(project(), { handlerEnv });

    // Assess
    expect(construct).toThrow(message);
  });

  it('refuses DENIED_EMAIL_DOMAINS from both deniedEmailDomains and handlerEnv', () => {
    // Act
    const construct = () => synth(project(), { deniedEmailDomains: 'a.com', handlerEnv: { DENIED_EMAIL_DOMAINS: 'b.com' } });

    // Assess
    expect(construct).toThrow('DENIED_EMAIL_DOMAINS is set both by deniedEmailDomains and in handlerEnv; keep one');
  });
});

describe('the handler check at synth', () => {
  it.each([
    ['no default export', 'export const handler = 1;\n', "the default export must be defineNonBlockingHandler('user.created', …)"],
    [
      'a handler of another event',
      `import { defineNonBlockingHandler } from ${JSON.stringify(join(REPO_ROOT, 'shared', 'index.ts'))};\nexport default defineNonBlockingHandler('user.deleted', () => undefined);\n`,
      "handles 'user.deleted' but the file is named for 'user.created'",
    ],
    ['a module that throws', "throw new Error('CRM_URL is not set');\n", 'could not be loaded: CRM_URL is not set'],
  ])('stops at %s, naming the file, before any function is built', (_name, source, message) => {
    // Prepare
    const root = makeProject({ nonBlocking: ['user.created.ts'] });
    writeFileSync(join(root, 'functions', 'non-blocking', 'user.created.ts'), source);

    // Act
    const construct = () => synth(root);

    // Assess
    expect(construct).toThrow(HandlerFileError);
    expect(construct).toThrow(`functions/non-blocking/user.created.ts: ${message}`);
  });
});
