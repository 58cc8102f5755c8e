import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { RoutePolicy } from '../../src/access/policy';
import { ROUTE_POLICIES } from '../../src/access/route-policies';
import { createApp, ROUND_TRIPS_HEADER } from '../../src/app';
import { createDb } from '../../src/db/client';
import { D1Meter, isWriteSql, meteredD1 } from '../../src/db/metered';
import { type Role, sessions, users } from '../../src/db/schema';
import { cloudflareDeps } from '../../src/runtime/cloudflare';
import { type ApiResponse, client, createUser, db, testEnv, tokenFor, uniqueId } from '../helpers';

const api = client();
const tripsOf = (res: ApiResponse) => Number(res.headers.get(ROUND_TRIPS_HEADER));

describe('the DB port meter', () => {
  it('Should count calls issued together as one round trip and calls that wait for each other as several', async () => {
    const meter = new D1Meter();
    const metered = createDb(meteredD1(testEnv.DB, meter));
    await Promise.all([metered.select().from(users).limit(1), metered.select().from(sessions).limit(1)]);
    expect(meter.roundTrips).toBe(1);
    await metered.select().from(users).limit(1);
    await metered.batch([metered.select().from(users).limit(1), metered.select().from(sessions).limit(1)]);
    expect(meter.roundTrips).toBe(3);
  });

  it('Should tell reads from writes by their SQL, treating anything unclear as a write', () => {
    expect(isWriteSql('select 1')).toBe(false);
    expect(isWriteSql('  SELECT * from users')).toBe(false);
    expect(isWriteSql('with x as (select 1) select * from x')).toBe(false);
    expect(isWriteSql('with x as (select 1) insert into t select * from x')).toBe(true);
    expect(isWriteSql('insert into users values (1)')).toBe(true);
    expect(isWriteSql('update users set name = 1')).toBe(true);
    expect(isWriteSql('delete from users')).toBe(true);
    expect(isWriteSql('pragma foreign_keys')).toBe(true);
  });

  it('Should roll back a write batch whose gate refuses, and hand over no read beside a refused gate', async () => {
    const meter = new D1Meter();
    const metered = createDb(meteredD1(testEnv.DB, meter));
    const refusal = new Error('refused');
    const gate = {
      statement: (d1: D1Database) => d1.prepare("select json('refused') as ok"),
      passed: () => undefined,
      refused: () => Promise.reject(refusal),
    };
    const name = uniqueId('name');
    const user = await createUser();
    meter.arm(gate);
    // drizzle wraps what the driver throws: the refusal is the error or its cause.
    const refusedBy = (err: unknown) => err === refusal || (err as { cause?: unknown }).cause === refusal;
    const write = await metered
      .update(users)
      .set({ name })
      .where(eq(users.id, user.id))
      .catch((err: unknown) => err);
    expect(refusedBy(write)).toBe(true);
    expect((await db.select().from(users).where(eq(users.id, user.id)).get())?.name).not.toBe(name);
    expect(meter.roundTrips).toBe(1);

    const reader = new D1Meter();
    const readDb = createDb(meteredD1(testEnv.DB, reader));
    reader.arm(gate);
    const read = await readDb
      .select()
      .from(users)
      .where(eq(users.id, user.id))
      .catch((err: unknown) => err);
    expect(refusedBy(read)).toBe(true);
    expect(reader.roundTrips).toBe(1);
  });
});

describe('signed-in requests fold the session check into their first round trip', () => {
  it('Should answer GET /users/me in one round trip', async () => {
    const user = await createUser();
    const res = await api.get('/api/v1/users/me', { token: await tokenFor(user) });
    expect(res.status).toBe(200);
    expect(res.body.data.user.id).toBe(user.id);
    expect(tripsOf(res)).toBe(1);
  });

  it('Should refuse a revoked session in the same round trip count and change nothing on a write', async () => {
    const user = await createUser();
    const token = await tokenFor(user);
    await db.update(sessions).set({ revokedAt: Date.now() }).where(eq(sessions.userId, user.id));
    const read = await api.get('/api/v1/users/me', { token });
    expect(read.status).toBe(401);
    expect(read.body.error.code).toBe('TOKEN_REVOKED');
    const write = await api.patch('/api/v1/users/me', { token, json: { name: 'Changed By Revoked Token' } });
    expect(write.status).toBe(401);
    expect(write.body.error.code).toBe('TOKEN_REVOKED');
    expect((await db.select().from(users).where(eq(users.id, user.id)).get())?.name).toBe(user.name);
  });
});

/** A concrete URL for a templated path: every parameter a well-formed id that matches nothing. */
const concrete = (path: string) =>
  path.replace(/\{(\w+)\}/g, (_m, name: string) => `${name}_00000000000000000000000000`);

describe('every read endpoint makes at most one sequential round trip', () => {
  it('Should read every GET route, signed in with a role it allows, in at most one round trip', async () => {
    const app = createApp(cloudflareDeps);
    const routes = app.openAPIRegistry.definitions
      .filter((d): d is Extract<typeof d, { type: 'route' }> => d.type === 'route')
      .map((d) => d.route)
      .filter((r) => r.method === 'get');
    const tokens = new Map<string, string>();
    async function tokenForPolicy(policy: RoutePolicy): Promise<string | undefined> {
      if (policy.kind === 'public') return undefined;
      const role: Role = policy.roles[0] ?? 'user';
      const subRoles = policy.subRoles ?? [];
      const key = `${role}:${subRoles.join(',')}`;
      if (!tokens.has(key)) tokens.set(key, await tokenFor(await createUser({ role, subRoles: [...subRoles] })));
      return tokens.get(key);
    }
    const report: string[] = [];
    for (const route of routes) {
      const policy = (ROUTE_POLICIES as Record<string, RoutePolicy>)[route.operationId ?? '']!;
      const res = await api.get(concrete(route.path), { token: await tokenForPolicy(policy) });
      if (res.status === 101 || route.path.endsWith('/realtime')) continue;
      report.push(`${tripsOf(res)} ${res.status} GET ${route.path}`);
    }
    console.log(report.join('\n'));
    expect(report.filter((line) => Number(line.split(' ')[0]) > 1)).toEqual([]);
  });
});

describe('public reads may be served by a read replica', () => {
  /** The test database, recording which statements went through a Sessions API session. */
  function spiedDb() {
    const seen = { session: 0, primary: 0 };
    const d1 = testEnv.DB;
    const spy = {
      prepare: (sql: string) => {
        seen.primary += 1;
        return d1.prepare(sql);
      },
      batch: (statements: D1PreparedStatement[]) => d1.batch(statements),
      withSession: (constraint?: string) => {
        const session = d1.withSession(constraint as never);
        return {
          prepare: (sql: string) => {
            seen.session += 1;
            return session.prepare(sql);
          },
          batch: (statements: D1PreparedStatement[]) => session.batch(statements),
          getBookmark: () => session.getBookmark(),
        };
      },
    };
    return { seen, DB: spy as unknown as D1Database };
  }

  it('Should read the doctor directory through a D1 session, and a signed-in read through the primary', async () => {
    const directory = spiedDb();
    const list = await api.get('/api/v1/doctors', { env: { DB: directory.DB } });
    expect(list.status).toBe(200);
    expect(directory.seen.session).toBeGreaterThan(0);
    expect(directory.seen.primary).toBe(0);

    const user = await createUser();
    const mine = spiedDb();
    const me = await api.get('/api/v1/users/me', { token: await tokenFor(user), env: { DB: mine.DB } });
    expect(me.status).toBe(200);
    expect(mine.seen.session).toBe(0);
    expect(mine.seen.primary).toBeGreaterThan(0);
  });
});
