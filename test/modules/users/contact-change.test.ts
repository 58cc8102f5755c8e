import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { ROUND_TRIPS_HEADER } from '../../../src/app';
import { auditEvents, users } from '../../../src/db/schema';
import { fixedClock } from '../../../src/lib/clock';
import {
  type ApiResponse,
  client,
  createUser,
  db,
  signedInUser,
  tokenFor,
  uniqueEmail,
  uniqueMobile,
} from '../../helpers';
import { latestCode, outboxCount, STRONG_PASSWORD, userWithPassword } from '../../support/auth';

/**
 * The limits and races of the email and mobile changes, now that each step is one read batch and one
 * write batch: the limits are counted in the read batch exactly where the checks run, a wrong password
 * gives back the send it did not earn, and a code is used once.
 */
const ME = '/api/v1/users/me';
const api = client();
const WRONG_PASSWORD = 'Not-The-Password-1';

const tripsOf = (res: ApiResponse) => Number(res.headers.get(ROUND_TRIPS_HEADER));
const fieldsOf = (res: ApiResponse) => ((res.body.errors ?? []) as { field: string }[]).map((e) => e.field);
/** The audit rows of `action` on the account, with `outcome`. */
const auditsOf = (userId: string, action: string, outcome: 'success' | 'failure') =>
  db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.resourceId, userId), eq(auditEvents.action, action), eq(auditEvents.outcome, outcome)))
    .all();
const wrongCode = (code: string) => (code === '000000' ? '111111' : '000000');

describe('contact change limits', () => {
  it('Should spend a code send only on a right password, and refuse the 11th send an hour while still telling a wrong password', {
    timeout: 120_000,
  }, async () => {
    const clock = fixedClock('2026-05-04T09:00:00Z');
    const timed = client({ clock });
    const user = await userWithPassword();
    let token = await tokenFor(user, clock.now());
    const start = (password: string) =>
      timed.post(`${ME}/email`, { token, json: { newEmail: uniqueEmail('moved'), password } });

    for (let i = 0; i < 9; i++) expect((await start(STRONG_PASSWORD)).status).toBe(200);
    const wrong = await start(WRONG_PASSWORD);
    expect([wrong.status, fieldsOf(wrong)]).toEqual([422, ['password']]);
    expect(tripsOf(wrong)).toBe(2);

    // A new window of password re-checks (15 minutes), the same window of sends (an hour).
    clock.advance(15 * 60_000);
    token = await tokenFor(user, clock.now());
    // The tenth send: the wrong password gave back the send its read batch counted.
    expect((await start(STRONG_PASSWORD)).status).toBe(200);
    const eleventh = await start(STRONG_PASSWORD);
    expect([eleventh.status, eleventh.body.error.code]).toEqual([429, 'RATE_LIMITED']);
    expect(Number(eleventh.headers.get('retry-after'))).toBeGreaterThan(0);
    // The password is checked before the sends: a wrong one is still told as such, and audited.
    const wrongAgain = await start(WRONG_PASSWORD);
    expect([wrongAgain.status, fieldsOf(wrongAgain)]).toEqual([422, ['password']]);
    expect(await auditsOf(user.id, 'user.email_change', 'failure')).toHaveLength(2);
  });

  it('Should refuse the 11th password re-check in 15 minutes, right or wrong, sending nothing', async () => {
    const user = await userWithPassword();
    const token = await tokenFor(user);
    const number = uniqueMobile();
    for (let i = 0; i < 10; i++) {
      const wrong = await api.post(`${ME}/mobile`, { token, json: { mobileNumber: number, password: WRONG_PASSWORD } });
      expect([wrong.status, fieldsOf(wrong)]).toEqual([422, ['password']]);
    }
    const right = await api.post(`${ME}/mobile`, { token, json: { mobileNumber: number, password: STRONG_PASSWORD } });
    expect([right.status, right.body.error.code]).toEqual([429, 'RATE_LIMITED']);
    expect(await outboxCount(api, number)).toBe(0);
    expect(await auditsOf(user.id, 'user.mobile_change', 'failure')).toHaveLength(10);
  });

  it('Should count nothing for a request refused before its checks: its own address, a taken one, no password', async () => {
    const user = await userWithPassword();
    const token = await tokenFor(user);
    const other = await createUser();
    for (let i = 0; i < 11; i++) {
      const same = await api.post(`${ME}/email`, { token, json: { newEmail: user.email, password: WRONG_PASSWORD } });
      expect([same.status, fieldsOf(same)]).toEqual([422, ['newEmail']]);
      const missing = await api.post(`${ME}/email`, { token, json: { newEmail: uniqueEmail('moved') } });
      expect([missing.status, fieldsOf(missing)]).toEqual([422, ['password']]);
    }
    // Neither the re-checks nor the sends were spent: a taken address is still told as taken, then a
    // free one is sent its code.
    const taken = await api.post(`${ME}/email`, { token, json: { newEmail: other.email, password: STRONG_PASSWORD } });
    expect([taken.status, taken.body.error.code]).toEqual([409, 'CONFLICT']);
    expect(tripsOf(taken)).toBe(1);
    const newEmail = uniqueEmail('moved');
    const sent = await api.post(`${ME}/email`, { token, json: { newEmail, password: STRONG_PASSWORD } });
    expect(sent.status, JSON.stringify(sent.body)).toBe(200);
    expect(await outboxCount(api, newEmail)).toBe(1);
  });

  it('Should spend no send on a taken number, so eleven refusals leave the account its sends', async () => {
    const { token } = await signedInUser();
    const number = uniqueMobile();
    const owner = await createUser();
    await db.update(users).set({ mobileNumber: number }).where(eq(users.id, owner.id));
    for (let i = 0; i < 11; i++) {
      const taken = await api.post(`${ME}/mobile`, { token, json: { mobileNumber: number } });
      expect([taken.status, taken.body.error.code]).toEqual([409, 'CONFLICT']);
    }
    const mine = uniqueMobile();
    expect((await api.post(`${ME}/mobile`, { token, json: { mobileNumber: mine } })).status).toBe(200);
  });
});

describe('contact change codes', () => {
  it('Should count wrong codes, burn the code at the fifth, and change nothing', async () => {
    const { user, token } = await signedInUser();
    const newEmail = uniqueEmail('target');
    expect((await api.post(`${ME}/email`, { token, json: { newEmail } })).status).toBe(200);
    const code = await latestCode(api, newEmail);
    for (let left = 4; left > 0; left--) {
      const wrong = await api.post(`${ME}/email/verify`, { token, json: { newEmail, otp: wrongCode(code) } });
      expect([wrong.status, wrong.body.error.code, wrong.body.error.details]).toEqual([
        422,
        'OTP_INVALID',
        { attemptsLeft: left },
      ]);
      expect(tripsOf(wrong)).toBe(2);
    }
    const fifth = await api.post(`${ME}/email/verify`, { token, json: { newEmail, otp: wrongCode(code) } });
    expect([fifth.status, fifth.body.error.code]).toEqual([429, 'OTP_MAX_ATTEMPTS']);
    const right = await api.post(`${ME}/email/verify`, { token, json: { newEmail, otp: code } });
    expect([right.status, right.body.error.code]).toEqual([429, 'OTP_MAX_ATTEMPTS']);
    expect((await db.select().from(users).where(eq(users.id, user.id)).get())?.email).toBe(user.email);
  });

  it('Should let only one of two concurrent answers with the same code change the number', async () => {
    const { user, token } = await signedInUser();
    const number = uniqueMobile();
    expect((await api.post(`${ME}/mobile`, { token, json: { mobileNumber: number } })).status).toBe(200);
    const otp = await latestCode(api, number);
    const answers = await Promise.all(
      [0, 1].map(() => api.post(`${ME}/mobile/verify`, { token, json: { mobileNumber: number, otp } })),
    );
    const outcomes = answers.map((res) => (res.status === 200 ? 'changed' : res.body.error.code)).sort();
    expect(outcomes).toEqual(['OTP_INVALID', 'changed']);
    expect(await auditsOf(user.id, 'user.mobile_change', 'success')).toHaveLength(1);
    expect((await db.select().from(users).where(eq(users.id, user.id)).get())?.mobileNumber).toBe(number);
  });

  it('Should use the code up when the address was taken before the answer, as a refused change', async () => {
    const { user, token } = await signedInUser();
    const newEmail = uniqueEmail('contested');
    expect((await api.post(`${ME}/email`, { token, json: { newEmail } })).status).toBe(200);
    const otp = await latestCode(api, newEmail);
    const squatter = await createUser({ email: newEmail });
    const refused = await api.post(`${ME}/email/verify`, { token, json: { newEmail, otp } });
    expect([refused.status, refused.body.error.code]).toEqual([409, 'CONFLICT']);
    expect(tripsOf(refused)).toBe(2);
    // Freed again: the code was used by the refused answer.
    await db
      .update(users)
      .set({ email: uniqueEmail('gone') })
      .where(eq(users.id, squatter.id));
    const replay = await api.post(`${ME}/email/verify`, { token, json: { newEmail, otp } });
    expect(replay.body.error.code).toBe('OTP_INVALID');
    expect((await db.select().from(users).where(eq(users.id, user.id)).get())?.email).toBe(user.email);
  });
});
