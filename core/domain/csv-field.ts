/**
 * One CSV cell as spreadsheets will open it: a cell starting like a formula (`= + - @`, TAB, CR) is kept as
 * text, and a cell with a quote, comma or line break is quoted.
 */
export function csvField(text: string): string {
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
