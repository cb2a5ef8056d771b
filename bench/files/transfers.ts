import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { request } from 'node:http';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Seconds `podman cp` takes for `from` → `to` (either side may be `container:path`). */
export async function timePodmanCp(from: string, to: string): Promise<number> {
  const started = performance.now();
  await run('podman', ['cp', from, to]);
  return (performance.now() - started) / 1000;
}

/** Seconds a PUT of `file` (`size` bytes) through the files API takes, until the session has it. */
export function timeUpload(url: string, token: string, file: string, size: number): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const put = request(url, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-length': String(size) },
    });
    put.on('response', (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk));
      response.on('end', () =>
        response.statusCode === 200
          ? resolve((performance.now() - started) / 1000)
          : reject(new Error(`upload answered ${response.statusCode}: ${body}`)),
      );
    });
    put.on('error', reject);
    createReadStream(file, { highWaterMark: 256 * 1024 }).pipe(put);
  });
}

/** Seconds a GET through the files API takes; the bytes are counted and dropped. */
export function timeDownload(url: string, token: string, size: number): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const get = request(url, { headers: { authorization: `Bearer ${token}` } });
    get.on('response', (response) => {
      let bytes = 0;
      response.on('data', (chunk: Buffer) => (bytes += chunk.length));
      response.on('end', () =>
        response.statusCode === 200 && bytes === size
          ? resolve((performance.now() - started) / 1000)
          : reject(new Error(`download answered ${response.statusCode} with ${bytes} of ${size} bytes`)),
      );
    });
    get.on('error', reject);
    get.end();
  });
}

export const sh = (command: string) => run('sh', ['-c', command]);
