import { setTimeout as sleep } from 'node:timers/promises';
import { api } from '../support/http.js';

/** Creates `count` sessions as admin and waits until the runner agent has them all running. */
export async function seedRunningSessions(baseUrl: string, token: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    await api(baseUrl, 'POST', '/api/v1/sessions', token, { template: 'xterm', state: 'running' });
  }
  for (let waited = 0; waited < 30_000; waited += 200) {
    const running = await api<unknown[]>(baseUrl, 'GET', '/api/v1/sessions?state=running', token);
    if (running.length >= count) return;
    await sleep(200);
  }
  throw new Error(`the ${count} sessions were not all running within 30 s`);
}
