/** How API Gateway frames a body in the Lambda event: truthfully, or with a lying base64 flag. */
import fc from 'fast-check';

export type LambdaBody = 'truthful' | 'base64' | 'flag says base64, body is text' | 'flag says text, body is base64' | 'no body';

export const lambdaBodyArb = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('truthful' as const, 'base64' as const) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('flag says base64, body is text' as const, 'flag says text, body is base64' as const, 'no body' as const),
  },
);
