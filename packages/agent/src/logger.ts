import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

export function createAgentLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'streamspace-agent' },
      redact: {
        paths: ['token', '*.token', '*.agentToken', '*.credential', 'authorization', '*.authorization'],
        censor: '[redacted]',
      },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
