import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * JSON lines on stdout. Tokens never reach a log line: the agent never logs them, and the
 * redaction below is the safety net for anything that carries one by accident.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      name: 'spot-agent',
      level,
      redact: {
        paths: [
          'token',
          'client_token',
          'agent_token',
          'clientToken',
          'agentToken',
          'authorization',
          'headers.authorization',
          '*.token',
          '*.agent_token',
          '*.client_token',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
