import { describe, expect, it } from 'vitest';
import { parseVarsFile, wranglerVars } from '../../src/runtime/portable/server';

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
});
