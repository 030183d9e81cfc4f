import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { ChartData } from '../series';
import { unixSeconds } from '../dates';
import { formatUnits } from '../format';
import type { DayMarkers } from '../markers';
import { MARKER_GLYPH } from '../markers';

export interface ChartHandle {
  destroy(): void;
}

const COLORS = { actual: '#4b5563', forecast: '#1d4ed8', band: 'rgba(29, 78, 216, 0.16)', bandEdge: 'rgba(29, 78, 216, 0.35)', adjusted: '#c2410c', highlight: 'rgba(194, 65, 12, 0.14)' };
/** Day shading behind the series: closures grey, promotions amber; events a dashed purple line. */
const MARKER_COLORS = { closed: 'rgba(75, 85, 99, 0.16)', promotion: 'rgba(217, 119, 6, 0.16)', event: 'rgba(109, 40, 217, 0.75)' };
const HALF_DAY = 43_200;

/**
 * Marks promotions, events/holidays and closures on the days they fall: a shaded band per day behind the
 * series (drawn on the canvas) and a glyph on the x axis with the day's text as its tooltip (HTML in the
 * plot's overlay, so it follows resizes). The canvas and its overlay are hidden from assistive technology;
 * the card lists the same days in text.
 */
function markersPlugin(markers: readonly DayMarkers[]): uPlot.Plugin {
  let strip: HTMLDivElement | undefined;
  return {
    hooks: {
      drawClear: (u) => {
        const { ctx, bbox } = u;
        ctx.save();
        for (const day of markers) {
          const x = unixSeconds(day.date);
          const left = u.valToPos(x - HALF_DAY, 'x', true);
          const right = u.valToPos(x + HALF_DAY, 'x', true);
          if (right < bbox.left || left > bbox.left + bbox.width) continue;
          const l = Math.max(bbox.left, left);
          const w = Math.min(bbox.left + bbox.width, right) - l;
          for (const kind of day.kinds) {
            if (kind === 'event') continue;
            ctx.fillStyle = MARKER_COLORS[kind];
            ctx.fillRect(l, bbox.top, w, bbox.height);
          }
          if (day.kinds.includes('event')) {
            const mid = u.valToPos(x, 'x', true);
            ctx.strokeStyle = MARKER_COLORS.event;
            ctx.lineWidth = Math.max(1, devicePixelRatio || 1);
            ctx.setLineDash([3 * (devicePixelRatio || 1), 3 * (devicePixelRatio || 1)]);
            ctx.beginPath();
            ctx.moveTo(mid, bbox.top);
            ctx.lineTo(mid, bbox.top + bbox.height);
            ctx.stroke();
          }
        }
        ctx.restore();
      },
      draw: (u) => {
        if (!strip) {
          strip = document.createElement('div');
          strip.className = 'chart-markers-strip';
          u.over.appendChild(strip);
        }
        strip.replaceChildren();
        const width = u.over.clientWidth || u.bbox.width / (devicePixelRatio || 1);
        for (const day of markers) {
          const left = u.valToPos(unixSeconds(day.date), 'x');
          if (left < 0 || left > width) continue;
          const glyph = document.createElement('span');
          glyph.className = 'chart-marker';
          glyph.title = day.text;
          glyph.dataset.date = day.date;
          for (const kind of day.kinds) {
            const g = document.createElement('span');
            g.className = `marker-glyph marker-${kind}`;
            g.textContent = MARKER_GLYPH[kind];
            glyph.appendChild(g);
          }
          glyph.style.left = `${left}px`; // CSSOM, allowed by the CSP
          strip.appendChild(glyph);
        }
      },
    },
  };
}

/** A day opened from "Needs attention": shaded behind the series, with a solid line at its middle. */
function highlightPlugin(date: string): uPlot.Plugin {
  return {
    hooks: {
      drawClear: (u) => {
        const x = unixSeconds(date);
        const left = Math.max(u.bbox.left, u.valToPos(x - HALF_DAY, 'x', true));
        const right = Math.min(u.bbox.left + u.bbox.width, u.valToPos(x + HALF_DAY, 'x', true));
        if (right <= left) return;
        u.ctx.save();
        u.ctx.fillStyle = COLORS.highlight;
        u.ctx.fillRect(left, u.bbox.top, right - left, u.bbox.height);
        u.ctx.restore();
      },
    },
  };
}

/**
 * Store-total chart: actual sales (grey), forecast (blue), the p10–p90 band and, when overrides apply, the
 * adjusted forecast (orange, dashed). The canvas is hidden
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
      ...(data.adjusted ? [{ label: 'Adjusted', stroke: COLORS.adjusted, width: 2, dash: [6, 3], points: { show: false } }] : []),
    ],
    bands: [{ series: [2, 4], fill: COLORS.band }],
    plugins: [...(data.markers && data.markers.length > 0 ? [markersPlugin(data.markers)] : []), ...(data.highlight ? [highlightPlugin(data.highlight)] : [])],
  };
  const series = [xs, data.actual, data.p90, data.forecast, data.p10, ...(data.adjusted ? [data.adjusted] : [])];
  const plot = new uPlot(opts, series as uPlot.AlignedData, container);
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
