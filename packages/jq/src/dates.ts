// Date builtins: gmtime/mktime/strftime/strptime/now and friends, always in UTC
// (localtime and strflocaltime behave as their UTC forms: simulators run in UTC).
import { JqRuntimeError } from './errors.ts';
import { typeErrorPreview } from './values.ts';

type DefValue = (name: string, arity: number, f: (input: unknown, ...args: unknown[]) => unknown) => void;

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

function gmtime(t: number): number[] {
  const ms = Math.floor(t * 1000);
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) throw new JqRuntimeError('gmtime cannot be applied to: ' + typeErrorPreview(t));
  const start = Date.UTC(d.getUTCFullYear(), 0, 1);
  const yday = Math.floor((Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) - start) / 86400000);
  const secs = d.getUTCSeconds() + (t - Math.floor(t));
  return [d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), secs, d.getUTCDay(), yday];
}

function brokenDown(name: string, v: unknown): number[] {
  if (typeof v === 'number') return gmtime(v);
  if (!Array.isArray(v) || v.length < 6 || v.slice(0, 6).some((x) => typeof x !== 'number')) {
    throw new JqRuntimeError(`${name} requires parsed datetime inputs`);
  }
  return v as number[];
}

function mktime(v: unknown): number {
  if (!Array.isArray(v) || v.length < 6 || v.slice(0, 6).some((x) => typeof x !== 'number')) {
    throw new JqRuntimeError('mktime requires array of 6 numbers');
  }
  const [y, mo, d, h, mi, s] = v as number[];
  return Math.floor(Date.UTC(y!, mo!, d!, h!, mi!, Math.floor(s!)) / 1000);
}

const pad = (n: number, w = 2, c = '0') => String(Math.trunc(n)).padStart(w, c);

function strftime(v: unknown, fmt: unknown, name: string): string {
  if (typeof fmt !== 'string') throw new JqRuntimeError(`${name}/1 requires a string format`);
  const [y, mo, d, h, mi, s, wd, yd] = brokenDown(name, v) as number[];
  const t = mktime([y, mo, d, h, mi, s]);
  return fmt.replace(/%([a-zA-Z%])/g, (_, c: string) => {
    switch (c) {
      case 'Y': return String(y);
      case 'C': return pad(y! / 100);
      case 'y': return pad(y! % 100);
      case 'm': return pad(mo! + 1);
      case 'd': return pad(d!);
      case 'e': return pad(d!, 2, ' ');
      case 'H': return pad(h!);
      case 'I': return pad(((h! + 11) % 12) + 1);
      case 'M': return pad(mi!);
      case 'S': return pad(s!);
      case 'f': return String(Math.round((s! % 1) * 1e6)).padStart(6, '0');
      case 'j': return pad((yd ?? 0) + 1, 3);
      case 'a': return DAYS[wd ?? 0]!.slice(0, 3);
      case 'A': return DAYS[wd ?? 0]!;
      case 'b': case 'h': return MONTHS[mo!]!.slice(0, 3);
      case 'B': return MONTHS[mo!]!;
      case 'p': return h! < 12 ? 'AM' : 'PM';
      case 'Z': return 'UTC';
      case 'z': return '+0000';
      case 's': return String(t);
      case 'u': return String(wd === 0 ? 7 : wd);
      case 'w': return String(wd);
      case 'T': return `${pad(h!)}:${pad(mi!)}:${pad(s!)}`;
      case 'D': return `${pad(mo! + 1)}/${pad(d!)}/${pad(y! % 100)}`;
      case 'F': return `${y}-${pad(mo! + 1)}-${pad(d!)}`;
      case 'R': return `${pad(h!)}:${pad(mi!)}`;
      case 'c': return `${DAYS[wd ?? 0]!.slice(0, 3)} ${MONTHS[mo!]!.slice(0, 3)} ${pad(d!, 2, ' ')} ${pad(h!)}:${pad(mi!)}:${pad(s!)} ${y}`;
      case '%': return '%';
      default: return '%' + c;
    }
  });
}

const PARSERS: Record<string, [string, (m: string, st: ParseState) => void]> = {
  Y: ['([+-]?\\d{1,4})', (m, st) => (st.y = Number(m))],
  m: ['(\\d{1,2})', (m, st) => (st.mo = Number(m) - 1)],
  d: ['(\\d{1,2})', (m, st) => (st.d = Number(m))],
  e: ['\\s*(\\d{1,2})', (m, st) => (st.d = Number(m))],
  H: ['(\\d{1,2})', (m, st) => (st.h = Number(m))],
  M: ['(\\d{1,2})', (m, st) => (st.mi = Number(m))],
  S: ['(\\d{1,2}(?:\\.\\d+)?)', (m, st) => (st.s = Number(m))],
  j: ['(\\d{1,3})', () => {}],
  y: ['(\\d{2})', (m, st) => (st.y = Number(m) + (Number(m) < 69 ? 2000 : 1900))],
  b: ['([A-Za-z]{3,9})', (m, st) => (st.mo = MONTHS.findIndex((x) => x.slice(0, 3).toLowerCase() === m.slice(0, 3).toLowerCase()))],
  a: ['([A-Za-z]{3,9})', () => {}],
  z: ['(Z|[+-]\\d{2}:?\\d{2})', (m, st) => {
    if (m === 'Z') return;
    const sign = m[0] === '-' ? -1 : 1;
    const digits = m.slice(1).replace(':', '');
    st.off = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2)));
  }],
  Z: ['([A-Za-z]+)', () => {}],
  s: ['(-?\\d+)', (m, st) => (st.epoch = Number(m))],
  f: ['(\\d+)', (m, st) => (st.frac = Number('0.' + m))],
};

interface ParseState {
  y: number; mo: number; d: number; h: number; mi: number; s: number; off: number; frac: number; epoch: number | null;
}

function strptime(v: unknown, fmt: unknown): number[] {
  if (typeof v !== 'string') throw new JqRuntimeError('strptime/1 requires string inputs and arguments');
  if (typeof fmt !== 'string') throw new JqRuntimeError('strptime/1 requires string inputs and arguments');
  const setters: ((m: string, st: ParseState) => void)[] = [];
  let src = '';
  const expanded = fmt.replace(/%c/g, '%a %b %e %H:%M:%S %Y').replace(/%T/g, '%H:%M:%S').replace(/%F/g, '%Y-%m-%d').replace(/%D/g, '%m/%d/%y').replace(/%R/g, '%H:%M');
  for (let i = 0; i < expanded.length; i++) {
    const c = expanded[i]!;
    if (c === '%' && i + 1 < expanded.length) {
      const d = expanded[++i]!;
      if (d === '%') src += '%';
      else if (PARSERS[d]) {
        src += PARSERS[d][0];
        setters.push(PARSERS[d][1]);
      } else src += '%' + d;
    } else if (/\s/.test(c)) src += '\\s*';
    else src += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  const m = new RegExp('^' + src + '$').exec(v);
  if (m === null) throw new JqRuntimeError(`date "${v}" does not match format "${fmt}"`);
  const st: ParseState = { y: 1900, mo: 0, d: 1, h: 0, mi: 0, s: 0, off: 0, frac: 0, epoch: null };
  setters.forEach((set, i) => set(m[i + 1]!, st));
  if (st.epoch !== null) return gmtime(st.epoch);
  const t = Date.UTC(st.y, st.mo, st.d, st.h, st.mi, Math.floor(st.s)) / 1000 - st.off * 60 + (st.s % 1) + st.frac;
  return gmtime(t);
}

export function dateBuiltins(defValue: DefValue): void {
  defValue('gmtime', 0, (v) => {
    if (typeof v !== 'number') throw new JqRuntimeError('gmtime() requires a number');
    return gmtime(v);
  });
  defValue('localtime', 0, (v) => {
    if (typeof v !== 'number') throw new JqRuntimeError('localtime() requires a number');
    return gmtime(v);
  });
  defValue('mktime', 0, (v) => mktime(v));
  defValue('strftime', 1, (v, fmt) => strftime(v, fmt, 'strftime'));
  defValue('strflocaltime', 1, (v, fmt) => strftime(v, fmt, 'strflocaltime'));
  defValue('strptime', 1, (v, fmt) => strptime(v, fmt));
  defValue('now', 0, () => Date.now() / 1000);
  defValue('fromdateiso8601', 0, (v) => {
    if (typeof v !== 'string') throw new JqRuntimeError('fromdateiso8601 cannot be applied to: ' + typeErrorPreview(v));
    const parts = strptime(v, '%Y-%m-%dT%H:%M:%S%z');
    const secs = mktime(parts);
    const frac = parts[5]! % 1;
    return frac === 0 ? secs : secs + frac;
  });
}
