/**
 * Security checks of the synthesized stack: cdk-nag's AWS Solutions rules as `cdk synth` runs
 * them (no finding left unacknowledged, every acknowledgement narrow, current and explained), and
 * least privilege over every IAM statement of the template.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CfnElement, Validations, type Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterAll, describe, expect, it } from 'vitest';
import { ACKNOWLEDGED_RULES, addSecurityChecks } from './security-checks';
import { AuthgearWebhooksStack } from './stack';
import { FIXTURE_FUNCTIONS_DIR } from '../test/support/fixture-handlers';
import { REPO_ROOT, cdkApp, makeProject, removeTempDirs, synth, tempDir } from '../test/support/stack-helpers';
import {
  actionsOf,
  resourcesOf,
  resourcesOfType,
  roleOf,
  type Statement,
  type TemplateJson,
  statementsOfFunction,
} from '../test/support/template-readers';

afterAll(removeTempDirs);

const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:authgear-alerts';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:authgear/webhook-AbC123';

/** The stack in the shapes it can take: this project as `cdk synth` builds it, and every option that adds or changes resources. */
const CONFIGURATIONS: readonly (readonly [string, () => string, Record<string, unknown>])[] = [
  ['the template with cdk.json and its fixture handlers (secrets included)', () => REPO_ROOT, {}],
  [
    'an existing secret by ARN, provisioned and reserved concurrency, a worker cap and an alarm topic',
    () => makeProject({ blocking: ['user.pre_create.ts', 'oidc.jwt.pre_create.ts'], nonBlocking: ['user.created.ts'] }),
    {
      secretArn: SECRET_ARN,
      provisionedConcurrency: 2,
      blockingReservedConcurrency: 10,
      receiverReservedConcurrency: 5,
      workerMaxConcurrency: 3,
      alarmTopicArn: TOPIC_ARN,
    },
  ],
  [
    'an existing secret by name and no non-blocking handler files',
    () => makeProject({ blocking: ['user.pre_create.ts'] }),
    { secretName: 'authgear/webhook' },
  ],
];

interface Finding {
  readonly rule: string;
  readonly severity: string;
  readonly path: string;
}

/** What the validation report (cdk.out/validation-report.json) says, one entry per violating construct. */
interface ValidationReport {
  readonly pluginReports: readonly {
    readonly pluginName: string;
    readonly metadata?: { readonly error?: string; readonly 'cdk:annotations'?: string };
    readonly violations: readonly {
      readonly ruleName: string;
      readonly severity: string;
      readonly violatingConstructs: readonly { readonly constructPath: string }[];
    }[];
  }[];
}

/**
 * Synthesizes the stack as infra/app.ts does, with the checks on, into a temporary cloud assembly,
 * and reads the findings from its validation report. `plant` adds constructs first.
 */
function synthWithChecks(projectRoot: string, context: Record<string, unknown>, plant?: (stack: Stack) => void) {
  const outdir = tempDir('authgear-nag-');
  const app = cdkApp(context, outdir);
  // The repository itself is synthesized with the template's fixture handlers, never with functions/.
  const functionsDir = projectRoot === REPO_ROOT ? FIXTURE_FUNCTIONS_DIR : undefined;
  const stack = new AuthgearWebhooksStack(app, 'NagStack', { projectRoot, ...(functionsDir ? { functionsDir } : {}) });
  plant?.(stack);
  addSecurityChecks(app);
  let error: unknown;
  try {
    app.synth();
  } catch (thrown) {
    error = thrown;
  }
  const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as ValidationReport;
  // Construct annotations (such as "the alarms notify no one") are warnings for the user, not findings.
  const checks = report.pluginReports.filter((plugin) => plugin.metadata?.['cdk:annotations'] === undefined);
  const findings: Finding[] = checks.flatMap((plugin) => [
    ...(plugin.metadata?.error ? [{ rule: `${plugin.pluginName} failed: ${plugin.metadata.error}`, severity: 'error', path: '' }] : []),
    ...plugin.violations.flatMap((v) =>
      v.violatingConstructs.map((c) => ({ rule: v.ruleName, severity: v.severity, path: c.constructPath })),
    ),
  ]);
  return { app, stack, findings, error };
}

/** cdk-nag's findings with every acknowledgement ignored: what the stack would be flagged for. */
function rawFindings(root: IConstruct): Finding[] {
  const pack = new AwsSolutionsChecks();
  // cdk-nag skips a finding when the construct or an ancestor acknowledges it; this pack does not.
  Object.defineProperty(pack, 'isAcknowledged', { value: () => false });
  return pack
    .validateScope(root)
    .violations.flatMap((v) =>
      v.violatingResources.map((r) => ({ rule: v.ruleName, severity: v.severity ?? 'error', path: r.constructPath ?? '' })),
    );
}

interface Acknowledgement {
  readonly path: string;
  readonly id: string;
  readonly reason: string;
}

/** Every `Validations.acknowledge()` in the tree, where it was made. */
function acknowledgements(root: IConstruct): Acknowledgement[] {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          id: id.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}

const covers = (ack: Acknowledgement, finding: Finding): boolean =>
  finding.rule === ack.id && (finding.path === ack.path || finding.path.startsWith(`${ack.path}/`));

describe('cdk-nag AWS Solutions checks', () => {
  it.each(CONFIGURATIONS)('leave no finding unacknowledged, error or warning: %s', (_name, project, context) => {
    // Act
    const { findings, error } = synthWithChecks(project(), context);

    // Assess
    expect(findings).toEqual([]);
    expect(error).toBeUndefined();
  });

  it.each(CONFIGURATIONS)('acknowledge exactly the findings that occur, each on the construct concerned: %s', (_name, project, context) => {
    // Prepare
    const { app, stack } = synthWithChecks(project(), context);

    // Act
    const raw = rawFindings(app);
    const acks = acknowledgements(app);

    // Assess
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      expect(ack.id in ACKNOWLEDGED_RULES, `${ack.id} at ${ack.path} does not go through acknowledge()`).toBe(true);
      // Never the app or the whole stack: only the construct that has the finding.
      expect([app.node.path, stack.node.path]).not.toContain(ack.path);
      expect(
        raw.some((finding) => covers(ack, finding)),
        `${ack.id} at ${ack.path} acknowledges nothing`,
      ).toBe(true);
    }
    for (const finding of raw)
      expect(
        acks.some((ack) => covers(ack, finding)),
        `${finding.rule} at ${finding.path}`,
      ).toBe(true);
  });

  it('acknowledge the runtime on each function, authorization on each route, and rotation on the created secret only', () => {
    // Prepare
    const root = makeProject({ blocking: ['user.pre_create.ts', 'oidc.jwt.pre_create.ts'], nonBlocking: ['user.created.ts'] });

    // Act
    const acks = acknowledgements(synthWithChecks(root, {}).app).map(({ path, id }) => `${id} ${path}`);

    // Assess
    expect(acks.sort()).toEqual(
      [
        'AwsSolutions-APIG4 NagStack/Api/POST--blocking--oidc.jwt.pre_create',
        'AwsSolutions-APIG4 NagStack/Api/POST--blocking--user.pre_create',
        'AwsSolutions-APIG4 NagStack/Api/POST--non-blocking',
        'AwsSolutions-L1 NagStack/BlockingFunction',
        'AwsSolutions-L1 NagStack/NonBlockingFunction',
        'AwsSolutions-L1 NagStack/WorkerFunction',
        'AwsSolutions-SMG4 NagStack/WebhookSecret',
      ].sort(),
    );
  });

  it('give every acknowledgement a reason of real length that a reviewer can check', () => {
    // Prepare
    const root = makeProject({ blocking: ['user.pre_create.ts'], nonBlocking: ['user.created.ts'] });

    // Act: with the options whose resources carry the other acknowledgements (an alarm topic, tracing).
    const acks = acknowledgements(synthWithChecks(root, { alarmEmail: 'oncall@example.com', tracing: true }).app);

    // Assess
    expect(new Set(acks.map((a) => a.id))).toEqual(new Set(Object.keys(ACKNOWLEDGED_RULES)));
    for (const [id, reason] of Object.entries(ACKNOWLEDGED_RULES)) {
      expect(reason.length, id).toBeGreaterThanOrEqual(200);
      expect(reason.split(/\s+/).length, id).toBeGreaterThanOrEqual(30);
      expect(reason, id).not.toMatch(/\b(todo|fixme|tbd|temporary|later)\b/i);
    }
    for (const ack of acks) expect(ack.reason).toBe(ACKNOWLEDGED_RULES[ack.id as keyof typeof ACKNOWLEDGED_RULES]);
  });

  it('fail the synthesis on a new error finding, naming the rule and the construct', () => {
    // Prepare
    const root = makeProject({ blocking: ['user.pre_create.ts'] });
    const plant = (stack: Stack) => new sqs.Queue(stack, 'Unsafe', { encryption: sqs.QueueEncryption.UNENCRYPTED });

    // Act
    const { findings, error } = synthWithChecks(root, {}, plant);

    // Assess
    expect(findings.map((f) => `${f.severity} ${f.rule} ${f.path}`).sort()).toEqual([
      'error AwsSolutions-SQS2 NagStack/Unsafe/Resource',
      'error AwsSolutions-SQS3 NagStack/Unsafe/Resource',
      'error AwsSolutions-SQS4 NagStack/Unsafe/Resource',
    ]);
    expect(String(error)).toMatch(/AwsSolutions-SQS2/);
  });

  it('fail the synthesis on a new warning too', () => {
    // Prepare
    const root = makeProject({ blocking: ['user.pre_create.ts'] });
    const plant = (stack: Stack) =>
      new dynamodb.Table(stack, 'Unrecoverable', { partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING } });

    // Act
    const { findings, error } = synthWithChecks(root, {}, plant);

    // Assess
    expect(findings).toEqual([{ rule: 'AwsSolutions-DDB3', severity: 'warning', path: 'NagStack/Unrecoverable/Resource' }]);
    expect(String(error)).toMatch(/AwsSolutions-DDB3/);
  });
});

/** Every identity-based statement: the roles' policies, inline and attached, and managed policies. */
function identityStatements(json: TemplateJson): Statement[] {
  const documents = [
    ...resourcesOfType(json, 'AWS::IAM::Policy').map(([, r]) => r.Properties.PolicyDocument),
    ...resourcesOfType(json, 'AWS::IAM::ManagedPolicy').map(([, r]) => r.Properties.PolicyDocument),
    ...resourcesOfType(json, 'AWS::IAM::Role').flatMap(([, r]) =>
      ((r.Properties.Policies ?? []) as { PolicyDocument: unknown }[]).map((p) => p.PolicyDocument),
    ),
  ] as { Statement: Statement[] }[];
  return documents.flatMap((d) => d.Statement);
}

describe('least privilege over the whole template', () => {
  it.each(CONFIGURATIONS)('no statement allows a wildcard action or resource: %s', (_name, project, context) => {
    // Prepare
    const s = synth(project(), context);

    // Act
    const statements = identityStatements(s.json);

    // Assess
    expect(statements.length).toBeGreaterThan(0);
    for (const st of statements) {
      expect(st.Effect).toBe('Allow');
      for (const action of actionsOf(st)) {
        expect(action).toMatch(/^[a-z0-9-]+:[A-Za-z]+$/); // no "*", no "service:*", no "service:Get*"
      }
      expect(JSON.stringify(st.Resource)).not.toContain('*');
    }
    for (const [, role] of resourcesOfType(s.json, 'AWS::IAM::Role')) expect(role.Properties).not.toHaveProperty('ManagedPolicyArns');
  });

  it.each(CONFIGURATIONS)('each function role has exactly the actions it needs, on its own resources: %s', (_name, project, context) => {
    // Prepare
    const root = project();
    const s = synth(root, context);
    // Only the fixture handlers declare secrets.
    const fixture = root === REPO_ROOT;
    const secretResource = (st: Statement) => st.Resource;
    const logGroupOf = (fnId: string) => ({
      'Fn::GetAtt': [(s.json.Resources[fnId]?.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref, 'Arn'],
    });
    const queueArn = { 'Fn::GetAtt': [s.queueId, 'Arn'] };

    // Act: the handlers' own secrets are one statement of their own, checked below.
    const isHandlerSecrets = (st: Statement) => (st as { Sid?: string }).Sid === 'ReadHandlerSecrets';
    const grants = (fnId: string) =>
      Object.fromEntries(
        statementsOfFunction(s.json, fnId)
          .filter((st) => !isHandlerSecrets(st))
          .flatMap((st) => actionsOf(st).map((action) => [action, st] as const))
          .sort(([a], [b]) => a.localeCompare(b)),
      );
    const blocking = grants(s.blockingId);
    const receiver = grants(s.nonBlockingId);
    const worker = grants(s.workerId);
    const handlerSecrets = (fnId: string) =>
      statementsOfFunction(s.json, fnId)
        .filter(isHandlerSecrets)
        .map((st) => ({ actions: actionsOf(st), resources: resourcesOf(st).map((r) => JSON.stringify(r)) }));

    // Assess
    const logs = ['logs:CreateLogStream', 'logs:PutLogEvents'];
    expect(Object.keys(blocking)).toEqual([...logs, 'secretsmanager:GetSecretValue']);
    expect(Object.keys(receiver)).toEqual([...logs, 'secretsmanager:GetSecretValue', 'sqs:SendMessage']);
    expect(Object.keys(worker)).toEqual([
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      ...logs,
      'sqs:ChangeMessageVisibility',
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
      'sqs:ReceiveMessage',
    ]);
    for (const [fnId, granted] of [
      [s.blockingId, blocking],
      [s.nonBlockingId, receiver],
      [s.workerId, worker],
    ] as const) {
      for (const action of logs) expect(granted[action]?.Resource).toEqual(logGroupOf(fnId));
    }
    expect(secretResource(blocking['secretsmanager:GetSecretValue'] as Statement)).toEqual(
      secretResource(receiver['secretsmanager:GetSecretValue'] as Statement),
    );
    for (const action of ['sqs:SendMessage']) expect(receiver[action]?.Resource).toEqual(queueArn);
    for (const action of ['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage'])
      expect(worker[action]?.Resource).toEqual(queueArn);
    // Declared handler secrets: GetSecretValue on exactly those, for the function that runs the handler.
    const secretArn = (name: string) =>
      JSON.stringify({
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':secretsmanager:',
            { Ref: 'AWS::Region' },
            ':',
            { Ref: 'AWS::AccountId' },
            `:secret:${name}-??????`,
          ],
        ],
      });
    expect(handlerSecrets(s.blockingId)).toEqual(
      fixture ? [{ actions: ['secretsmanager:GetSecretValue'], resources: [secretArn('fixture/denied-domain')] }] : [],
    );
    expect(handlerSecrets(s.workerId)).toEqual(
      fixture ? [{ actions: ['secretsmanager:GetSecretValue'], resources: [secretArn('fixture/crm-token')] }] : [],
    );
    expect(handlerSecrets(s.nonBlockingId)).toEqual([]);
    // The idempotency table: the worker's, on that table only (no index, no other table).
    const tableArn = { 'Fn::GetAtt': [s.stack.getLogicalId(s.stack.idempotencyTable.node.defaultChild as CfnElement), 'Arn'] };
    for (const action of ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'])
      expect(worker[action]?.Resource).toEqual(tableArn);
    // Three roles, one per function, that only Lambda may assume.
    const roles = resourcesOfType(s.json, 'AWS::IAM::Role');
    expect(roles.map(([id]) => id).sort()).toEqual([s.blockingId, s.nonBlockingId, s.workerId].map((id) => roleOf(s.json, id)).sort());
    for (const [, role] of roles) {
      expect(role.Properties.AssumeRolePolicyDocument).toMatchObject({
        Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } }],
      });
    }
  });

  it.each(CONFIGURATIONS)('creates no KMS key, so no key grant exists to scope: %s', (_name, project, context) => {
    // Prepare
    const s = synth(project(), context);

    // Act
    const kmsActions = identityStatements(s.json)
      .flatMap(actionsOf)
      .filter((action) => action.startsWith('kms:'));

    // Assess
    s.template.resourceCountIs('AWS::KMS::Key', 0);
    // Both queues use SQS-managed encryption, which needs no key policy or grant.
    for (const [, queue] of resourcesOfType(s.json, 'AWS::SQS::Queue')) expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
    expect(kmsActions).toEqual([]);
  });

  it.each(CONFIGURATIONS)(
    'resource policies: only API Gateway may invoke, only this API, and the queues deny everything without TLS: %s',
    (_name, project, context) => {
      // Prepare
      const s = synth(project(), context);
      const apiId = resourcesOfType(s.json, 'AWS::ApiGatewayV2::Api')[0]?.[0] ?? 'missing';

      // Act
      const permissions = resourcesOfType(s.json, 'AWS::Lambda::Permission').map(([, p]) => p.Properties);
      const queueStatements = resourcesOfType(s.json, 'AWS::SQS::QueuePolicy').flatMap(
        ([, p]) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement,
      );

      // Assess
      expect(permissions.length).toBeGreaterThan(0);
      for (const permission of permissions) {
        expect(permission).toMatchObject({ Action: 'lambda:InvokeFunction', Principal: 'apigateway.amazonaws.com' });
        expect(JSON.stringify(permission.SourceArn)).toContain(JSON.stringify({ Ref: apiId }));
      }
      expect(queueStatements).toHaveLength(2);
      for (const st of queueStatements)
        expect(st).toMatchObject({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } });
    },
  );
});
