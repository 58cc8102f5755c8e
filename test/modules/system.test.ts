import { describe, expect, it } from 'vitest';
import { createContext } from '../../src/context';
import { devOutbox } from '../../src/db/schema';
import { fixedClock } from '../../src/lib/clock';
import { renderEmail } from '../../src/lib/email/templates';
import { DOCS_CSP } from '../../src/modules/system/docs-page';
import { OUTBOX_VIEW_CSP, pruneOutbox } from '../../src/modules/system/system.service';
import { cloudflareDeps } from '../../src/runtime/cloudflare';
import { client, db, testEnv, uniqueEmail } from '../helpers';

const DEV = { env: { ENVIRONMENT: 'development' } };

describe('health, OpenAPI and docs', () => {
  it('Should report status and D1 reachability at /health without auth', async () => {
    const res = await client().get('/health');
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ status: 'ok', environment: 'test', checks: { database: { status: 'ok' } } });
  });

  it('Should report 503 degraded when D1 is unreachable', async () => {
    const broken = {
      prepare: () => {
        throw new Error('D1 down');
      },
      batch: () => Promise.reject(new Error('D1 down')),
    };
    const res = await client().get('/health', { env: { DB: broken as unknown as D1Database } });
    expect(res.status).toBe(503);
    expect(res.body.data).toMatchObject({ status: 'degraded', checks: { database: { status: 'error' } } });
  });

  it('Should serve an OpenAPI 3.1 document with the bearer scheme and the shared error schema', async () => {
    const res = await client().get('/api/v1/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    expect(res.body.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(res.body.components.schemas.Error).toBeDefined();
    expect(res.body.paths['/health'].get.operationId).toBe('system.health');
    expect(res.body.paths['/api/v1/users/me'].get.responses['401']).toBeDefined();
  });

  it('Should serve the interactive docs page pointing at the document', async () => {
    const res = await client().get('/api/v1/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(res.body).toContain('/api/v1/openapi.json');
    // Pinned Swagger UI from the Worker itself (test/modules/static-assets.test.ts fetches the files).
    expect(res.headers.get('content-security-policy')).toBe(DOCS_CSP);
  });
});

describe('development outbox', () => {
  it('Should answer 404 outside development', async () => {
    const api = client();
    for (const ENVIRONMENT of ['test', 'production', '']) {
      const res = await api.get('/api/v1/dev/outbox', { env: { ENVIRONMENT } });
      expect(res.status, ENVIRONMENT).toBe(404);
      expect(res.body.error.code).toBe('NOT_FOUND');
    }
  });

  it('Should list captured email and SMS in development, filtered by recipient, newest first', async () => {
    const to = uniqueEmail('outbox');
    const clock = fixedClock('2026-05-01T10:00:00Z');
    const ctx = createContext(
      { ...testEnv, ENVIRONMENT: 'development' },
      { ...cloudflareDeps, clock },
      { requestId: 'req_x' },
    );
    await ctx.ports.mailer.send({ to, subject: 'Your code', text: 'Code 123456' });
    clock.advance(1000);
    await ctx.ports.mailer.send({ to: to.toUpperCase(), subject: 'Second', text: 'Again', html: '<p>Again</p>' });
    await ctx.ports.sms.send({ to: '+14155550199', body: 'SMS code 654321' });
    const res = await client().get(`/api/v1/dev/outbox?recipient=${encodeURIComponent(to)}`, DEV);
    expect(res.status).toBe(200);
    expect(res.body.data.items.map((m: { subject: string }) => m.subject)).toEqual(['Second', 'Your code']);
    expect(res.body.data.items[0]).toMatchObject({ channel: 'email', recipient: to, html: '<p>Again</p>' });
    const sms = await client().get('/api/v1/dev/outbox?channel=sms&recipient=%2B14155550199', DEV);
    expect(sms.body.data.items[0]).toMatchObject({ channel: 'sms', body: 'SMS code 654321' });
    const bad = await client().get('/api/v1/dev/outbox?channel=pigeon', DEV);
    expect(bad.status).toBe(422);
  });

  it('Should prune messages older than a week in development only', async () => {
    const clock = fixedClock('2026-05-10T00:00:00Z');
    const devCtx = createContext(
      { ...testEnv, ENVIRONMENT: 'development' },
      { ...cloudflareDeps, clock },
      { requestId: 'r' },
    );
    const to = uniqueEmail('old');
    await devCtx.ports.mailer.send({ to, subject: 'old', text: 'old' });
    clock.advance(8 * 24 * 3600_000);
    const testCtx = createContext(testEnv, { ...cloudflareDeps, clock }, { requestId: 'r' });
    expect(await pruneOutbox(testCtx)).toBe(0);
    expect(await pruneOutbox(devCtx)).toBeGreaterThanOrEqual(1);
    expect((await db.select().from(devOutbox).all()).some((m) => m.recipient === to)).toBe(false);
  });
});

describe('development outbox view', () => {
  const devContext = () =>
    createContext({ ...testEnv, ENVIRONMENT: 'development' }, cloudflareDeps, { requestId: 'req_view' });
  const newest = async (recipient: string) =>
    (await client().get(`/api/v1/dev/outbox?recipient=${encodeURIComponent(recipient)}&limit=1`, DEV)).body.data
      .items[0];

  it("Should render a captured email's HTML as sent, under a strict policy, its attachments listed", async () => {
    const to = uniqueEmail('view');
    const email = renderEmail(
      'appointment-booked',
      {
        appointmentId: 'apt_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
        startsAt: Date.parse('2026-05-15T11:30:00Z'),
        endsAt: Date.parse('2026-05-15T12:00:00Z'),
        type: 'video',
        serviceName: null,
        doctorName: '<img src=x onerror=alert(1)>',
        patientName: 'Pat',
        recipientRole: 'patient',
        sequence: 0,
        updatedAt: Date.parse('2026-05-01T08:00:00Z'),
      },
      { locale: 'sw-KE', timeZone: 'Africa/Nairobi' },
    );
    await devContext().ports.mailer.send({ to, ...email });
    const captured = await newest(to);
    expect(captured.attachments).toEqual([
      {
        filename: 'appointment.ics',
        contentType: 'text/calendar; charset=utf-8; method=PUBLISH',
        // The .ics's bytes: what base64 decodes to.
        size: atob(email.attachments![0]!.content).length,
      },
    ]);

    const res = await client().get(`/api/v1/dev/outbox/${captured.id}`, DEV);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(res.body).toBe(email.html);
    expect(res.body).toContain('Miadi imewekwa');
    expect(res.body).not.toContain('<img');
    expect(res.headers.get('content-security-policy')).toBe(OUTBOX_VIEW_CSP);
    expect(OUTBOX_VIEW_CSP).toContain("default-src 'none'");
    expect(OUTBOX_VIEW_CSP).not.toContain('script-src');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('Should show SMS, push and text-only email as plain pages, everything escaped', async () => {
    const ctx = devContext();
    const number = '+14155550142';
    await ctx.ports.sms.send({ to: number, body: '<b>123456</b> & more' });
    const sms = await client().get(`/api/v1/dev/outbox/${(await newest(number)).id}`, DEV);
    expect(sms.status).toBe(200);
    expect(sms.body).toContain('&#60;b&#62;123456&#60;/b&#62; &#38; more');
    expect(sms.body).not.toContain('<b>');
    expect(sms.headers.get('content-security-policy')).toBe(OUTBOX_VIEW_CSP);

    const token = `device-${uniqueEmail('push')}`;
    await ctx.ports.push.send({ token, title: 'Dose <due>', body: 'Take it', data: { '<k>': '"v"' } });
    const push = await client().get(`/api/v1/dev/outbox/${(await newest(token)).id}`, DEV);
    expect(push.body).toContain('Dose &#60;due&#62;');
    expect(push.body).toContain('data.&#60;k&#62;');
    expect(push.body).toContain('&#34;v&#34;');

    const to = uniqueEmail('plain');
    await ctx.ports.mailer.send({ to, subject: 'Plain <one>', text: 'Line <1>' });
    const plain = await client().get(`/api/v1/dev/outbox/${(await newest(to)).id}`, DEV);
    expect(plain.body).toContain('Plain &#60;one&#62;');
    expect(plain.body).toContain('<pre');
    expect(plain.body).toContain('Line &#60;1&#62;');
  });

  it('Should answer 404 outside development or for an unknown message, and 422 for a malformed id', async () => {
    const to = uniqueEmail('hidden');
    await devContext().ports.mailer.send({ to, subject: 'Secret', text: 'Code 123456' });
    const { id } = await newest(to);
    for (const ENVIRONMENT of ['test', 'production']) {
      const res = await client().get(`/api/v1/dev/outbox/${id}`, { env: { ENVIRONMENT } });
      expect([res.status, res.body.error.code], ENVIRONMENT).toEqual([404, 'NOT_FOUND']);
    }
    const unknown = await client().get('/api/v1/dev/outbox/msg_01JF8ZS5X0V6M3A2Q9K1T7B4CE', DEV);
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'NOT_FOUND']);
    const malformed = await client().get('/api/v1/dev/outbox/usr_01JF8ZS5X0V6M3A2Q9K1T7B4CE', DEV);
    expect(malformed.status).toBe(422);
  });
});
