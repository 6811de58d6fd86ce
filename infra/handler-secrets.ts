/**
 * The Secrets Manager secrets handlers declare (`{ secrets: ['crm/api-key'] }`): each function
 * that runs handlers may read exactly the secrets of its own handlers, and no other function may.
 */
import { ArnFormat, type Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';

/**
 * What the IAM policy names for a declared secret: a complete ARN as it is; a name as the ARN
 * pattern of the stack's account and region with `-??????`, the 6 random characters Secrets
 * Manager appends to every secret's ARN.
 *
 * @example
 * ```ts
 * handlerSecretResource(stack, 'crm/api-key'); // arn:${Partition}:secretsmanager:${Region}:${Account}:secret:crm/api-key-??????
 * ```
 */
export function handlerSecretResource(stack: Stack, nameOrArn: string): string {
  if (nameOrArn.startsWith('arn:')) return nameOrArn;
  return stack.formatArn({
    service: 'secretsmanager',
    resource: 'secret',
    resourceName: `${nameOrArn}-??????`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/**
 * Lets `fn` call `GetSecretValue` on each of `secrets`, in one statement of its own role. Nothing
 * is added when the list is empty.
 *
 * @example
 * ```ts
 * grantHandlerSecrets(stack, workerFunction, ['crm/api-key']);
 * ```
 */
export function grantHandlerSecrets(stack: Stack, fn: IFunction, secrets: readonly string[]): void {
  if (secrets.length === 0) return;
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      sid: 'ReadHandlerSecrets',
      actions: ['secretsmanager:GetSecretValue'],
      resources: [...new Set(secrets)].map((s) => handlerSecretResource(stack, s)),
    }),
  );
}
