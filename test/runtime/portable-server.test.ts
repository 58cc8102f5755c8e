import { describe, expect, it } from 'vitest';
import { loggingRealtime, parseVarsFile, wranglerVars } from '../../src/runtime/portable/server';

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

describe('sockets on Bun and Deno (not served yet)', () => {
  it('logs a push and reports no socket reached; upgrades answer 503 SERVICE_UNAVAILABLE', async () => {
    const logged: unknown[] = [];
    const realtime = loggingRealtime((event, fields) => logged.push({ log: event, ...fields }));
    expect(await realtime.notify('usr_1', 'notification:new', {} as never)).toBe(0);
    expect(logged).toEqual([{ log: 'realtime.notify', userId: 'usr_1', event: 'notification:new' }]);
    await expect(realtime.connect('usr_1', {})).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503 });
    await expect(realtime.joinRoom('apt_1', {})).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503 });
  });
});
