/**
 * Files in and out of a session through the API (issue 15): listing, uploads with XMLHttpRequest
 * (its upload progress events, and cancel), downloads through a single-use link the browser itself
 * downloads (streamed to disk; its download manager shows progress). Errors come back in words.
 */
import type { FileEntry } from '@streamspace/protocol';
import { getToken } from '../api.js';

export interface Listing {
  path: string;
  home: string;
  entries: FileEntry[];
  truncated: boolean;
  upload_max: number;
}

/** A transfer's progress: bytes so far and the total when known. */
export type OnProgress = (loaded: number, total: number) => void;

/** The request's headers: the login, and for a control share's guest the share's token. */
function headers(shareToken?: string): Record<string, string> {
  const result: Record<string, string> = {};
  const token = getToken();
  if (token) result.authorization = `Bearer ${token}`;
  if (shareToken) result['x-share-token'] = shareToken;
  return result;
}

const filesUrl = (sessionId: string, path: string, content: boolean) =>
  `/api/v1/sessions/${encodeURIComponent(sessionId)}/files${content ? '/content' : ''}?path=${encodeURIComponent(path)}`;

export class TransferError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A failed answer in words: what the server said, prefixed with what it means for the user. */
export function transferErrorText(status: number, body: string): string {
  let message = body;
  try {
    message = (JSON.parse(body) as { message?: string }).message ?? body;
  } catch {
    // not JSON: keep the text
  }
  if (status === 413) return `Too large: ${message}`;
  if (status === 409) return `The session is not running: ${message}`;
  if (status === 404) return `Not found: ${message}`;
  if (status === 0) return 'The connection to the server was lost; try again';
  return message || `The server answered ${status}`;
}

export const formatSize = (bytes: number) =>
  bytes >= 1024 ** 3
    ? `${(bytes / 1024 ** 3).toFixed(1)} GiB`
    : bytes >= 1024 ** 2
      ? `${(bytes / 1024 ** 2).toFixed(1)} MiB`
      : bytes >= 1024
        ? `${(bytes / 1024).toFixed(1)} KiB`
        : `${bytes} B`;

export async function listFiles(sessionId: string, path: string, shareToken?: string): Promise<Listing> {
  const response = await fetch(filesUrl(sessionId, path, false), { headers: headers(shareToken) });
  if (!response.ok) throw new TransferError(response.status, transferErrorText(response.status, await response.text()));
  return (await response.json()) as Listing;
}

/** Uploads one file to `path` (in the home); resolves when the session has it in place. */
export function uploadFile(
  sessionId: string,
  path: string,
  file: Blob,
  options: { onProgress?: OnProgress; signal?: AbortSignal; shareToken?: string } = {},
): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', filesUrl(sessionId, path, true));
    for (const [name, value] of Object.entries(headers(options.shareToken))) xhr.setRequestHeader(name, value);
    xhr.setRequestHeader('content-type', 'application/octet-stream');
    xhr.upload.onprogress = (event) => options.onProgress?.(event.loaded, event.total || file.size);
    xhr.onload = () =>
      xhr.status === 200
        ? resolve()
        : reject(new TransferError(xhr.status, transferErrorText(xhr.status, xhr.responseText)));
    xhr.onerror = () => reject(new TransferError(0, transferErrorText(0, '')));
    xhr.onabort = () => reject(new DOMException('cancelled', 'AbortError'));
    options.signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(file);
  });
}

/** Uploads several files into the directory `dir`, one after another, reporting overall progress. */
export async function uploadFiles(
  sessionId: string,
  dir: string,
  files: File[],
  onProgress?: OnProgress,
  options: { signal?: AbortSignal; shareToken?: string } = {},
): Promise<void> {
  const total = files.reduce((sum, f) => sum + f.size, 0);
  let done = 0;
  for (const file of files) {
    await uploadFile(sessionId, joinPath(dir, file.name), file, {
      ...options,
      onProgress: (loaded) => onProgress?.(done + loaded, total),
    });
    done += file.size;
  }
}

/** What POST …/files/download-link answers: a single-use URL good for a minute. */
export interface DownloadLink {
  url: string;
  expires_at: string;
}

/**
 * Starts a browser download of a file: asks for a single-use download link (the bearer header
 * goes with that request), then navigates a hidden `<a download>` to it. The browser streams the
 * file to disk with its own download manager, which shows progress and can cancel; nothing is held
 * in this page's memory (a fetch read into a Blob would hold the whole file).
 */
export async function downloadFile(
  sessionId: string,
  path: string,
  options: { signal?: AbortSignal; shareToken?: string } = {},
): Promise<void> {
  const response = await fetch(
    `/api/v1/sessions/${encodeURIComponent(sessionId)}/files/download-link?path=${encodeURIComponent(path)}`,
    { method: 'POST', headers: headers(options.shareToken), signal: options.signal },
  );
  if (!response.ok) throw new TransferError(response.status, transferErrorText(response.status, await response.text()));
  const link = (await response.json()) as DownloadLink;
  const anchor = document.createElement('a');
  anchor.href = link.url;
  anchor.download = path.split('/').pop() ?? 'download';
  anchor.hidden = true;
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
}

export const joinPath = (dir: string, name: string) => (dir.endsWith('/') ? `${dir}${name}` : `${dir}/${name}`);

/** The parent of an absolute path, not above `home`. */
export const parentPath = (path: string, home: string) =>
  path === home ? home : path.slice(0, Math.max(path.lastIndexOf('/'), home.length)) || home;
