/**
 * Who the alarms reach. `alarmEmail` creates an SNS topic with one e-mail subscription per address;
 * `alarmTopicArn` (wired in ./alarms) notifies a topic that already exists, such as one that feeds
 * a chat or paging tool. Both may be set. With neither, the alarms only change colour in the
 * console, and synth says so.
 */
import { Annotations, ArnFormat, Aws, type Stack } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { acknowledge } from './security-checks';

/** The id of the synth warning, for `Validations.of(stack).acknowledge()` by a user who wants silence. */
export const NO_ALARM_RECIPIENT_WARNING = 'authgear-webhooks:alarmsNotifyNoOne';

export interface AlarmNotificationOptions {
  readonly emails: readonly string[];
  /** Set when `alarmTopicArn` already notifies a topic (./alarms wires it). */
  readonly topicArn: string | undefined;
}

/**
 * Subscribes `emails` to a new topic that every alarm notifies into alarm and back to OK, and
 * warns at synth when no one at all would be told.
 *
 * @returns the created topic, or undefined without `emails`.
 * @example
 * ```ts
 * alarmNotifications(stack, Object.values(alarms), { emails: ['oncall@example.com'], topicArn: undefined });
 * ```
 */
export function alarmNotifications(
  stack: Stack,
  alarms: readonly cloudwatch.Alarm[],
  options: AlarmNotificationOptions,
): sns.Topic | undefined {
  if (options.emails.length === 0) {
    if (options.topicArn === undefined) {
      Annotations.of(stack).addWarningV2(
        NO_ALARM_RECIPIENT_WARNING,
        'The alarms notify no one: set alarmEmail (one address or a list) or alarmTopicArn in cdk.json, for this stage or for all (docs/deploy-to-production.md, Alarms).',
      );
    }
    return undefined;
  }

  const topic = new sns.Topic(stack, 'AlarmEmailTopic', {
    displayName: `Authgear webhooks alarms (${stack.stackName})`,
    enforceSSL: true,
  });
  // enforceSSL gives the topic a policy of its own, which replaces the default one that let the
  // account's alarms publish: allow CloudWatch again, for alarms of this account and region only.
  topic.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'CloudWatchAlarmsPublish',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: {
        StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
        ArnLike: {
          'aws:SourceArn': stack.formatArn({
            service: 'cloudwatch',
            resource: 'alarm',
            resourceName: '*',
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        },
      },
    }),
  );
  // The reason is in security-checks.ts: CloudWatch cannot publish to a topic under aws/sns.
  acknowledge(topic, 'AwsSolutions-SNS2');
  for (const email of options.emails) topic.addSubscription(new subscriptions.EmailSubscription(email));

  const action = new SnsAction(topic);
  for (const alarm of alarms) {
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
  }
  return topic;
}
