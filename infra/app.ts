/**
 * The CDK app: `npx cdk synth` / `npx cdk deploy` run this file (see cdk.json).
 *
 * Options come from CDK context (cdk.json, or `-c key=value`); see `AuthgearWebhooksOptions` in
 * ./options for the keys. A mistake in a handler file name or an option ends synth with a message
 * that says what to fix, not with a stack trace.
 *
 * cdk-nag's AWS Solutions checks run on every synth: a finding that is neither fixed nor
 * acknowledged with a reason (./security-checks) fails it with a report.
 */
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { HandlerFileError } from '../shared/core/errors';
import { functionsDirOf } from '../shared/discovery/functions-dir';
import { addSecurityChecks } from './security-checks';
import { AuthgearWebhooksStack, StackConfigError, stackNameFromContext } from './stack';

const projectRoot = fileURLToPath(new URL('..', import.meta.url));

try {
  const app = new App();
  const stackName = stackNameFromContext(app.node);
  new AuthgearWebhooksStack(app, stackName, { projectRoot, stackName, functionsDir: functionsDirOf(projectRoot) });
  addSecurityChecks(app);
  app.synth();
} catch (error) {
  // These errors are the user's to fix and their messages say how; a stack trace would bury that.
  if (error instanceof HandlerFileError || error instanceof StackConfigError) {
    process.stderr.write(`\n${error.message}\n\n`);
    process.exit(1);
  }
  throw error;
}
