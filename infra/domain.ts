/**
 * A custom domain for the API (`domainName` + `certificateArn`): a regional API Gateway domain
 * name with TLS 1.2, mapped to the API's `$default` stage, and, given the Route 53 hosted zone, the
 * alias record that points the name at it. The hook URLs then survive a recreated stack or a move
 * to another region: only the DNS record changes, not what Authgear calls.
 */
import { Arn, ArnFormat, Aws, CfnRule, Fn, type Stack } from 'aws-cdk-lib';
import { ApiMapping, DomainName, EndpointType, type HttpApi, type HttpStage, SecurityPolicy } from 'aws-cdk-lib/aws-apigatewayv2';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import type { CustomDomain } from './production-options';

export interface WebhookDomain {
  readonly domainName: DomainName;
  /** `https://<domainName>`: the base of every hook URL. */
  readonly baseUrl: string;
  /** The alias record, when the hosted zone was given. */
  readonly record: route53.ARecord | undefined;
}

/**
 * Creates the custom domain and maps it to `stage` of `api`.
 *
 * @example
 * ```ts
 * const domain = webhookDomain(stack, { api, stage, domain: { domainName: 'hooks.example.com', certificateArn, hostedZone: undefined } });
 * domain.baseUrl; // 'https://hooks.example.com'
 * ```
 */
export function webhookDomain(
  stack: Stack,
  options: { readonly api: HttpApi; readonly stage: HttpStage; readonly domain: CustomDomain },
): WebhookDomain {
  const { domain } = options;
  const region = Arn.split(domain.certificateArn, ArnFormat.SLASH_RESOURCE_NAME).region ?? Aws.REGION;
  // A regional endpoint only accepts a certificate of its own region: refuse the deployment with
  // this message instead of API Gateway's.
  new CfnRule(stack, 'CertificateInStackRegion', {
    assertions: [
      {
        assert: Fn.conditionEquals(Aws.REGION, region),
        assertDescription: `certificateArn names a certificate in ${region}; a regional API Gateway domain needs an ACM certificate in the stack's region`,
      },
    ],
  });
  const domainName = new DomainName(stack, 'CustomDomain', {
    domainName: domain.domainName,
    certificate: acm.Certificate.fromCertificateArn(stack, 'CustomDomainCertificate', domain.certificateArn),
    endpointType: EndpointType.REGIONAL,
    securityPolicy: SecurityPolicy.TLS_1_2,
  });
  new ApiMapping(stack, 'CustomDomainMapping', { api: options.api, domainName, stage: options.stage });

  let record: route53.ARecord | undefined;
  if (domain.hostedZone) {
    const zone = route53.HostedZone.fromHostedZoneAttributes(stack, 'HostedZone', {
      hostedZoneId: domain.hostedZone.id,
      zoneName: domain.hostedZone.name,
    });
    record = new route53.ARecord(stack, 'CustomDomainRecord', {
      zone,
      recordName: domain.domainName,
      target: route53.RecordTarget.fromAlias(
        new targets.ApiGatewayv2DomainProperties(domainName.regionalDomainName, domainName.regionalHostedZoneId),
      ),
      comment: `Authgear webhooks (${stack.stackName})`,
    });
  }
  return { domainName, baseUrl: `https://${domain.domainName}`, record };
}
