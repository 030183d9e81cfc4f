/**
 * The one CSV cell writer of the app (the CLI's forecasts, the API's exports, the rejected-rows reports): every
 * layer may import it from here.
 *
 * Spreadsheets run a cell that starts with `=`, `+`, `-`, `@`, TAB or CR. A cell starts at the start of the
 * field, but also after any character some locale splits on: Excel where the list separator is `;` reads
 * `Sale;=cmd|' /C calc'!A0` as two cells, the second a formula, even inside a quoted field. So a formula start
 * at the start of the field or after `,`, `;`, TAB, CR or LF gets a `'` in front (the spreadsheet then shows
 * text), and such a field is quoted (OWASP's advice for CSV injection). A number is no exception (`-4` becomes
 * `'-4`): the cell another locale cuts out runs on past the number to its own next separator, so what follows
 * the `-` there is not known here. Numeric columns are written without this function.
 */
const NEEDS_WORK = /[=+\-@\t\r\n",;]/;
const FORMULA_START = /[=+\-@\t\r]/;
const SEPARATOR = /[,;\t\r\n]/;
const NEEDS_QUOTES = /[",;\t\n\r]/;

function neutralise(text: string): { text: string; changed: boolean } {
  let out = '';
  let from = 0;
  let changed = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (!FORMULA_START.test(ch)) continue;
    if (i > 0 && !SEPARATOR.test(text[i - 1]!)) continue;
    out += `${text.slice(from, i)}'`;
    from = i;
    changed = true;
  }
  return changed ? { text: out + text.slice(from), changed } : { text, changed };
}

/** One CSV cell as a spreadsheet will open it: never a formula, quoted when it must be. */
export function csvField(text: string): string {
  if (!NEEDS_WORK.test(text)) return text;
  const safe = neutralise(text);
  return safe.changed || NEEDS_QUOTES.test(safe.text) ? `"${safe.text.replace(/"/g, '""')}"` : safe.text;
}
