/**
 * How a stage names its stack and its outputs file: shared by the CDK app, `npm run deploy` and
 * `npm run redrive`, so the three always agree. No CDK imports: the command-line tools load fast.
 */

/** The stack of stage `production` is `AuthgearWebhooks-production` (with the default `stackName`). */
export const stageStackName = (stackName: string, stage: string): string => `${stackName}-${stage}`;

/** Where `npm run deploy -- <stage>` has cdk write the stack outputs, one file per stage. */
export const stageOutputsFile = (stage: string | undefined): string =>
  stage === undefined ? 'cdk-outputs.json' : `cdk-outputs.${stage}.json`;
