import pg from 'pg';
import type { Logger } from 'pino';

type Subscriber = { onPayload: (payload: string) => void; onReconnect: (() => void) | undefined };

/**
 * One dedicated connection per replica for LISTEN. When the database goes away it reconnects with
 * backoff and re-subscribes; subscribers are told so they can catch up on what they missed.
 */
export class PgListener {
  #client: pg.Client | undefined;
  #connecting: Promise<pg.Client> | undefined;
  #channels = new Map<string, Set<Subscriber>>();
  #closed = false;
  #retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly url: string,
    private readonly logger: Logger,
  ) {}

  async subscribe(channel: string, onPayload: (payload: string) => void, onReconnect?: () => void) {
    const subscriber: Subscriber = { onPayload, onReconnect };
    let set = this.#channels.get(channel);
    if (!set) {
      set = new Set();
      this.#channels.set(channel, set);
      const client = await this.#connect();
      await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    }
    set.add(subscriber);
    return async () => {
      set.delete(subscriber);
    };
  }

  #connect(): Promise<pg.Client> {
    if (this.#client) return Promise.resolve(this.#client);
    this.#connecting ??= (async () => {
      const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 5000 });
      client.on('notification', (message) => {
        for (const subscriber of this.#channels.get(message.channel) ?? []) {
          subscriber.onPayload(message.payload ?? '');
        }
      });
      client.on('error', (error) => {
        this.logger.warn({ err: error }, 'PostgreSQL LISTEN connection lost; reconnecting');
        this.#lost(client);
      });
      client.on('end', () => this.#lost(client));
      try {
        await client.connect();
      } catch (error) {
        this.#connecting = undefined;
        throw error;
      }
      this.#client = client;
      this.#connecting = undefined;
      return client;
    })();
    return this.#connecting;
  }

  #lost(client: pg.Client) {
    if (this.#client !== client) return;
    this.#client = undefined;
    client.removeAllListeners('notification');
    if (!this.#closed) this.#scheduleReconnect(250);
  }

  #scheduleReconnect(delayMs: number) {
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(async () => {
      try {
        const client = await this.#connect();
        for (const channel of this.#channels.keys()) {
          await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
        }
        this.logger.info('PostgreSQL LISTEN connection restored');
        for (const set of this.#channels.values()) for (const s of set) s.onReconnect?.();
      } catch {
        if (!this.#closed) this.#scheduleReconnect(Math.min(delayMs * 2, 5000));
      }
    }, delayMs);
    this.#retryTimer.unref();
  }

  async close() {
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
  }
}
