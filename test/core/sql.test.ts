import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createDb } from '../../src/db/client';
import { slotClaims, supplements } from '../../src/db/schema';
import { escapeLike, isNotNullViolation, isUniqueViolation, rawBatch } from '../../src/db/sql';
import { db, testEnv, uniqueId } from '../helpers';

/** The error a D1 write fails with, through drizzle (which wraps it in `cause`). */
async function failure(write: Promise<unknown>): Promise<unknown> {
  try {
    await write;
  } catch (err) {
    return err;
  }
  throw new Error('The write did not fail');
}

const supplement = (sku: string) => ({
  id: uniqueId('sup'),
  sku,
  name: 'Vitamin D3',
  form: 'tablet' as const,
  unit: 'IU' as const,
  lowStockThreshold: 5,
  createdAt: 0,
  updatedAt: 0,
});

describe('constraint failures', () => {
  it('Should name the column of a NOT NULL failure, and no other', async () => {
    const err = await failure(
      db.run(
        sql`insert into ${supplements} (id, sku, form, unit) values (${uniqueId('sup')}, ${uniqueId('sku')}, 'tablet', 'IU')`,
      ),
    );
    expect(isNotNullViolation(err, supplements.name)).toBe(true);
    expect(isNotNullViolation(err, supplements)).toBe(true);
    expect(isNotNullViolation(err, supplements.sku)).toBe(false);
    expect(isNotNullViolation(err, slotClaims)).toBe(false);
    expect(isUniqueViolation(err)).toBe(false);
  });

  it('Should name the table and column of a UNIQUE failure, composite keys included', async () => {
    const sku = uniqueId('sku');
    await db.insert(supplements).values(supplement(sku));
    const duplicate = await failure(db.insert(supplements).values(supplement(sku)));
    expect(isUniqueViolation(duplicate)).toBe(true);
    expect(isUniqueViolation(duplicate, supplements)).toBe(true);
    expect(isUniqueViolation(duplicate, supplements.sku)).toBe(true);
    expect(isUniqueViolation(duplicate, supplements.name)).toBe(false);
    expect(isUniqueViolation(duplicate, slotClaims)).toBe(false);
    expect(isNotNullViolation(duplicate, supplements.sku)).toBe(false);

    const claim = { doctorId: uniqueId('usr'), unitStart: 0, ownerType: 'hold' as const, ownerId: uniqueId('hld') };
    await db.insert(slotClaims).values(claim);
    const taken = await failure(db.insert(slotClaims).values(claim));
    expect(isUniqueViolation(taken, slotClaims)).toBe(true);
    expect(isUniqueViolation(taken, slotClaims.unitStart)).toBe(true);
    expect(isUniqueViolation(taken, supplements)).toBe(false);
    expect(isUniqueViolation(new Error('something else'))).toBe(false);
  });
});

describe('rawBatch', () => {
  it('Should bind parameters and run through the client the db was built on, in one batch', async () => {
    const calls: string[] = [];
    const d1 = testEnv.DB;
    const recording = {
      prepare: (query: string) => {
        calls.push('prepare');
        return d1.prepare(query);
      },
      batch: (statements: D1PreparedStatement[]) => {
        calls.push(`batch:${statements.length}`);
        return d1.batch(statements);
      },
    } as unknown as D1Database;
    const sku = uniqueId('sku');
    const row = supplement(sku);
    const [inserted, read] = await rawBatch(createDb(recording), [
      sql`insert into ${supplements} (id, sku, name, form, unit, low_stock_threshold, created_at, updated_at)
        values (${row.id}, ${sku}, ${row.name}, ${row.form}, ${row.unit}, 5, 0, 0) returning id`,
      sql`select sku from ${supplements} where id = ${row.id}`,
    ]);
    expect(inserted).toEqual([{ id: row.id }]);
    expect(read).toEqual([{ sku }]);
    expect(calls).toEqual(['prepare', 'prepare', 'batch:2']);
    expect(await db.select({ sku: supplements.sku }).from(supplements).where(eq(supplements.id, row.id)).get()).toEqual(
      {
        sku,
      },
    );
    expect(await rawBatch(db, [])).toEqual([]);
  });
});

describe('escapeLike', () => {
  it('Should make LIKE wildcards and the escape character literal', async () => {
    expect(escapeLike('50%_off\\')).toBe('50\\%\\_off\\\\');
    const sku = uniqueId('sku');
    await db.insert(supplements).values({ ...supplement(sku), name: `Promo 50%_off ${sku}` });
    const like = (text: string) =>
      db
        .select({ sku: supplements.sku })
        .from(supplements)
        .where(sql`${supplements.name} like ${`%${escapeLike(text)}%`} escape '\\'`)
        .all();
    expect(await like(`50%_off ${sku}`)).toEqual([{ sku }]);
    expect(await like(`50x_off ${sku}`)).toEqual([]);
    // Unescaped, `%` would be a wildcard and match `50%_off`.
    expect(await like(`5%off ${sku}`)).toEqual([]);
  });
});
