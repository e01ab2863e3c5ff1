/**
 * Pod IP pools per CIDR, as KWOK's pod controller keeps them: addresses handed out in order from
 * the network address + 1, addresses known to be in use are skipped, freed addresses are handed
 * out again (oldest freed first here; KWOK takes an arbitrary one). IPv4 and IPv6.
 */

export class IPPoolExhaustedError extends Error {
  constructor(cidr: string) {
    super(`IP pool ${cidr} has no free address`);
    this.name = 'IPPoolExhaustedError';
  }
}

interface ParsedIP {
  v6: boolean;
  value: bigint;
}

function parseIPv4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    v = (v << 8n) | BigInt(Number(p));
  }
  return v;
}

function parseIPv6(s: string): bigint | undefined {
  let head = s;
  let tail = '';
  const dbl = s.indexOf('::');
  if (dbl >= 0) {
    head = s.slice(0, dbl);
    tail = s.slice(dbl + 2);
  }
  const hs = head ? head.split(':') : [];
  const ts = tail ? tail.split(':') : [];
  const groups: number[] = [];
  const toGroups = (parts: string[]): number[] | undefined => {
    const out: number[] = [];
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = parseIPv4(p);
        if (v4 === undefined) return undefined;
        out.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return undefined;
        out.push(parseInt(p, 16));
      }
    }
    return out;
  };
  const hg = toGroups(hs);
  const tg = toGroups(ts);
  if (!hg || !tg) return undefined;
  if (dbl >= 0) {
    if (hg.length + tg.length > 7) return undefined;
    groups.push(...hg, ...new Array<number>(8 - hg.length - tg.length).fill(0), ...tg);
  } else {
    if (hg.length !== 8) return undefined;
    groups.push(...hg);
  }
  let v = 0n;
  for (const g of groups) v = (v << 16n) | BigInt(g);
  return v;
}

export function parseIP(s: string): ParsedIP | undefined {
  if (s.includes(':')) {
    const v = parseIPv6(s);
    return v === undefined ? undefined : { v6: true, value: v };
  }
  const v = parseIPv4(s);
  return v === undefined ? undefined : { v6: false, value: v };
}

/** Go's net.IP.String(): dotted quad, or RFC 5952 compressed IPv6. */
export function formatIP(ip: ParsedIP): string {
  if (!ip.v6) {
    const v = ip.value;
    return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 255n)).join('.');
  }
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((ip.value >> BigInt(i * 16)) & 0xffffn));
  // Longest run of >= 2 zero groups becomes '::'.
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

export function isIPv6(s: string): boolean {
  return parseIP(s)?.v6 === true;
}

export class IPPool {
  readonly cidr: string;
  private readonly v6: boolean;
  private readonly base: bigint;
  private readonly size: bigint;
  private index = 0n;
  private readonly used = new Set<string>();
  /** Freed addresses, in the order they were freed. */
  private readonly free = new Set<string>();

  constructor(cidr: string) {
    const slash = cidr.indexOf('/');
    const ip = slash >= 0 ? parseIP(cidr.slice(0, slash)) : undefined;
    const bitsText = slash >= 0 ? cidr.slice(slash + 1) : '';
    const total = ip?.v6 ? 128 : 32;
    const bits = Number(bitsText);
    if (!ip || !/^\d+$/.test(bitsText) || bits > total) throw new Error(`invalid CIDR ${JSON.stringify(cidr)}`);
    this.cidr = cidr;
    this.v6 = ip.v6;
    const hostBits = BigInt(total - bits);
    this.size = 1n << hostBits;
    this.base = (ip.value >> hostBits) << hostBits;
  }

  contains(ip: string): boolean {
    const p = parseIP(ip);
    return !!p && p.v6 === this.v6 && p.value >= this.base && p.value < this.base + this.size;
  }

  /** A free address: a previously released one first, else the next never-used one. */
  get(): string {
    for (const ip of this.free) {
      this.free.delete(ip);
      this.used.add(ip);
      return ip;
    }
    for (;;) {
      this.index++;
      // Last address of an IPv4 network is its broadcast address.
      if (this.index >= this.size - (this.v6 ? 0n : 1n)) throw new IPPoolExhaustedError(this.cidr);
      const ip = formatIP({ v6: this.v6, value: this.base + this.index });
      if (this.used.has(ip)) continue;
      this.used.add(ip);
      return ip;
    }
  }

  /** Releases an address (a deleted pod's IP); ignored when outside the CIDR. */
  put(ip: string): void {
    if (!this.contains(ip)) return;
    const canonical = formatIP(parseIP(ip)!);
    this.used.delete(canonical);
    this.free.add(canonical);
  }

  /** Marks an address as taken (an existing pod's IP seen on start-up). */
  use(ip: string): void {
    if (!this.contains(ip)) return;
    const canonical = formatIP(parseIP(ip)!);
    this.free.delete(canonical);
    this.used.add(canonical);
  }

  get inUse(): number {
    return this.used.size;
  }
}

/** Pools by CIDR, created on first use. */
export class IPPools {
  private readonly pools = new Map<string, IPPool>();
  pool(cidr: string): IPPool {
    let p = this.pools.get(cidr);
    if (!p) {
      p = new IPPool(cidr);
      this.pools.set(cidr, p);
    }
    return p;
  }
}
