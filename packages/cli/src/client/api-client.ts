import { configPath, readStoredLogin, resolveTarget, type Target } from './config-file.js';

/** A failure to show the user: the message is printed as it is, and the process exits with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** The control plane's API as the CLI calls it: JSON in and out, the server's message on failure. */
export class ApiClient {
  constructor(readonly target: Target) {}

  /** From STREAMSPACE_URL / STREAMSPACE_TOKEN, else what `streamspace login` stored; fails without a token. */
  static async loggedIn(env: Record<string, string | undefined> = process.env): Promise<ApiClient> {
    const path = configPath(env);
    const client = new ApiClient(resolveTarget(env, await readStoredLogin(path)));
    if (!client.target.token) {
      throw new CliError(
        `not logged in to ${client.url}: run streamspace login, or set STREAMSPACE_TOKEN (no usable login in ${path})`,
      );
    }
    return client;
  }

  get url() {
    return this.target.url;
  }

  async call<T = unknown>(method: string, path: string, body?: unknown, token = this.target.token): Promise<T> {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(`${this.url}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      const cause = (error as { cause?: { message?: string } }).cause?.message ?? (error as Error).message;
      throw new CliError(
        `cannot reach the control plane at ${this.url} (STREAMSPACE_URL or streamspace login): ${cause}`,
      );
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!response.ok) {
      const message = (parsed as { message?: string } | undefined)?.message ?? (text.trim() || response.statusText);
      throw new CliError(`${message} (${response.status} from ${method} ${path})${this.#hint(response.status, token)}`);
    }
    return parsed as T;
  }

  #hint(status: number, token: string | undefined): string {
    if (status !== 401) return '';
    if (!token) return '\nnot logged in: run `streamspace login`, or set STREAMSPACE_TOKEN';
    return this.target.tokenSource === 'STREAMSPACE_TOKEN'
      ? '\nthe token in STREAMSPACE_TOKEN was refused'
      : '\nthe stored login was refused: run `streamspace login` again';
  }
}
