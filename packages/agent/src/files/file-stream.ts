import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { fileStreamPath, type FileStreamReply, type OpenFileStream } from '@streamspace/protocol';
import type { SessionDriver, SessionExecResult } from '../drivers/session-driver.js';
import { dialRawTunnel } from '../tunnel/vnc-tunnel.js';
import { EXIT_CODES, LIST_LIMIT, listCommand, readCommand, writeCommand } from './file-scripts.js';
import { parseEntries } from './file-entries.js';
import { Collector, ReadyLine } from './ready-line.js';

/** The file stream's URL: the control plane's origin from CONTROL_PLANE_URL, the stream's path. */
export function fileStreamUrl(controlPlaneUrl: string, streamId: string): string {
  const url = new URL(controlPlaneUrl);
  url.pathname = fileStreamPath(streamId);
  url.search = '';
  return url.toString();
}

const send = (link: Duplex, reply: FileStreamReply) => link.write(`${JSON.stringify(reply)}\n`);

/** A failed script's exit as a reply: its code's meaning, its own words. */
function failure(result: SessionExecResult, doing: string): FileStreamReply {
  const words = result.stderr.trim().split('\n')[0] ?? '';
  return {
    ok: false,
    error: EXIT_CODES[result.exitCode] ?? 'failed',
    message: words || `${doing} failed in the session (exit ${result.exitCode})`,
  };
}

/**
 * One file transfer (protocol file-stream.ts): dials the control plane back as a VNC tunnel does
 * (same handshake and credentials, its own path), then runs the operation's script in the session
 * through the driver's exec, with the stream as its stdin or stdout. Resolves once the stream is
 * open; the transfer goes on in the background, bytes flowing with backpressure end to end (TCP
 * to the control plane, the exec's pipe to the container), so memory stays flat whatever the size.
 */
export async function openFileStream(options: {
  driver: SessionDriver;
  sessionId: string;
  request: OpenFileStream;
  controlPlaneUrl: string;
  credential: string;
  logger: Logger;
}): Promise<void> {
  const { request } = options;
  const { socket: link, head } = await dialRawTunnel(
    fileStreamUrl(options.controlPlaneUrl, request.stream_id),
    request.token,
    options.credential,
  ).catch((error: Error) => {
    throw new Error(`control plane refused file stream ${request.stream_id}: ${error.message}`);
  });
  if (head.length > 0) link.unshift(head);
  const log = options.logger.child({ sessionId: options.sessionId, streamId: request.stream_id });
  void transfer(options.driver, options.sessionId, request, link).then(
    (outcome) => log.info({ op: request.op, outcome }, `file ${request.op} ${outcome}`),
    (error: unknown) => {
      log.warn({ err: error, op: request.op }, `file ${request.op} failed`);
      link.destroy();
    },
  );
}

async function transfer(driver: SessionDriver, sessionId: string, request: OpenFileStream, link: Duplex) {
  const controller = new AbortController();
  link.on('close', () => controller.abort());
  link.on('error', () => undefined);
  const signal = controller.signal;
  if (!driver.exec) {
    send(link, {
      ok: false,
      error: 'unsupported',
      message: `this agent's platform (${driver.platform}) cannot move files`,
    });
    link.end();
    return 'unsupported';
  }
  switch (request.op) {
    case 'list': {
      const output = new Collector(64 * 1024 * 1024);
      const result = await driver.exec(sessionId, listCommand(request.path), { stdout: output, signal });
      const text = output.text;
      if (result.exitCode !== 0 || !text.startsWith('ready\n')) send(link, failure(result, 'listing'));
      else send(link, { ok: true, ...parseEntries(text.slice('ready\n'.length), LIST_LIMIT) });
      link.end();
      return 'done';
    }
    case 'read': {
      const stdout = new ReadyLine((line) => send(link, { ok: true, size: Number(line.split(' ')[1]) || 0 }), link);
      const result = await driver.exec(sessionId, readCommand(request.path), { stdout, signal });
      if (!stdout.sawLine) {
        send(link, failure(result, 'reading'));
        link.end();
        return 'refused';
      }
      // A read cut short must not look complete: the control plane sees fewer bytes than announced.
      if (result.exitCode === 0) link.end();
      else link.destroy();
      return result.exitCode === 0 ? 'done' : 'cut short';
    }
    case 'write': {
      const size = request.size ?? 0;
      const stdout = new ReadyLine(() => send(link, { ok: true }), new Collector(4096));
      const result = await driver.exec(sessionId, writeCommand(request.path, size), { stdin: link, stdout, signal });
      if (signal.aborted) return 'aborted';
      send(link, result.exitCode === 0 ? { ok: true, size } : failure(result, 'writing'));
      link.end();
      return result.exitCode === 0 ? 'done' : 'failed';
    }
  }
}
