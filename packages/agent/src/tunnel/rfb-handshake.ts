import type { Duplex } from 'node:stream';
import { ByteReader } from './byte-reader.js';
import { vncAuthResponse } from './vnc-password.js';

const SECURITY_NONE = 1;
const SECURITY_VNC_AUTH = 2;

const u32 = (value: number) => {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value);
  return bytes;
};

async function failureReason(reader: ByteReader): Promise<string> {
  const length = (await reader.read(4)).readUInt32BE();
  return (await reader.read(Math.min(length, 1024))).toString('utf8');
}

/**
 * The agent's side of a session's VNC security: answers the server's VNC Authentication with the
 * session's password, up to the SecurityResult. Returns any bytes the server sent beyond it.
 */
export async function authenticateToServer(server: Duplex, password: string): Promise<Buffer> {
  const reader = new ByteReader(server, 'the VNC server');
  try {
    const version = (await reader.read(12)).toString('latin1');
    if (version === 'RFB 003.003\n') {
      // RFB 3.3 servers say why they refuse in a failure record right after the version (TigerVNC
      // does so for an address it has blacklisted: "Too many security failures").
      if ((await reader.read(4)).readUInt32BE() === 0) {
        throw new Error(`the VNC server refused the connection: ${await failureReason(reader)}`);
      }
    }
    if (version !== 'RFB 003.008\n') {
      throw new Error(`the VNC server sent ${JSON.stringify(version)}, not RFB 3.8`);
    }
    server.write(version);
    const count = (await reader.read(1))[0]!;
    if (count === 0) throw new Error(`the VNC server refused the connection: ${await failureReason(reader)}`);
    const types = [...(await reader.read(count))];
    if (types.includes(SECURITY_VNC_AUTH)) {
      server.write(Buffer.from([SECURITY_VNC_AUTH]));
      server.write(vncAuthResponse(password, await reader.read(16)));
    } else if (types.includes(SECURITY_NONE)) {
      // The session was given a password, so a server without one is not the server it was given
      // to (or it ignored it): anyone reaching its port could drive the desktop. Refuse it.
      throw new Error(
        `the VNC server offers no authentication (security type 1, None) although this session has a VNC password; refusing it: anyone reaching its port could drive the desktop (check the image's VNC_PASSWORD handling)`,
      );
    } else {
      throw new Error(`the VNC server offers security types ${types.join(', ')}; the agent speaks 2 (VNC)`);
    }
    if ((await reader.read(4)).readUInt32BE() !== 0) {
      throw new Error(
        `the VNC server rejected the session's password (${await failureReason(reader).catch(() => 'no reason')}); restart the session`,
      );
    }
    return reader.release();
  } catch (error) {
    reader.release();
    throw error;
  }
}

/**
 * The viewer's side: the agent has already authenticated to the server, and the control plane has
 * authorized the viewer, so the viewer is offered security type None. Returns the viewer's bytes
 * beyond the handshake (its ClientInit, if it was quick).
 */
export async function offerNoAuthToViewer(viewer: Duplex, head: Buffer): Promise<Buffer> {
  const reader = new ByteReader(viewer, 'the viewer', head);
  try {
    viewer.write('RFB 003.008\n');
    const version = (await reader.read(12)).toString('latin1');
    if (version === 'RFB 003.003\n') {
      viewer.write(u32(SECURITY_NONE));
      return reader.release();
    }
    if (!/^RFB 003\.00[78]\n$/.test(version)) throw new Error(`the viewer sent ${JSON.stringify(version)}`);
    viewer.write(Buffer.from([1, SECURITY_NONE]));
    const chosen = (await reader.read(1))[0];
    if (chosen !== SECURITY_NONE) throw new Error(`the viewer chose security type ${chosen}, not None`);
    if (version === 'RFB 003.008\n') viewer.write(u32(0));
    return reader.release();
  } catch (error) {
    reader.release();
    throw error;
  }
}
