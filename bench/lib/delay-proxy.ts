/**
 * A TCP proxy on loopback that holds every chunk for `oneWayMs` in each direction: a store that is a
 * round trip of 2 × `oneWayMs` away, as real DynamoDB is from a Worker (a few ms from a nearby region,
 * tens from a distant PoP). Nagle is off on both legs, so nothing waits for a delayed ACK.
 */
import { connect, createServer, type Socket } from 'node:net';

export interface DelayProxy {
  readonly port: number;
  close(): Promise<void>;
}

export async function startDelayProxy(targetPort: number, oneWayMs: number): Promise<DelayProxy> {
  const sockets = new Set<Socket>();
  const relay = (from: Socket, to: Socket) => {
    from.on('data', (chunk) => setTimeout(() => to.write(chunk), oneWayMs));
    from.on('close', () => setTimeout(() => to.destroy(), oneWayMs));
    from.on('error', () => {});
  };
  const server = createServer((client) => {
    const store = connect({ host: '127.0.0.1', port: targetPort });
    for (const s of [client, store]) {
      s.setNoDelay(true);
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    }
    relay(client, store);
    relay(store, client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
