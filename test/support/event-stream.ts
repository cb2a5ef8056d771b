import type { TestControlPlane } from './control-plane.js';

export interface EventStream {
  status: number;
  /** The response body when refused (the 429's JSON), else undefined. */
  body?: { error: string; message: string };
  /** Resolves with all the stream received once it ends. */
  ended: Promise<string>;
  /** Resolves with the text received so far once it contains `needle`. */
  received(needle: string): Promise<string>;
  cancel(): Promise<void>;
}

/** Opens `GET /api/v1/sessions/events` as `token`; resolves once the first bytes have arrived. */
export async function openEvents(cp: TestControlPlane, token: string): Promise<EventStream> {
  const response = await fetch(`${cp.url}/api/v1/sessions/events`, { headers: { authorization: `Bearer ${token}` } });
  if (response.status !== 200) {
    const body = (await response.json().catch(() => undefined)) as EventStream['body'];
    return {
      status: response.status,
      body,
      ended: Promise.resolve(''),
      received: () => Promise.reject(new Error(`stream refused with ${response.status}`)),
      cancel: async () => undefined,
    };
  }
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = decoder.decode((await reader.read()).value);
  const waiters = new Set<() => void>();
  let done = false;
  const ended = (async () => {
    for (;;) {
      const chunk = await reader.read().catch(() => ({ done: true, value: undefined }));
      if (chunk.done) {
        done = true;
        break;
      }
      text += decoder.decode(chunk.value);
      for (const wake of waiters) wake();
    }
    for (const wake of waiters) wake();
    return text;
  })();
  return {
    status: 200,
    ended,
    received: (needle) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (text.includes(needle)) {
            waiters.delete(check);
            resolve(text);
          } else if (done) {
            waiters.delete(check);
            reject(new Error(`stream ended without ${needle}: ${text}`));
          }
        };
        waiters.add(check);
        check();
      }),
    cancel: () => reader.cancel(),
  };
}
