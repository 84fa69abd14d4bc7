import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Gateway } from '../../src/server/yoga.js';

export interface ServedGateway {
  /** Base URL, e.g. http://127.0.0.1:40123 (GraphQL at `${url}/graphql`). */
  url: string;
  close(): Promise<void>;
}

/** Serves the gateway over real HTTP on a free localhost port, as `npm start` does. */
export async function serveOverHttp(gateway: Gateway): Promise<ServedGateway> {
  const server = createServer(gateway);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** A localhost port nobody listens on right now: bound once, then released. */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
