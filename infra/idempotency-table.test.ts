/**
 * The idempotency table in the synthesized stack: its settings, who may use it, how the worker
 * finds it, and the retention option.
 */
import { App } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDEMPOTENCY_TABLE } from '../shared/core/idempotency';
import { IDEMPOTENCY_TABLE_ACTIONS } from './idempotency-table';
import { resolveOptions, StackConfigError } from './options';
import { WORKER_TIMEOUT_SECONDS } from './webhook-queue';
import { removeTempDirs, synthBeforeAll, synthProject } from '../test/support/stack-helpers';
import {
  actionsOf,
  allStatements,
  envOf,
  resourcesOf,
  resourcesOfType,
  roleOf,
  statementsOfRole,
  statementsOfFunction,
} from '../test/support/template-readers';

afterAll(removeTempDirs);

describe('the idempotency table', () => {
  const s = synthBeforeAll({ blocking: ['user.pre_create.ts'], nonBlocking: ['user.created.ts'] });
  let tableId: string;

  beforeAll(() => {
    tableId = resourcesOfType(s.json, 'AWS::DynamoDB::Table')[0]?.[0] ?? 'missing';
  });

  it('is one on-demand table keyed by the record id, with TTL on the expiry, point-in-time recovery and KMS encryption', () => {
    // Act
    const tables = resourcesOfType(s.json, 'AWS::DynamoDB::Table');

    // Assess
    expect(tables).toHaveLength(1);
    expect(tables[0]?.[1].Properties).toMatchObject({
      KeySchema: [{ AttributeName: IDEMPOTENCY_TABLE.partitionKey, KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: IDEMPOTENCY_TABLE.partitionKey, AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      // The AWS managed key for DynamoDB (aws/dynamodb): no key to create, no grant needed.
      SSESpecification: { SSEEnabled: true },
    });
  });

  it('is kept when the stack is deleted or the table replaced', () => {
    // Assess
    expect(s.json.Resources[tableId]).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  it('may be read and written by the worker only, with the four item actions the library uses, on this table only', () => {
    // Act
    const dynamoStatements = allStatements(s.json).filter((st) => actionsOf(st).some((a) => a.startsWith('dynamodb:')));
    const workerRole = roleOf(s.json, s.workerId);
    const ofRole = (fnId: string) => statementsOfFunction(s.json, fnId).flatMap(actionsOf);

    // Assess
    expect(dynamoStatements).toHaveLength(1);
    expect(statementsOfRole(s.json, workerRole)).toContain(dynamoStatements[0]);
    expect(actionsOf(dynamoStatements[0]!).sort()).toEqual([...IDEMPOTENCY_TABLE_ACTIONS].sort());
    expect(resourcesOf(dynamoStatements[0]!)).toEqual([{ 'Fn::GetAtt': [tableId, 'Arn'] }]);
    expect(ofRole(s.blockingId).filter((a) => a.startsWith('dynamodb:'))).toEqual([]);
    expect(ofRole(s.nonBlockingId).filter((a) => a.startsWith('dynamodb:'))).toEqual([]);
  });

  it('is named to the worker alone, with the retention, and the receiver and blocking function know nothing of it', () => {
    // Assess
    expect(envOf(s.json, s.workerId)).toMatchObject({ IDEMPOTENCY_TABLE_NAME: { Ref: tableId }, IDEMPOTENCY_RETENTION_HOURS: '24' });
    for (const id of [s.blockingId, s.nonBlockingId]) expect(Object.keys(envOf(s.json, id))).not.toContain('IDEMPOTENCY_TABLE_NAME');
  });

  it('outlives every claim: the worker timeout exceeds the longest handler deadline, so a claim ends with the invocation', () => {
    // Act
    const timeout = s.json.Resources[s.workerId]?.Properties.Timeout;

    // Assess: claims hold for the invocation's remaining time, and handlers stop at 60 s at most.
    expect(timeout).toBe(WORKER_TIMEOUT_SECONDS);
    expect(WORKER_TIMEOUT_SECONDS * 1_000).toBeGreaterThan(60_000);
  });
});

describe('the idempotencyRetentionHours option', () => {
  // resolveOptions is what the stack calls; the wiring into the worker is checked above.
  const resolve = (context: Record<string, unknown>) => resolveOptions(new App({ context }).node, {});

  it.each([
    [{}, 24],
    [{ idempotencyRetentionHours: 72 }, 72],
    [{ idempotencyRetentionHours: '48' }, 48],
    [{ retryWindowMinutes: 1_440 }, 25],
    [{ retryWindowMinutes: 120, idempotencyRetentionHours: 3 }, 3],
  ])('with %j keeps records %i hours', (context, expected) => {
    // Act
    const options = resolve(context);

    // Assess
    expect(options.idempotencyRetentionHours).toBe(expected);
  });

  it.each([
    [{ idempotencyRetentionHours: 0 }, /idempotencyRetentionHours must be an integer from 1 to 8760 hours \(got 0\)/],
    [{ idempotencyRetentionHours: 'a day' }, /idempotencyRetentionHours must be an integer/],
    [{ retryWindowMinutes: 600, idempotencyRetentionHours: 10 }, /must be at least 11: the retry window \(600 minutes\) plus one hour/],
  ])('rejects %j with a clear message', (context, message) => {
    // Act
    const attempt = () => resolve(context);

    // Assess
    expect(attempt).toThrow(StackConfigError);
    expect(attempt).toThrow(message);
  });

  it('sets the worker’s IDEMPOTENCY_RETENTION_HOURS from it', () => {
    // Act
    const s = synthProject({ nonBlocking: ['user.created.ts'] }, { idempotencyRetentionHours: 72 });

    // Assess
    expect(envOf(s.json, s.workerId).IDEMPOTENCY_RETENTION_HOURS).toBe('72');
  });
});

describe('the idempotency table with kmsKeyArn', () => {
  it('is encrypted with that key, and the worker may decrypt with it through DynamoDB only', () => {
    // Prepare
    const keyArn = 'arn:aws:kms:eu-west-1:123456789012:key/1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d';

    // Act
    const s = synthProject({ nonBlocking: ['user.created.ts'] }, { kmsKeyArn: keyArn });
    const dynamoKeyStatements = allStatements(s.json).filter((st) => JSON.stringify(st.Condition ?? {}).includes('dynamodb.'));

    // Assess
    expect(resourcesOfType(s.json, 'AWS::DynamoDB::Table')[0]?.[1].Properties.SSESpecification).toEqual({
      KMSMasterKeyId: keyArn,
      SSEEnabled: true,
      SSEType: 'KMS',
    });
    expect(dynamoKeyStatements).toHaveLength(1);
    expect(dynamoKeyStatements[0]).toMatchObject({ Action: 'kms:Decrypt', Resource: keyArn });
    expect(statementsOfFunction(s.json, s.workerId)).toContain(dynamoKeyStatements[0]);
  });
});
