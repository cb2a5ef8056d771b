import argon2 from 'argon2';

/** argon2id with the library's defaults (m=64 MiB, t=3, p=4), which follow OWASP's guidance. */
export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, { type: argon2.argon2id });
}

/** A null hash (a single sign-on user has no password) never matches. */
export async function verifyPassword(hash: string | null, password: string): Promise<boolean> {
  if (hash === null) return false;
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false; // a malformed stored hash never matches
  }
}

/** A hash of a random password, verified against when the user is unknown so that "unknown user"
 * and "wrong password" take the same time and cannot be told apart by a client. */
let decoyHash: Promise<string> | undefined;
export function decoyPasswordHash(): Promise<string> {
  decoyHash ??= hashPassword(crypto.randomUUID());
  return decoyHash;
}

export const MIN_PASSWORD_LENGTH = 8;
