import { decodeControlPlaneFrame, encodeFrame, type AgentMessage } from '@streamspace/protocol';
import { registerAgent } from '../agents/register.js';

/**
 * One simulated agent that "runs" every session it is told to start: it acks the command, reports
 * the session running and the command done, and heartbeats. With it the listed sessions are
 * running, as in use, rather than pending (which would also keep the scheduler busy every second).
 */
export async function startRunnerAgent(wsUrl: string, token: string): Promise<{ stop(): void }> {
  const { socket, registered } = await registerAgent(wsUrl, token, 'bench-runner', '127.0.0.1');
  const send = (message: AgentMessage) => socket.send(encodeFrame(message));
  const heartbeat = setInterval(
    () =>
      send({
        type: 'heartbeat',
        payload: {
          capacity: { max_sessions: 0, max_cpu: 0, max_memory_gb: 0 },
          used: { sessions: 0, cpu: 0, memory_gb: 0 },
        },
      }),
    registered.heartbeat_interval_ms,
  );
  socket.on('error', () => undefined);
  socket.on('message', (data) => runCommand(send, data as Buffer));
  return {
    stop() {
      clearInterval(heartbeat);
      socket.close(1000, 'bench done');
    },
  };
}

function runCommand(send: (message: AgentMessage) => void, data: Buffer) {
  const decoded = decodeControlPlaneFrame(data);
  if (!decoded.ok || decoded.message.type !== 'command') return;
  const { command_id, session_id, type } = decoded.message.payload;
  send({ type: 'command_ack', payload: { command_id } });
  if (type === 'start_session') send({ type: 'session_status', payload: { session_id, state: 'running' } });
  send({ type: 'command_result', payload: { command_id, ok: true } });
}
