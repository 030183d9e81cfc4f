import type { ServiceLevel, TransportCalibration, TransportUnit } from '../api';
import { SERVICE_LEVELS, TRANSPORT_UNITS } from '../api';
import { h, replace, uid } from '../dom';
import { LEVEL_PROBABILITY } from '../../../engine/totals.js';
import { defaultLocale } from '../format';

export const LEVEL_LABEL: Record<ServiceLevel, string> = { p50: 'p50 (median)', p80: 'p80', p90: 'p90', p95: 'p95' };
export const UNIT_LABEL: Record<TransportUnit, string> = { units: 'Units', cases: 'Cases', pallets: 'Pallets', trucks: 'Trucks' };

/** The service level and unit selectors of the transport view. */
export function transportSelectors(level: ServiceLevel, unit: TransportUnit, onChange: (level: ServiceLevel, unit: TransportUnit) => void): { el: HTMLElement; set(level: ServiceLevel, unit: TransportUnit): void } {
  const levelId = uid('level');
  const unitId = uid('unit');
  const levelSelect = h('select', { id: levelId, 'data-testid': 'level-select' }, SERVICE_LEVELS.map((l) => h('option', { value: l }, LEVEL_LABEL[l])));
  const unitSelect = h('select', { id: unitId, 'data-testid': 'unit-select' }, TRANSPORT_UNITS.map((u) => h('option', { value: u }, UNIT_LABEL[u])));
  const changed = (): void => onChange(levelSelect.value as ServiceLevel, unitSelect.value as TransportUnit);
  levelSelect.addEventListener('change', changed);
  unitSelect.addEventListener('change', changed);
  const set = (l: ServiceLevel, u: TransportUnit): void => {
    levelSelect.value = l;
    unitSelect.value = u;
  };
  set(level, unit);
  const el = h(
    'div',
    { className: 'transport-selectors' },
    h('div', { className: 'field' }, h('label', { for: levelId }, 'Service level'), levelSelect),
    h('div', { className: 'field' }, h('label', { for: unitId }, 'Unit'), unitSelect),
  );
  return { el, set };
}

/**
 * How well the quantiles held: for each level, the share of past store-days whose actual total was below it
 * (realised ledger, or the backtest while actuals are few). A p90 that holds 90 % of days is calibrated.
 */
export function calibrationRow(calibration: TransportCalibration | undefined, chosen: ServiceLevel, locale = defaultLocale()): HTMLElement | null {
  if (!calibration) return null;
  const source = calibration.source === 'realised' ? `actual sales of ${calibration.days} past store-days` : calibration.source === 'backtest' ? `the backtest (${calibration.days} store-days; too few actual sales yet)` : null;
  const el = h('div', { className: 'calibration', 'data-testid': 'calibration' });
  if (source === null) {
    replace(el, h('span', {}, 'Calibration: not measured yet (no actual sales and no backtest of store totals).'));
    return el;
  }
  const pct = (v: number): string => `${new Intl.NumberFormat(locale, { maximumFractionDigits: 0 }).format(v * 100)} %`;
  replace(
    el,
    h('span', { className: 'calibration-title' }, 'Calibration: share of days below each level'),
    h(
      'ul',
      { className: 'calibration-list' },
      SERVICE_LEVELS.map((l) => {
        const share = calibration.shares[l];
        return h(
          'li',
          { className: l === chosen ? 'calibration-chosen' : undefined, 'data-level': l, title: share === null ? undefined : `Target ${pct(LEVEL_PROBABILITY[l])}` },
          h('span', { className: 'calibration-level' }, l),
          ' ',
          share === null ? '–' : pct(share),
        );
      }),
    ),
    h('span', { className: 'calibration-source', 'data-testid': 'calibration-source' }, `from ${source}`),
  );
  return el;
}

/** Items without pack sizes: counted in units, named so nobody takes them for 0 pallets. */
export function unconvertedNotice(items: readonly string[] | undefined, unit: TransportUnit): HTMLElement | null {
  if (!items || items.length === 0 || unit === 'units') return null;
  const shown = items.slice(0, 12);
  return h(
    'div',
    { className: 'notice notice-warning', 'data-testid': 'unconverted' },
    h(
      'span',
      { className: 'notice-text' },
      `${items.length} ${items.length === 1 ? 'item has' : 'items have'} no pack sizes in the item master, so ${items.length === 1 ? 'it is' : 'they are'} not in the ${unit} below but counted in units (in each cell’s tooltip and the CSV’s unconverted_units column): `,
      h('span', { 'data-testid': 'unconverted-items' }, shown.join(', ')),
      items.length > shown.length ? `, and ${items.length - shown.length} more` : '',
      '.',
    ),
  );
}
