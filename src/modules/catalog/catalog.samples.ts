/**
 * Generated catalog files for tests and the bench: valid, deterministic, N data rows after a header.
 * Dependency-free on purpose, so a script can bundle or copy it without the app.
 * @example sampleSupplementCsv(5000) // 5,000 supplements, SKUs SAMPLE-000001 … SAMPLE-005000
 */

const SAMPLE_FORMS = ['tablet', 'capsule', 'softgel', 'powder', 'liquid', 'gummy'] as const;
const SAMPLE_UNITS = ['mg', 'mcg', 'IU', 'g', 'ml'] as const;

export interface SampleOptions {
  /** Natural key prefix (default SAMPLE): keys are `<prefix>-000001` … */
  prefix?: string;
  /** Include a stockQuantity column (default true). */
  stock?: boolean;
}

const pad = (i: number) => String(i).padStart(6, '0');

/** A supplement CSV: `sku,name,brand,form,strength,unit,description,lowStockThreshold[,stockQuantity]`. */
export function sampleSupplementCsv(n: number, options: SampleOptions = {}): string {
  const prefix = options.prefix ?? 'SAMPLE';
  const stock = options.stock ?? true;
  const lines = [`sku,name,brand,form,strength,unit,description,lowStockThreshold${stock ? ',stockQuantity' : ''}`];
  for (let i = 1; i <= n; i++) {
    const cells = [
      `${prefix}-${pad(i)}`,
      `Sample supplement ${i}`,
      `Brand ${i % 37}`,
      SAMPLE_FORMS[i % SAMPLE_FORMS.length],
      String(((i % 50) + 1) * 10),
      SAMPLE_UNITS[i % SAMPLE_UNITS.length],
      `"Generated row ${i}, with a comma and ""quotes"""`,
      String(i % 25),
    ];
    if (stock) cells.push(String(i % 200));
    lines.push(cells.join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** A vaccine CSV: `code,name,manufacturer,diseases,dosesInSeries,intervalDays,minAgeMonths,maxAgeMonths,lowStockThreshold[,stockQuantity]`. */
export function sampleVaccineCsv(n: number, options: SampleOptions = {}): string {
  const prefix = options.prefix ?? 'SAMPLE';
  const stock = options.stock ?? true;
  const lines = [
    `code,name,manufacturer,diseases,dosesInSeries,intervalDays,minAgeMonths,maxAgeMonths,lowStockThreshold${stock ? ',stockQuantity' : ''}`,
  ];
  for (let i = 1; i <= n; i++) {
    const doses = (i % 3) + 1;
    const cells = [
      `${prefix}-${pad(i)}`,
      `Sample vaccine ${i}`,
      `Maker ${i % 11}`,
      i % 2 ? 'measles;mumps;rubella' : 'influenza',
      String(doses),
      String(doses === 1 ? 0 : 28),
      String(i % 24),
      '',
      String(i % 10),
    ];
    if (stock) cells.push(String(i % 100));
    lines.push(cells.join(','));
  }
  return `${lines.join('\n')}\n`;
}
