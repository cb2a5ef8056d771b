import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { Alert, Anchor, Button, Code, Group, List, PasswordInput, Stack, Text, TextInput } from '@mantine/core';
import { api } from '../api.js';
import { SectionSkeleton } from '../ui/loading.js';
import { AccountSection } from './account-section.js';

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
    <AccountSection
      id="two-factor"
      title="Two-factor authentication"
      description="A code from an authenticator app on your phone, asked for after your password."
    >
      <Stack gap="sm">
        {error && (
          <Alert color="red" variant="light" className="error">
            {error}
          </Alert>
        )}
        {status?.required && !status.totp_enabled && (
          <Alert color="orange" variant="light">
            Two-factor authentication is required for your account: set it up to continue.
          </Alert>
        )}
        {recoveryCodes && (
          <Alert color="green" variant="light" className="recovery-codes" title="Two-factor authentication is on">
            <Text size="sm">
              Save these recovery codes now: each one works once in place of a code, and they will not be shown again.
            </Text>
            <List aria-label="Recovery codes" my="sm" spacing={2} listStyleType="none">
              {recoveryCodes.map((code) => (
                <List.Item key={code}>
                  <Code>{code}</Code>
                </List.Item>
              ))}
            </List>
            <Anchor href="#/">Continue to StreamSpace</Anchor>
          </Alert>
        )}
        {!status && !error && <SectionSkeleton lines={2} />}
        {status && !status.totp_enabled && !enrollment && (
          <Group>
            <Button onClick={begin}>Set up two-factor authentication</Button>
          </Group>
        )}
        {enrollment && (
          <form className="enroll" onSubmit={confirm}>
            <Stack gap="sm">
              <Text size="sm">Scan this QR code with an authenticator app, or type the secret key into it.</Text>
              <img src={enrollment.qr} alt="QR code for your authenticator app" width={200} height={200} />
              <Text size="sm">
                Secret key: <Code aria-label="Secret key">{enrollment.secret}</Code>
              </Text>
              <Group align="flex-end">
                <TextInput
                  name="code"
                  label="Code from your app"
                  autoComplete="one-time-code"
                  inputMode="numeric"
                  pattern="\d{6}"
                  maxLength={6}
                  required
                />
                <Button type="submit">Turn on</Button>
              </Group>
            </Stack>
          </form>
        )}
        {status?.totp_enabled && !recoveryCodes && (
          <Text size="sm">
            Two-factor authentication is on ({status.recovery_codes_left} recovery code
            {status.recovery_codes_left === 1 ? '' : 's'} left).
          </Text>
        )}
        {status?.totp_enabled && (
          <form onSubmit={turnOff}>
            <Group align="flex-end" wrap="wrap">
              <TextInput name="code" label="Current code or recovery code" autoComplete="one-time-code" />
              <PasswordInput name="password" label="Or your password" autoComplete="current-password" />
              <Button type="submit" color="red" variant="light">
                Turn off two-factor
              </Button>
            </Group>
          </form>
        )}
      </Stack>
    </AccountSection>
  );
}
