/**
 * Structured JSON logs, one object per line. Callers pass ids and codes, never names, emails, phone
 * numbers, tokens or clinical content: `redact` drops any field whose name suggests one slipped in.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  log(level: LogLevel, msg: string, fields?: Record<string, unknown>): void;
}

const SENSITIVE =
  /^(password|newPassword|token|accessToken|refreshToken|idToken|secret|otp|email|mobileNumber|phone|name|authorization|cookie|address|dateOfBirth)$/i;

export function redact(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] = SENSITIVE.test(key) ? '[redacted]' : value;
  }
  return out;
}

/** A logger writing JSON lines to the Workers console (picked up by Workers Logs / tail). */
export function createLogger(base: Record<string, unknown> = {}, sink: (line: string) => void = console.log): Logger {
  return {
    log(level, msg, fields = {}) {
      sink(JSON.stringify({ level, msg, ...base, ...redact(fields), time: new Date().toISOString() }));
    },
  };
}
