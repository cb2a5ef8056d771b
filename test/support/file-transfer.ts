import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { request as httpRequest } from 'node:http';
import type { Readable } from 'node:stream';

/** What an upload or download through the files API answered. */
export interface Transfer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** JSON for errors and uploads; for a successful download, undefined (see sha256). */
  body: any;
  sha256?: string;
  bytes?: number;
}

const target = (base: string, sessionId: string, path: string) =>
  new URL(`/api/v1/sessions/${sessionId}/files/content?path=${encodeURIComponent(path)}`, base);

async function readAll(stream: Readable): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += (chunk as Buffer).toString('utf8');
  return text;
}

/** PUT of `source` (a file path, or bytes) with its Content-Length, streamed from disk. */
export function uploadFile(
  base: string,
  token: string,
  sessionId: string,
  path: string,
  source: { file: string; size: number } | Buffer,
  headers: Record<string, string> = {},
): Promise<Transfer> {
  const size = Buffer.isBuffer(source) ? source.length : source.size;
  return new Promise((resolve, reject) => {
    const request = httpRequest(target(base, sessionId, path), {
      method: 'PUT',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/octet-stream',
        'content-length': String(size),
        ...headers,
      },
    });
    request.on('response', (response) => {
      void readAll(response).then((text) => {
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // keep the text
        }
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body });
      }, reject);
    });
    request.on('error', reject);
    if (Buffer.isBuffer(source)) request.end(source);
    else createReadStream(source.file).pipe(request);
  });
}

/** GET of a file; the body is hashed as it arrives, never kept. */
export function downloadFile(
  base: string,
  token: string,
  sessionId: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<Transfer> {
  return getFile(target(base, sessionId, path), { authorization: `Bearer ${token}`, ...headers });
}

/** GET of a download link (`url` as POST …/files/download-link answers it), with no Authorization. */
export function downloadFromLink(base: string, url: string): Promise<Transfer> {
  return getFile(new URL(url, base), {});
}

function getFile(url: URL, headers: Record<string, string>): Promise<Transfer> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { headers });
    request.on('response', (response) => {
      const status = response.statusCode ?? 0;
      if (status !== 200) {
        void readAll(response).then((text) => {
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // keep the text
          }
          resolve({ status, headers: response.headers, body });
        }, reject);
        return;
      }
      const hash = createHash('sha256');
      let bytes = 0;
      response.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        hash.update(chunk);
      });
      response.on('end', () =>
        resolve({ status, headers: response.headers, body: undefined, sha256: hash.digest('hex'), bytes }),
      );
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end();
  });
}

/** The sha256 of a file on disk, streamed. */
export async function fileSha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
