/**
 * A local DynamoDB for the idempotency tests: dynalite (an implementation of the DynamoDB API, in
 * memory) behind a small loopback proxy, so that the real `@aws-sdk/client-dynamodb` talks the real
 * wire protocol (AWS JSON 1.0, `x-amz-target: DynamoDB_20120810.<Operation>`) and a test can count
 * calls per operation and make any of them fail: with a 500 before the work is done, with a 500 after
 * it is done (a lost response, which the SDK retries), or by refusing connections (the service is down).
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  type AttributeValue,
  CreateTableCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { IDEMPOTENCY_TABLE } from '../../shared/core/idempotency';
import { listenOnLoopback } from './listen';

const REGION = 'us-east-1';
const DUMMY_ACCESS_KEY_ID = 'AKIAFAKEDYNAMODBTEST';
const DUMMY_SECRET_ACCESS_KEY = 'fake/dynamodb/secret/access/key/for/local/tests';

export type FakeDynamoDbOperation = 'GetItem' | 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'CreateTable' | 'DescribeTable' | 'Scan';

/** `error`: answer 500 without doing the work. `lose-response`: do the work, then answer 500. */
export type FakeDynamoDbFault = 'error' | 'lose-response';

export interface FakeDynamoDb {
  /** The proxy's base URL, e.g. `http://127.0.0.1:40123`. */
  readonly endpoint: string;
  /** `AWS_ENDPOINT_URL_DYNAMODB`, region and dummy credentials for a process using the SDK's defaults. */
  env(): Record<string, string>;
  /** A client for this server: fixed endpoint, dummy credentials, `maxAttempts` (default 3). */
  client(options?: { readonly maxAttempts?: number }): DynamoDBClient;
  /** Creates a table shaped like the stack's idempotency table and waits until it is active. */
  createTable(name: string): Promise<void>;
  /** Every item of a table, unmarshalled (read past the proxy: not counted, never failed). */
  items(table: string): Promise<Record<string, unknown>[]>;
  /** Deletes every item of a table (past the proxy). */
  clear(table: string): Promise<void>;
  /** Requests that reached the proxy, by operation (failed ones included). */
  count(operation: FakeDynamoDbOperation): number;
  /** Makes the next `times` requests of `operation` fail. */
  failNext(operation: FakeDynamoDbOperation, times: number, mode?: FakeDynamoDbFault): void;
  /** While down, every connection is closed at once, as when the endpoint cannot be reached. */
  setDown(down: boolean): void;
  /** Clears counters and pending faults, and brings the service up. */
  reset(): void;
  close(): Promise<void>;
}

/**
 * Starts dynalite in memory and the counting, failing proxy in front of it.
 *
 * @example
 * ```ts
 * const dynamo = await startFakeDynamoDb();
 * await dynamo.createTable('idempotency');
 * const claims = dynamoDbEventClaims({ tableName: 'idempotency', retentionHours: 24, client: dynamo.client() });
 * ```
 */
export async function startFakeDynamoDb(): Promise<FakeDynamoDb> {
  const backend = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const backendUrl = await listenOnLoopback(backend);
  const backendPort = Number(new URL(backendUrl).port);
  const counts = new Map<string, number>();
  const faults = new Map<string, FakeDynamoDbFault[]>();
  let down = false;

  const forward = (
    req: IncomingMessage,
    body: Buffer,
    onAnswer: (status: number, headers: Record<string, string>, data: Buffer) => void,
  ) => {
    const upstream = request({ host: '127.0.0.1', port: backendPort, method: req.method, path: req.url, headers: req.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers[k] = v;
        onAnswer(res.statusCode ?? 500, headers, Buffer.concat(chunks));
      });
    });
    upstream.on('error', () => onAnswer(502, {}, Buffer.alloc(0)));
    upstream.end(body);
  };

  const internalError = (res: ServerResponse): void => {
    const body = JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'injected failure' });
    res.writeHead(500, { 'content-type': 'application/x-amz-json-1.0', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };

  const proxy: Server = createServer((req, res) => {
    if (down) {
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
      counts.set(operation, (counts.get(operation) ?? 0) + 1);
      const fault = faults.get(operation)?.shift();
      if (fault === 'error') return internalError(res);
      forward(req, Buffer.concat(chunks), (status, headers, data) => {
        if (fault === 'lose-response') return internalError(res);
        res.writeHead(status, headers);
        res.end(data);
      });
    });
  });
  // Lost connections must not keep sockets open between tests.
  proxy.keepAliveTimeout = 1_000;
  const endpoint = await listenOnLoopback(proxy);

  const makeClient = (url: string, maxAttempts = 3): DynamoDBClient =>
    new DynamoDBClient({
      endpoint: url,
      region: REGION,
      credentials: { accessKeyId: DUMMY_ACCESS_KEY_ID, secretAccessKey: DUMMY_SECRET_ACCESS_KEY },
      maxAttempts,
      // A refused or reset connection must fail fast, as in the worker's own client.
      requestHandler: { connectionTimeout: 1_000, requestTimeout: 3_000 },
    });
  const admin = makeClient(backendUrl);

  return {
    endpoint,
    env: () => ({
      AWS_ENDPOINT_URL_DYNAMODB: endpoint,
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: DUMMY_ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: DUMMY_SECRET_ACCESS_KEY,
    }),
    client: (options = {}) => makeClient(endpoint, options.maxAttempts),
    async createTable(name) {
      await admin.send(
        new CreateTableCommand({
          TableName: name,
          KeySchema: [{ AttributeName: IDEMPOTENCY_TABLE.partitionKey, KeyType: 'HASH' }],
          AttributeDefinitions: [{ AttributeName: IDEMPOTENCY_TABLE.partitionKey, AttributeType: 'S' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
      for (let i = 0; i < 100; i++) {
        const { Table } = await admin.send(new DescribeTableCommand({ TableName: name }));
        if (Table?.TableStatus === 'ACTIVE') return;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      throw new Error(`table ${name} did not become active`);
    },
    async items(table) {
      const { Items = [] } = await admin.send(new ScanCommand({ TableName: table, ConsistentRead: true }));
      return Items.map(plainItem);
    },
    async clear(table) {
      const { Items = [] } = await admin.send(new ScanCommand({ TableName: table, ConsistentRead: true }));
      const key = IDEMPOTENCY_TABLE.partitionKey;
      for (const item of Items) await admin.send(new DeleteItemCommand({ TableName: table, Key: { [key]: item[key]! } }));
    },
    count: (operation) => counts.get(operation) ?? 0,
    failNext(operation, times, mode = 'error') {
      faults.set(operation, [...(faults.get(operation) ?? []), ...Array.from({ length: times }, () => mode)]);
    },
    setDown(value) {
      down = value;
    },
    reset() {
      counts.clear();
      faults.clear();
      down = false;
    },
    async close() {
      admin.destroy();
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      await new Promise<void>((resolve) => backend.close(() => resolve()));
    },
  };
}

/** The record's attributes are strings and numbers only. */
function plainItem(item: Record<string, AttributeValue>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(item).map(([name, value]) => [name, value.N !== undefined ? Number(value.N) : (value.S ?? value)]),
  );
}
