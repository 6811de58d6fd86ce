/**
 * The CDK app: `npx cdk synth` / `npx cdk deploy` run this file (see cdk.json).
 *
 * Options come from CDK context (cdk.json, or `-c key=value`); see `AuthgearWebhooksOptions` in
 * ./stack for the keys. A mistake in a handler file name or an option ends synth with a message
 * that says what to fix, not with a stack trace.
 */
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { HandlerFileError } from '../shared/core/errors';
import { AuthgearWebhooksStack, StackConfigError, stackNameFromContext } from './stack';

const projectRoot = fileURLToPath(new URL('..', import.meta.url));

try {
  const app = new App();
  const stackName = stackNameFromContext(app.node);
  new AuthgearWebhooksStack(app, stackName, { projectRoot, stackName });
  app.synth();
} catch (error) {
  // These errors are the user's to fix and their messages say how; a stack trace would bury that.
  if (error instanceof HandlerFileError || error instanceof StackConfigError) {
    process.stderr.write(`\n${error.message}\n\n`);
    process.exit(1);
  }
  throw error;
}
