// Go's time formatting as sprig's date functions need it: layouts written
// with the reference time (Mon Jan 2 15:04:05 MST 2006), zones, and
// time.Duration's String() / ParseDuration.

import { GoTime } from './values.ts';

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** Offset (minutes east of UTC) and abbreviation of a zone at an instant; null if unknown. */
export function zoneAt(zone: string, ms: number): { offsetMin: number; abbr: string } | null {
  if (zone === 'UTC' || zone === '') return { offsetMin: 0, abbr: 'UTC' };
  if (zone === 'Local') {
    const offsetMin = -new Date(ms).getTimezoneOffset();
    if (offsetMin === 0 && (process.env.TZ === undefined || process.env.TZ === '' || process.env.TZ === 'UTC')) {
      return { offsetMin: 0, abbr: 'UTC' };
    }
    return { offsetMin, abbr: abbrFor(undefined, ms, offsetMin) };
  }
  try {
    const f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric',
      hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    const parts = Object.fromEntries(f.formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
    const asUTC = Date.UTC(+parts.year!, +parts.month! - 1, +parts.day!, +parts.hour!, +parts.minute!, +parts.second!);
    const offsetMin = Math.round((asUTC - Math.floor(ms / 1000) * 1000) / 60000);
    return { offsetMin, abbr: abbrFor(zone, ms, offsetMin) };
  } catch {
    return null;
  }
}

function abbrFor(zone: string | undefined, ms: number, offsetMin: number): string {
  try {
    const name = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'short' })
      .formatToParts(new Date(ms)).find((p) => p.type === 'timeZoneName')?.value;
    if (name && /^[A-Z]{3,5}$/.test(name)) return name;
  } catch {
    // fall through to the numeric form Go uses for zones without an abbreviation
  }
  const sign = offsetMin < 0 ? '-' : '+';
  const a = Math.abs(offsetMin);
  const hh = String(Math.floor(a / 60)).padStart(2, '0');
  return a % 60 ? `${sign}${hh}${String(a % 60).padStart(2, '0')}` : `${sign}${hh}`;
}

export function timeIn(t: GoTime, zone: string): GoTime {
  const z = zoneAt(zone, t.ms) ?? { offsetMin: 0, abbr: 'UTC' };
  return new GoTime(t.ms, z.offsetMin, z.abbr);
}

export function nowLocal(): GoTime {
  return timeIn(new GoTime(Date.now()), 'Local');
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');

/** time.Time.Format(layout). */
export function formatTime(t: GoTime, layout: string): string {
  const d = new Date(t.ms + t.offsetMin * 60_000);
  const year = d.getUTCFullYear();
  const month = d.getUTCMonth();
  const day = d.getUTCDate();
  const hour = d.getUTCHours();
  const min = d.getUTCMinutes();
  const sec = d.getUTCSeconds();
  const ms = ((t.ms % 1000) + 1000) % 1000;
  const wd = d.getUTCDay();
  const yday = Math.floor((Date.UTC(year, month, day) - Date.UTC(year, 0, 1)) / 86_400_000) + 1;
  const off = t.offsetMin;
  const zone = (colon: boolean, secs: boolean, short: boolean, z: boolean) => {
    if (z && off === 0) return 'Z';
    const a = Math.abs(off);
    let s = (off < 0 ? '-' : '+') + pad(Math.floor(a / 60), 2);
    if (!short || a % 60) s += (colon ? ':' : '') + pad(a % 60, 2);
    if (secs) s += (colon ? ':' : '') + '00';
    return s;
  };
  let out = '';
  let i = 0;
  const L = layout;
  const at = (s: string) => L.startsWith(s, i);
  while (i < L.length) {
    const c = L[i]!;
    if (c === 'J' && at('Jan')) {
      if (at('January')) { out += MONTHS[month]; i += 7; } else { out += MONTHS[month]!.slice(0, 3); i += 3; }
      continue;
    }
    if (c === 'M') {
      if (at('Monday')) { out += DAYS[wd]; i += 6; continue; }
      if (at('Mon')) { out += DAYS[wd]!.slice(0, 3); i += 3; continue; }
      if (at('MST')) { out += t.zone; i += 3; continue; }
    }
    if (c === '0') {
      const n = L[i + 1];
      if (n !== undefined && n >= '1' && n <= '6') {
        out += n === '1' ? pad(month + 1, 2) : n === '2' ? pad(day, 2) : n === '3' ? pad(hour % 12 || 12, 2)
          : n === '4' ? pad(min, 2) : n === '5' ? pad(sec, 2) : pad(year % 100, 2);
        i += 2;
        continue;
      }
      if (at('002')) { out += pad(yday, 3); i += 3; continue; }
    }
    if (c === '1') {
      if (at('15')) { out += pad(hour, 2); i += 2; continue; }
      out += String(month + 1); i += 1; continue;
    }
    if (c === '2') {
      if (at('2006')) { out += pad(year, 4); i += 4; continue; }
      out += String(day); i += 1; continue;
    }
    if (c === '_') {
      if (at('_2006')) { out += '_' + pad(year, 4); i += 5; continue; }
      if (at('__2')) { out += String(yday).padStart(3, ' '); i += 3; continue; }
      if (at('_2')) { out += String(day).padStart(2, ' '); i += 2; continue; }
    }
    if (c === '3') { out += String(hour % 12 || 12); i++; continue; }
    if (c === '4') { out += String(min); i++; continue; }
    if (c === '5') { out += String(sec); i++; continue; }
    if (c === 'P' && at('PM')) { out += hour >= 12 ? 'PM' : 'AM'; i += 2; continue; }
    if (c === 'p' && at('pm')) { out += hour >= 12 ? 'pm' : 'am'; i += 2; continue; }
    if (c === '-' || c === 'Z') {
      const z = c === 'Z';
      const rest = L.slice(i + 1);
      if (rest.startsWith('070000')) { out += zone(false, true, false, z); i += 7; continue; }
      if (rest.startsWith('07:00:00')) { out += zone(true, true, false, z); i += 9; continue; }
      if (rest.startsWith('0700')) { out += zone(false, false, false, z); i += 5; continue; }
      if (rest.startsWith('07:00')) { out += zone(true, false, false, z); i += 6; continue; }
      if (rest.startsWith('07')) { out += z && off === 0 ? 'Z' : zone(false, false, true, false).slice(0, 3); i += 3; continue; }
    }
    if ((c === '.' || c === ',') && (L[i + 1] === '0' || L[i + 1] === '9')) {
      const ch = L[i + 1]!;
      let j = i + 1;
      while (L[j] === ch) j++;
      const nd = L[j];
      if (!(nd !== undefined && nd >= '0' && nd <= '9')) {
        const digits = j - i - 1;
        let frac = (pad(ms, 3) + '000000').slice(0, digits);
        if (ch === '9') {
          frac = frac.replace(/0+$/, '');
          out += frac ? c + frac : '';
        } else out += c + frac;
        i = j;
        continue;
      }
    }
    out += c;
    i++;
  }
  return out;
}

const UNIT_NS: Record<string, bigint> = {
  ns: 1n, us: 1000n, 'µs': 1000n, 'μs': 1000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n,
};

/** time.ParseDuration, in nanoseconds. */
export function parseDuration(s: string): bigint {
  const orig = s;
  let neg = false;
  if (s[0] === '-' || s[0] === '+') {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') throw new Error(`time: invalid duration "${orig}"`);
  let total = 0;
  const re = /^([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)/;
  while (s.length) {
    const m = re.exec(s);
    if (!m || m[1] === '' || m[1] === '.') {
      if (m === null && /^[0-9.]+$/.test(s)) throw new Error(`time: missing unit in duration "${orig}"`);
      throw new Error(`time: invalid duration "${orig}"`);
    }
    total += Number(m[1]) * Number(UNIT_NS[m[2]!]!);
    s = s.slice(m[0].length);
  }
  const ns = BigInt(Math.round(total));
  return neg ? -ns : ns;
}

/** time.Duration.String(). */
export function formatDuration(ns: bigint): string {
  if (ns === 0n) return '0s';
  const neg = ns < 0n;
  let u = neg ? -ns : ns;
  let out: string;
  if (u < 1_000_000_000n) {
    // Sub-second: ns, µs or ms with a fraction.
    let unit: string;
    let div: bigint;
    if (u < 1000n) return (neg ? '-' : '') + u.toString() + 'ns';
    if (u < 1_000_000n) { unit = 'µs'; div = 1000n; } else { unit = 'ms'; div = 1_000_000n; }
    out = fracString(u, div) + unit;
  } else {
    const h = u / 3_600_000_000_000n;
    u %= 3_600_000_000_000n;
    const m = u / 60_000_000_000n;
    u %= 60_000_000_000n;
    const s = fracString(u, 1_000_000_000n) + 's';
    out = h > 0n ? `${h}h${m}m${s}` : m > 0n ? `${m}m${s}` : s;
  }
  return (neg ? '-' : '') + out;
}

function fracString(u: bigint, div: bigint): string {
  const whole = u / div;
  const rem = u % div;
  if (rem === 0n) return whole.toString();
  const width = div.toString().length - 1;
  return `${whole}.${rem.toString().padStart(width, '0').replace(/0+$/, '')}`;
}
