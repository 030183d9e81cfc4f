/**
 * NCRONTAB as the Functions timer trigger reads it: six fields, seconds first
 * (`{second} {minute} {hour} {day} {month} {day-of-week}`), evaluated in the process's local time
 * zone. In Azure (Flex Consumption, no WEBSITE_TIME_ZONE) that zone is UTC; here it is the
 * process's (set TZ=UTC for Azure's behaviour). A `hh:mm:ss`
 * TimeSpan (an interval, allowed on dedicated plans) is accepted too.
 */
export interface Schedule {
  next(after: Date): Date;
  readonly source: string;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

function parseField(text: string, min: number, max: number, names?: string[], nameBase = 0): Set<number> {
  const out = new Set<number>();
  const value = (s: string): number => {
    const upper = s.toUpperCase();
    const named = names ? names.findIndex((n) => upper.startsWith(n)) : -1;
    const v = named >= 0 && /^[A-Z]/.test(upper) ? named + nameBase : Number(s);
    if (!Number.isInteger(v)) throw new Error(`invalid value "${s}"`);
    return v;
  };
  for (const part of text.split(',')) {
    const [range = '', stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new Error(`invalid step in "${part}"`);
    let lo: number;
    let hi: number;
    if (range === '*') {
      lo = min;
      hi = max;
    } else if (range.includes('-')) {
      const [a = '', b = ''] = range.split('-');
      lo = value(a);
      hi = value(b);
    } else {
      lo = value(range);
      hi = stepText === undefined ? lo : max;
    }
    if (lo < min || hi > max || lo > hi) throw new Error(`"${part}" is outside ${min}-${max}`);
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

export function parseSchedule(expression: string): Schedule {
  const source = expression.trim();
  const span = /^(\d+):(\d{2}):(\d{2})$/.exec(source);
  if (span) {
    const ms = (Number(span[1]) * 3600 + Number(span[2]) * 60 + Number(span[3])) * 1000;
    if (ms <= 0) throw new Error(`Timer interval "${source}" must be positive`);
    return { source, next: (after) => new Date(after.getTime() + ms) };
  }
  let fields = source.split(/\s+/);
  if (fields.length === 5) fields = ['0', ...fields];
  if (fields.length !== 6) throw new Error(`NCRONTAB "${source}" must have 6 fields (second minute hour day month day-of-week)`);
  try {
    const [s, mi, h, d, mo, dw] = fields as [string, string, string, string, string, string];
    const seconds = parseField(s, 0, 59);
    const minutes = parseField(mi, 0, 59);
    const hours = parseField(h, 0, 23);
    const days = parseField(d, 1, 31);
    const months = parseField(mo, 1, 12, MONTHS, 1);
    const weekdays = parseField(dw.replace(/\b7\b/g, '0'), 0, 6, DAYS, 0);
    const dayIsStar = d === '*' || d === '?';
    const dowIsStar = dw === '*' || dw === '?';
    const dayMatches = (t: Date): boolean => {
      // Classic cron rule, which NCRONTAB keeps: when both day fields are restricted, either may match.
      if (!dayIsStar && !dowIsStar) return days.has(t.getDate()) || weekdays.has(t.getDay());
      return days.has(t.getDate()) && weekdays.has(t.getDay());
    };
    return {
      source,
      next(after: Date): Date {
        const t = new Date(after.getTime());
        t.setMilliseconds(0);
        t.setSeconds(t.getSeconds() + 1);
        const limit = after.getTime() + 5 * 366 * 86_400_000;
        while (t.getTime() <= limit) {
          if (!months.has(t.getMonth() + 1)) {
            t.setMonth(t.getMonth() + 1, 1);
            t.setHours(0, 0, 0);
          } else if (!dayMatches(t)) {
            t.setDate(t.getDate() + 1);
            t.setHours(0, 0, 0);
          } else if (!hours.has(t.getHours())) {
            t.setHours(t.getHours() + 1, 0, 0);
          } else if (!minutes.has(t.getMinutes())) {
            t.setMinutes(t.getMinutes() + 1, 0);
          } else if (!seconds.has(t.getSeconds())) {
            t.setSeconds(t.getSeconds() + 1);
          } else {
            return t;
          }
        }
        throw new Error(`NCRONTAB "${source}" never fires`);
      },
    };
  } catch (err) {
    throw new Error(`Invalid NCRONTAB "${source}": ${(err as Error).message}`, { cause: err });
  }
}

/** `%NAME%` in binding values is an app setting, as in the real host. */
export function resolveSetting(value: string, env: NodeJS.ProcessEnv = process.env): string {
  return value.replace(/%([^%]+)%/g, (_m, name: string) => {
    const v = env[name];
    if (v === undefined) throw new Error(`App setting "${name}" is not set (referenced as %${name}%)`);
    return v;
  });
}
