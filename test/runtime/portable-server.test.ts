import { describe, expect, it } from 'vitest';
import {
  missingProductionSecrets,
  parseVarsFile,
  stopOnSignals,
  wranglerVars,
} from '../../src/runtime/portable/server';

describe('the Bun and Deno entries’ variables', () => {
  it('reads KEY=value lines, skipping comments and blank lines and stripping quotes', () => {
    expect(parseVarsFile('# secrets\nJWT_SECRET=abc=def\n\n  APP_NAME = "Kin well"\nnot a line\n')).toEqual({
      JWT_SECRET: 'abc=def',
      APP_NAME: 'Kin well',
    });
  });

  it("reads wrangler.toml's [vars] table only", () => {
    const toml = [
      'name = "kinwell"',
      '[vars]',
      'ENVIRONMENT = "development"',
      '# a comment',
      'REQUEST_CEILING_POLICY = "1200/60"',
      '',
      '[[ratelimits]]',
      'name = "REQUEST_CEILING"',
    ].join('\n');
    expect(wranglerVars(toml)).toEqual({ ENVIRONMENT: 'development', REQUEST_CEILING_POLICY: '1200/60' });
  });

  it('Should read [env.production.vars] in production (what `wrangler deploy --env production` deploys)', () => {
    const toml = [
      '[vars]',
      'ENVIRONMENT = "development"',
      'CORS_ORIGINS = "http://localhost:3000"',
      '[env.production]',
      'name = "kinwell"',
      '[env.production.vars]',
      'ENVIRONMENT = "production"',
      'CORS_ORIGINS = "https://app.example"',
      '[[env.production.ratelimits]]',
      'name = "REQUEST_CEILING"',
    ].join('\n');
    expect(wranglerVars(toml, 'production')).toEqual({
      ENVIRONMENT: 'production',
      CORS_ORIGINS: 'https://app.example',
    });
    expect(wranglerVars(toml, 'development')).toEqual({
      ENVIRONMENT: 'development',
      CORS_ORIGINS: 'http://localhost:3000',
    });
  });

  it('Should refuse to start production without the token key (32+ characters) and the encryption key', () => {
    expect(missingProductionSecrets({})).toEqual(['JWT_SECRET (32 characters or more)', 'ENCRYPTION_KEY']);
    expect(missingProductionSecrets({ JWT_SECRET: 'short', ENCRYPTION_KEY: 'k' })).toEqual([
      'JWT_SECRET (32 characters or more)',
    ]);
    expect(missingProductionSecrets({ JWT_SECRET: 'x'.repeat(32), ENCRYPTION_KEY: 'k' })).toEqual([]);
  });
});

describe('stopping an entry on a signal', () => {
  function entry(serverStops: Promise<void>, graceMs = 10_000) {
    const steps: string[] = [];
    const handlers = new Map<string, () => void>();
    let exited: (code: number) => void = () => {};
    const exit = new Promise<number>((resolve) => (exited = resolve));
    stopOnSignals(
      (signal, handler) => handlers.set(signal, handler),
      async () => {
        steps.push('server stopping');
        await serverStops;
        steps.push('server stopped');
      },
      {
        stop: async () => {
          steps.push('runtime stopped');
        },
      },
      (code) => {
        steps.push(`exit ${code}`);
        exited(code);
      },
      graceMs,
    );
    return { steps, handlers, exit };
  }

  it('Should stop the server, then the pump, cron and database, then exit 0, once however many signals', async () => {
    let stopped = () => {};
    const { steps, handlers, exit } = entry(new Promise((resolve) => (stopped = resolve)));
    expect([...handlers.keys()]).toEqual(['SIGTERM', 'SIGINT']);
    handlers.get('SIGTERM')?.();
    handlers.get('SIGINT')?.();
    await Promise.resolve();
    expect(steps).toEqual(['server stopping']);
    stopped();
    expect(await exit).toBe(0);
    expect(steps).toEqual(['server stopping', 'server stopped', 'runtime stopped', 'exit 0']);
  });

  it('Should not wait past the grace period for a server that does not finish', async () => {
    const { steps, handlers, exit } = entry(new Promise(() => {}), 1);
    handlers.get('SIGTERM')?.();
    expect(await exit).toBe(0);
    expect(steps).toEqual(['server stopping', 'runtime stopped', 'exit 0']);
  });
});
