import { connect } from 'node:net';

/**
 * Connects to host:port and resolves with the RFB banner (`RFB 003.008\n`) the VNC server sends
 * first. Rejects on refusal, timeout or a non-RFB greeting. "Running" means this answered, not
 * merely that a process started.
 */
export function readRfbBanner(host: string, port: number, timeoutMs = 1000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let data = '';
    const done = (error?: Error) => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(data.slice(0, 12));
    };
    const timer = setTimeout(
      () => done(new Error(`no RFB banner from ${host}:${port} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
      if (data.length >= 12) {
        if (/^RFB \d{3}\.\d{3}\n/.test(data)) done();
        else done(new Error(`${host}:${port} answered ${JSON.stringify(data.slice(0, 12))}, not an RFB banner`));
      }
    });
    socket.on('error', (error) => done(error));
    socket.on('end', () => done(new Error(`${host}:${port} closed before sending an RFB banner`)));
  });
}

/**
 * Polls every 20 ms (a refused connect on a bridge costs microseconds; polling at 150 ms added
 * ~75 ms to every session start in bench/session-start) until the RFB banner arrives, `abort()` returns a reason to give up (the container exited),
 * or the deadline passes.
 */
export async function waitForRfb(
  endpoint: () => Promise<{ host: string; port: number }>,
  options: { timeoutMs: number; intervalMs?: number; abort?: () => Promise<string | undefined> },
): Promise<{ host: string; port: number; banner: string }> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: string;
  for (;;) {
    const reason = await options.abort?.();
    if (reason) throw new Error(reason);
    try {
      const target = await endpoint();
      const banner = await readRfbBanner(target.host, target.port);
      return { ...target, banner };
    } catch (error) {
      lastError = (error as Error).message;
    }
    if (Date.now() > deadline) {
      throw new Error(`VNC did not answer within ${Math.round(options.timeoutMs / 1000)}s (last: ${lastError})`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 20));
  }
}
