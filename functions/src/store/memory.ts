/**
 * In-memory DynamoDB — the subset of the DynamoDB API (2012-08-10) the store modules send, with the
 * same semantics: strongly consistent reads, condition expressions checked before any write,
 * `BatchGetItem`, `TransactWriteItems` all-or-nothing with `TransactionCanceledException` reasons per item in request
 * order, `ConditionalCheckFailedException` on single writes, `Query` by partition key with the sort
 * key in byte order. For benchmarks and in-process tests only: the Worker always talks to DynamoDB.
 *
 * The store modules hold a `StoreContext` whose `db` is a `DynamoDBClient` and only ever call
 * `db.send(command)`; {@link MemoryDynamo.send} answers the same commands, so
 * {@link memoryStoreContext} is a drop-in `StoreContext`.
 *
 * Expressions (Developer Guide, "Expressions"): conditions with `=`, `<>`, `<`, `<=`, `>`, `>=`,
 * `AND`, `OR`, `NOT`, parentheses, `attribute_exists`, `attribute_not_exists`, `begins_with`;
 * updates with `SET` (`=`, `+`, `-`, `if_not_exists`), `ADD` (numbers) and `REMOVE`; top-level
 * attribute names only (no document paths).
 */
import {
  type AttributeValue,
  BatchGetItemCommand,
  BatchWriteItemCommand,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { Environment } from '../env.ts';
import type { Item, StoreContext } from './db.ts';

/** Error shaped like the AWS SDK's service exceptions (`name`, `$metadata`, cancellation reasons). */
export class MemoryDynamoError extends Error {
  readonly $metadata = { httpStatusCode: 400 };
  readonly CancellationReasons?: { Code: string }[];
  constructor(name: string, message: string, reasons?: string[]) {
    super(message);
    this.name = name;
    if (reasons) this.CancellationReasons = reasons.map((Code) => ({ Code }));
  }
}

type Names = Record<string, string> | undefined;
type Values = Record<string, AttributeValue> | undefined;
/** The condition part of a write (Put, Update, Delete, ConditionCheck), single or in a transaction. */
interface Conditional {
  ConditionExpression?: string | undefined;
  ExpressionAttributeNames?: Names;
  ExpressionAttributeValues?: Values;
}
/** The update part of an UpdateItem, single or in a transaction. */
interface Updating {
  UpdateExpression?: string | undefined;
  ExpressionAttributeNames?: Names;
  ExpressionAttributeValues?: Values;
}

// ——— expressions ———

type Token = { t: 'id' | 'name' | 'value' | 'op'; v: string };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  const re = /\s*(?:(<>|<=|>=|[=<>(),+-])|(#[A-Za-z0-9_]+)|(:[A-Za-z0-9_]+)|([A-Za-z_][A-Za-z0-9_]*))/y;
  let i = 0;
  while (i < src.length) {
    if (/^\s*$/.test(src.slice(i))) break;
    re.lastIndex = i;
    const m = re.exec(src);
    if (!m) throw new MemoryDynamoError('ValidationException', 'invalid expression syntax');
    i = re.lastIndex;
    if (m[1]) out.push({ t: 'op', v: m[1] });
    else if (m[2]) out.push({ t: 'name', v: m[2] });
    else if (m[3]) out.push({ t: 'value', v: m[3] });
    else if (m[4]) out.push({ t: 'id', v: m[4] });
  }
  return out;
}

class Parser {
  private i = 0;
  constructor(
    private readonly toks: Token[],
    private readonly names: Names,
  ) {}
  peek(): Token | undefined {
    return this.toks[this.i];
  }
  next(): Token {
    const t = this.toks[this.i++];
    if (!t) throw new MemoryDynamoError('ValidationException', 'expression ended early');
    return t;
  }
  done(): boolean {
    return this.i >= this.toks.length;
  }
  isKeyword(k: string): boolean {
    const t = this.peek();
    return t?.t === 'id' && t.v.toUpperCase() === k;
  }
  expectOp(v: string): void {
    const t = this.next();
    if (t.t !== 'op' || t.v !== v) throw new MemoryDynamoError('ValidationException', `expected ${v}`);
  }
  /** An attribute name (plain or `#placeholder`). */
  path(): string {
    const t = this.next();
    if (t.t === 'id') return t.v;
    if (t.t === 'name') {
      const n = this.names?.[t.v];
      if (n === undefined) throw new MemoryDynamoError('ValidationException', `unknown name ${t.v}`);
      return n;
    }
    throw new MemoryDynamoError('ValidationException', 'expected an attribute name');
  }
}

/** Resolves a `:value` placeholder at evaluation time. */
function value(values: Values, placeholder: string): AttributeValue {
  const v = values?.[placeholder];
  if (v === undefined) throw new MemoryDynamoError('ValidationException', `unknown value ${placeholder}`);
  return v;
}

type Operand = (item: Item | undefined, values: Values) => AttributeValue | undefined;

function operand(p: Parser): Operand {
  const t = p.peek();
  if (t?.t === 'value') {
    p.next();
    const placeholder = t.v;
    return (_item, values) => value(values, placeholder);
  }
  if (t?.t === 'id' && t.v === 'if_not_exists') {
    p.next();
    p.expectOp('(');
    const name = p.path();
    p.expectOp(',');
    const dflt = operand(p);
    p.expectOp(')');
    return (item, values) => item?.[name] ?? dflt(item, values);
  }
  const name = p.path();
  return (item) => item?.[name];
}

function compare(a: AttributeValue | undefined, b: AttributeValue | undefined): number | undefined {
  if (!a || !b) return undefined;
  if (a.N !== undefined && b.N !== undefined) return Math.sign(Number(a.N) - Number(b.N));
  if (a.S !== undefined && b.S !== undefined) return a.S < b.S ? -1 : a.S > b.S ? 1 : 0;
  return undefined;
}

function equal(a: AttributeValue | undefined, b: AttributeValue | undefined): boolean {
  if (!a || !b) return false;
  const c = compare(a, b);
  if (c !== undefined) return c === 0;
  return JSON.stringify(a) === JSON.stringify(b);
}

type Cond = (item: Item | undefined, values: Values) => boolean;

function condition(p: Parser): Cond {
  let left = conjunction(p);
  while (p.isKeyword('OR')) {
    p.next();
    const l = left;
    const r = conjunction(p);
    left = (it, v) => l(it, v) || r(it, v);
  }
  return left;
}

function conjunction(p: Parser): Cond {
  let left = negation(p);
  while (p.isKeyword('AND')) {
    p.next();
    const l = left;
    const r = negation(p);
    left = (it, v) => l(it, v) && r(it, v);
  }
  return left;
}

function negation(p: Parser): Cond {
  if (p.isKeyword('NOT')) {
    p.next();
    const c = negation(p);
    return (it, v) => !c(it, v);
  }
  return primary(p);
}

function primary(p: Parser): Cond {
  const t = p.peek();
  if (t?.t === 'op' && t.v === '(') {
    p.next();
    const c = condition(p);
    p.expectOp(')');
    return c;
  }
  if (t?.t === 'id' && (t.v === 'attribute_exists' || t.v === 'attribute_not_exists')) {
    p.next();
    p.expectOp('(');
    const name = p.path();
    p.expectOp(')');
    return t.v === 'attribute_exists' ? (it) => it?.[name] !== undefined : (it) => it?.[name] === undefined;
  }
  if (t?.t === 'id' && t.v === 'begins_with') {
    p.next();
    p.expectOp('(');
    const a = operand(p);
    p.expectOp(',');
    const b = operand(p);
    p.expectOp(')');
    return (it, v) => {
      const x = a(it, v)?.S;
      const y = b(it, v)?.S;
      return x !== undefined && y !== undefined && x.startsWith(y);
    };
  }
  const a = operand(p);
  const op = p.next();
  if (op.t !== 'op') throw new MemoryDynamoError('ValidationException', 'expected a comparator');
  const b = operand(p);
  switch (op.v) {
    case '=':
      return (it, v) => equal(a(it, v), b(it, v));
    case '<>':
      return (it, v) => a(it, v) !== undefined && b(it, v) !== undefined && !equal(a(it, v), b(it, v));
    case '<':
      return (it, v) => compare(a(it, v), b(it, v)) === -1;
    case '<=':
      return (it, v) => (compare(a(it, v), b(it, v)) ?? 1) <= 0;
    case '>':
      return (it, v) => compare(a(it, v), b(it, v)) === 1;
    case '>=':
      return (it, v) => (compare(a(it, v), b(it, v)) ?? -1) >= 0;
    default:
      throw new MemoryDynamoError('ValidationException', `unsupported comparator ${op.v}`);
  }
}

const compiled = new Map<string, Cond>();

/** Compiles a condition once per expression and name map (values are bound at evaluation). */
function parseCondition(expr: string | undefined, names: Names): Cond {
  if (!expr) return () => true;
  const id = names ? `${expr}\u0000${JSON.stringify(names)}` : expr;
  let c = compiled.get(id);
  if (!c) {
    const p = new Parser(tokenize(expr), names);
    c = condition(p);
    if (!p.done()) throw new MemoryDynamoError('ValidationException', 'trailing tokens in condition');
    if (compiled.size > 1000) compiled.clear();
    compiled.set(id, c);
  }
  return c;
}

/** Applies an UpdateExpression to a copy of `item`; returns the new item and the names it touched. */
function applyUpdate(
  expr: string,
  names: Names,
  values: Values,
  item: Item,
): { item: Item; touched: string[] } {
  const p = new Parser(tokenize(expr), names);
  const out: Item = { ...item };
  const touched: string[] = [];
  const clauses = new Set(['SET', 'ADD', 'REMOVE', 'DELETE']);
  while (!p.done()) {
    const kw = p.next();
    const clause = kw.v.toUpperCase();
    if (kw.t !== 'id' || !clauses.has(clause))
      throw new MemoryDynamoError('ValidationException', 'expected SET, ADD or REMOVE');
    for (;;) {
      const name = p.path();
      touched.push(name);
      if (clause === 'SET') {
        p.expectOp('=');
        const a = operand(p);
        const nx = p.peek();
        if (nx?.t === 'op' && (nx.v === '+' || nx.v === '-')) {
          p.next();
          const b = operand(p);
          const x = a(item, values)?.N;
          const y = b(item, values)?.N;
          if (x === undefined || y === undefined)
            throw new MemoryDynamoError('ValidationException', 'arithmetic on a non-number');
          out[name] = { N: String(nx.v === '+' ? Number(x) + Number(y) : Number(x) - Number(y)) };
        } else {
          const v = a(item, values);
          if (v === undefined)
            throw new MemoryDynamoError('ValidationException', 'SET from a missing attribute');
          out[name] = v;
        }
      } else if (clause === 'ADD') {
        const v = operand(p)(item, values);
        if (v?.N === undefined)
          throw new MemoryDynamoError('ValidationException', 'ADD supports numbers only');
        out[name] = { N: String(Number(out[name]?.N ?? '0') + Number(v.N)) };
      } else if (clause === 'REMOVE') {
        delete out[name];
      } else {
        throw new MemoryDynamoError('ValidationException', 'DELETE (sets) is not supported');
      }
      const sep = p.peek();
      if (sep?.t === 'op' && sep.v === ',') {
        p.next();
        continue;
      }
      break;
    }
  }
  return { item: out, touched };
}

// ——— the table space ———

const keyOf = (k: Record<string, AttributeValue> | undefined): { pk: string; sk: string } => {
  const pk = k?.pk?.S;
  const sk = k?.sk?.S;
  if (pk === undefined || sk === undefined)
    throw new MemoryDynamoError('ValidationException', 'the key must be pk (S) + sk (S)');
  return { pk, sk };
};

/**
 * Sort-key order. DynamoDB compares UTF-8 bytes; UTF-16 code-unit order is the same for every key
 * below U+D800, which covers the service's keys (ASCII ids, base64url hashes).
 */
const byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Items are maps of immutable AttributeValues here: a shallow copy keeps callers apart. */
const copy = (it: Item): Item => ({ ...it });

type WriteOp =
  | { kind: 'put'; table: string; item: Item }
  | { kind: 'delete'; table: string; key: { pk: string; sk: string } };

/**
 * An in-memory DynamoDB answering the commands the store modules send.
 *
 * @example
 * const mem = new MemoryDynamo();
 * const store = memoryStoreContext(mem, 'chipid-sandbox', 'sandbox');
 * await consumeJti(store, 'sandbox_a', 'jti-1', exp); // true, then false
 */
export class MemoryDynamo {
  private readonly tables = new Map<string, Map<string, Map<string, Item>>>();
  /** When set, every call fails like a network outage (for fault tests). */
  outage = false;
  /** Commands answered, by command name. */
  readonly calls = new Map<string, number>();

  private table(name: string): Map<string, Map<string, Item>> {
    let t = this.tables.get(name);
    if (!t) {
      t = new Map();
      this.tables.set(name, t);
    }
    return t;
  }

  private get(table: string, key: { pk: string; sk: string }): Item | undefined {
    return this.tables.get(table)?.get(key.pk)?.get(key.sk);
  }

  private apply(op: WriteOp): void {
    const t = this.table(op.table);
    if (op.kind === 'put') {
      const { pk, sk } = keyOf(op.item);
      let part = t.get(pk);
      if (!part) {
        part = new Map();
        t.set(pk, part);
      }
      part.set(sk, copy(op.item));
    } else {
      const part = t.get(op.key.pk);
      part?.delete(op.key.sk);
      if (part?.size === 0) t.delete(op.key.pk);
    }
  }

  /** Number of items in a table. */
  size(table: string): number {
    let n = 0;
    for (const part of this.tables.get(table)?.values() ?? []) n += part.size;
    return n;
  }

  /** Every item of a table (copies), in key order. */
  scan(table: string): Item[] {
    const t = this.tables.get(table);
    if (!t) return [];
    return [...t.keys()]
      .sort(byteOrder)
      .flatMap((pk) =>
        [...(t.get(pk)?.entries() ?? [])].sort(([a], [b]) => byteOrder(a, b)).map(([, it]) => copy(it)),
      );
  }

  /** `DynamoDBClient.send` for the supported commands. */
  async send(command: unknown): Promise<unknown> {
    await Promise.resolve();
    const name = (command as { constructor: { name: string } }).constructor.name;
    this.calls.set(name, (this.calls.get(name) ?? 0) + 1);
    if (this.outage) {
      const e = new Error('connect ECONNREFUSED (memory outage)');
      e.name = 'TimeoutError';
      throw e;
    }
    if (command instanceof GetItemCommand) {
      const { TableName, Key } = command.input;
      const it = this.get(TableName!, keyOf(Key));
      return { $metadata: {}, ...(it ? { Item: copy(it) } : {}) };
    }
    if (command instanceof BatchGetItemCommand) {
      const Responses: Record<string, Item[]> = {};
      for (const [table, req] of Object.entries(command.input.RequestItems ?? {})) {
        const ks = req.Keys ?? [];
        const seen = new Set(ks.map((k) => `${keyOf(k).pk}\u0000${keyOf(k).sk}`));
        if (ks.length === 0 || seen.size !== ks.length || ks.length > 100) {
          throw new MemoryDynamoError('ValidationException', 'BatchGetItem: 1–100 distinct keys');
        }
        Responses[table] = ks.flatMap((k) => {
          const it = this.get(table, keyOf(k));
          return it ? [copy(it)] : [];
        });
      }
      return { $metadata: {}, Responses, UnprocessedKeys: {} };
    }
    if (command instanceof PutItemCommand) {
      const i = command.input;
      this.check(i.TableName!, keyOf(i.Item), i);
      this.apply({ kind: 'put', table: i.TableName!, item: i.Item! });
      return { $metadata: {} };
    }
    if (command instanceof DeleteItemCommand) {
      const i = command.input;
      const key = keyOf(i.Key);
      this.check(i.TableName!, key, i);
      this.apply({ kind: 'delete', table: i.TableName!, key });
      return { $metadata: {} };
    }
    if (command instanceof UpdateItemCommand) {
      const i = command.input;
      const key = keyOf(i.Key);
      this.check(i.TableName!, key, i);
      const { item, touched } = this.updated(i.TableName!, key, i);
      this.apply({ kind: 'put', table: i.TableName!, item });
      let Attributes: Item | undefined;
      if (i.ReturnValues === 'ALL_NEW') Attributes = copy(item);
      else if (i.ReturnValues === 'UPDATED_NEW')
        Attributes = Object.fromEntries(touched.flatMap((n) => (item[n] ? [[n, item[n]]] : [])));
      return { $metadata: {}, ...(Attributes ? { Attributes } : {}) };
    }
    if (command instanceof TransactWriteItemsCommand) return this.transact(command);
    if (command instanceof QueryCommand) return this.query(command);
    if (command instanceof BatchWriteItemCommand) {
      for (const [table, reqs] of Object.entries(command.input.RequestItems ?? {})) {
        for (const r of reqs) {
          if (r.PutRequest?.Item) this.apply({ kind: 'put', table, item: r.PutRequest.Item });
          else if (r.DeleteRequest?.Key)
            this.apply({ kind: 'delete', table, key: keyOf(r.DeleteRequest.Key) });
        }
      }
      return { $metadata: {}, UnprocessedItems: {} };
    }
    throw new MemoryDynamoError('ValidationException', `memory store: unsupported command ${name}`);
  }

  /** Whether the item at `key` satisfies the write's condition (none: always). */
  private holds(table: string, key: { pk: string; sk: string }, w: Conditional): boolean {
    return parseCondition(w.ConditionExpression, w.ExpressionAttributeNames)(
      this.get(table, key),
      w.ExpressionAttributeValues,
    );
  }

  private check(table: string, key: { pk: string; sk: string }, w: Conditional): void {
    if (!this.holds(table, key, w))
      throw new MemoryDynamoError('ConditionalCheckFailedException', 'The conditional request failed');
  }

  /** The item at `key` after the update expression of `u` (a new item when none is there). */
  private updated(table: string, key: { pk: string; sk: string }, u: Updating) {
    const before = this.get(table, key) ?? { pk: { S: key.pk }, sk: { S: key.sk } };
    return applyUpdate(
      u.UpdateExpression ?? '',
      u.ExpressionAttributeNames,
      u.ExpressionAttributeValues,
      before,
    );
  }

  private transact(command: TransactWriteItemsCommand): unknown {
    const items = command.input.TransactItems ?? [];
    if (items.length === 0 || items.length > 100)
      throw new MemoryDynamoError('ValidationException', 'TransactItems: 1–100 items');
    const seen = new Set<string>();
    const reasons: string[] = [];
    const ops: WriteOp[] = [];
    for (const t of items) {
      let table: string;
      let key: { pk: string; sk: string };
      let ok: boolean;
      if (t.Put) {
        table = t.Put.TableName!;
        key = keyOf(t.Put.Item);
        ok = this.holds(table, key, t.Put);
        ops.push({ kind: 'put', table, item: t.Put.Item! });
      } else if (t.Update) {
        const u = t.Update;
        table = u.TableName!;
        key = keyOf(u.Key);
        ok = this.holds(table, key, u);
        ops.push({ kind: 'put', table, item: this.updated(table, key, u).item });
      } else if (t.Delete) {
        const d = t.Delete;
        table = d.TableName!;
        key = keyOf(d.Key);
        ok = this.holds(table, key, d);
        ops.push({ kind: 'delete', table, key });
      } else if (t.ConditionCheck) {
        const c = t.ConditionCheck;
        table = c.TableName!;
        key = keyOf(c.Key);
        ok = this.holds(table, key, c);
      } else {
        throw new MemoryDynamoError('ValidationException', 'TransactItems: empty item');
      }
      const id = `${table}\u0000${key.pk}\u0000${key.sk}`;
      if (seen.has(id))
        throw new MemoryDynamoError(
          'ValidationException',
          'Transaction request cannot include multiple operations on one item',
        );
      seen.add(id);
      reasons.push(ok ? 'None' : 'ConditionalCheckFailed');
    }
    if (reasons.some((r) => r !== 'None'))
      throw new MemoryDynamoError(
        'TransactionCanceledException',
        `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.join(', ')}]`,
        reasons,
      );
    for (const op of ops) this.apply(op);
    return { $metadata: {} };
  }

  private query(command: QueryCommand): unknown {
    const i = command.input;
    const expr = i.KeyConditionExpression ?? '';
    const m =
      /^\s*pk\s*=\s*(:[A-Za-z0-9_]+)\s*(?:AND\s+begins_with\s*\(\s*sk\s*,\s*(:[A-Za-z0-9_]+)\s*\))?\s*$/i.exec(
        expr,
      );
    if (!m) throw new MemoryDynamoError('ValidationException', 'memory store: unsupported key condition');
    const pk = i.ExpressionAttributeValues?.[m[1]!]?.S;
    const prefix = m[2] ? i.ExpressionAttributeValues?.[m[2]]?.S : '';
    if (pk === undefined || prefix === undefined)
      throw new MemoryDynamoError('ValidationException', 'memory store: key condition values missing');
    const filter = parseCondition(i.FilterExpression, i.ExpressionAttributeNames);
    const fv = i.ExpressionAttributeValues;
    let rows = [...(this.tables.get(i.TableName!)?.get(pk)?.entries() ?? [])]
      .filter(([sk]) => sk.startsWith(prefix))
      .sort(([a], [b]) => byteOrder(a, b));
    if (i.ScanIndexForward === false) rows.reverse();
    const start = i.ExclusiveStartKey?.sk?.S;
    if (start !== undefined) {
      const at = rows.findIndex(([sk]) => sk === start);
      rows = at >= 0 ? rows.slice(at + 1) : rows;
    }
    const limit = i.Limit ?? rows.length;
    const page = rows.slice(0, limit);
    const more = rows.length > limit;
    const last = page[page.length - 1];
    return {
      $metadata: {},
      Items: page.map(([, it]) => copy(it)).filter((it) => filter(it, fv)),
      Count: page.length,
      ...(more && last ? { LastEvaluatedKey: { pk: { S: pk }, sk: { S: last[0] } } } : {}),
    };
  }
}

/**
 * A `StoreContext` backed by a {@link MemoryDynamo} (the store modules only call `db.send`).
 *
 * @example
 * const store = memoryStoreContext(new MemoryDynamo(), 'chipid-sandbox', 'sandbox');
 */
export function memoryStoreContext(mem: MemoryDynamo, table: string, env: Environment): StoreContext {
  return { db: mem as unknown as DynamoDBClient, table, env };
}
