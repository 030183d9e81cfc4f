import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { ChartData } from '../series';
import { unixSeconds } from '../dates';
import { formatUnits } from '../format';

export interface ChartHandle {
  destroy(): void;
}

const COLORS = { actual: '#4b5563', forecast: '#1d4ed8', band: 'rgba(29, 78, 216, 0.16)', bandEdge: 'rgba(29, 78, 216, 0.35)' };

/**
 * Store-total chart: actual sales (grey), forecast (blue) and the p10–p90 band. The canvas is hidden
 * from assistive technology; the caller gives the container a text alternative.
 */
export function renderForecastChart(container: HTMLElement, data: ChartData, height = 220): ChartHandle {
  const xs = data.dates.map(unixSeconds);
  const width = (): number => Math.max(280, Math.floor(container.clientWidth || 600));
  const opts: uPlot.Options = {
    width: width(),
    height,
    legend: { show: false },
    cursor: { drag: { x: false, y: false }, points: { size: 6 } },
    scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.08 : 1] } },
    axes: [
      { stroke: '#374151', grid: { stroke: '#e5e7eb' }, ticks: { stroke: '#d1d5db' } },
      { stroke: '#374151', grid: { stroke: '#e5e7eb' }, ticks: { stroke: '#d1d5db' }, size: 56, values: (_u, splits) => splits.map((v) => formatUnits(v)) },
    ],
    series: [
      {},
      { label: 'Actual sales', stroke: COLORS.actual, width: 1.5, spanGaps: false, points: { show: false } },
      { label: 'p90', stroke: COLORS.bandEdge, width: 1, dash: [4, 4], points: { show: false } },
      { label: 'Forecast', stroke: COLORS.forecast, width: 2, points: { show: false } },
      { label: 'p10', stroke: COLORS.bandEdge, width: 1, dash: [4, 4], points: { show: false } },
    ],
    bands: [{ series: [2, 4], fill: COLORS.band }],
  };
  const plot = new uPlot(opts, [xs, data.actual, data.p90, data.forecast, data.p10] as uPlot.AlignedData, container);
  plot.root.setAttribute('aria-hidden', 'true');
  const observer = typeof ResizeObserver !== 'undefined' ? new ResizeObserver(() => plot.setSize({ width: width(), height })) : undefined;
  observer?.observe(container);
  return {
    destroy() {
      observer?.disconnect();
      plot.destroy();
    },
  };
}
