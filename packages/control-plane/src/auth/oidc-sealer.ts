import { createSecretKey, hkdfSync, type KeyObject } from 'node:crypto';
import { EncryptJWT, jwtDecrypt } from 'jose';

/** What the browser carries between the login redirect and the provider's callback. */
export interface LoginState {
  state: string;
  nonce: string;
  verifier: string;
  /** The UI route to land on afterwards (a hash route such as `/view/<id>`). */
  returnTo: string;
}

/** What the callback hands the UI: a one-time code to redeem, or the reason there is none. */
export type LoginResult = { code: string } | { error: string };

type Purpose = 'login-state' | 'login-result';

/**
 * Seals the single sign-on's in-flight state into cookies: encrypted and authenticated (JWE, dir +
 * A256GCM), expiring, and bound to one purpose, so the browser can neither read the PKCE verifier
 * nor forge a state, and whichever replica the callback lands on can open it (the key derives from
 * JWT_SECRET, shared by all replicas; no process memory involved). HKDF under its own label, as the
 * tunnel key: the login-token key never encrypts anything else.
 */
export class OidcSealer {
  readonly #key: KeyObject;

  constructor(jwtSecret: string) {
    this.#key = createSecretKey(Buffer.from(hkdfSync('sha256', jwtSecret, 'streamspace', 'oidc-cookie v1', 32)));
  }

  seal(purpose: 'login-state', value: LoginState, ttlS: number): Promise<string>;
  seal(purpose: 'login-result', value: LoginResult, ttlS: number): Promise<string>;
  seal(purpose: Purpose, value: LoginState | LoginResult, ttlS: number): Promise<string> {
    return new EncryptJWT({ v: value })
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .setAudience(purpose)
      .setIssuedAt()
      .setExpirationTime(`${ttlS}s`)
      .encrypt(this.#key);
  }

  /** The sealed value, or undefined when it is not ours, was altered, is for another purpose or expired. */
  open(purpose: 'login-state', sealed: string | undefined): Promise<LoginState | undefined>;
  open(purpose: 'login-result', sealed: string | undefined): Promise<LoginResult | undefined>;
  async open(purpose: Purpose, sealed: string | undefined): Promise<LoginState | LoginResult | undefined> {
    if (!sealed) return undefined;
    try {
      const { payload } = await jwtDecrypt(sealed, this.#key, { audience: purpose, clockTolerance: 5 });
      return payload.v as LoginState | LoginResult;
    } catch {
      return undefined;
    }
  }
}
