import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { caregiverHours, caregiverSchedules, users } from '../../../src/db/schema';
import { db, uniqueId } from '../../helpers';
import { api, caregiver, expectOk, northOf, reviewed, tag, tripsOf, V1 } from './support';

/**
 * A random point of its own per test, so results only hold the test's caregivers (whatever other tests
 * or earlier runs left in the database). Rounded so the distances below come out exact.
 */
const origin = () => ({
  lat: Math.round(Math.random() * 1200 - 600) / 10,
  lng: Math.round(Math.random() * 3400 - 1700) / 10,
});

async function profiled(name: string, json: Record<string, unknown>) {
  const me = await caregiver(name);
  expectOk(await api.patch(`${V1}/caregivers/${me.user.id}/profile`, { token: me.token, json }));
  return me;
}

const at = (point: { latitude: number; longitude: number }) => ({
  address: 'Somewhere',
  ...point,
});

const search = (params: Record<string, string | number>) =>
  api.get(
    `${V1}/caregivers/search?${new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)]))}`,
  );

describe('caregiver search', () => {
  it('Should find caregivers whose radius covers the point, nearest first, with the distance, in one round trip', async () => {
    const { lat, lng } = origin();
    const t = tag();
    // 9.99 km away with a 10 km radius: just inside. 10.01 km away with 10 km: just outside.
    const inside = await profiled(`In ${t}`, {
      serviceLocation: at(northOf(lat, lng, 9.99)),
      serviceRadiusKm: 10,
      hourlyRateCents: 2000,
    });
    await profiled(`Out ${t}`, {
      serviceLocation: at(northOf(lat, lng, 10.01)),
      serviceRadiusKm: 10,
      hourlyRateCents: 2000,
    });
    // Nearer, with a wide radius.
    const near = await profiled(`Near ${t}`, {
      serviceLocation: at(northOf(lat, lng, 2)),
      serviceRadiusKm: 50,
      hourlyRateCents: 3000,
    });
    // Far, but its radius reaches the point.
    const far = await profiled(`Far ${t}`, {
      serviceLocation: at(northOf(lat, lng, 150)),
      serviceRadiusKm: 200,
      hourlyRateCents: 1000,
    });

    const res = await search({ lat, lng });
    const page = expectOk(res);
    expect(tripsOf(res)).toBe(1);
    expect(page.items.map((c: { id: string }) => c.id)).toEqual([near.user.id, inside.user.id, far.user.id]);
    expect(page.items.map((c: { distanceKm: number }) => c.distanceKm)).toEqual([2, 9.99, 150]);
    expect(page.pagination).toMatchObject({ total: 3, current: 1 });

    // Paginated, in the same order.
    const second = expectOk(await search({ lat, lng, limit: 2, page: 2 }));
    expect(second.items.map((c: { id: string }) => c.id)).toEqual([far.user.id]);
    expect(second.pagination).toMatchObject({ total: 3, current: 2, hasPrev: true, hasNext: false });

    // Price range (inclusive, minor units).
    const cheap = expectOk(await search({ lat, lng, minRate: 1000, maxRate: 2000 }));
    expect(cheap.items.map((c: { id: string }) => c.id)).toEqual([inside.user.id, far.user.id]);
  });

  it('Should filter by specialty and language, and list only verified, active caregivers', async () => {
    const { lat, lng } = origin();
    const t = tag();
    const here = at(northOf(lat, lng, 1));
    const nurse = await profiled(`Nurse ${t}`, {
      serviceLocation: here,
      serviceRadiusKm: 5,
      specialtyIds: ['csp_nursing'],
      languages: ['pt-PT'],
    });
    const physio = await profiled(`Physio ${t}`, {
      serviceLocation: here,
      serviceRadiusKm: 5,
      specialtyIds: ['csp_physiotherapy'],
      languages: ['en-GB'],
    });
    const pending = await profiled(`Pending ${t}`, { serviceLocation: here, serviceRadiusKm: 5 });
    await db.update(users).set({ status: 'pending', verifiedAt: null }).where(eq(users.id, pending.user.id));
    const blocked = await profiled(`Blocked ${t}`, { serviceLocation: here, serviceRadiusKm: 5 });
    await db.update(users).set({ status: 'blocked' }).where(eq(users.id, blocked.user.id));

    const all = expectOk(await search({ lat, lng }));
    expect(all.items.map((c: { id: string }) => c.id).sort()).toEqual([nurse.user.id, physio.user.id].sort());

    const nurses = expectOk(await search({ lat, lng, specialty: 'nursing' }));
    expect(nurses.items).toHaveLength(1);
    expect(nurses.items[0]).toMatchObject({
      id: nurse.user.id,
      specialties: [{ id: 'csp_nursing', slug: 'nursing', name: 'Nursing' }],
      languages: ['pt-PT'],
      distanceKm: 1,
    });
    const english = expectOk(await search({ lat, lng, language: 'en' }));
    expect(english.items.map((c: { id: string }) => c.id)).toEqual([physio.user.id]);
  });

  it('Should list without a point by name, with no distance, and refuse half a point or a reversed range', async () => {
    const t = tag();
    await profiled(`${t} B`, { specialtyIds: ['csp_maternal-health'], hourlyRateCents: 4242 });
    await profiled(`${t} A`, { specialtyIds: ['csp_maternal-health'], hourlyRateCents: 4242 });
    const page = expectOk(await search({ specialty: 'maternal-health', minRate: 4242, maxRate: 4242 }));
    const mine = page.items.filter((c: { name: string }) => c.name.startsWith(t));
    expect(mine.map((c: { name: string; distanceKm: null }) => [c.name, c.distanceKm])).toEqual([
      [`${t} A`, null],
      [`${t} B`, null],
    ]);

    for (const [params, field] of [
      [{ lat: 10 }, 'lng'],
      [{ lng: 10 }, 'lat'],
      [{ minRate: 5, maxRate: 4 }, 'minRate'],
    ] as const) {
      const res = await search(params);
      expect([res.status, res.body.error.code]).toEqual([422, 'VALIDATION_FAILED']);
      expect(res.body.errors.map((f: { field: string }) => f.field)).toContain(field);
    }
    expect((await search({ lat: 91, lng: 0 })).status).toBe(422);
  });

  it('Should filter by minimum rating and availability on a date, and sort by rating or price, in one round trip', async () => {
    const { lat, lng } = origin();
    const t = tag();
    const here = at(northOf(lat, lng, 1));
    const ids = (p: { items: { id: string }[] }) => p.items.map((c) => c.id);
    // Averages 4.5 (just at the bar), 4 (just under 4.5), 5 and none.
    const good = await profiled(`Good ${t}`, { serviceLocation: here, serviceRadiusKm: 5, hourlyRateCents: 3000 });
    const fair = await profiled(`Fair ${t}`, { serviceLocation: here, serviceRadiusKm: 5, hourlyRateCents: 1000 });
    const best = await profiled(`Best ${t}`, { serviceLocation: here, serviceRadiusKm: 5, hourlyRateCents: 2000 });
    const unrated = await profiled(`New ${t}`, { serviceLocation: here, serviceRadiusKm: 5 });
    for (const r of [4, 5]) await reviewed(good.user.id, r);
    for (const r of [4]) await reviewed(fair.user.id, r);
    for (const r of [5, 5]) await reviewed(best.user.id, r);

    const rated = await search({ lat, lng, minRating: 4.5 });
    expect(tripsOf(rated)).toBe(1);
    expect(ids(expectOk(rated)).sort()).toEqual([good.user.id, best.user.id].sort());

    const byRating = await search({ lat, lng, sort: 'rating' });
    expect(tripsOf(byRating)).toBe(1);
    expect(ids(expectOk(byRating))).toEqual([best.user.id, good.user.id, fair.user.id, unrated.user.id]);
    expect(expectOk(byRating).items.map((c: { ratingAverage: number | null }) => c.ratingAverage)).toEqual([
      5,
      4.5,
      4,
      null,
    ]);
    const byPrice = await search({ lat, lng, sort: 'price' });
    expect(ids(expectOk(byPrice))).toEqual([fair.user.id, best.user.id, good.user.id, unrated.user.id]);

    // 2027-03-15 is a Monday. Good: schedule and Monday hours; Fair: Monday hours without a schedule
    // (not bookable); Best: a schedule and only Tuesday hours.
    const now = Date.now();
    const schedule = (caregiverId: string) => ({
      caregiverId,
      timeZone: 'Europe/Lisbon',
      slotMinutes: 60,
      bufferMinutes: 0,
      minNoticeMinutes: 0,
      maxDaysAhead: 365,
      updatedAt: now,
    });
    const hours = (caregiverId: string, weekday: number) => ({
      id: uniqueId('chr'),
      caregiverId,
      weekday,
      startTime: '09:00',
      endTime: '17:00',
    });
    await db.insert(caregiverSchedules).values([schedule(good.user.id), schedule(best.user.id)]);
    await db.insert(caregiverHours).values([hours(good.user.id, 1), hours(fair.user.id, 1), hours(best.user.id, 2)]);
    const monday = await search({ lat, lng, availableOn: '2027-03-15' });
    expect(tripsOf(monday)).toBe(1);
    expect(ids(expectOk(monday))).toEqual([good.user.id]);
    expect(ids(expectOk(await search({ lat, lng, availableOn: '2027-03-16' })))).toEqual([best.user.id]);
    expect(ids(expectOk(await search({ lat, lng, availableOn: '2027-03-17' })))).toEqual([]);

    for (const [params, field] of [
      [{ availableOn: '2027-02-30' }, 'availableOn'],
      [{ availableOn: 'monday' }, 'availableOn'],
      [{ minRating: 6 }, 'minRating'],
      [{ minRating: 0 }, 'minRating'],
      [{ sort: 'name' }, 'sort'],
      [{ sort: 'distance' }, 'sort'],
    ] as const) {
      const res = await search(params);
      expect([res.status, res.body.error.code], JSON.stringify(params)).toEqual([422, 'VALIDATION_FAILED']);
      expect(res.body.errors.map((f: { field: string }) => f.field)).toContain(field);
    }
  });
});
