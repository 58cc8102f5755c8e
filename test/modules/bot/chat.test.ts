import { eq } from 'drizzle-orm';
import { describe, expect, it, vi } from 'vitest';
import { botConversations, botMessages, schedules, vaccineSchedules, vaccines } from '../../../src/db/schema';
import type { Env } from '../../../src/env';
import { fixedClock } from '../../../src/lib/clock';
import { DEFAULT_BOT_MODEL } from '../../../src/platform/ai';
import { type CallOptions, client, createUser, db, tokenFor } from '../../helpers';
import { tripsOf } from '../../support/round-trips';
import { openSocket } from '../../support/sockets';

const NOW = '2026-03-23T08:00:00Z';
const V1 = '/api/v1';

/** A user acting through an app on a fixed clock; `env` adds bindings (the stubbed AI) to every call. */
async function person(env: Partial<Env> = {}) {
  const clock = fixedClock(NOW);
  const api = client({ clock });
  const user = await createUser({ role: 'user', name: 'Bo Bot' });
  const call = async (method: string, path: string, options: CallOptions = {}) =>
    api.call(method, path, { ...options, env: { ...env, ...options.env }, token: await tokenFor(user, clock.now()) });
  const zoned = await call('PATCH', `${V1}/users/me`, { json: { timeZone: 'Europe/Berlin' } });
  expect(zoned.status, JSON.stringify(zoned.body)).toBe(200);
  const say = (message: string, conversationId?: string) =>
    call('POST', `${V1}/bot/chat`, { json: { message, ...(conversationId ? { conversationId } : {}) } });
  return { user, clock, call, say };
}

/** A stubbed Workers AI binding answering `answer` (or throwing it), recording what it was asked. */
function stubAi(answer: unknown | (() => unknown)) {
  const run = vi.fn(async (_model: string, _input: Record<string, unknown>) =>
    typeof answer === 'function' ? (answer as () => unknown)() : answer,
  );
  return { binding: { run } as unknown as Env['AI'], run };
}

const METFORMIN = {
  medicineName: 'Metformin',
  dosage: '500 mg',
  timesOfDay: ['08:00', '20:00'],
  recurrence: { type: 'interval', everyNDays: 1 },
  durationDays: 30,
};

/** The fields of a stored schedule that say what it is (not its id or times of writing). */
const essence = (row: typeof schedules.$inferSelect) => ({
  kind: row.kind,
  medicineName: row.medicineName,
  dosage: row.dosage,
  timesOfDay: row.timesOfDay,
  recurrence: row.recurrence,
  startDate: row.startDate,
  endDate: row.endDate,
  quantityPerDose: row.quantityPerDose,
  status: row.status,
});

const schedulesOf = (userId: string) => db.select().from(schedules).where(eq(schedules.ownerId, userId));

describe('the bot through Workers AI (stubbed env.AI.run)', () => {
  const SHAPES: [string, unknown][] = [
    [
      'Workers AI tool_calls',
      { response: null, tool_calls: [{ name: 'create_medicine_schedule', arguments: METFORMIN }] },
    ],
    [
      'OpenAI-style function with JSON arguments',
      {
        tool_calls: [
          {
            id: 'call_1',
            type: 'function',
            function: { name: 'create_medicine_schedule', arguments: JSON.stringify(METFORMIN) },
          },
        ],
      },
    ],
    [
      'a chat completion',
      {
        choices: [
          {
            message: {
              content: null,
              tool_calls: [
                {
                  type: 'function',
                  function: { name: 'create_medicine_schedule', arguments: JSON.stringify(METFORMIN) },
                },
              ],
            },
          },
        ],
      },
    ],
    [
      'a Hermes <tool_call> in the text',
      {
        response: `<tool_call>${JSON.stringify({ name: 'create_medicine_schedule', arguments: METFORMIN })}</tool_call>`,
      },
    ],
    [
      'a JSON call as the whole text',
      { response: JSON.stringify({ name: 'create_medicine_schedule', arguments: METFORMIN }) },
    ],
  ];

  for (const [shape, answer] of SHAPES) {
    it(`Should create the same schedule as the API from ${shape}`, async () => {
      const ai = stubAi(answer);
      const me = await person({ AI: ai.binding });
      const res = await me.say('Metformin 500 mg at 8am and 8pm every day for 30 days');
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.data.actions, res.body.data.reply).toHaveLength(1);
      expect(res.body.data.actions[0]).toMatchObject({ type: 'schedule.created', kind: 'medicine' });
      expect(res.body.data.reply).toContain('Metformin 500 mg');
      expect(res.body.data.conversationId).toMatch(/^bcv_/);

      // What the model was asked: the model, the tools, the system prompt with today, the message.
      const [model, input] = ai.run.mock.calls[0]!;
      expect(model).toBe(DEFAULT_BOT_MODEL);
      const tools = input.tools as { name: string }[];
      expect(tools.map((t) => t.name).sort()).toEqual([
        'create_medicine_schedule',
        'create_vaccine_schedule',
        'list_doses',
        'list_schedules',
        'mark_dose_taken',
      ]);
      const messages = input.messages as { role: string; content: string }[];
      expect(messages[0]!.content).toContain('Today is Monday 2026-03-23');
      expect(messages.at(-1)).toEqual({
        role: 'user',
        content: 'Metformin 500 mg at 8am and 8pm every day for 30 days',
      });

      // The same schedule made through the API.
      const byApi = await me.call('POST', `${V1}/schedules`, {
        json: {
          kind: 'medicine',
          medicineName: 'Metformin',
          dosage: '500 mg',
          timesOfDay: ['08:00', '20:00'],
          recurrence: { type: 'interval', everyNDays: 1 },
          startDate: '2026-03-23',
          endDate: '2026-04-21',
        },
      });
      expect(byApi.status).toBe(201);
      const [a, b] = await schedulesOf(me.user.id);
      expect(essence(a!)).toEqual(essence(b!));
      const [stored] = await db.select().from(botMessages).where(eq(botMessages.role, 'assistant'));
      expect(stored).toBeDefined();
    });
  }

  it('Should fall back to the offline parser when the model throws, and record which path answered', async () => {
    const ai = stubAi(() => {
      throw new Error('9001: needs to be run remotely');
    });
    const me = await person({ AI: ai.binding });
    const res = await me.say('metformin 500 mg twice a day');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.data.actions, res.body.data.reply).toHaveLength(1);
    expect(ai.run).toHaveBeenCalledTimes(1);
    expect(res.body.data.actions[0]).toMatchObject({ type: 'schedule.created' });
    const rows = await db
      .select()
      .from(botMessages)
      .where(eq(botMessages.conversationId, res.body.data.conversationId));
    expect(rows.find((r) => r.role === 'assistant')!.via).toBe('parser');
    expect((await schedulesOf(me.user.id))[0]).toMatchObject({ medicineName: expect.stringMatching(/metformin/i) });
  });

  it('Should fall back to the parser when the model calls an unknown tool or gives bad arguments', async () => {
    const ai = stubAi({ tool_calls: [{ name: 'delete_everything', arguments: {} }] });
    const me = await person({ AI: ai.binding });
    const res = await me.say('what do I take today?');
    expect(res.status).toBe(200);
    expect(res.body.data.actions[0]).toMatchObject({ type: 'doses.listed', date: '2026-03-23' });
  });

  it('Should refuse a schedule for a dependent who is not the caller’s, whatever the model says', async () => {
    const other = await person();
    const theirs = await other.call('POST', `${V1}/users/me/dependents`, {
      json: { name: 'Mia Other', dateOfBirth: '2020-01-01', relationship: 'child' },
    });
    expect(theirs.status).toBe(201);
    const ai = stubAi({
      tool_calls: [{ name: 'create_medicine_schedule', arguments: { ...METFORMIN, forPerson: 'Mia' } }],
    });
    const me = await person({ AI: ai.binding });
    const res = await me.say('metformin for Mia at 8am daily');
    expect(res.status).toBe(200);
    expect(res.body.data.actions).toEqual([]);
    expect(res.body.data.reply).toContain('none of them is called Mia');
    expect(await schedulesOf(me.user.id)).toEqual([]);
    expect(await schedulesOf(other.user.id)).toEqual([]);
  });

  it('Should refuse medical advice without asking the model', async () => {
    const ai = stubAi({ response: 'Take two.' });
    const me = await person({ AI: ai.binding });
    const res = await me.say('Should I double my metformin dose if I missed one?');
    expect(res.body.data.reply).toContain('can’t give medical advice');
    expect(ai.run).not.toHaveBeenCalled();
  });
});

describe('the bot with the offline parser (no AI binding)', () => {
  it('Should ask for confirmation when the time is ambiguous, then create on yes and keep the context', async () => {
    const me = await person();
    const first = await me.say('Aspirin 100 mg at 8 every day');
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body.data.actions[0]).toMatchObject({ type: 'confirmation.requested' });
    expect(first.body.data.reply).toContain('shall I go ahead');
    expect(await schedulesOf(me.user.id)).toEqual([]);
    const id = first.body.data.conversationId;
    const [conversation] = await db.select().from(botConversations).where(eq(botConversations.id, id));
    expect(conversation!.pending).not.toBeNull();

    const yes = await me.say('yes', id);
    expect(yes.body.data.actions, yes.body.data.reply).toHaveLength(1);
    expect(yes.body.data.conversationId).toBe(id);
    expect(yes.body.data.actions[0]).toMatchObject({ type: 'schedule.created', kind: 'medicine' });
    const [created] = await schedulesOf(me.user.id);
    expect(created).toMatchObject({ dosage: '100 mg', timesOfDay: ['08:00'] });
    const [after] = await db.select().from(botConversations).where(eq(botConversations.id, id));
    expect(after!.pending).toBeNull();

    // A "no" to a new ambiguous request creates nothing.
    await me.say('Ibuprofen 200 mg at 9 daily', id);
    const no = await me.say('no', id);
    expect(no.body.data.reply).toContain('did not');
    expect(await schedulesOf(me.user.id)).toHaveLength(1);
  });

  it('Should create a vaccine schedule for the caller’s own dependent', async () => {
    await db.insert(vaccines).values({
      id: 'vac_01JF8ZS5X0V6M3A2Q9K1T7MMR0',
      code: 'MMR',
      name: 'MMR',
      diseases: ['measles', 'mumps', 'rubella'],
      dosesInSeries: 2,
      intervalDays: 28,
      createdAt: Date.parse(NOW),
      updatedAt: Date.parse(NOW),
    });
    const me = await person();
    const mia = await me.call('POST', `${V1}/users/me/dependents`, {
      json: { name: 'Mia Santos', dateOfBirth: '2025-01-01', relationship: 'child' },
    });
    expect(mia.status).toBe(201);
    const res = await me.say('Schedule MMR for Mia on 2026-04-03');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.data.actions[0], JSON.stringify(res.body)).toMatchObject({
      type: 'schedule.created',
      kind: 'vaccine',
    });
    const rows = await db.select().from(vaccineSchedules).where(eq(vaccineSchedules.ownerId, me.user.id));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ dependentId: mia.body.data.id, dueDate: '2026-04-03' });

    // A medicine schedule for her too, the same as through the API.
    const syrup = await me.say('Paracetamol syrup 5 ml every morning for Mia');
    expect(syrup.body.data.actions, syrup.body.data.reply).toHaveLength(1);
    const [medicine] = await schedulesOf(me.user.id);
    expect(medicine).toMatchObject({ dependentId: mia.body.data.id, timesOfDay: ['08:00'], dosage: '5 ml' });
    const listed = await me.say('what are the schedules for Mia?');
    expect(listed.body.data.reply).toContain('Paracetamol');
  });

  it('Should keep conversations to their owner: list, read and delete mine, 404 for another’s', async () => {
    const me = await person();
    const stranger = await person();
    const said = await me.say('what are my schedules?');
    const id = said.body.data.conversationId;
    const list = await me.call('GET', `${V1}/bot/conversations`);
    expect(list.body.data.items.map((c: { id: string }) => c.id)).toEqual([id]);
    const read = await me.call('GET', `${V1}/bot/conversations/${id}`);
    expect(read.status).toBe(200);
    expect(tripsOf(read)).toBe(1);
    expect(read.body.data.messages.map((m: { role: string }) => m.role)).toEqual(['user', 'assistant']);
    expect((await stranger.call('GET', `${V1}/bot/conversations/${id}`)).status).toBe(404);
    expect((await stranger.say('yes', id)).status).toBe(404);
    expect((await stranger.call('DELETE', `${V1}/bot/conversations/${id}`)).status).toBe(404);
    expect((await me.call('DELETE', `${V1}/bot/conversations/${id}`)).status).toBe(200);
    expect(await db.select().from(botMessages).where(eq(botMessages.conversationId, id))).toEqual([]);
  });

  it('Should keep the newest 40 messages of a conversation and limit each user to 20 messages a minute', async () => {
    const me = await person();
    const first = await me.say('what are my schedules?');
    const id = first.body.data.conversationId;
    for (let i = 0; i < 19; i++) expect((await me.say('what do I take today?', id)).status).toBe(200);
    const limited = await me.say('what do I take today?', id);
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('RATE_LIMITED');
    me.clock.advance(61_000);
    expect((await me.say('what do I take today?', id)).status).toBe(200);
    const rows = await db.select().from(botMessages).where(eq(botMessages.conversationId, id));
    expect(rows).toHaveLength(40);
  });

  it('Should ask a user without a time zone to set one before creating a medicine schedule', async () => {
    const user = await createUser({ role: 'user' });
    const api = client({ clock: fixedClock(NOW) });
    const res = await api.post(`${V1}/bot/chat`, {
      token: await tokenFor(user, new Date(NOW)),
      json: { message: 'metformin 500 mg every morning' },
    });
    expect(res.body.data.reply).toContain('set your time zone');
    expect(await schedulesOf(user.id)).toEqual([]);
  });

  it('Should refuse bad input: an empty, oversized or wrongly typed message, an unknown key', async () => {
    const me = await person();
    for (const json of [
      { message: '' },
      { message: 'x'.repeat(1001) },
      { message: 42 },
      { message: 'hi', extra: 1 },
      {},
    ]) {
      const res = await me.call('POST', `${V1}/bot/chat`, { json });
      expect(res.status, JSON.stringify(json)).toBe(422);
    }
    expect(await db.select().from(botConversations).where(eq(botConversations.userId, me.user.id))).toEqual([]);
  });
});

describe('the bot over the user hub socket', () => {
  it('Should answer bot:message with bot:reply, the same body as the REST answer', async () => {
    const user = await createUser({ role: 'user' });
    const socket = await openSocket({ token: await tokenFor(user, new Date()) });
    const reply = await socket.request('bot:message', { message: 'what are my schedules?' });
    expect(reply.event).toBe('bot:reply');
    expect(reply.data).toMatchObject({ reply: expect.any(String), conversationId: expect.stringMatching(/^bcv_/) });
    expect((reply.data as { actions: unknown[] }).actions[0]).toMatchObject({ type: 'schedules.listed' });
    const bad = await socket.request('bot:message', { message: '' });
    expect(bad.event).toBe('bot:message:error');
    socket.close();
  });
});
