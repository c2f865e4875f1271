/**
 * Relying-party clients — `CLIENT#<clientId>` / `CLIENT`: status, registered scope and public JWKs
 * (each with `kid` and its own status). Read on every authenticated request, so disabling a client or
 * a key takes effect on the next request.
 */
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { JWK } from 'jose';
import { guarded, type Item, marshal, type Plain, type StoreContext, unmarshal } from './db.ts';
import { keyAttrs, keys } from './keys.ts';

export type Status = 'active' | 'disabled';

export interface ClientKey {
  kid: string;
  status: Status;
  /** The public JWK as registered (no private members). */
  jwk: JWK;
}

export interface ClientRecord {
  clientId: string;
  name: string;
  status: Status;
  scope: string[];
  keys: ClientKey[];
  createdAt: string;
  updatedAt: string;
}

function toRecord(item: Item): ClientRecord {
  const o = unmarshal(item) as unknown as ClientRecord & { keysJson?: string };
  return {
    clientId: o.clientId,
    name: o.name,
    status: o.status === 'active' ? 'active' : 'disabled',
    scope: Array.isArray(o.scope) ? o.scope : [],
    keys: typeof o.keysJson === 'string' ? (JSON.parse(o.keysJson) as ClientKey[]) : [],
    createdAt: o.createdAt,
    updatedAt: o.updatedAt,
  };
}

/** Reads a client (strongly consistent); undefined when unknown. */
export async function getClient(s: StoreContext, clientId: string): Promise<ClientRecord | undefined> {
  const r = await guarded(() =>
    s.db.send(
      new GetItemCommand({ TableName: s.table, Key: keyAttrs(keys.client(clientId)), ConsistentRead: true }),
    ),
  );
  return r.Item ? toRecord(r.Item) : undefined;
}

/**
 * Writes a client. `mode: 'create'` fails with a conditional-check error when it exists already;
 * `'replace'` requires it to exist.
 */
export async function putClient(
  s: StoreContext,
  rec: ClientRecord,
  mode: 'create' | 'replace',
): Promise<void> {
  const item = marshal({
    ...keys.client(rec.clientId),
    clientId: rec.clientId,
    name: rec.name,
    status: rec.status,
    scope: rec.scope,
    // JWKs kept as one JSON string: their members vary by key type.
    keysJson: JSON.stringify(rec.keys),
    createdAt: rec.createdAt,
    updatedAt: rec.updatedAt,
  } as Record<string, Plain>);
  await guarded(() =>
    s.db.send(
      new PutItemCommand({
        TableName: s.table,
        Item: item,
        ConditionExpression: mode === 'create' ? 'attribute_not_exists(pk)' : 'attribute_exists(pk)',
      }),
    ),
  );
}
