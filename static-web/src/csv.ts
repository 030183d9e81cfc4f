import { csvField as textCell } from '../../engine/csv-write.js';

/**
 * One CSV cell of a download. Text goes through the app's one cell writer (engine/csv-write.ts, pure and
 * bundled from there), so the dashboard's CSV neutralises formula starts after `,` `;` and tab exactly as
 * the API's and the CLI's do; numbers are written as numbers.
 */
export function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(roundForCsv(value)) : '';
  return textCell(value);
}

/** Up to 3 decimals, no exponent noise (`21.400000000000002` → `21.4`). */
export function roundForCsv(n: number): number {
  return Math.round(n * 1000) / 1000;
}

export function toCsv(header: readonly string[], rows: readonly (readonly (string | number | null | undefined)[])[]): string {
  const lines = [header.map(csvField).join(',')];
  for (const row of rows) lines.push(row.map(csvField).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/** Offers `text` as a file download (browser only). */
export function downloadText(filename: string, text: string, type = 'text/csv;charset=utf-8'): void {
  const blob = new Blob([text], { type });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
