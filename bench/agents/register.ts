import WebSocket from 'ws';
import { decodeControlPlaneFrame, encodeFrame, type Registered } from '@streamspace/protocol';

const REGISTER_TIMEOUT_MS = 30_000;

/**
 * Dials the control plane as agent `agentId` from `localAddress`, sends `register` and resolves on
 * `registered`: the same handshake as a real agent, over a real WebSocket.
 */
export function registerAgent(
  url: string,
  token: string,
  agentId: string,
  localAddress: string,
): Promise<{ socket: WebSocket; registered: Registered }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers: { authorization: `Bearer ${token}` }, localAddress });
    const fail = (error: Error) => {
      clearTimeout(timer);
      socket.terminate();
      reject(error);
    };
    const timer = setTimeout(
      () => fail(new Error(`no registered within ${REGISTER_TIMEOUT_MS} ms`)),
      REGISTER_TIMEOUT_MS,
    );
    const onClose = (code: number, reason: Buffer) =>
      fail(new Error(`closed before registered: ${code} ${reason.toString()}`));
    socket.on('error', fail);
    socket.once('unexpected-response', (_request, response) =>
      fail(new Error(`upgrade refused: ${response.statusCode}`)),
    );
    socket.once('close', onClose);
    socket.once('open', () =>
      socket.send(
        encodeFrame({
          type: 'register',
          payload: {
            agent_id: agentId,
            platform: 'docker',
            version: 'bench',
            capacity: { max_sessions: 0, max_cpu: 0, max_memory_gb: 0 },
            sessions: [],
          },
        }),
      ),
    );
    socket.once('message', (data) => {
      const decoded = decodeControlPlaneFrame(data as Buffer);
      if (!decoded.ok || decoded.message.type !== 'registered') {
        fail(new Error(`expected registered, got ${data.toString().slice(0, 200)}`));
        return;
      }
      clearTimeout(timer);
      // From here on the fleet owns the socket's events.
      socket.off('error', fail).off('close', onClose);
      resolve({ socket, registered: decoded.message.payload });
    });
  });
}
