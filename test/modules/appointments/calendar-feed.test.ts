import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditEvents, calendarFeeds, users } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import { sha256Hex } from '../../../src/lib/crypto';
import { client, db } from '../../helpers';
import { icsValues, parseIcs as parseIcsProps } from '../../support/ics';
import { account, insertAppointment, practice } from '../../support/practice';

const NOW = new Date('2026-10-01T08:00:00Z');
const clock = fixedClock(NOW);
const api = client({ clock });
const FEED = '/api/v1/calendar/feed';

/** Unfolds an iCalendar text and returns its calendar lines and its VEVENTs' property values. */
function parseIcs(text: string): { lines: string[]; events: Record<string, string>[] } {
  const { lines, events } = parseIcsProps(text);
  return { lines, events: events.map(icsValues) };
}

const uidOf = (id: string) => `${id}@kinwell.health`;
const feedRow = (userId: string) => db.select().from(calendarFeeds).where(eq(calendarFeeds.userId, userId)).get();

/** Creates a feed for `token` and answers its URL's path. */
async function createFeed(token: string): Promise<string> {
  const res = await api.post(FEED, { token });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return new URL(res.body.data.url).pathname;
}

/** A patient and a doctor with appointments at several times and states. */
async function calendarOf() {
  const { doctor, services } = await practice(NOW, { timeZone: 'Europe/Berlin' });
  const patient = await account('user', NOW);
  const book = (patientId: string, startsAt: string, status: Parameters<typeof insertAppointment>[0]['status']) =>
    insertAppointment({
      patientId,
      doctorId: doctor.user.id,
      serviceId: services[0]!.id,
      startsAt,
      status,
      timeZone: 'Europe/Berlin',
    });
  const other = await account('user', NOW);
  return {
    doctor,
    patient,
    other,
    pending: await book(patient.user.id, '2026-10-24T08:00:00Z', 'pending'),
    confirmed: await book(patient.user.id, '2026-10-26T09:00:00Z', 'confirmed'),
    cancelled: await book(patient.user.id, '2026-10-27T09:00:00Z', 'cancelled'),
    rejected: await book(patient.user.id, '2026-10-28T09:00:00Z', 'rejected'),
    recentPast: await book(patient.user.id, '2026-09-10T09:00:00Z', 'completed'),
    oldPast: await book(patient.user.id, '2026-08-01T09:00:00Z', 'completed'),
    farFuture: await book(patient.user.id, '2027-10-05T09:00:00Z', 'pending'),
    othersAppointment: await book(other.user.id, '2026-10-29T09:00:00Z', 'confirmed'),
  };
}

describe('calendar feed lifecycle', () => {
  it('Should create a feed (storing only the token hash), serve it without a bearer, rotate and revoke it', async () => {
    const { patient, confirmed } = await calendarOf();
    const before = await api.get(FEED, { token: patient.token });
    expect(before.body.data).toEqual({ active: false, createdAt: null, lastUsedAt: null });

    const created = await api.post(FEED, { token: patient.token });
    expect(created.status).toBe(201);
    const url: string = created.body.data.url;
    const match = /^http:\/\/localhost\/api\/v1\/calendar\/feed\/([A-Za-z0-9_-]{43})\.ics$/.exec(url);
    expect(match, url).not.toBeNull();
    expect(created.body.data.createdAt).toBe(NOW.toISOString());
    const row = await feedRow(patient.user.id);
    expect(row?.tokenHash).toBe(await sha256Hex(match![1]!));
    expect(JSON.stringify(row)).not.toContain(match![1]!);
    const status = await api.get(FEED, { token: patient.token });
    expect(status.body.data).toEqual({ active: true, createdAt: NOW.toISOString(), lastUsedAt: null });
    expect(JSON.stringify(status.body)).not.toContain(match![1]!);

    clock.advance(60_000);
    const path = new URL(url).pathname;
    const fetched = await api.get(path);
    expect(fetched.status).toBe(200);
    expect(fetched.headers.get('content-type')).toBe('text/calendar; charset=utf-8');
    expect(fetched.headers.get('cache-control')).toBe('private, no-store');
    expect(parseIcs(fetched.body).events.map((e) => e.UID)).toContain(uidOf(confirmed.id));
    expect((await feedRow(patient.user.id))?.lastUsedAt).toBe(NOW.getTime() + 60_000);
    expect((await api.get(FEED, { token: patient.token })).body.data.lastUsedAt).toBe(
      new Date(NOW.getTime() + 60_000).toISOString(),
    );

    const rotated = await createFeed(patient.token);
    expect(rotated).not.toBe(path);
    const old = await api.get(path);
    expect([old.status, old.body.error.code]).toEqual([404, 'NOT_FOUND']);
    expect((await api.get(rotated)).status).toBe(200);
    expect((await feedRow(patient.user.id))?.lastUsedAt).toBe(NOW.getTime() + 60_000);

    const revoked = await api.delete(FEED, { token: patient.token });
    expect(revoked.status).toBe(200);
    expect(revoked.body.data).toEqual({ active: false, createdAt: null, lastUsedAt: null });
    expect(await feedRow(patient.user.id)).toBeUndefined();
    expect((await api.get(rotated)).status).toBe(404);
    expect((await api.delete(FEED, { token: patient.token })).status).toBe(200);
    const audits = await db
      .select({ action: auditEvents.action })
      .from(auditEvents)
      .where(and(eq(auditEvents.resourceId, patient.user.id), eq(auditEvents.resourceType, 'calendar_feed')))
      .all();
    expect(audits.map((a) => a.action).sort()).toEqual([
      'calendar.feed.create',
      'calendar.feed.create',
      'calendar.feed.revoke',
      'calendar.feed.revoke',
    ]);
    clock.set(NOW);
  });

  it('Should answer 404 with the usual error body for unknown, malformed or unsuffixed tokens', async () => {
    const { patient } = await calendarOf();
    const path = await createFeed(patient.token);
    const token = path
      .split('/')
      .pop()!
      .replace(/\.ics$/, '');
    for (const file of [
      `${'A'.repeat(43)}.ics`,
      'short.ics',
      token,
      `${token}.ical`,
      `${token}.ics.ics`,
      `${'x'.repeat(300)}.ics`,
    ]) {
      const res = await api.get(`${FEED}/${file}`);
      expect([res.status, res.body.success, res.body.error.code], file).toEqual([404, false, 'NOT_FOUND']);
    }
  });

  it('Should refuse the management routes without a token (401)', async () => {
    for (const method of ['get', 'post', 'delete'] as const) {
      const res = await api[method](FEED);
      expect([res.status, res.body.error.code], method).toEqual([401, 'UNAUTHENTICATED']);
    }
  });

  it('Should stop serving the feed of a blocked or removed account (404)', async () => {
    for (const status of ['blocked', 'removed'] as const) {
      const { patient } = await calendarOf();
      const path = await createFeed(patient.token);
      expect((await api.get(path)).status).toBe(200);
      await db.update(users).set({ status }).where(eq(users.id, patient.user.id));
      const res = await api.get(path);
      expect([res.status, res.body.error.code], status).toEqual([404, 'NOT_FOUND']);
    }
  });
});

describe('calendar feed contents', () => {
  it("Should list the patient's appointments from 30 days ago to a year ahead, without rejected or others'", async () => {
    const c = await calendarOf();
    const text = (await api.get(await createFeed(c.patient.token))).body as string;
    expect(text.endsWith('END:VCALENDAR\r\n')).toBe(true);
    expect(text.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    const { lines, events } = parseIcs(text);
    expect(lines).toContain('METHOD:PUBLISH');
    expect(lines).toContain('X-WR-CALNAME:Kinwell appointments');
    const byUid = new Map(events.map((e) => [e.UID, e]));
    expect(events.map((e) => e.UID)).toEqual(
      [c.recentPast, c.pending, c.confirmed, c.cancelled].map((a) => uidOf(a.id)),
    );
    expect(byUid.get(uidOf(c.pending.id))).toMatchObject({ STATUS: 'TENTATIVE', DTSTART: '20261024T080000Z' });
    expect(byUid.get(uidOf(c.confirmed.id))).toMatchObject({ STATUS: 'CONFIRMED', DTSTART: '20261026T090000Z' });
    expect(byUid.get(uidOf(c.cancelled.id))?.STATUS).toBe('CANCELLED');
    expect(byUid.get(uidOf(c.confirmed.id))?.SUMMARY).toBe('Consultation 30 min with Dr. Test Person');
    for (const absent of [c.rejected, c.oldPast, c.farFuture, c.othersAppointment]) {
      expect(text).not.toContain(absent.id);
    }
  });

  it("Should give a doctor their patients' appointments, named, and not another doctor's", async () => {
    const c = await calendarOf();
    const elsewhere = await calendarOf();
    await db.update(users).set({ name: 'Pat Patient' }).where(eq(users.id, c.patient.user.id));
    const text = (await api.get(await createFeed(c.doctor.token))).body as string;
    const events = parseIcs(text).events;
    expect(events.map((e) => e.UID)).toEqual(
      [c.recentPast, c.pending, c.confirmed, c.cancelled, c.othersAppointment].map((a) => uidOf(a.id)),
    );
    expect(events.find((e) => e.UID === uidOf(c.confirmed.id))?.SUMMARY).toBe('Consultation 30 min with Pat Patient');
    expect(text).not.toContain(elsewhere.confirmed.id);
    expect(text).not.toContain(elsewhere.patient.user.id);
  });
});
