import type { ApiError, IsoDate, OverrideHistoryEntry, OverrideInput, OverrideKind, ValueAddedRow, ValueAddedWindow } from './api';
import { defaultLocale, formatDay, formatUnits } from './format';

export const OVERRIDE_FIELDS = ['from', 'to', 'items', 'kind', 'value', 'note'] as const;
export type OverrideField = (typeof OVERRIDE_FIELDS)[number];

/** `+20 %`, `−15 %`, `= 150 units a day` or `promotion`. */
export function describeChange(o: { kind: OverrideKind; value?: number; driver?: string }, locale = defaultLocale()): string {
  if (o.kind === 'promotion') return `promotion${o.driver ? ` (${o.driver}${o.value !== undefined && o.value !== 1 ? ` = ${o.value}` : ''})` : ''}`;
  if (o.value === undefined) return '';
  if (o.kind === 'percent') {
    const text = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 }).format(Math.abs(o.value));
    return `${o.value >= 0 ? '+' : '−'}${text} %`;
  }
  return `= ${formatUnits(o.value, locale)} units a day`;
}

export function describeRange(o: { from: IsoDate; to: IsoDate }): string {
  return o.from === o.to ? formatDay(o.from) : `${formatDay(o.from)} – ${formatDay(o.to)}`;
}

export function describeItems(items: readonly string[] | undefined): string {
  if (!items || items.length === 0) return 'all items';
  return items.length <= 3 ? `item${items.length === 1 ? '' : 's'} ${items.join(', ')}` : `${items.length} items (${items.slice(0, 3).join(', ')}, …)`;
}

/** One line for an override: "Mon 3 Jul – Sun 9 Jul, all items, +20 %". */
export function describeOverride(o: Pick<OverrideInput, 'from' | 'to' | 'items' | 'kind' | 'value'> & { driver?: string }): string {
  return `${describeRange(o)}, ${describeItems(o.items)}, ${describeChange(o)}`;
}

/** Item ids typed as a list: commas, semicolons, spaces or new lines between them; duplicates dropped. */
export function parseItems(text: string): string[] {
  return [...new Set(text.split(/[\s,;]+/).map((s) => s.trim()).filter((s) => s !== ''))];
}

/**
 * The form's values as the API's body. Nothing is checked here beyond turning text into numbers: the API
 * says what is wrong (a 400 with the field), so there is one set of rules.
 */
export function overrideInput(form: { from: string; to: string; items: string; kind: string; value: string; note: string }): OverrideInput {
  const items = parseItems(form.items);
  const kind: OverrideKind = form.kind === 'absolute' || form.kind === 'promotion' ? form.kind : 'percent';
  const blank = form.value.trim() === '';
  const value = blank ? Number.NaN : Number(form.value.replace(',', '.'));
  // A promotion without a value takes the driver's usual promoted value (the API's default).
  const withValue = kind === 'promotion' && blank ? {} : { value };
  return { from: form.from, to: form.to, ...(items.length > 0 ? { items } : {}), kind, ...withValue, note: form.note.trim() };
}

/**
 * Which form field a 400 is about: each issue's `path` (zod's, e.g. `value` or `items.2`), else a field named
 * in the message. Messages that name no field go to the form as a whole (`form`).
 */
export function fieldErrors(error: ApiError): Map<OverrideField | 'form', string[]> {
  const out = new Map<OverrideField | 'form', string[]>();
  const add = (field: OverrideField | 'form', message: string): void => void out.set(field, [...(out.get(field) ?? []), message]);
  const issues = error.details?.issues ?? [];
  for (const issue of issues) add(fieldOf(`${issue.path} ${issue.message}`) ?? 'form', withoutField(issue.message));
  const field = typeof error.details?.field === 'string' ? fieldOf(error.details.field) : undefined;
  if (issues.length === 0) {
    const target = field ?? fieldOf(error.message) ?? 'form';
    add(target, target === 'form' ? error.message : withoutField(error.message));
  }
  return out;
}

/** `"value": must be …` → `Must be …`: beside its field the message need not name it. */
function withoutField(message: string): string {
  const m = /^\s*"[A-Za-z.]+"\s*:\s*(.+)$/s.exec(message);
  if (!m) return message;
  const rest = m[1]!;
  return rest.charAt(0).toUpperCase() + rest.slice(1);
}

function fieldOf(text: string): OverrideField | undefined {
  const head = /^\s*"?(?:body\.)?([a-z]+)/i.exec(text)?.[1]?.toLowerCase();
  if (head && (OVERRIDE_FIELDS as readonly string[]).includes(head)) return head as OverrideField;
  const lower = text.toLowerCase();
  if (/\bnote\b/.test(lower)) return 'note';
  if (/\bitems?\b/.test(lower)) return 'items';
  if (/\bvalue\b|negative/.test(lower)) return 'value';
  if (/\bto\b|end|beyond|horizon|366/.test(lower)) return 'to';
  if (/\bfrom\b|past|start|overlap/.test(lower)) return 'from';
  return undefined;
}

export const ACTION_LABEL: Record<OverrideHistoryEntry['action'], string> = { create: 'Created', edit: 'Edited', delete: 'Deleted' };

/** "before → after" of an audit entry in words: the override's settings on each side. */
export function describeTransition(entry: OverrideHistoryEntry): { before: string; after: string } {
  return { before: entry.before ? describeOverride(entry.before) : '—', after: entry.after ? describeOverride(entry.after) : '—' };
}

/** Sum of a number list of an audit entry (the store-days' units before/after the change). */
export function numbersTotal(values: readonly number[] | undefined): number | null {
  if (!values || values.length === 0) return null;
  return values.reduce((a, b) => a + b, 0);
}

function percent(wape: number | null, locale: string): string {
  return wape === null ? '–' : `${new Intl.NumberFormat(locale, { maximumFractionDigits: 0 }).format(wape * 100)} %`;
}

/**
 * Forecast value added over one window: "4 wk: model WAPE 14 %, adjusted 11 % (better)". Null when no day in
 * the window had both an adjusted forecast and actual sales.
 */
export function valueAddedText(weeks: string, w: ValueAddedWindow | undefined, locale = defaultLocale()): string | null {
  if (!w || w.days === 0 || w.adjusted === null) return null;
  const verdict = w.model === null ? '' : w.adjusted < w.model - 1e-9 ? ' (adjusting helped)' : w.adjusted > w.model + 1e-9 ? ' (adjusting hurt)' : ' (no difference)';
  return `${weeks} wk: model WAPE ${percent(w.model, locale)}, adjusted ${percent(w.adjusted, locale)}${verdict}`;
}

/** Both windows (4 and 13 weeks) of a store's or planner's value added, "4 wk: …; 13 wk: …", or null when neither has data. */
export function valueAddedWindows(row: ValueAddedRow | undefined, locale = defaultLocale()): string | null {
  if (!row) return null;
  const parts = ['4', '13'].map((w) => valueAddedText(w, row.weeks[w], locale)).filter((t): t is string => t !== null);
  return parts.length === 0 ? null : parts.join('; ');
}

/** valueAddedWindows as a sentence of its own (on a store card). */
export function valueAddedLabel(row: ValueAddedRow | undefined, locale = defaultLocale()): string | null {
  const windows = valueAddedWindows(row, locale);
  return windows === null ? null : `Value added by adjustments, ${windows}`;
}
