import uPlot from 'uplot';
import type { StatsBucket } from '../lib/api-types.js';

const SERIES = [
  { label: 'Succeeded', stroke: '#1a7f37', dash: [] },
  { label: 'Failed', stroke: '#cf222e', dash: [8, 4] },
  { label: 'Rate-limited', stroke: '#9a6700', dash: [2, 3] },
] as const;

/** The login timeline chart (uPlot). Colours are paired with dash patterns so they need not be told apart. */
export interface TimelineChart {
  update(buckets: readonly StatsBucket[]): void;
  dispose(): void;
}

function toData(buckets: readonly StatsBucket[]): uPlot.AlignedData {
  return [
    buckets.map((b) => Date.parse(b.start) / 1000),
    buckets.map((b) => b.succeeded),
    buckets.map((b) => b.failed),
    buckets.map((b) => b.rateLimited),
  ];
}

/** Draws into `container`; a click on the plot calls `onPick` with the bucket index under the cursor. */
export function createTimelineChart(container: HTMLElement, onPick: (index: number) => void): TimelineChart {
  let plot: uPlot | null = null;
  const width = () => Math.max(280, container.clientWidth);
  const height = () => (container.clientWidth < 600 ? 200 : 260);

  function create(data: uPlot.AlignedData): uPlot {
    const options: uPlot.Options = {
      width: width(),
      height: height(),
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
      series: [{}, ...SERIES.map((s) => ({ label: s.label, stroke: s.stroke, width: 2, dash: [...s.dash] }))],
      axes: [{}, { label: 'Logins', size: 60 }],
      cursor: { drag: { x: false, y: false, setScale: false }, points: { size: 8 } },
      hooks: {
        ready: [
          (u) => {
            u.over.addEventListener('click', () => {
              if (u.cursor.idx !== null && u.cursor.idx !== undefined) onPick(u.cursor.idx);
            });
          },
        ],
      },
    };
    return new uPlot(options, data, container);
  }

  const observer = new ResizeObserver(() => plot?.setSize({ width: width(), height: height() }));
  observer.observe(container);

  return {
    update(buckets) {
      const data = toData(buckets);
      if (plot) plot.setData(data);
      else plot = create(data);
    },
    dispose() {
      observer.disconnect();
      plot?.destroy();
      plot = null;
    },
  };
}
