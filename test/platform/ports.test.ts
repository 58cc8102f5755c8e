import { describe, expect, it } from 'vitest';
import { createContext } from '../../src/context';
import { renderEmail } from '../../src/lib/email/templates';
import { AppError } from '../../src/lib/errors';
import { fromBase64Url } from '../../src/lib/ids';
import { checkUpload, sniffContentType } from '../../src/platform/files';
import { cloudflareDeps } from '../../src/runtime/cloudflare';
import { recordingFetch, SAMPLE, testEnv } from '../helpers';

const PROD = {
  ...testEnv,
  ENVIRONMENT: 'production',
  EMAIL_API_KEY: 're_test_key',
  EMAIL_FROM: 'Kinwell <no-reply@kinwell.health>',
  TWILIO_ACCOUNT_SID: 'AC0123456789abcdef0123456789abcdef',
  TWILIO_AUTH_TOKEN: 'twilio-token',
  TWILIO_FROM_NUMBER: '+15005550006',
};

describe('production mailer and SMS adapters', () => {
  it('Should send email through the HTTP email API with the bearer key', async () => {
    const recorder = recordingFetch(() => Response.json({ id: 'em_1' }));
    const ctx = createContext(PROD, { ...cloudflareDeps, fetch: recorder.fetch }, { requestId: 'r' });
    await ctx.ports.mailer.send({ to: 'pat@example.com', subject: 'Hello', text: 'Hi', html: '<p>Hi</p>' });
    expect(recorder.requests).toHaveLength(1);
    const req = recorder.requests[0]!;
    expect(req.url).toBe('https://api.resend.com/emails');
    expect(req.headers.get('authorization')).toBe('Bearer re_test_key');
    expect(await req.json()).toEqual({
      from: 'Kinwell <no-reply@kinwell.health>',
      to: ['pat@example.com'],
      subject: 'Hello',
      text: 'Hi',
      html: '<p>Hi</p>',
    });
  });

  it('Should send attachments to the email API as base64 with their names and types', async () => {
    const recorder = recordingFetch(() => Response.json({ id: 'em_2' }));
    const ctx = createContext(PROD, { ...cloudflareDeps, fetch: recorder.fetch }, { requestId: 'r' });
    const email = renderEmail('appointment-confirmed', {
      appointmentId: 'apt_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
      startsAt: Date.parse('2026-05-15T11:30:00Z'),
      endsAt: Date.parse('2026-05-15T12:00:00Z'),
      type: 'in-person',
      serviceName: null,
      doctorName: 'Dana Demo',
      patientName: 'Pat Patient',
      recipientRole: 'patient',
      sequence: 1,
      updatedAt: Date.parse('2026-05-01T08:00:00Z'),
    });
    await ctx.ports.mailer.send({ to: 'pat@example.com', ...email });
    const sent = (await recorder.requests[0]!.json()) as { attachments: { content: string }[]; html: string };
    expect(sent.html).toBe(email.html);
    expect(sent.attachments).toEqual([
      {
        filename: 'appointment.ics',
        content: email.attachments![0]!.content,
        content_type: 'text/calendar; charset=utf-8; method=PUBLISH',
      },
    ]);
    expect(new TextDecoder().decode(fromBase64Url(sent.attachments[0]!.content))).toContain('DTSTART:20260515T113000Z');
  });

  it("Should send SMS through Twilio's Messages API with basic auth", async () => {
    const recorder = recordingFetch(() => Response.json({ sid: 'SM1' }, { status: 201 }));
    const ctx = createContext(PROD, { ...cloudflareDeps, fetch: recorder.fetch }, { requestId: 'r' });
    await ctx.ports.sms.send({ to: '+14155550123', body: 'Your Kinwell code is 123456' });
    const req = recorder.requests[0]!;
    expect(req.url).toBe(`https://api.twilio.com/2010-04-01/Accounts/${PROD.TWILIO_ACCOUNT_SID}/Messages.json`);
    expect(req.headers.get('authorization')).toBe(`Basic ${btoa(`${PROD.TWILIO_ACCOUNT_SID}:twilio-token`)}`);
    const form = new URLSearchParams(await req.text());
    expect(Object.fromEntries(form)).toEqual({
      To: '+14155550123',
      From: '+15005550006',
      Body: 'Your Kinwell code is 123456',
    });
  });

  it('Should ask Twilio for status callbacks at the public URL when one is configured', async () => {
    const recorder = recordingFetch(() => Response.json({ sid: 'SM2' }, { status: 201 }));
    const env = { ...PROD, PUBLIC_URL: 'https://api.kinwell.health/' };
    const ctx = createContext(env, { ...cloudflareDeps, fetch: recorder.fetch }, { requestId: 'r' });
    expect(await ctx.ports.sms.send({ to: '+14155550123', body: 'Hello' })).toEqual({ providerMessageId: 'SM2' });
    const form = new TextDecoder().decode(await recorder.requests[0]!.arrayBuffer());
    expect(Object.fromEntries(new URLSearchParams(form))).toEqual({
      To: '+14155550123',
      From: '+15005550006',
      Body: 'Hello',
      StatusCallback: 'https://api.kinwell.health/api/v1/webhooks/twilio/sms-status',
    });
  });

  it('Should throw SERVICE_UNAVAILABLE when the provider refuses, so the job retries', async () => {
    const recorder = recordingFetch(() => new Response('nope', { status: 500 }));
    const ctx = createContext(PROD, { ...cloudflareDeps, fetch: recorder.fetch }, { requestId: 'r' });
    await expect(ctx.ports.sms.send({ to: '+14155550123', body: 'x' })).rejects.toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
    });
    await expect(ctx.ports.mailer.send({ to: 'a@b.c', subject: 's', text: 't' })).rejects.toBeInstanceOf(AppError);
  });

  it('Should refuse to send in production when provider secrets are missing', async () => {
    const recorder = recordingFetch();
    const env = { ...testEnv, ENVIRONMENT: 'production' };
    const ctx = createContext(env, { ...cloudflareDeps, fetch: recorder.fetch }, { requestId: 'r' });
    await expect(ctx.ports.mailer.send({ to: 'a@b.c', subject: 's', text: 't' })).rejects.toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
    });
    await expect(ctx.ports.sms.send({ to: '+14155550123', body: 'x' })).rejects.toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
    });
    expect(recorder.requests).toHaveLength(0);
  });
});

describe('upload checks', () => {
  it('Should recognise accepted types by magic bytes only', () => {
    expect(sniffContentType(SAMPLE.png())).toBe('image/png');
    expect(sniffContentType(SAMPLE.pdf())).toBe('application/pdf');
    expect(sniffContentType(new Uint8Array([0xff, 0xd8, 0xff, 0xe0]))).toBe('image/jpeg');
    expect(sniffContentType(new TextEncoder().encode('RIFF\0\0\0\0WEBPVP8 '))).toBe('image/webp');
    expect(sniffContentType(SAMPLE.exe())).toBeNull();
    expect(sniffContentType(new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"/>'))).toBeNull();
    expect(sniffContentType(new Uint8Array())).toBeNull();
  });

  it('Should enforce each purpose limit and type list', () => {
    expect(checkUpload('avatar', SAMPLE.png())).toBe('image/png');
    expect(() => checkUpload('avatar', SAMPLE.pdf())).toThrow(expect.objectContaining({ code: 'INVALID_FILE_TYPE' }));
    const big = new Uint8Array(10 * 1024 * 1024 + 1);
    big.set(SAMPLE.pdf());
    expect(() => checkUpload('lab-report', big)).toThrow(expect.objectContaining({ code: 'FILE_TOO_LARGE' }));
  });
});
