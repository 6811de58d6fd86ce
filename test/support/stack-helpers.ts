/**
 * Shared by the infra tests: throwaway projects and the synth of their stack without bundling
 * (template-readers.ts reads what it produces). Test code only; nothing in the app imports it.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { beforeAll } from 'vitest';
import { isBlockingEventType, isNonBlockingEventType } from '../../shared/core/constants';
import { AuthgearWebhooksStack, type AuthgearWebhooksStackProps } from '../../infra/stack';
import { FIXTURE_FUNCTIONS_DIR } from './fixture-handlers';
import { REPO_ROOT } from './paths';
import type { TemplateJson } from './template-readers';

export { REPO_ROOT };

/** The same context `cdk synth` gets from cdk.json, so these tests see what a deploy would. */
export const CDK_JSON_CONTEXT = (JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> })
  .context;

/** Skips esbuild: these tests look at the template only (test/bundle.test.ts bundles for real). */
export const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

/**
 * A CDK app with cdk.json's context plus `context`, without bundling; with `outdir`, its cloud
 * assembly (and cdk-nag's validation report) goes there.
 *
 * @example
 * const app = cdkApp({ alarmEmail: 'oncall@example.com' }, tempDir('authgear-nag-'));
 */
export function cdkApp(context: Record<string, unknown> = {}, outdir?: string): App {
  return new App({ ...(outdir === undefined ? {} : { outdir }), context: { ...CDK_JSON_CONTEXT, ...NO_BUNDLING, ...context } });
}

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
  const app = cdkApp(context);
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

/** The handler files of a throwaway project (see {@link makeProject}). */
export type ProjectFiles = Parameters<typeof makeProject>[0];

/**
 * Synthesizes a throwaway project with `files`: {@link makeProject}, then {@link synth}.
 *
 * @example
 * const s = synthProject({ blocking: ['user.pre_create.ts'] }, { retainOnDelete: 'false' });
 */
export function synthProject(files: ProjectFiles, context: Record<string, unknown> = {}): Synth {
  return synth(makeProject(files), context);
}

/**
 * Synthesizes a throwaway project with `files` once, in `beforeAll` of the enclosing suite, for its
 * tests to share. The returned object is filled then: read it inside hooks and tests only.
 *
 * @example
 * const s = synthBeforeAll({ blocking: ['user.pre_create.ts'], nonBlocking: ['user.created.ts'] });
 * it('has one queue pair', () => s.template.resourceCountIs('AWS::SQS::Queue', 2));
 */
export function synthBeforeAll(files: ProjectFiles, context: Record<string, unknown> = {}): Synth & { readonly root: string } {
  const synthesized = {} as Synth & { root: string };
  beforeAll(() => {
    const root = makeProject(files);
    Object.assign(synthesized, synth(root, context), { root });
  });
  return synthesized;
}
