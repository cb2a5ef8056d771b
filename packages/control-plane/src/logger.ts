import pino, { type Logger, type DestinationStream } from 'pino';

export type { Logger };

/**
 * Secrets are redacted by configuration, not by care at each call site: any of these keys in a
 * logged object is replaced, at any depth pino's paths reach.
 */
const REDACT = [
  'password',
  'token',
  'secret',
  'authorization',
  '*.password',
  '*.password_hash',
  '*.token',
  '*.ticket',
  '*.secret',
  '*.jwtSecret',
  '*.agentToken',
  '*.adminPassword',
  '*.clientSecret',
  '*.client_secret',
  '*.authorization',
  '*.headers.authorization',
  '*.headers.cookie',
  'req.headers.authorization',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'streamspace-control-plane' },
      redact: { paths: REDACT, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
