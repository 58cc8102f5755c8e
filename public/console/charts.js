// Charts as inline SVG drawn here: horizontal bars with their values, which read on a phone as well
// as on a desk, need no library (nothing to pin, audit or load) and no inline style (the console's
// CSP allows none): colours come from console.css classes.
import { h, svg } from './dom.js';

const ROW = 28;
const LABEL = 150;
const WIDTH = 480;
const VALUE = 70;

/**
 * A titled bar chart: `bars` are `{ label, value }` (a missing value draws no bar and reads "—");
 * `format` turns a value into its label. The SVG scales to its container (viewBox).
 */
export function barChart({ title, bars, format = (v) => v.toLocaleString(), id }) {
  const max = Math.max(1, ...bars.map((b) => (typeof b.value === 'number' ? b.value : 0)));
  const span = WIDTH - LABEL - VALUE;
  const height = Math.max(ROW, bars.length * ROW);
  const rows = bars.map((bar, i) => {
    const y = i * ROW;
    const known = typeof bar.value === 'number';
    const w = known ? Math.max(known && bar.value > 0 ? 2 : 0, Math.round((bar.value / max) * span)) : 0;
    return svg(
      'g',
      { class: 'bar', transform: `translate(0 ${y})` },
      svg(
        'text',
        { x: LABEL - 8, y: ROW / 2, class: 'bar-label', 'text-anchor': 'end', 'dominant-baseline': 'middle' },
        bar.label,
      ),
      svg('rect', { x: LABEL, y: 5, width: w, height: ROW - 10, rx: 3, class: `bar-fill bar-${i % 4}` }),
      svg(
        'text',
        { x: LABEL + w + 6, y: ROW / 2, class: 'bar-value', 'dominant-baseline': 'middle' },
        known ? format(bar.value) : '—',
      ),
    );
  });
  const chart = svg(
    'svg',
    {
      viewBox: `0 0 ${WIDTH} ${height}`,
      role: 'img',
      'aria-label': title,
      class: 'chart-svg',
      preserveAspectRatio: 'xMinYMin meet',
    },
    svg('title', {}, title),
    rows,
  );
  return h('figure', { class: 'chart', 'data-chart': id }, h('figcaption', {}, title), chart);
}
