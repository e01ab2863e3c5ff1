/** Go's time.ParseDuration, time.Parse(RFC3339Nano) and Format(RFC3339Nano), as KWOK uses them. */

const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Nanoseconds, or undefined when Go's ParseDuration would fail. */
export function parseGoDuration(s: string): number | undefined {
  let i = 0;
  let neg = false;
  if (s[0] === '-' || s[0] === '+') {
    neg = s[0] === '-';
    i = 1;
  }
  if (s.slice(i) === '0') return 0;
  if (i === s.length) return undefined;
  let total = 0;
  while (i < s.length) {
    const start = i;
    while (i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++;
    const intPart = s.slice(start, i);
    let frac = '';
    if (s[i] === '.') {
      i++;
      const fs = i;
      while (i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++;
      frac = s.slice(fs, i);
    }
    if (intPart === '' && frac === '') return undefined;
    const us = i;
    while (i < s.length && s[i] !== '.' && !(s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57)) i++;
    const unit = UNIT_NS[s.slice(us, i)];
    if (unit === undefined) return undefined;
    total += Number(intPart || '0') * unit + (frac ? Number(`0.${frac}`) * unit : 0);
  }
  return Math.round(neg ? -total : total);
}

/** Milliseconds since the epoch plus the sub-millisecond nanoseconds Go keeps. */
export interface GoTime {
  ms: number;
  nanos: number;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/** time.Parse(time.RFC3339Nano, s); undefined when Go would reject it. */
export function parseRfc3339(s: string): GoTime | undefined {
  const m = RFC3339.exec(s);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, se, frac, zone] = m;
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || Number(h) > 23 || Number(mi) > 59 || Number(se) > 59) return undefined;
  const daysIn = new Date(Date.UTC(Number(y), month, 0)).getUTCDate();
  if (day > daysIn) return undefined;
  let ms = Date.UTC(Number(y), month - 1, day, Number(h), Number(mi), Number(se));
  if (zone !== 'Z') {
    const sign = zone![0] === '-' ? -1 : 1;
    const zh = Number(zone!.slice(1, 3));
    const zm = Number(zone!.slice(4, 6));
    if (zh > 23 || zm > 59) return undefined;
    ms -= sign * (zh * 60 + zm) * 60000;
  }
  const ns = frac ? Number(frac.padEnd(9, '0')) : 0;
  return { ms: ms + Math.floor(ns / 1e6), nanos: ns % 1e6 };
}

/** Nanoseconds from `nowMs` to `t` (negative when t is in the past). */
export function nsUntil(t: GoTime, nowMs: number): number {
  return (t.ms - nowMs) * 1e6 + t.nanos;
}

/** time.Time.Format(time.RFC3339Nano) in UTC: trailing zeros of the fraction dropped. */
export function formatRfc3339Nano(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2006-01-02T15:04:05.000Z
  const frac = iso.slice(20, 23).replace(/0+$/, '');
  return iso.slice(0, 19) + (frac ? `.${frac}` : '') + 'Z';
}
