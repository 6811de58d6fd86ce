/**
 * Readers of a synthesized CloudFormation template for the infra tests: resources by type, IAM
 * statements and who they belong to, function environments, and values flattened to strings.
 */

export type Resource = { Type: string; Properties: Record<string, unknown>; DependsOn?: unknown };
export type Statement = { Action: string | string[]; Resource: unknown; Effect: string; Principal?: unknown; Condition?: unknown };
export type TemplateJson = {
  Resources: Record<string, Resource>;
  Outputs: Record<string, { Value: unknown; Description?: string }>;
  Rules?: Record<string, unknown>;
};

/**
 * Turns a CloudFormation value (string, Ref, GetAtt, Fn::Join) into a string, with `names`
 * standing in for what only a deployment knows. Throws on anything unexpected, so a changed
 * template cannot pass by accident.
 */
export function flatten(value: unknown, names: Record<string, string>): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  if (typeof v.Ref === 'string') {
    const name = names[v.Ref];
    if (name === undefined) throw new Error(`no stand-in for Ref ${v.Ref}`);
    return name;
  }
  if (Array.isArray(v['Fn::GetAtt'])) {
    const key = (v['Fn::GetAtt'] as string[]).join('.');
    const name = names[key];
    if (name === undefined) throw new Error(`no stand-in for GetAtt ${key}`);
    return name;
  }
  if (Array.isArray(v['Fn::Join'])) {
    const [separator, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map((p) => flatten(p, names)).join(separator);
  }
  throw new Error(`cannot flatten ${JSON.stringify(value)}`);
}

export const resourcesOfType = (json: { Resources: Record<string, Resource> }, type: string): [string, Resource][] =>
  Object.entries(json.Resources).filter(([, r]) => r.Type === type);

export const actionsOf = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);

export const resourcesOf = (s: Statement): unknown[] => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]);

/** Every statement of every `AWS::IAM::Policy`. */
export const allStatements = (json: { Resources: Record<string, Resource> }): Statement[] =>
  resourcesOfType(json, 'AWS::IAM::Policy').flatMap(([, r]) => (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement);

export const envOf = (json: { Resources: Record<string, Resource> }, id: string): Record<string, unknown> =>
  ((json.Resources[id]?.Properties.Environment as { Variables: Record<string, unknown> }) ?? { Variables: {} }).Variables;

/** The logical id of the role a function runs with. */
export const roleOf = (json: TemplateJson, fnId: string): string =>
  (json.Resources[fnId]?.Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0] ?? '';

/** Every statement of the policies attached to `roleId`. */
export const statementsOfRole = (json: TemplateJson, roleId: string): Statement[] =>
  resourcesOfType(json, 'AWS::IAM::Policy')
    .filter(([, p]) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleId))
    .flatMap(([, p]) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);

/** Every statement of the policies attached to the role function `fnId` runs with. */
export const statementsOfFunction = (json: TemplateJson, fnId: string): Statement[] => statementsOfRole(json, roleOf(json, fnId));
