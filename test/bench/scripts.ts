/**
 * The scripts the cold-start benchmark runs in fresh `node` processes. They are written to a
 * temporary folder as plain `.mjs` files, so nothing but Node itself is loaded besides what each
 * one measures.
 */

/**
 * Loads a deployed bundle (argv[2]) the way Lambda's Node.js runtime does (`import()` for `.mjs`,
 * `require()` for CommonJS), takes its export argv[3], serves the event in the JSON file argv[4]
 * (`-` for none: load only), and reports on fd 3 `{ ok, loadMs, firstMs, firstStartedAt,
 * response | error }`; then, with argv[5] = N > 0, serves N more copies of the event (argv[6] ms
 * apart, default back to back) and reports `{ warm: N, failures, ms }`.
 */
export const DRIVER = `
import { readFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
const [file, handlerName, eventFile, repeatText, paceText] = process.argv.slice(2);
const report = (message) => writeSync(3, JSON.stringify(message) + '\\n');
const t0 = performance.now();
let bundle;
try {
  bundle = file.endsWith('.mjs') ? await import(pathToFileURL(file).href) : createRequire(import.meta.url)(file);
} catch (error) {
  report({ ok: false, error: 'load: ' + String(error && error.stack || error) });
  process.exit(1);
}
const handler = bundle[handlerName] ?? bundle.default?.[handlerName];
const loadMs = performance.now() - t0;
if (eventFile === '-') {
  report({ ok: typeof handler === 'function', loadMs, firstMs: 0, firstStartedAt: Date.now() });
  process.exit(0);
}
const event = JSON.parse(readFileSync(eventFile, 'utf8'));
// API Gateway stamps each request on arrival; the file was written before this run.
const stamp = () => { if (event.requestContext && 'timeEpoch' in event.requestContext) event.requestContext.timeEpoch = Date.now(); };
stamp();
const firstStartedAt = Date.now();
const t1 = performance.now();
let response;
try {
  response = await handler(event, { awsRequestId: 'bench-1', getRemainingTimeInMillis: () => 5000 });
} catch (error) {
  report({ ok: false, loadMs, error: 'handler: ' + String(error && error.stack || error) });
  process.exit(1);
}
report({ ok: true, loadMs, firstMs: performance.now() - t1, firstStartedAt, response });
const repeat = Number(repeatText || 0);
const pace = Number(paceText || 0);
if (repeat > 0) {
  let failures = 0;
  const started = performance.now();
  for (let i = 0; i < repeat; i++) {
    if (pace > 0) await new Promise((resolve) => setTimeout(resolve, pace));
    stamp();
    const again = await handler(event, { awsRequestId: 'bench-' + (i + 2), getRemainingTimeInMillis: () => 5000 });
    if (!again || (again.statusCode !== undefined && again.statusCode !== response.statusCode)) failures += 1;
  }
  report({ warm: repeat, failures, ms: performance.now() - started });
}
// The SDK keeps its connection alive, as it should in Lambda; end explicitly.
process.exit(0);
`;

/**
 * The cold floor: the least a process must do to serve a first verified request with a secret
 * from Secrets Manager. It signs one GetSecretValue request itself (SigV4: SHA-256 of the
 * canonical request, four HMACs for the signing key, one for the signature) with node:crypto,
 * sends it with node:http to the same endpoint the bundles use, reads the secret, then verifies the
 * event in the JSON file argv[2] (HMAC-SHA256 + JSON.parse) and reports on fd 3 like the driver.
 * With `NON_BLOCKING_QUEUE_URL` set (the receiver's floor) it then also stores the body in SQS
 * with one signed SendMessage, as the receiver must before it answers.
 */
export const FLOOR = `
import { createHash, createHmac } from 'node:crypto';
import { request } from 'node:http';
import { readFileSync, writeSync } from 'node:fs';
const env = process.env;
const sha256 = (data) => createHash('sha256').update(data).digest('hex');
const hmac = (key, data) => createHmac('sha256', key).update(data).digest();
const region = env.AWS_REGION;
const post = (endpointUrl, service, contentType, target, payload) => {
  const endpoint = new URL(endpointUrl);
  const amzDate = new Date().toISOString().replace(/[-:]|\\.\\d{3}/g, '');
  const day = amzDate.slice(0, 8);
  const headers = {
    'content-type': contentType,
    host: endpoint.host,
    'x-amz-date': amzDate,
    'x-amz-target': target,
    ...(env.AWS_SESSION_TOKEN ? { 'x-amz-security-token': env.AWS_SESSION_TOKEN } : {}),
  };
  const names = Object.keys(headers).sort();
  const canonical = ['POST', '/', '', ...names.map((n) => n + ':' + headers[n]), '', names.join(';'), sha256(payload)].join('\\n');
  const scope = day + '/' + region + '/' + service + '/aws4_request';
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\\n');
  let key = hmac('AWS4' + env.AWS_SECRET_ACCESS_KEY, day);
  for (const part of [region, service, 'aws4_request']) key = hmac(key, part);
  headers.authorization = 'AWS4-HMAC-SHA256 Credential=' + env.AWS_ACCESS_KEY_ID + '/' + scope + ', SignedHeaders=' + names.join(';') + ', Signature=' + createHmac('sha256', key).update(stringToSign).digest('hex');
  return new Promise((resolve, reject) => {
    const req = request({ hostname: endpoint.hostname, port: endpoint.port, method: 'POST', path: '/', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(text)) : reject(new Error(res.statusCode + ' ' + text))));
    });
    req.on('error', reject);
    req.end(payload);
  });
};
const answer = await post(env.AWS_ENDPOINT_URL_SECRETS_MANAGER, 'secretsmanager', 'application/x-amz-json-1.1', 'secretsmanager.GetSecretValue', JSON.stringify({ SecretId: env.AUTHGEAR_WEBHOOK_SECRET_ID }));
const event = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const valid = createHmac('sha256', answer.SecretString).update(event.body).digest('hex') === event.headers['x-authgear-body-signature'];
const parsed = JSON.parse(event.body);
if (valid && env.NON_BLOCKING_QUEUE_URL) {
  await post(env.AWS_ENDPOINT_URL_SQS, 'sqs', 'application/x-amz-json-1.0', 'AmazonSQS.SendMessage', JSON.stringify({ QueueUrl: env.NON_BLOCKING_QUEUE_URL, MessageBody: event.body, MessageDeduplicationId: parsed.id, MessageGroupId: parsed.id }));
}
writeSync(3, JSON.stringify({ ok: valid, response: { statusCode: valid ? 200 : 401 } }) + '\\n');
process.exit(0);
`;
