import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api } from '../api.js';

interface MfaStatus {
  totp_enabled: boolean;
  pending: boolean;
  recovery_codes_left: number;
  /** MFA_REQUIRED covers this user. */
  required: boolean;
}

interface Enrollment {
  secret: string;
  otpauth_uri: string;
  /** The QR code as a PNG data: URL, drawn here from the URI (the server sends only the URI). */
  qr: string;
}

/**
 * The Account page's two-factor section: set up (QR code, the secret as text, a confirming code),
 * the recovery codes shown once after confirming, and turning it off (with a code or the password).
 */
export function TwoFactor() {
  const [status, setStatus] = useState<MfaStatus | null>(null);
  const [enrollment, setEnrollment] = useState<Enrollment | null>(null);
  const [recoveryCodes, setRecoveryCodes] = useState<string[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const refresh = useCallback(() => api<MfaStatus>('GET', '/api/v1/users/me/mfa').then(setStatus), []);
  const guard = (action: () => Promise<unknown>) => {
    setError(null);
    action().catch((e: Error) => setError(e.message));
  };
  useEffect(() => guard(refresh), [refresh]);

  const begin = () =>
    guard(async () => {
      const started = await api<Omit<Enrollment, 'qr'>>('POST', '/api/v1/users/me/mfa/totp');
      // Loaded on demand: only this step needs the QR encoder (~10 kB gzipped).
      const { default: QRCode } = await import('qrcode');
      setEnrollment({ ...started, qr: await QRCode.toDataURL(started.otpauth_uri, { margin: 1, width: 200 }) });
    });
  const confirm = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const code = String(new FormData(event.currentTarget).get('code')).trim();
    guard(async () => {
      const { recovery_codes } = await api<{ recovery_codes: string[] }>('POST', '/api/v1/users/me/mfa/totp/confirm', {
        code,
      });
      setEnrollment(null);
      setRecoveryCodes(recovery_codes);
      await refresh();
    });
  };
  const turnOff = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const code = String(form.get('code') ?? '').trim();
    const password = String(form.get('password') ?? '');
    guard(async () => {
      await api('DELETE', '/api/v1/users/me/mfa/totp', code ? { code } : { password });
      setRecoveryCodes(null);
      await refresh();
    });
  };

  return (
    <section aria-labelledby="two-factor">
      <h2 id="two-factor">Two-factor authentication</h2>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {status?.required && !status.totp_enabled && (
        <p role="alert">Two-factor authentication is required for your account: set it up to continue.</p>
      )}
      {recoveryCodes && (
        <div className="recovery-codes">
          <p>
            Two-factor authentication is on. Save these recovery codes now: each one works once in place of a code, and
            they will not be shown again.
          </p>
          <ul aria-label="Recovery codes">
            {recoveryCodes.map((code) => (
              <li key={code}>
                <code>{code}</code>
              </li>
            ))}
          </ul>
          <a href="#/">Continue to StreamSpace</a>
        </div>
      )}
      {status && !status.totp_enabled && !enrollment && (
        <button onClick={begin}>Set up two-factor authentication</button>
      )}
      {enrollment && (
        <form className="enroll" onSubmit={confirm}>
          <p>Scan this QR code with an authenticator app, or type the secret key into it.</p>
          <img src={enrollment.qr} alt="QR code for your authenticator app" width={200} height={200} />
          <p>
            Secret key: <code aria-label="Secret key">{enrollment.secret}</code>
          </p>
          <label>
            Code from your app{' '}
            <input
              name="code"
              autoComplete="one-time-code"
              inputMode="numeric"
              pattern="\d{6}"
              maxLength={6}
              required
            />
          </label>
          <button type="submit">Turn on</button>
        </form>
      )}
      {status?.totp_enabled && !recoveryCodes && (
        <p>
          Two-factor authentication is on ({status.recovery_codes_left} recovery code
          {status.recovery_codes_left === 1 ? '' : 's'} left).
        </p>
      )}
      {status?.totp_enabled && (
        <form className="inline" onSubmit={turnOff}>
          <input name="code" placeholder="current code" aria-label="Current code or recovery code" />
          <input name="password" type="password" placeholder="or your password" aria-label="Or your password" />
          <button type="submit">Turn off two-factor</button>
        </form>
      )}
    </section>
  );
}
