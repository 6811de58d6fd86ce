/**
 * The CDK app: `npx cdk synth` / `npx cdk deploy` run this file (see cdk.json).
 *
 * Options come from CDK context (cdk.json, or `-c key=value`); see `AuthgearWebhooksOptions` in
 * ./options for the keys. `-c stage=<name>` deploys the stack `AuthgearWebhooks-<name>` with the
 * settings of `context.stages.<name>` (./stages). A mistake in a handler file name, an option or
 * a stage ends synth with a message that says what to fix, not with a stack trace.
 *
 * cdk-nag's AWS Solutions checks run on every synth: a finding that is neither fixed nor
 * acknowledged with a reason (./security-checks) fails it with a report.
 */
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { HandlerFileError } from '../shared/core/errors';
import { functionsDirOf } from '../shared/discovery/functions-dir';
import { addSecurityChecks } from './security-checks';
import { AuthgearWebhooksStack, StackConfigError } from './stack';
import { applyStage } from './stages';

const projectRoot = fileURLToPath(new URL('..', import.meta.url));

let stageName: string | undefined;
try {
  const app = new App();
  const selection = applyStage(app.node);
  stageName = selection.stage;
  new AuthgearWebhooksStack(app, selection.stackName, {
    projectRoot,
    stackName: selection.stackName,
    functionsDir: functionsDirOf(projectRoot),
    stageName: selection.stage,
    env: selection.env,
    terminationProtection: selection.terminationProtection,
  });
  addSecurityChecks(app);
  app.synth();
} catch (error) {
  // These errors are the user's to fix and their messages say how; a stack trace would bury that.
  if (error instanceof HandlerFileError || error instanceof StackConfigError) {
    process.stderr.write(`\n${stageName ? `stage ${stageName}: ` : ''}${error.message}\n\n`);
    process.exit(1);
  }
  throw error;
}
