import type { AttentionKind, IsoDate, StoreId } from './api';
import { defaultLocale } from './format';

export const ATTENTION_LABEL: Record<AttentionKind, string> = {
  heightened: 'Heightened demand',
  changed: 'Changed since yesterday',
  accuracy: 'Accuracy dropped',
  'new-promotion': 'Promotion, little history',
};

/** `+45 %` / `−12 %` (null: nothing to compare with). Relative changes come as fractions (0.45). */
export function formatChange(change: number | null | undefined, locale = defaultLocale()): string | null {
  if (change === null || change === undefined || !Number.isFinite(change)) return null;
  const percent = Math.round(change * 100);
  const text = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 }).format(Math.abs(percent));
  return `${percent >= 0 ? '+' : '−'}${text} %`;
}

/** `+120 units` above the weekday's normal. */
export function formatExtraUnits(units: number | null | undefined, locale = defaultLocale()): string | null {
  if (units === null || units === undefined || !Number.isFinite(units)) return null;
  const text = new Intl.NumberFormat(locale, { maximumFractionDigits: Math.abs(units) >= 10 ? 0 : 1 }).format(Math.abs(units));
  return `${units >= 0 ? '+' : '−'}${text} units`;
}

/** The store card at that day: the address the dashboard reads (`?store=&date=`), usable as a link. */
export function attentionHref(entry: { store: StoreId; date: IsoDate }): string {
  return `/?store=${encodeURIComponent(entry.store)}&date=${encodeURIComponent(entry.date)}`;
}
