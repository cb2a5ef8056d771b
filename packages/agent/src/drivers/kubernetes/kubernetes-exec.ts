import type { Readable } from 'node:stream';
import type { KubeConfig } from '@kubernetes/client-node';
import WebSocket from 'ws';
import { DriverError, type SessionExec, type SessionExecResult } from '../session-driver.js';

/** Channel numbers of the exec subprotocols (v4/v5.channel.k8s.io). */
const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const STATUS = 3;
const CLOSE = 255;
/** Above this many bytes queued towards the API server, stdin stops being read. */
const HIGH_WATER_BYTES = 1024 * 1024;
const STDERR_KEEP = 4096;

/**
 * Runs a command in a session pod through the API server's exec endpoint, authenticated with the
 * agent's KubeConfig (@kubernetes/client-node's applyToHTTPSOptions), as the pod's user: the
 * session pod runs as uid 1000 (session-manifests.ts runAsUser), so exec never runs as root.
 *
 * The WebSocket is driven here rather than through client-node's Exec because Exec has no
 * backpressure either way (it writes every stdin chunk to the socket and every stdout message to
 * the Writable without waiting), which would let a fast sender fill the agent's memory with a
 * whole file. Here stdin is paused while the socket's buffer is full, and the socket while stdout
 * has not drained.
 */
export async function kubernetesExec(
  kubeConfig: KubeConfig,
  pod: { namespace: string; name: string; container: string },
  command: string[],
  io: SessionExec,
): Promise<SessionExecResult> {
  const server = kubeConfig.getCurrentCluster()?.server;
  if (!server) throw new DriverError('platform_unavailable', 'no Kubernetes cluster in the kubeconfig');
  const query = new URLSearchParams({ container: pod.container, stdout: 'true', stderr: 'true' });
  if (io.stdin) query.set('stdin', 'true');
  for (const part of command) query.append('command', part);
  const url = `${server.replace(/^http/, 'ws')}/api/v1/namespaces/${pod.namespace}/pods/${pod.name}/exec?${query}`;
  const options: Record<string, unknown> = {};
  await kubeConfig.applyToHTTPSOptions(options as never);
  const socket = new WebSocket(url, ['v5.channel.k8s.io', 'v4.channel.k8s.io'], options);
  await new Promise<void>((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', (error) =>
      reject(new DriverError('platform_error', `exec in pod ${pod.name} failed: ${error.message}`, { cause: error })),
    );
    socket.once('unexpected-response', (_request, response) =>
      reject(
        new DriverError(
          'platform_error',
          `exec in pod ${pod.name} refused: HTTP ${response.statusCode}${response.statusCode === 403 ? ' (the agent Role needs get on pods/exec)' : ''}`,
        ),
      ),
    );
  });
  let stderr = '';
  let status: { status?: string; details?: { causes?: Array<{ reason?: string; message?: string }> } } | undefined;
  socket.on('message', (data: Buffer) => {
    const channel = data[0];
    const payload = data.subarray(1);
    if (channel === STDOUT) {
      if (!io.stdout.write(payload)) {
        socket.pause();
        io.stdout.once('drain', () => socket.resume());
      }
    } else if (channel === STDERR) {
      if (stderr.length < STDERR_KEEP) stderr += payload.toString('utf8').slice(0, STDERR_KEEP);
    } else if (channel === STATUS) {
      try {
        status = JSON.parse(payload.toString('utf8'));
      } catch {
        status = { status: 'Failure' };
      }
    }
  });
  const abort = () => socket.terminate();
  io.signal.addEventListener('abort', abort, { once: true });
  if (io.stdin) pumpStdin(io.stdin, socket);
  await new Promise<void>((resolve) => socket.once('close', () => resolve()));
  io.signal.removeEventListener('abort', abort);
  if (io.signal.aborted || !status) return { exitCode: -1, stderr };
  if (status.status === 'Success') return { exitCode: 0, stderr };
  const code = status.details?.causes?.find((c) => c.reason === 'ExitCode')?.message;
  return { exitCode: code === undefined ? -1 : Number(code), stderr };
}

/**
 * stdin to channel 0 with backpressure. Its end is sent as a v5 close of the channel; where the API
 * server speaks only v4 there is no such signal, which the file scripts never need (they read a
 * known number of bytes). An input that closes without ending (the upload was cut) closes the
 * whole exec, and the process sees end of input and cleans up.
 */
function pumpStdin(stdin: Readable, socket: WebSocket) {
  const drained = () => {
    if (socket.bufferedAmount < HIGH_WATER_BYTES && stdin.isPaused()) stdin.resume();
  };
  stdin.on('data', (chunk: Buffer) => {
    if (socket.readyState !== WebSocket.OPEN) return;
    socket.send(Buffer.concat([Buffer.from([STDIN]), chunk]), drained);
    if (socket.bufferedAmount >= HIGH_WATER_BYTES) stdin.pause();
  });
  stdin.once('end', () => {
    if (socket.protocol === 'v5.channel.k8s.io' && socket.readyState === WebSocket.OPEN)
      socket.send(Buffer.from([CLOSE, STDIN]));
  });
  stdin.once('close', () => {
    if (!stdin.readableEnded && socket.readyState === WebSocket.OPEN) socket.close();
  });
}
