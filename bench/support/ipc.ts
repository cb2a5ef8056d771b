import { memorySample, ProcessWindow, type MemorySample, type WindowStats } from './process-window.js';

// The messages between a bench (parent) and a server it measures (child), over Node's IPC channel.
export type Request = { id: number; cmd: 'window-start' | 'window-end' | 'memory' | 'stop' };
export type Reply = { id: number; stats?: WindowStats; memory?: MemorySample };
export type Ready = { type: 'ready'; url: string; detail: string };

/**
 * Run in a child: answers the parent's measurement requests about this process, and exits when the
 * parent asks (after `onStop`) or disappears, so a crashed bench never leaves a server behind.
 * `engineBytes` reports an embedded database's memory (a control plane on PGlite).
 */
export function serveMeasurements(
  ready: Omit<Ready, 'type'>,
  onStop: () => Promise<void>,
  engineBytes: () => number = () => 0,
): void {
  const send = (message: Reply | Ready) => process.send?.(message);
  const window = new ProcessWindow();
  process.on('message', (message: Request) => {
    if (message.cmd === 'window-start') {
      window.start();
      send({ id: message.id });
    } else if (message.cmd === 'window-end') {
      send({ id: message.id, stats: window.stop() });
    } else if (message.cmd === 'memory') {
      send({ id: message.id, memory: memorySample(engineBytes()) });
    } else if (message.cmd === 'stop') {
      void onStop().finally(() => {
        send({ id: message.id });
        process.disconnect();
      });
    }
  });
  process.on('disconnect', () => void onStop().finally(() => process.exit(0)));
  send({ type: 'ready', ...ready });
}
