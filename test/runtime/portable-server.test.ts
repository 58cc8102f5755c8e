import { describe, expect, it } from 'vitest';
import { missingProductionSecrets, parseVarsFile, wranglerVars } from '../../src/runtime/portable/server';

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
