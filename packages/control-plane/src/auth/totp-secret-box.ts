import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const VERSION = 'v1';

/**
 * Keeps TOTP secrets encrypted at rest: AES-256-GCM under a key derived from JWT_SECRET with
 * HKDF-SHA256 under its own label (as the VNC tunnel key is), so a copy of the database alone does
 * not yield working authenticators, and the key is never the one that signs login tokens. The user's
 * id is the associated data: a sealed secret copied onto another user's row does not open.
 * Changing JWT_SECRET makes stored secrets unreadable: those users need an admin reset.
 */
export class TotpSecretBox {
  readonly #key: Buffer;

  constructor(jwtSecret: string) {
    this.#key = Buffer.from(hkdfSync('sha256', jwtSecret, 'streamspace', 'totp-secret v1', 32));
  }

  /** `v1.<iv>.<ciphertext>.<tag>`, base64url parts. */
  seal(secret: string, userId: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(userId, 'utf8'));
    const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return [VERSION, iv, sealed, cipher.getAuthTag()]
      .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
      .join('.');
  }

  /** The secret, or undefined when it was sealed under another key or for another user. */
  open(sealed: string, userId: string): string | undefined {
    const [version, iv, data, tag] = sealed.split('.');
    if (version !== VERSION || !iv || !data || !tag) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(userId, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      return undefined;
    }
  }
}
