/** Content negotiation: which of the API's representations (JSON, CSV) a request's `Accept` header asks for. */

/** Which representation the `Accept` header asks for; undefined → 406. */
export function negotiate(accept: string | null | undefined): 'json' | 'csv' | undefined {
  if (accept === null || accept === undefined || accept.trim() === '') return 'json';
  let json = -1;
  let csv = -1;
  let jsonSpecific = false;
  let csvSpecific = false;
  for (const part of accept.split(',')) {
    const [typeRaw, ...params] = part.split(';');
    const type = (typeRaw ?? '').trim().toLowerCase();
    let q = 1;
    for (const p of params) {
      const m = /^\s*q\s*=\s*([0-9.]+)\s*$/i.exec(p);
      if (m) q = Number(m[1]);
    }
    if (!Number.isFinite(q)) q = 0;
    if (type === 'application/json') {
      json = Math.max(json, q);
      jsonSpecific = true;
    } else if (type === 'text/csv') {
      csv = Math.max(csv, q);
      csvSpecific = true;
    } else if (type === '*/*') {
      if (!jsonSpecific) json = Math.max(json, q);
      if (!csvSpecific) csv = Math.max(csv, q);
    } else if (type === 'application/*' && !jsonSpecific) json = Math.max(json, q);
    else if (type === 'text/*' && !csvSpecific) csv = Math.max(csv, q);
  }
  if (json <= 0 && csv <= 0) return undefined;
  if (csv > json) return 'csv';
  if (csv === json && csvSpecific && !jsonSpecific) return 'csv';
  return 'json';
}
