/**
 * A lean DynamoDB client for the Worker's hot path: the DynamoDB low-level API (JSON 1.0 protocol,
 * API version 2012-08-10, `X-Amz-Target: DynamoDB_20120810.<Operation>`) over `fetch`, requests signed
 * with AWS Signature Version 4 by `aws4fetch`.
 *
 * Why not `DynamoDBClient#send` of `@aws-sdk/client-dynamodb` here: inside workerd the SDK's middleware
 * stack (endpoint resolution, schema-based serialisation and deserialisation, log filtering, retry
 * bookkeeping) costs ≈ 0.5 ms more CPU per call than this client — with 8 calls a verification took
 * ≈ 13 ms of workerd CPU on the SDK against ≈ 9 ms here, when the Workers free plan allows 10 ms in
 * all (`bench/RESULTS.md` compares both end to end). This client takes the SDK's command objects unchanged (so the
 * store modules, the in-memory store and the tests share one vocabulary and the SDK's types), sends
 * `command.input` as the JSON body — the low-level API's wire shapes are the SDK's input and output
 * shapes for every command and attribute type the store modules use (no binary attributes) — and maps
 * answers back: outputs as the SDK returns them, errors with the SDK's `name`, `$metadata` and
 * `CancellationReasons`.
 *
 * Retries follow the SDK's "standard" mode: up to `maxAttempts` attempts on throttling errors, 5xx,
 * network failures and timeouts, with full-jitter exponential backoff. `TransactWriteItems` gets a
 * `ClientRequestToken` (as the SDK fills it), so a retry of a transaction that landed is answered as
 * the original was instead of failing its conditions.
 */
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { AwsV4Signer } from 'aws4fetch';

/** The operations this client speaks, by the SDK command class that asks for them. */
const OPERATIONS = new Map<unknown, string>([
  [GetItemCommand, 'GetItem'],
  [BatchGetItemCommand, 'BatchGetItem'],
  [PutItemCommand, 'PutItem'],
  [DeleteItemCommand, 'DeleteItem'],
  [UpdateItemCommand, 'UpdateItem'],
  [QueryCommand, 'Query'],
  [TransactWriteItemsCommand, 'TransactWriteItems'],
  [BatchWriteItemCommand, 'BatchWriteItem'],
]);

/** Error codes the SDK's standard retry strategy treats as throttling (retried with backoff). */
const THROTTLING = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'Throttling',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'LimitExceededException',
  'TransactionInProgressException',
]);

/**
 * What {@link DynamoHttpClient.observer} sees of one call: the operation, the input as sent, and the
 * answer's body (or the error) — one report per call, after its retries.
 */
export interface ObservedCall {
  op: string;
  input: Record<string, unknown>;
  output?: Record<string, unknown>;
  error?: unknown;
}

const BASE_DELAY_MS = 25;
const MAX_DELAY_MS = 1_000;

export interface DynamoHttpOptions {
  /** `https://dynamodb.<region>.amazonaws.com` unless given (DynamoDB Local, a VPC endpoint…). */
  endpoint?: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** Attempts per call, first included (default 3). */
  maxAttempts?: number;
  /** Per-attempt timeout in ms (default 3000). */
  requestTimeoutMs?: number;
}

/** A DynamoDB service error, shaped like the AWS SDK's (`name`, `$fault`, `$metadata`, …). */
export class DynamoServiceError extends Error {
  readonly $fault: 'client' | 'server';
  readonly $metadata: { httpStatusCode: number; requestId?: string; attempts: number };
  readonly CancellationReasons?: { Code?: string; Message?: string }[];
  constructor(
    name: string,
    message: string,
    status: number,
    attempts: number,
    requestId?: string,
    reasons?: { Code?: string; Message?: string }[],
  ) {
    super(message);
    this.name = name;
    this.$fault = status >= 500 ? 'server' : 'client';
    this.$metadata = { httpStatusCode: status, attempts, ...(requestId ? { requestId } : {}) };
    if (reasons) this.CancellationReasons = reasons;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `send(command)` for the SDK's DynamoDB command objects, without the SDK's request pipeline.
 *
 * @example
 * const db = new DynamoHttpClient({ region: 'ap-southeast-1', accessKeyId, secretAccessKey });
 * const { Item } = await db.send(new GetItemCommand({ TableName, Key, ConsistentRead: true }));
 */
export class DynamoHttpClient {
  readonly endpoint: string;
  private readonly region: string;
  private readonly credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  private readonly maxAttempts: number;
  private readonly timeoutMs: number;
  /** Signing keys by date (aws4fetch derives one per day, region and service). */
  private readonly signingKeys = new Map<string, ArrayBuffer>();

  /**
   * Measurement hook (tests and benchmarks only; never set in the Worker): called with every call's
   * operation, input and answer. While it is set, each call also asks for `ReturnConsumedCapacity:
   * TOTAL`, so the answer carries what the store charged (`test/integration/capacity-records.test.ts`).
   */
  static observer: ((call: ObservedCall) => void) | undefined;

  constructor(o: DynamoHttpOptions) {
    this.region = o.region;
    this.endpoint = (o.endpoint ?? `https://dynamodb.${o.region}.amazonaws.com`).replace(/\/+$/, '');
    this.credentials = {
      accessKeyId: o.accessKeyId,
      secretAccessKey: o.secretAccessKey,
      ...(o.sessionToken ? { sessionToken: o.sessionToken } : {}),
    };
    this.maxAttempts = Math.max(1, o.maxAttempts ?? 3);
    this.timeoutMs = o.requestTimeoutMs ?? 3_000;
  }

  /** `DynamoDBClient#send` for the operations in {@link OPERATIONS}: the SDK's output shapes. */
  // biome-ignore lint/suspicious/noExplicitAny: the SDK's per-command output types, as its own `send`
  async send(command: { input: unknown; constructor: unknown }): Promise<any> {
    const op = OPERATIONS.get(command.constructor);
    if (!op) {
      throw new DynamoServiceError('ValidationException', 'DynamoHttpClient: unsupported command', 400, 0);
    }
    let input = command.input as Record<string, unknown>;
    if (op === 'TransactWriteItems' && input.ClientRequestToken === undefined) {
      input = { ...input, ClientRequestToken: crypto.randomUUID() };
    }
    const observer = DynamoHttpClient.observer;
    if (observer && input.ReturnConsumedCapacity === undefined) {
      input = { ...input, ReturnConsumedCapacity: 'TOTAL' };
    }
    if (!observer) return this.sendBody(op, JSON.stringify(input));
    try {
      const output = await this.sendBody(op, JSON.stringify(input));
      observer({ op, input, output });
      return output;
    } catch (error) {
      observer({ op, input, error });
      throw error;
    }
  }

  // biome-ignore lint/suspicious/noExplicitAny: as `send`
  private async sendBody(op: string, body: string): Promise<any> {
    for (let attempt = 1; ; attempt++) {
      let failure: unknown;
      try {
        const res = await this.post(op, body);
        const text = await res.text();
        const requestId = res.headers.get('x-amzn-requestid') ?? undefined;
        if (res.ok) {
          const out = text ? (JSON.parse(text) as Record<string, unknown>) : {};
          out.$metadata = {
            httpStatusCode: res.status,
            attempts: attempt,
            ...(requestId ? { requestId } : {}),
          };
          return out;
        }
        failure = errorOf(res.status, text, attempt, requestId);
      } catch (e) {
        failure = e; // network failure, timeout, an unreadable answer
      }
      // A 4xx other than throttling is the request's own fault: retrying would answer the same.
      const final =
        failure instanceof DynamoServiceError && failure.$fault === 'client' && !THROTTLING.has(failure.name);
      if (final || attempt >= this.maxAttempts) throw failure;
      await sleep(Math.random() * Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt));
    }
  }

  private async post(op: string, body: string): Promise<Response> {
    const signed = await new AwsV4Signer({
      method: 'POST',
      url: `${this.endpoint}/`,
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': `DynamoDB_20120810.${op}`,
      },
      body,
      ...this.credentials,
      service: 'dynamodb',
      region: this.region,
      cache: this.signingKeys,
    }).sign();
    return fetch(signed.url, {
      method: 'POST',
      headers: signed.headers,
      body,
      signal: AbortSignal.timeout(this.timeoutMs),
    });
  }
}

/** The service error in a non-2xx answer (`__type` is `<namespace>#<ErrorName>`). */
function errorOf(status: number, text: string, attempts: number, requestId?: string): DynamoServiceError {
  let j: { __type?: unknown; message?: unknown; Message?: unknown; CancellationReasons?: unknown } = {};
  try {
    j = JSON.parse(text) as typeof j;
  } catch {
    // not JSON (a proxy's error page): named by status below
  }
  const type = typeof j.__type === 'string' ? j.__type : '';
  const name =
    type.slice(type.lastIndexOf('#') + 1) || (status >= 500 ? 'InternalServerError' : 'UnknownError');
  const message =
    typeof j.message === 'string' ? j.message : typeof j.Message === 'string' ? j.Message : name;
  const reasons = Array.isArray(j.CancellationReasons)
    ? (j.CancellationReasons as { Code?: string; Message?: string }[])
    : undefined;
  return new DynamoServiceError(name, message, status, attempts, requestId, reasons);
}
