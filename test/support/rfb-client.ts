import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { ByteReader, vncAuthResponse } from '@streamspace/agent';

/**
 * Completes the RFB 3.8 handshake with security type None on `stream` (a TCP socket, or a
 * WebSocket made a stream), asks for a full framebuffer update and resolves when the first
 * FramebufferUpdate arrives: the moment a viewer could paint the desktop. Returns the banner and
 * the framebuffer size.
 */
export async function rfbFirstUpdate(
  stream: Duplex,
  timeoutMs = 10_000,
  password?: string,
): Promise<{ banner: string; width: number; height: number }> {
  const timer = setTimeout(() => stream.destroy(new Error(`no FramebufferUpdate within ${timeoutMs} ms`)), timeoutMs);
  try {
    const reader = new ByteReader(stream, 'the VNC server', undefined, timeoutMs);
    const banner = (await reader.read(12)).toString('latin1');
    if (!banner.startsWith('RFB 003.')) throw new Error(`not an RFB server: ${JSON.stringify(banner)}`);
    stream.write('RFB 003.008\n');
    const count = (await reader.read(1))[0]!;
    if (count === 0) throw new Error('server refused the connection');
    const types = [...(await reader.read(count))];
    if (password !== undefined && types.includes(2)) {
      stream.write(Buffer.from([2])); // VNC Authentication, as the agent answers it
      stream.write(vncAuthResponse(password, await reader.read(16)));
    } else {
      if (!types.includes(1)) throw new Error(`security type None not offered (${types.join(',')})`);
      stream.write(Buffer.from([1]));
    }
    if ((await reader.read(4)).readUInt32BE(0) !== 0) throw new Error('security handshake failed');
    stream.write(Buffer.from([1])); // ClientInit: shared
    const init = await reader.read(24);
    const width = init.readUInt16BE(0);
    const height = init.readUInt16BE(2);
    await reader.read(init.readUInt32BE(20)); // desktop name
    const request = Buffer.alloc(10);
    request.writeUInt8(3, 0); // FramebufferUpdateRequest, non-incremental
    request.writeUInt16BE(width, 6);
    request.writeUInt16BE(height, 8);
    stream.write(request);
    for (;;) {
      const type = (await reader.read(1))[0];
      if (type === 0) return { banner, width, height };
      // Bell (2) has no body; nothing else arrives before the first update for a fresh client.
      if (type !== 2) throw new Error(`unexpected server message type ${type} before the first FramebufferUpdate`);
    }
  } finally {
    clearTimeout(timer);
  }
}

/** The same over plain TCP, straight at a VNC server. */
export async function firstFramebufferUpdate(
  host: string,
  port: number,
  timeoutMs = 10_000,
  password?: string,
): Promise<{ width: number; height: number }> {
  const socket = connect({ host, port });
  try {
    return await rfbFirstUpdate(socket, timeoutMs, password);
  } finally {
    socket.destroy();
  }
}
