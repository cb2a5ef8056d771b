import { randomBytes } from 'node:crypto';
import des from 'des.js';

/**
 * VNC's password scheme (RFB 3.8 §7.2.2, "VNC Authentication"): DES, keyed by the password's first 8
 * bytes each bit-reversed, over a 16-byte challenge. OpenSSL 3 no longer offers single DES, hence
 * des.js. The same DES with a fixed key "obfuscates" a stored password (TigerVNC's -Password).
 */
/** The session image's start-session passes this to Xvnc as -Password (VNC Authentication). */
export const VNC_PASSWORD_ENV = 'VNC_PASSWORD_OBFUSCATED';

const OBFUSCATION_KEY = [23, 82, 107, 6, 35, 78, 88, 7];

const reverseBits = (byte: number) => {
  let reversed = 0;
  for (let bit = 0; bit < 8; bit++) reversed |= ((byte >> bit) & 1) << (7 - bit);
  return reversed;
};

const des8 = (type: 'encrypt' | 'decrypt', key: number[], block: Buffer) => {
  // Decryption holds the last block back until final(), whatever the padding.
  const cipher = des.DES.create({ type, key: key.map(reverseBits), padding: false });
  return Buffer.from([...cipher.update([...block]), ...cipher.final()]);
};

const eightBytes = (password: string) => {
  const padded = Buffer.alloc(8);
  Buffer.from(password, 'latin1').copy(padded, 0, 0, 8);
  return padded;
};

/** A fresh session password: 8 random printable characters (VNC uses 8 bytes at most). */
export function newVncPassword(): string {
  return randomBytes(6).toString('base64url');
}

/** The response to a VNC Authentication challenge. */
export function vncAuthResponse(password: string, challenge: Buffer): Buffer {
  const key = [...eightBytes(password)];
  return Buffer.concat([
    des8('encrypt', key, challenge.subarray(0, 8)),
    des8('encrypt', key, challenge.subarray(8, 16)),
  ]);
}

/** The hex form TigerVNC's Xvnc takes as -Password (what vncpasswd would store). */
export function obfuscateVncPassword(password: string): string {
  return des8('encrypt', OBFUSCATION_KEY, eightBytes(password)).toString('hex');
}

export function revealVncPassword(obfuscatedHex: string): string {
  return des8('decrypt', OBFUSCATION_KEY, Buffer.from(obfuscatedHex, 'hex')).toString('latin1').replace(/\0+$/, '');
}
