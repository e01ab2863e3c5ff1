// `@name` string formats (`@base64`, `@csv`, …) as jq defines them.
import { JqRuntimeError } from './errors.ts';
import { toJson, toStringValue, typeErrorPreview } from './values.ts';

function rowError(name: string, v: unknown): JqRuntimeError {
  return new JqRuntimeError(`@${name} cannot format an array including: ${typeErrorPreview(v)}`);
}

function expectArray(name: string, v: unknown): unknown[] {
  if (!Array.isArray(v)) throw new JqRuntimeError(`@${name} cannot be applied to: ${typeErrorPreview(v)}`);
  return v;
}

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8');

export function applyFormat(name: string, v: unknown): unknown {
  switch (name) {
    case 'text':
      return toStringValue(v);
    case 'json':
      return toJson(v);
    case 'html':
      return toStringValue(v).replace(/[<>&'"]/g, (c) =>
        c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '&' ? '&amp;' : c === "'" ? '&apos;' : '&quot;',
      );
    case 'uri': {
      const bytes = utf8.encode(toStringValue(v));
      let out = '';
      for (const b of bytes) {
        const c = String.fromCharCode(b);
        out += /[A-Za-z0-9\-_.~]/.test(c) ? c : '%' + b.toString(16).toUpperCase().padStart(2, '0');
      }
      return out;
    }
    case 'urid':
      try {
        return decodeURIComponent(toStringValue(v));
      } catch (e) {
        throw new JqRuntimeError(`@urid cannot be applied to ${typeErrorPreview(v)}: ${(e as Error).message}`);
      }
    case 'csv':
      return expectArray(name, v)
        .map((x) => {
          if (typeof x === 'string') return '"' + x.replace(/"/g, '""').replace(/\0/g, '\\0') + '"';
          if (typeof x === 'number') return toJson(x);
          if (typeof x === 'boolean') return x ? 'true' : 'false';
          if (x === null || x === undefined) return '';
          throw rowError(name, x);
        })
        .join(',');
    case 'tsv':
      return expectArray(name, v)
        .map((x) => {
          if (typeof x === 'string') {
            return x.replace(/[\\\t\r\n\0]/g, (c) =>
              c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\r' ? '\\r' : c === '\n' ? '\\n' : '\\0',
            );
          }
          if (typeof x === 'number') return toJson(x);
          if (typeof x === 'boolean') return x ? 'true' : 'false';
          if (x === null || x === undefined) return '';
          throw rowError(name, x);
        })
        .join('\t');
    case 'sh': {
      const quote = (x: unknown): string => {
        if (typeof x === 'string') return "'" + x.replace(/'/g, "'\\''").replace(/\0/g, '\\0') + "'";
        if (typeof x === 'object' && x !== null) throw new JqRuntimeError(`@sh cannot format an array including: ${typeErrorPreview(x)}`);
        return toJson(x);
      };
      return Array.isArray(v) ? v.map(quote).join(' ') : quote(v);
    }
    case 'base64':
      return Buffer.from(toStringValue(v), 'utf8').toString('base64');
    case 'base64d': {
      const s = toStringValue(v).replace(/=+$/, '');
      if (/[^A-Za-z0-9+/\-_]/.test(s)) {
        throw new JqRuntimeError(`@base64d cannot be applied to: ${typeErrorPreview(v)}: illegal base64 data`);
      }
      return utf8Decoder.decode(Buffer.from(s, 'base64'));
    }
    case 'base32':
      return base32(utf8.encode(toStringValue(v)));
    case 'base32d':
      return utf8Decoder.decode(base32Decode(toStringValue(v)));
    default:
      throw new JqRuntimeError(`format not defined: @${name}`);
  }
}

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function base32(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let acc = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += B32[(acc >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += B32[(acc << (5 - bits)) & 31];
  while (out.length % 8 !== 0) out += '=';
  return out;
}

function base32Decode(s: string): Uint8Array {
  const out: number[] = [];
  let bits = 0;
  let acc = 0;
  for (const c of s.replace(/=+$/, '')) {
    const i = B32.indexOf(c);
    if (i < 0) throw new JqRuntimeError(`@base32d cannot be applied to: ${typeErrorPreview(s)}: illegal base32 data`);
    acc = (acc << 5) | i;
    bits += 5;
    if (bits >= 8) {
      out.push((acc >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Uint8Array.from(out);
}
