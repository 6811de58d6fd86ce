/**
 * What the stack adds when handlers use Authgear's Admin API (`context.adminApi`): the settings
 * for the functions that run handlers, the Secrets Manager secret holding the Admin API private
 * key (created empty, or an existing one), read access to it for those functions only, and the
 * outputs that say how to store the key. Without `authgearEndpoint` nothing is added.
 */
import { Arn, ArnFormat, Aws, CfnOutput, CfnRule, Fn, type Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Node } from 'constructs';
import { ADMIN_API_ENV, readAdminApiConfig } from '../shared/admin-api/config';
import { StackConfigError } from './options';
import { acknowledge } from './security-checks';

/** The stack options (props or context values of the same names) behind the Admin API. */
export interface AdminApiOptions {
  /**
   * The Authgear project endpoint, e.g. `https://myapp.authgear.cloud`. Setting it turns the Admin
   * API on for handlers: `AUTHGEAR_ENDPOINT` on the blocking function and the worker.
   * @default unset: `context.adminApi` throws "not configured"
   */
  readonly authgearEndpoint?: string;
  /**
   * The key id shown next to the Admin API key in the portal (Advanced → Admin API); required with
   * `authgearEndpoint`. A key stored as JSON `{"keyId","privateKey"}` (a rotation) names its own id, which wins.
   */
  readonly adminApiKeyId?: string;
  /**
   * The project id, when the endpoint is a custom domain (it is otherwise the first label of the endpoint's host).
   * @default the first label of the endpoint's host
   */
  readonly authgearProjectId?: string;
  /**
   * An existing secret that holds the private key: its complete ARN, or its name.
   * @default a new, empty secret is created
   */
  readonly adminApiPrivateKeySecret?: string;
}

/** What the stack wires: the environment for the functions that run handlers, and who may read the key. */
export interface AdminApiAccess {
  readonly environment: Readonly<Record<string, string>>;
  /** Set when this stack creates the secret. */
  readonly createdSecret?: secretsmanager.Secret;
  /** Lets `fn` read the key: `GetSecretValue` on that one secret, nothing else. */
  grantRead(fn: IFunction): void;
}

const COMPLETE_SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$/;
const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;

/**
 * Reads the Admin API options, props over context values.
 * @throws StackConfigError naming the option and what it accepts.
 */
export function resolveAdminApiOptions(node: Node, props: AdminApiOptions): AdminApiOptions | undefined {
  const pick = (key: keyof AdminApiOptions): string | undefined => {
    const value: unknown = props[key] ?? node.tryGetContext(key);
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') throw new StackConfigError(`${key} must be a string (got ${JSON.stringify(value)})`);
    return value.trim() || undefined;
  };
  const options = {
    authgearEndpoint: pick('authgearEndpoint'),
    adminApiKeyId: pick('adminApiKeyId'),
    authgearProjectId: pick('authgearProjectId'),
    adminApiPrivateKeySecret: pick('adminApiPrivateKeySecret'),
  };
  if (!options.authgearEndpoint) {
    const stray = (['adminApiKeyId', 'authgearProjectId', 'adminApiPrivateKeySecret'] as const).filter((k) => options[k] !== undefined);
    if (stray.length > 0)
      throw new StackConfigError(`${stray.join(', ')} need authgearEndpoint (e.g. -c authgearEndpoint=https://myapp.authgear.cloud)`);
    return undefined;
  }
  if (!options.adminApiKeyId) {
    throw new StackConfigError(
      'adminApiKeyId is needed with authgearEndpoint: the key id shown next to the key in the portal (Advanced → Admin API), e.g. -c adminApiKeyId=…',
    );
  }
  const secret = options.adminApiPrivateKeySecret;
  if (secret !== undefined && !(secret.startsWith('arn:') ? COMPLETE_SECRET_ARN.test(secret) : SECRET_NAME.test(secret))) {
    throw new StackConfigError(
      `adminApiPrivateKeySecret must be a secret name (letters, digits and /_+=.@-) or a complete secret ARN ending in "-" and 6 characters (got "${secret}")`,
    );
  }
  // The same checks the functions make at run time, so a typo fails the synth, not a handler.
  const check = readAdminApiConfig({
    [ADMIN_API_ENV.endpoint]: options.authgearEndpoint,
    [ADMIN_API_ENV.keyId]: options.adminApiKeyId,
    [ADMIN_API_ENV.projectId]: options.authgearProjectId,
    [ADMIN_API_ENV.privateKeySecretId]: 'checked-at-synth',
  });
  if (check.status !== 'configured') {
    throw new StackConfigError(
      check.problem.replace(ADMIN_API_ENV.endpoint, 'authgearEndpoint').replace(ADMIN_API_ENV.projectId, 'authgearProjectId'),
    );
  }
  return options;
}

/**
 * Creates (or references) the key's secret and the outputs. Construct ids are fixed, so a
 * deployed secret is never replaced.
 */
export function adminApiAccess(stack: Stack, options: AdminApiOptions): AdminApiAccess {
  const given = options.adminApiPrivateKeySecret;
  let secretId: string;
  let policyResource: string;
  let createdSecret: secretsmanager.Secret | undefined;
  if (given?.startsWith('arn:')) {
    secretId = given;
    policyResource = given;
    // The functions read secrets in their own region: refuse a deployment that could never read this one.
    const region = Arn.split(given, ArnFormat.COLON_RESOURCE_NAME).region ?? Aws.REGION;
    new CfnRule(stack, 'AdminApiKeyInStackRegion', {
      assertions: [
        {
          assert: Fn.conditionEquals(Aws.REGION, region),
          assertDescription: `adminApiPrivateKeySecret names a secret in ${region}; deploy this stack to ${region} or use a secret in the stack's region`,
        },
      ],
    });
  } else if (given !== undefined) {
    secretId = given;
    // The ARN of a secret named `given` ends in "-" and 6 random characters.
    policyResource = stack.formatArn({
      service: 'secretsmanager',
      resource: 'secret',
      resourceName: `${given}-??????`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  } else {
    createdSecret = new secretsmanager.Secret(stack, 'AdminApiPrivateKey', {
      description:
        'Authgear Admin API private key (portal: Advanced > Admin API), as PEM, or JSON {"keyId","privateKey"}. Set it with the AdminApiPutKeyCommand output.',
    });
    // No generated value: only the portal's key is valid, and the PEM never passes through the template.
    (createdSecret.node.defaultChild as secretsmanager.CfnSecret).addPropertyDeletionOverride('GenerateSecretString');
    acknowledge(createdSecret, 'AwsSolutions-SMG4');
    secretId = createdSecret.secretArn;
    policyResource = createdSecret.secretArn;
  }

  const environment: Record<string, string> = {
    [ADMIN_API_ENV.endpoint]: options.authgearEndpoint as string,
    [ADMIN_API_ENV.privateKeySecretId]: secretId,
  };
  if (options.adminApiKeyId) environment[ADMIN_API_ENV.keyId] = options.adminApiKeyId;
  if (options.authgearProjectId) environment[ADMIN_API_ENV.projectId] = options.authgearProjectId;

  new CfnOutput(stack, given && !given.startsWith('arn:') ? 'AdminApiPrivateKeySecretName' : 'AdminApiPrivateKeySecretArn', {
    value: secretId,
    description: 'Secrets Manager secret holding the Authgear Admin API private key',
  });
  new CfnOutput(stack, 'AdminApiPutKeyCommand', {
    // file:// reads the PEM from disk: it is never on the screen, in the shell history or in a process list.
    value: `aws secretsmanager put-secret-value --region ${stack.region} --secret-id ${secretId} --secret-string file://admin-api-key.pem`,
    description:
      'Run next to the private key downloaded from the Authgear portal (Advanced > Admin API), saved as admin-api-key.pem; then delete the file',
  });

  return {
    environment,
    ...(createdSecret ? { createdSecret } : {}),
    grantRead(fn) {
      fn.role?.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [policyResource] }));
    },
  };
}
