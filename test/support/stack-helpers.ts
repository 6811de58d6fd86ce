/**
 * Shared by the infra tests: throwaway projects, a synth without bundling, and readers of the
 * CloudFormation template. Test code only; nothing in the app imports it.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { isBlockingEventType, isNonBlockingEventType } from '../../shared/core/constants';
import { AuthgearWebhooksStack, type AuthgearWebhooksStackProps } from '../../infra/stack';
import { FIXTURE_FUNCTIONS_DIR } from './fixture-handlers';
import { REPO_ROOT } from './paths';

export { REPO_ROOT };

/** The same context `cdk synth` gets from cdk.json, so these tests see what a deploy would. */
export const CDK_JSON_CONTEXT = (JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> })
  .context;

/** Skips esbuild: these tests look at the template only (test/bundle.test.ts bundles for real). */
export const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

export type Resource = { Type: string; Properties: Record<string, unknown>; DependsOn?: unknown };
export type Statement = { Action: string | string[]; Resource: unknown; Effect: string; Principal?: unknown; Condition?: unknown };
export type TemplateJson = {
  Resources: Record<string, Resource>;
  Outputs: Record<string, { Value: unknown; Description?: string }>;
  Rules?: Record<string, unknown>;
};

const tempDirs: string[] = [];

/** A temporary folder, removed by {@link removeTempDirs}. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/** Removes every folder {@link tempDir} and {@link makeProject} made; call it in `afterAll`. */
export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/**
 * A throwaway project. A file named for an event type of its folder gets a minimal handler of that
 * type (synth loads and checks it), reading `secrets` when given; any other file gets a module the
 * discovery ignores or refuses by its name alone.
 */
export function makeProject(files: {
  blocking?: string[];
  nonBlocking?: string[];
  secrets?: Readonly<Record<string, readonly string[]>>;
}): string {
  const root = tempDir('authgear-stack-test-');
  for (const [folder, names] of [
    ['blocking', files.blocking ?? []],
    ['non-blocking', files.nonBlocking ?? []],
  ] as const) {
    mkdirSync(join(root, 'functions', folder), { recursive: true });
    for (const name of names) {
      const type = name.replace(/\.[mc]?[jt]s$/, '');
      writeFileSync(join(root, 'functions', folder, name), handlerSource(folder, type, files.secrets?.[type] ?? []));
    }
  }
  writeFileSync(join(root, 'package-lock.json'), '{"lockfileVersion":3,"packages":{}}\n');
  return root;
}

const SHARED_INDEX = JSON.stringify(join(REPO_ROOT, 'shared', 'index.ts'));

function handlerSource(folder: 'blocking' | 'non-blocking', type: string, secrets: readonly string[]): string {
  const options = secrets.length > 0 ? `, { secrets: ${JSON.stringify(secrets)} }` : '';
  if (folder === 'blocking' && isBlockingEventType(type)) {
    return `import { defineBlockingHandler } from ${SHARED_INDEX};\nexport default defineBlockingHandler('${type}', () => ({ is_allowed: true })${options});\n`;
  }
  if (folder === 'non-blocking' && isNonBlockingEventType(type)) {
    return `import { defineNonBlockingHandler } from ${SHARED_INDEX};\nexport default defineNonBlockingHandler('${type}', () => undefined${options});\n`;
  }
  return 'export default undefined;\n';
}

/**
 * Synthesizes the stack for `projectRoot` with cdk.json's context plus `context`, without bundling.
 * The repository itself is synthesized with the template's fixture handlers, never with the
 * project's functions/.
 */
export function synth(projectRoot: string, context: Record<string, unknown> = {}, props: Partial<AuthgearWebhooksStackProps> = {}) {
  const app = new App({ context: { ...CDK_JSON_CONTEXT, ...NO_BUNDLING, ...context } });
  const functionsDir = projectRoot === REPO_ROOT ? FIXTURE_FUNCTIONS_DIR : undefined;
  const stack = new AuthgearWebhooksStack(app, 'TestStack', { projectRoot, ...(functionsDir ? { functionsDir } : {}), ...props });
  const template = Template.fromStack(stack);
  const logicalId = (construct: { node: { defaultChild?: unknown } }): string =>
    stack.getLogicalId(construct.node.defaultChild as CfnFunction);
  return {
    stack,
    template,
    json: template.toJSON() as TemplateJson,
    blockingId: logicalId(stack.blockingFunction),
    nonBlockingId: logicalId(stack.nonBlockingFunction),
    workerId: logicalId(stack.workerFunction),
    queueId: stack.getLogicalId(stack.queue.node.defaultChild as CfnElement),
    deadLetterQueueId: stack.getLogicalId(stack.deadLetterQueue.node.defaultChild as CfnElement),
    alarmId: (key: keyof AuthgearWebhooksStack['alarms']): string => stack.getLogicalId(stack.alarms[key].node.defaultChild as CfnElement),
  };
}

export type Synth = ReturnType<typeof synth>;

/**
 * Turns a CloudFormation value (string, Ref, GetAtt, Fn::Join) into a string, with `names`
 * standing in for what only a deployment knows. Throws on anything unexpected, so a changed
 * template cannot pass by accident.
 */
export function flatten(value: unknown, names: Record<string, string>): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  if (typeof v.Ref === 'string') {
    const name = names[v.Ref];
    if (name === undefined) throw new Error(`no stand-in for Ref ${v.Ref}`);
    return name;
  }
  if (Array.isArray(v['Fn::GetAtt'])) {
    const key = (v['Fn::GetAtt'] as string[]).join('.');
    const name = names[key];
    if (name === undefined) throw new Error(`no stand-in for GetAtt ${key}`);
    return name;
  }
  if (Array.isArray(v['Fn::Join'])) {
    const [separator, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map((p) => flatten(p, names)).join(separator);
  }
  throw new Error(`cannot flatten ${JSON.stringify(value)}`);
}

export const resourcesOfType = (json: { Resources: Record<string, Resource> }, type: string): [string, Resource][] =>
  Object.entries(json.Resources).filter(([, r]) => r.Type === type);

export const actionsOf = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);

export const resourcesOf = (s: Statement): unknown[] => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]);

/** Every statement of every `AWS::IAM::Policy`. */
export const allStatements = (json: { Resources: Record<string, Resource> }): Statement[] =>
  resourcesOfType(json, 'AWS::IAM::Policy').flatMap(([, r]) => (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement);

export const envOf = (json: { Resources: Record<string, Resource> }, id: string): Record<string, unknown> =>
  ((json.Resources[id]?.Properties.Environment as { Variables: Record<string, unknown> }) ?? { Variables: {} }).Variables;

/** The logical id of the role a function runs with. */
export const roleOf = (json: TemplateJson, fnId: string): string =>
  (json.Resources[fnId]?.Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0] ?? '';

/** Every statement of the policies attached to `roleId`. */
export const statementsOfRole = (json: TemplateJson, roleId: string): Statement[] =>
  resourcesOfType(json, 'AWS::IAM::Policy')
    .filter(([, p]) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleId))
    .flatMap(([, p]) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
