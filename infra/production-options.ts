/**
 * The options a production deployment adds: a custom domain, what is kept when the stack is
 * deleted, who the alarms reach, the dashboard, tracing and a customer-managed KMS key. Each is
 * a CDK context value of the same name (cdk.json, a stage block, or `-c key=value`), validated
 * here into one clear message when it is wrong.
 */
import type { Node } from 'constructs';
import { StackConfigError } from './options';

/** A DNS name of at least two labels, lower case (API Gateway and Route 53 compare them so). */
const DOMAIN = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;
/** `arn:<partition>:acm:<region>:<account>:certificate/<id>` */
const CERTIFICATE_ARN = /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[A-Za-z0-9-]{1,128}$/;
/** Route 53 hosted zone ids: `Z` and up to 32 upper-case letters and digits. */
const HOSTED_ZONE_ID = /^Z[A-Z0-9]{1,32}$/;
/** A key ARN (not an alias): key policies, grants and CloudWatch Logs need the key itself. */
const KMS_KEY_ARN =
  /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$/;
/** What SNS accepts as an e-mail endpoint, kept simple: one `@`, no spaces, a dot in the domain. */
const EMAIL = /^[^\s@,;]+@[^\s@,;]+\.[^\s@,;]+$/;

/** Context keys of the production options, with what each one means. */
export interface ProductionOptions {
  /**
   * A custom domain for the API, such as `hooks.example.com`: every hook URL and the hook
   * configuration use it, so a recreated stack or another region keeps the URLs Authgear has.
   * Needs `certificateArn`.
   * @default unset: the URLs are the API's `execute-api` address
   */
  readonly domainName?: string;
  /**
   * An ACM certificate for `domainName`, in the stack's region (a regional API Gateway endpoint).
   * @default unset
   */
  readonly certificateArn?: string;
  /**
   * The Route 53 public hosted zone for `domainName`, with `hostedZoneName`: the stack then creates
   * the alias record that points the domain at the API.
   * @default unset: create the DNS record yourself from the `DomainTarget` in the docs
   */
  readonly hostedZoneId?: string;
  /** The hosted zone's name, such as `example.com`; `domainName` must be in it. */
  readonly hostedZoneName?: string;
  /**
   * Turns the `execute-api` address off, so the API answers only on `domainName`.
   * @default false
   */
  readonly disableExecuteApiEndpoint?: boolean;
  /**
   * Keep both queues, the created secret and the log groups when the stack is deleted or one of
   * them would be replaced (CloudFormation `DeletionPolicy` and `UpdateReplacePolicy` Retain).
   * Set false only for throw-away environments.
   * @default true
   */
  readonly retainOnDelete?: boolean;
  /**
   * One address or a list (a comma-separated string or a JSON list): creates an SNS topic with an
   * e-mail subscription per address, which every alarm notifies when it goes into alarm and when
   * it is OK again. Each address must confirm the subscription mail from AWS.
   * @default unset
   */
  readonly alarmEmail?: string | readonly string[];
  /**
   * Creates a CloudWatch dashboard of the stack; its URL is an output.
   * @default true
   */
  readonly dashboard?: boolean;
  /**
   * X-Ray active tracing for the three functions.
   * @default false
   */
  readonly tracing?: boolean;
  /**
   * A customer-managed KMS key (its key ARN, in the stack's region) that encrypts both queues, the
   * created secret and every log group of the stack. Its key policy must allow the services and
   * roles listed in docs/deploy-to-production.md.
   * @default unset: SQS-managed keys for the queues, `aws/secretsmanager` for the secret, CloudWatch Logs' own encryption
   */
  readonly kmsKeyArn?: string;
}

/** The custom domain, complete. */
export interface CustomDomain {
  readonly domainName: string;
  readonly certificateArn: string;
  readonly hostedZone: { readonly id: string; readonly name: string } | undefined;
}

/** The production options after validation. */
export interface ResolvedProductionOptions {
  readonly domain: CustomDomain | undefined;
  readonly disableExecuteApiEndpoint: boolean;
  readonly retainOnDelete: boolean;
  readonly alarmEmails: readonly string[];
  readonly dashboard: boolean;
  readonly tracing: boolean;
  readonly kmsKeyArn: string | undefined;
}

/**
 * Merges properties over context values and validates the production options.
 * @throws StackConfigError naming the first invalid option.
 * @example
 * ```ts
 * const production = resolveProductionOptions(stack.node, { tracing: true });
 * production.retainOnDelete; // true
 * ```
 */
export function resolveProductionOptions(node: Node, props: ProductionOptions): ResolvedProductionOptions {
  const pick = <K extends keyof ProductionOptions>(key: K): unknown => (props[key] !== undefined ? props[key] : node.tryGetContext(key));

  const domainName = text(pick('domainName'), 'domainName')?.toLowerCase();
  const certificateArn = text(pick('certificateArn'), 'certificateArn');
  const hostedZoneId = text(pick('hostedZoneId'), 'hostedZoneId');
  const hostedZoneName = text(pick('hostedZoneName'), 'hostedZoneName')?.toLowerCase().replace(/\.$/, '');
  const disableExecuteApiEndpoint = flag(pick('disableExecuteApiEndpoint'), 'disableExecuteApiEndpoint') ?? false;

  if (domainName !== undefined && !DOMAIN.test(domainName)) {
    throw new StackConfigError(`domainName must be a DNS name such as hooks.example.com (got "${domainName}")`);
  }
  if ((domainName === undefined) !== (certificateArn === undefined)) {
    throw new StackConfigError(
      'give domainName and certificateArn together: the custom domain needs an ACM certificate for it in the stack region',
    );
  }
  if (certificateArn !== undefined && !CERTIFICATE_ARN.test(certificateArn)) {
    throw new StackConfigError(
      `certificateArn must be an ACM certificate ARN such as arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-... (got "${certificateArn}")`,
    );
  }
  if ((hostedZoneId === undefined) !== (hostedZoneName === undefined)) {
    throw new StackConfigError('give hostedZoneId and hostedZoneName together, or neither');
  }
  if (hostedZoneId !== undefined && domainName === undefined) {
    throw new StackConfigError('hostedZoneId and hostedZoneName need domainName: they say where to create its DNS record');
  }
  if (hostedZoneId !== undefined && !HOSTED_ZONE_ID.test(hostedZoneId)) {
    throw new StackConfigError(`hostedZoneId must be a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ (got "${hostedZoneId}")`);
  }
  if (hostedZoneName !== undefined && domainName !== undefined && !`.${domainName}`.endsWith(`.${hostedZoneName}`)) {
    throw new StackConfigError(`domainName ${domainName} is not in the hosted zone ${hostedZoneName}`);
  }
  if (disableExecuteApiEndpoint && domainName === undefined) {
    throw new StackConfigError(
      'disableExecuteApiEndpoint needs domainName: without a custom domain the execute-api address is the only way to reach the API',
    );
  }

  const kmsKeyArn = text(pick('kmsKeyArn'), 'kmsKeyArn');
  if (kmsKeyArn !== undefined && !KMS_KEY_ARN.test(kmsKeyArn)) {
    throw new StackConfigError(
      `kmsKeyArn must be the ARN of a KMS key (not an alias), such as arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab (got "${kmsKeyArn}")`,
    );
  }

  return {
    domain:
      domainName !== undefined && certificateArn !== undefined
        ? {
            domainName,
            certificateArn,
            hostedZone: hostedZoneId !== undefined && hostedZoneName !== undefined ? { id: hostedZoneId, name: hostedZoneName } : undefined,
          }
        : undefined,
    disableExecuteApiEndpoint,
    retainOnDelete: flag(pick('retainOnDelete'), 'retainOnDelete') ?? true,
    alarmEmails: emails(pick('alarmEmail')),
    dashboard: flag(pick('dashboard'), 'dashboard') ?? true,
    tracing: flag(pick('tracing'), 'tracing') ?? false,
    kmsKeyArn,
  };
}

/** Context values arrive as strings from `-c key=value` and as JSON values from cdk.json. */
function text(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new StackConfigError(`${name} must be a string (got ${JSON.stringify(value)})`);
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** `true` / `false`, as JSON booleans or as the strings `-c key=true` passes. */
export function flag(value: unknown, name: string): boolean | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value.trim())) return value.trim().toLowerCase() === 'true';
  throw new StackConfigError(`${name} must be true or false (got ${JSON.stringify(value)})`);
}

function emails(value: unknown): readonly string[] {
  if (value === undefined || value === null) return [];
  const items = typeof value === 'string' ? value.split(',') : Array.isArray(value) ? value : undefined;
  if (!items?.every((item): item is string => typeof item === 'string')) {
    throw new StackConfigError(
      `alarmEmail must be an address, a comma-separated string or a list of addresses (got ${JSON.stringify(value)})`,
    );
  }
  const addresses = [...new Set(items.map((a) => a.trim()).filter(Boolean))];
  const invalid = addresses.filter((a) => !EMAIL.test(a));
  if (invalid.length > 0) throw new StackConfigError(`alarmEmail must list e-mail addresses (invalid: ${invalid.join(', ')})`);
  return addresses;
}
