/**
 * A receipt as one self-contained, printable HTML page: inline CSS, no scripts, no external resources,
 * every user-typed value escaped.
 */
import { escapeHtml } from '../html';
import { type Row, receiptContent } from './content';
import type { Receipt } from './receipt';

const CSS = `
body{font-family:Helvetica,Arial,sans-serif;color:#1f2937;margin:0;padding:32px;font-size:14px;line-height:1.45}
main{max-width:720px;margin:0 auto}
header{display:flex;justify-content:space-between;gap:24px;margin-bottom:28px}
h1{font-size:22px;margin:0 0 6px}
h2{font-size:13px;text-transform:uppercase;letter-spacing:.06em;color:#6b7280;margin:24px 0 6px}
p{margin:0}
table{width:100%;border-collapse:collapse}
th,td{padding:6px 8px;text-align:left;vertical-align:top}
thead th{border-bottom:2px solid #d1d5db;font-size:12px;text-transform:uppercase;color:#6b7280}
tbody td{border-bottom:1px solid #e5e7eb}
.num{text-align:right;white-space:nowrap}
.facts td:first-child,.summary td:first-child{color:#6b7280}
.summary{width:auto;margin-left:auto;margin-top:12px}
.summary tr.total td{font-weight:bold;border-top:2px solid #1f2937}
@media print{body{padding:0}}
`;

const text = (value: string) => escapeHtml(value);

function rows(list: Row[], lastClass?: string): string {
  return list
    .map(([label, value], i) => {
      const cls = lastClass && i === list.length - 1 ? ` class="${lastClass}"` : '';
      return `<tr${cls}><td>${text(label)}</td><td class="num">${text(value)}</td></tr>`;
    })
    .join('');
}

/**
 * The receipt as an HTML document (UTF-8): clinic details, receipt number, dates in the receipt's
 * zone, billed-to, line items, net amount, each tax line, total, the card as brand and last four
 * digits, refunds and the net paid after them.
 * @throws RangeError when the receipt's amounts do not add up.
 */
export function receiptHtml(receipt: Receipt): string {
  const c = receiptContent(receipt);
  const lines = c.lines
    .map(
      (line) =>
        `<tr><td>${text(line.description)}</td><td class="num">${text(line.quantity)}</td><td class="num">${text(line.unit)}</td><td class="num">${text(line.total)}</td></tr>`,
    )
    .join('');
  const refunds =
    c.refunds.length === 0
      ? ''
      : `<h2>Refunds</h2><table><thead><tr><th>Date</th><th>Status</th><th class="num">Amount</th></tr></thead><tbody>${c.refunds
          .map(
            (r) => `<tr><td>${text(r.date)}</td><td>${text(r.status)}</td><td class="num">${text(r.amount)}</td></tr>`,
          )
          .join(
            '',
          )}</tbody></table>${c.netPaid ? `<table class="summary"><tbody>${rows([c.netPaid], 'total')}</tbody></table>` : ''}`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${text(c.title)}</title><style>${CSS}</style></head>
<body><main>
<header><div><h1>${text(c.clinic.name)}</h1>${c.clinic.details.map((d) => `<p>${text(d)}</p>`).join('')}</div>
<div><h1>Receipt</h1><table class="facts"><tbody>${rows(c.facts)}</tbody></table></div></header>
<h2>Billed to</h2>${c.billedTo.map((d) => `<p>${text(d)}</p>`).join('')}
<h2>Items</h2><table><thead><tr><th>Description</th><th class="num">Qty</th><th class="num">Unit price</th><th class="num">Amount</th></tr></thead><tbody>${lines}</tbody></table>
<table class="summary"><tbody>${rows(c.totals, 'total')}</tbody></table>
<h2>Payment</h2><table class="facts"><tbody>${rows(c.payment)}</tbody></table>
${refunds}
</main></body></html>
`;
}
