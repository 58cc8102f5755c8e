import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createContext } from '../../../src/context';
import {
  auditEvents,
  NOTIFICATION_CHANNELS,
  NOTIFICATION_KINDS,
  type NotificationChannel,
  type NotificationKind,
  notificationPreferences,
} from '../../../src/db/schema';
import { enabledChannels, isNotificationEnabled } from '../../../src/modules/users/notification-preferences.service';
import { cloudflareDeps } from '../../../src/runtime/cloudflare';
import { client, db, signedInUser, testEnv } from '../../helpers';

const api = client();
const PREFS = '/api/v1/users/me/notification-preferences';

const DEFAULTS = {
  'in-app': { appointments: true, reminders: true, medication: true, system: true, marketing: false },
  email: { appointments: true, reminders: true, medication: true, system: true, marketing: false },
  sms: { appointments: true, reminders: true, medication: true, system: false, marketing: false },
  push: { appointments: true, reminders: true, medication: true, system: true, marketing: false },
};

const rowsOf = (userId: string) =>
  db.select().from(notificationPreferences).where(eq(notificationPreferences.userId, userId)).all();

const serviceCtx = () => createContext(testEnv, cloudflareDeps, { requestId: 'req_test' });

describe('notification preferences', () => {
  it('Should answer the defaults when nothing is stored: marketing off, SMS only for what matters', async () => {
    const { user, token } = await signedInUser();
    const res = await api.get(PREFS, { token });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ channels: DEFAULTS });
    expect(await rowsOf(user.id)).toEqual([]);
  });

  it('Should change only the given cells, store only those, and answer the full matrix', async () => {
    const { user, token } = await signedInUser();
    const res = await api.put(PREFS, {
      token,
      json: { channels: { email: { marketing: true }, sms: { reminders: false }, push: { appointments: true } } },
    });
    expect(res.status).toBe(200);
    const expected = structuredClone(DEFAULTS);
    expected.email.marketing = true;
    expected.sms.reminders = false;
    expect(res.body.data).toEqual({ channels: expected });
    const stored = (await rowsOf(user.id)).map((r) => `${r.channel}/${r.kind}=${r.enabled}`).sort();
    expect(stored).toEqual(['email/marketing=true', 'push/appointments=true', 'sms/reminders=false']);
    expect((await api.get(PREFS, { token })).body.data).toEqual({ channels: expected });

    // A second update leaves earlier choices alone and can flip a stored cell back.
    const again = await api.put(PREFS, { token, json: { channels: { email: { marketing: false } } } });
    expected.email.marketing = false;
    expect(again.body.data).toEqual({ channels: expected });
    expect(await rowsOf(user.id)).toHaveLength(3);

    const audit = await db.select().from(auditEvents).where(eq(auditEvents.actorId, user.id)).all();
    expect(audit.map((a) => a.action)).toEqual(['notification-preferences.update', 'notification-preferences.update']);
    expect(audit[1]!.metadata).toEqual({ cells: [{ channel: 'email', kind: 'marketing', enabled: false }] });
  });

  it('Should accept every cell at once', async () => {
    const { user, token } = await signedInUser();
    const all = Object.fromEntries(
      NOTIFICATION_CHANNELS.map((ch) => [ch, Object.fromEntries(NOTIFICATION_KINDS.map((k) => [k, true]))]),
    );
    const res = await api.put(PREFS, { token, json: { channels: all } });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ channels: all });
    expect(await rowsOf(user.id)).toHaveLength(NOTIFICATION_CHANNELS.length * NOTIFICATION_KINDS.length);
  });

  it('Should refuse to turn off in-app system notifications with a clear 422, changing nothing', async () => {
    const { user, token } = await signedInUser();
    const res = await api.put(PREFS, {
      token,
      json: { channels: { 'in-app': { system: false }, email: { marketing: true } } },
    });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(res.body.message).toMatch(/system notifications in the app cannot be turned off/i);
    expect(res.body.errors).toEqual([{ field: 'channels.in-app.system', message: expect.stringMatching(/security/) }]);
    expect(await rowsOf(user.id)).toEqual([]);
    expect(await db.$count(auditEvents, eq(auditEvents.actorId, user.id))).toBe(0);
    // Other channels' system notifications may be turned off; in-app system may be (re)affirmed.
    const ok = await api.put(PREFS, {
      token,
      json: { channels: { email: { system: false }, 'in-app': { system: true } } },
    });
    expect(ok.status).toBe(200);
    expect(ok.body.data.channels.email.system).toBe(false);
    expect(ok.body.data.channels['in-app'].system).toBe(true);
  });

  it('Should refuse unknown channels or kinds, wrong types and empty changes with 422, storing nothing', async () => {
    const { user, token } = await signedInUser();
    const cases: [unknown, string][] = [
      [{ channels: { fax: { appointments: true } } }, 'channels.fax'],
      [{ channels: { email: { newsletters: true } } }, 'channels.email.newsletters'],
      [{ channels: { email: { marketing: 'yes' } } }, 'channels.email.marketing'],
      [{ channels: { email: { marketing: 1 } } }, 'channels.email.marketing'],
      [{ channels: { email: true } }, 'channels.email'],
      [{ channels: {} }, 'channels'],
      [{}, 'channels'],
      [{ channels: { email: { marketing: true } }, userId: 'usr_01JF8ZS5X0V6M3A2Q9K1T7B4CE' }, 'userId'],
      [[], 'json'],
    ];
    for (const [json, field] of cases) {
      const res = await api.put(PREFS, { token, json });
      expect(res.status, JSON.stringify(json)).toBe(422);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
      expect(
        res.body.errors.map((e: { field: string }) => e.field),
        JSON.stringify(json),
      ).toContain(field);
    }
    expect(await rowsOf(user.id)).toEqual([]);
  });

  it('Should agree with the HTTP matrix in isNotificationEnabled and enabledChannels', async () => {
    const { user, token } = await signedInUser();
    const fresh = await signedInUser();
    await db.insert(notificationPreferences).values({
      userId: user.id,
      channel: 'in-app',
      kind: 'system',
      enabled: false, // written behind the API's back: still on
      updatedAt: Date.now(),
    });
    await api.put(PREFS, {
      token,
      json: { channels: { sms: { system: true, appointments: false }, push: { reminders: false } } },
    });
    const ctx = serviceCtx();
    for (const who of [user, fresh.user]) {
      const matrix = (await api.get(PREFS, { token: who === user ? token : fresh.token })).body.data.channels;
      for (const channel of NOTIFICATION_CHANNELS) {
        for (const kind of NOTIFICATION_KINDS) {
          const enabled = await isNotificationEnabled(ctx, who.id, channel, kind);
          expect(enabled, `${who.id} ${channel}/${kind}`).toBe(matrix[channel][kind]);
        }
      }
    }
    const expectedChannels = (
      matrix: Record<NotificationChannel, Record<NotificationKind, boolean>>,
      kind: NotificationKind,
    ) => NOTIFICATION_CHANNELS.filter((ch) => matrix[ch][kind]);
    const userMatrix = (await api.get(PREFS, { token })).body.data.channels;
    for (const kind of NOTIFICATION_KINDS) {
      const byUser = await enabledChannels(ctx, [user.id, fresh.user.id, user.id], kind);
      expect(byUser.get(user.id)).toEqual(expectedChannels(userMatrix, kind));
      expect(byUser.get(fresh.user.id)).toEqual(expectedChannels(DEFAULTS, kind));
    }
    expect(await isNotificationEnabled(ctx, user.id, 'in-app', 'system')).toBe(true);
    expect(await isNotificationEnabled(ctx, user.id, 'sms', 'appointments')).toBe(false);
    expect(await isNotificationEnabled(ctx, user.id, 'sms', 'system')).toBe(true);
  });

  it('Should keep one account’s choices away from another', async () => {
    const a = await signedInUser();
    const b = await signedInUser();
    await api.put(PREFS, { token: a.token, json: { channels: { push: { appointments: false } } } });
    expect((await api.get(PREFS, { token: b.token })).body.data).toEqual({ channels: DEFAULTS });
    expect(await rowsOf(b.user.id)).toEqual([]);
  });

  it('Should refuse anonymous callers with 401', async () => {
    for (const res of [
      await api.get(PREFS),
      await api.put(PREFS, { json: { channels: { email: { marketing: true } } } }),
    ]) {
      expect([res.status, res.body.error.code]).toEqual([401, 'UNAUTHENTICATED']);
    }
  });
});
