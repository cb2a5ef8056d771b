import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A loopback TCP proxy the test can hold: bytes from clients stop at the proxy (buffered, not
 * lost) until release(). TLS passes through untouched, so a client of an HTTPS API server keeps
 * verifying the real server. Used to open a gap in a watch: the client's next request waits here
 * while the test changes the cluster underneath it.
 */
export class TcpProxy {
  readonly #server: Server;
  readonly #pairs = new Set<{ client: Socket; upstream: Socket; queued: Buffer[] }>();
  #held = false;
  #waiting: Array<() => void> = [];

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const server = createServer((client) => proxy.#accept(client, target));
    const proxy = new TcpProxy(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  /**
   * From now on client bytes wait at the proxy. Resolves once a client sends something while
   * held: a request is waiting (with a watch, the previous one has ended).
   */
  hold(): Promise<void> {
    this.#held = true;
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  /** Sends what waited, in order, and lets bytes through again. */
  release(): void {
    this.#held = false;
    for (const pair of this.#pairs) {
      for (const chunk of pair.queued.splice(0)) pair.upstream.write(chunk);
    }
  }

  async close(): Promise<void> {
    for (const { client, upstream } of this.#pairs) {
      client.destroy();
      upstream.destroy();
    }
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: Socket, target: { host: string; port: number }) {
    const upstream = connect(target.port, target.host);
    const pair = { client, upstream, queued: [] as Buffer[] };
    this.#pairs.add(pair);
    const forget = () => {
      this.#pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', forget).on('close', forget);
    upstream.on('error', forget).on('close', forget);
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    client.on('data', (chunk: Buffer) => {
      if (!this.#held) return void upstream.write(chunk);
      pair.queued.push(chunk);
      const waiting = this.#waiting.splice(0);
      for (const resolve of waiting) resolve();
    });
  }
}
