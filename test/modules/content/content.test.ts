import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createContext } from '../../../src/context';
import { auditEvents, contentItems, contentItemVersions } from '../../../src/db/schema';
import worker from '../../../src/index';
import { CRON_TASKS, runCron } from '../../../src/jobs/cron';
import { fixedClock } from '../../../src/lib/clock';
import { cloudflareDeps } from '../../../src/runtime/cloudflare';
import { client, db, form, SAMPLE, testEnv, uniqueId } from '../../helpers';
import { account } from '../../support/practice';
import { tripsOf } from '../../support/round-trips';

const NOW = new Date('2026-11-20T08:00:00Z');
const clock = fixedClock(NOW);
const api = client({ clock });
const V1 = '/api/v1';

const slugOf = (label: string) => `${label}-${uniqueId('s').slice(4).toLowerCase()}`;
const manager = () => account('admin', NOW, ['content-manager']);

async function draft(token: string, extra: Record<string, unknown> = {}) {
  const res = await api.post(`${V1}/admin/content`, {
    token,
    json: {
      kind: 'article',
      title: 'Sleep hygiene basics',
      slug: slugOf('sleep'),
      summary: 'Seven habits for better sleep.',
      body: '# Sleep\n\nSame time every night.',
      tags: ['sleep'],
      ...extra,
    },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.data;
}

const move = (token: string, id: string, json: Record<string, unknown>) =>
  api.post(`${V1}/admin/content/${id}/status`, { token, json });

describe('content hub', () => {
  it('keeps a draft from the public, publishes it with an ETag and Cache-Control, and answers 304', async () => {
    const { token } = await manager();
    const item = await draft(token);
    expect(item).toMatchObject({ status: 'draft', version: 1 });
    const hidden = await api.get(`${V1}/content/${item.slug}`);
    expect(hidden.status).toBe(404);
    expect(tripsOf(hidden)).toBe(1);

    const published = await move(token, item.id, { status: 'published' });
    expect(published.status, JSON.stringify(published.body)).toBe(200);
    expect(tripsOf(published)).toBe(2);
    expect(published.body.data).toMatchObject({ status: 'published', publishedAt: NOW.toISOString() });

    const read = await api.get(`${V1}/content/${item.slug}`);
    expect(read.status).toBe(200);
    expect(tripsOf(read)).toBe(1);
    expect(read.body.data).toMatchObject({ id: item.id, body: '# Sleep\n\nSame time every night.' });
    expect(read.headers.get('cache-control')).toBe('public, max-age=60');
    const etag = read.headers.get('etag');
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    const again = await api.get(`${V1}/content/${item.slug}`, { headers: { 'if-none-match': etag! } });
    expect(again.status).toBe(304);

    const list = await api.get(`${V1}/content?q=${encodeURIComponent('Seven habits')}&limit=100`);
    expect(list.status).toBe(200);
    expect(tripsOf(list)).toBe(1);
    expect(list.body.data.items.map((i: { id: string }) => i.id)).toContain(item.id);
    expect(list.body.data.items[0]).not.toHaveProperty('body');
    const listTag = list.headers.get('etag')!;
    expect(
      (
        await api.get(`${V1}/content?q=${encodeURIComponent('Seven habits')}&limit=100`, {
          headers: { 'if-none-match': listTag },
        })
      ).status,
    ).toBe(304);

    // archived: gone from the public again, and the list's ETag changes
    expect((await move(token, item.id, { status: 'archived' })).status).toBe(200);
    expect((await api.get(`${V1}/content/${item.slug}`)).status).toBe(404);
    const after = await api.get(`${V1}/content?q=${encodeURIComponent('Seven habits')}&limit=100`, {
      headers: { 'if-none-match': listTag },
    });
    expect(after.status).toBe(200);
  });

  it('lets the cron publish a scheduled item once its time has passed', async () => {
    const { token } = await manager();
    const item = await draft(token);
    expect((await move(token, item.id, { status: 'scheduled' })).status).toBe(422);
    expect((await move(token, item.id, { status: 'scheduled', publishAt: '2026-11-20T07:00:00Z' })).status).toBe(422);
    const scheduled = await move(token, item.id, { status: 'scheduled', publishAt: '2026-11-20T09:00:00Z' });
    expect(scheduled.status).toBe(200);
    const cronAt = (iso: string) =>
      runCron(
        createContext(testEnv, { ...cloudflareDeps, clock: fixedClock(new Date(iso)) }, { requestId: 'cron' }),
        CRON_TASKS,
      );
    await cronAt('2026-11-20T08:59:00Z');
    expect((await api.get(`${V1}/content/${item.slug}`)).status).toBe(404);
    await cronAt('2026-11-20T09:00:00Z');
    const [row] = await db.select().from(contentItems).where(eq(contentItems.id, item.id));
    expect(row).toMatchObject({ status: 'published', publishedAt: Date.parse('2026-11-20T09:00:00Z') });
    expect((await api.get(`${V1}/content/${item.slug}`)).status).toBe(200);
    const audits = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.resourceId, item.id), eq(auditEvents.action, 'content.published')));
    expect(audits).toMatchObject([{ actorId: null }]);
  });

  it('appends a version on every save, in two round trips, and audits it', async () => {
    const { token } = await manager();
    const item = await draft(token);
    const saved = await api.patch(`${V1}/admin/content/${item.id}`, { token, json: { title: 'Better sleep' } });
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);
    expect(tripsOf(saved)).toBe(2);
    expect(saved.body.data).toMatchObject({ title: 'Better sleep', version: 2, summary: item.summary });
    const versions = await api.get(`${V1}/admin/content/${item.id}/versions`, { token });
    expect(versions.status).toBe(200);
    expect(tripsOf(versions)).toBe(1);
    expect(
      versions.body.data.map((v: { version: number; snapshot: { title: string } }) => [v.version, v.snapshot.title]),
    ).toEqual([
      [2, 'Better sleep'],
      [1, 'Sleep hygiene basics'],
    ]);
    const audits = await db.select().from(auditEvents).where(eq(auditEvents.resourceId, item.id));
    expect(audits.map((a) => a.action).sort()).toEqual(['content.create', 'content.update']);
  });

  it('finds published items by text, tag and category', async () => {
    const { token } = await manager();
    const catSlug = slugOf('wellbeing');
    const category = await api.post(`${V1}/admin/content-categories`, {
      token,
      json: { name: 'Wellbeing', slug: catSlug },
    });
    expect(category.status).toBe(201);
    const word = uniqueId('w').slice(4).toLowerCase();
    const tag = `t${word.slice(-10)}`;
    const a = await draft(token, { title: `Alpha ${word}`, tags: [tag], categoryId: category.body.data.id });
    const b = await draft(token, { title: `Beta ${word}` });
    await draft(token, { title: `Gamma ${word}` }); // stays a draft
    for (const id of [a.id, b.id]) expect((await move(token, id, { status: 'published' })).status).toBe(200);
    const ids = async (query: string) =>
      (await api.get(`${V1}/content?${query}`)).body.data.items.map((i: { id: string }) => i.id).sort();
    expect(await ids(`q=${word}`)).toEqual([a.id, b.id].sort());
    expect(await ids(`tag=${tag}`)).toEqual([a.id]);
    expect(await ids(`category=${catSlug}`)).toEqual([a.id]);
    expect(await ids(`q=${word}&kind=document`)).toEqual([]);
    const one = await api.get(`${V1}/content/${a.slug}`);
    expect(one.body.data.category).toMatchObject({ slug: catSlug, name: 'Wellbeing' });
  });

  it('refuses admins without the content-manager sub-role and anonymous writers', async () => {
    const plain = await account('admin', NOW);
    const res = await api.post(`${V1}/admin/content`, {
      token: plain.token,
      json: { kind: 'article', title: 'x', slug: slugOf('x'), body: 'x' },
    });
    expect(res.status).toBe(403);
    const user = await account('user', NOW);
    expect((await api.get(`${V1}/admin/content`, { token: user.token })).status).toBe(403);
    expect((await api.get(`${V1}/admin/content`)).status).toBe(401);
    const boss = await account('superadmin', NOW);
    await draft(boss.token);
  });

  it('refuses bad input with 422 and stores nothing', async () => {
    const { token, user } = await manager();
    const before = await db.$count(contentItems, eq(contentItems.authorId, user.id));
    const bad = async (json: Record<string, unknown>, field: string) => {
      const res = await api.post(`${V1}/admin/content`, { token, json });
      expect(res.status, JSON.stringify(res.body)).toBe(422);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    };
    await bad({ kind: 'article', title: 'x', slug: 'Not Kebab', body: 'x' }, 'slug');
    await bad({ kind: 'article', title: 'x', slug: slugOf('a') }, 'body');
    await bad({ kind: 'document', title: 'x', slug: slugOf('d') }, 'fileId');
    await bad({ kind: 'document', title: 'x', slug: slugOf('d'), fileId: 'fil_01JF8ZS5X0V6M3A2Q9K1T7B4CE' }, 'fileId');
    await bad(
      { kind: 'article', title: 'x', slug: slugOf('a'), body: 'x', categoryId: 'cat_01JF8ZS5X0V6M3A2Q9K1T7B4CE' },
      'categoryId',
    );
    expect(await db.$count(contentItems, eq(contentItems.authorId, user.id))).toBe(before);
    const item = await draft(token);
    const dup = await api.post(`${V1}/admin/content`, {
      token,
      json: { kind: 'article', title: 'x', slug: item.slug, body: 'x' },
    });
    expect(dup.status).toBe(409);
    const badMove = await move(token, item.id, { status: 'draft' });
    expect(badMove.status).toBe(409);
    expect(await db.$count(contentItemVersions, eq(contentItemVersions.contentItemId, item.id))).toBe(1);
  });

  it("publishes a document from the author's own upload and serves its file publicly", async () => {
    const { token } = await manager();
    const upload = await api.post(`${V1}/files`, {
      token,
      body: form({ purpose: 'content', file: new Blob([SAMPLE.pdf()]) }, 'leaflet.pdf'),
    });
    expect(upload.status, JSON.stringify(upload.body)).toBe(201);
    const fileId = upload.body.data.id;
    const other = await manager();
    const notMine = await api.post(`${V1}/admin/content`, {
      token: other.token,
      json: { kind: 'document', title: 'Leaflet', slug: slugOf('leaflet'), fileId },
    });
    expect(notMine.status).toBe(422);
    const doc = await draft(token, { kind: 'document', title: 'Leaflet', body: undefined, fileId });
    expect((await api.get(`${V1}/content/${doc.slug}/file`)).status).toBe(404);
    expect((await move(token, doc.id, { status: 'published' })).status).toBe(200);
    const file = await api.get(`${V1}/content/${doc.slug}/file`);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('application/pdf');
  });

  it("is published by the Worker's scheduled entry once due", async () => {
    const { token } = await manager();
    const item = await draft(token);
    // the real entry runs on the real clock: make the item due a minute ago
    await db
      .update(contentItems)
      .set({ status: 'scheduled', publishAt: Date.now() - 60_000 })
      .where(eq(contentItems.id, item.id));
    const controller = createScheduledController({ scheduledTime: new Date(), cron: '* * * * *' });
    const execution = createExecutionContext();
    await worker.scheduled(controller, testEnv, execution);
    await waitOnExecutionContext(execution);
    const [row] = await db.select().from(contentItems).where(eq(contentItems.id, item.id));
    expect(row?.status).toBe('published');
  });
});
