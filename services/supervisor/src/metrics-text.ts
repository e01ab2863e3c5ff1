/** A process's /metrics text, or undefined when it does not answer it within a second (restarting). */
export async function scrape(url: string | undefined): Promise<string | undefined> {
  if (!url) return undefined;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    const text = await res.text();
    return res.ok ? text : undefined;
  } catch {
    return undefined;
  }
}

/** The samples of metric `name` in Prometheus text, by the value of `label` (values of one label value summed). */
export function samplesByLabel(text: string, name: string, label: string): Map<string, number> {
  const out = new Map<string, number>();
  const labelRe = new RegExp(`(?:^|,)${label}="([^"]*)"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const close = line.lastIndexOf('}');
    const key = labelRe.exec(line.slice(name.length + 1, close))?.[1] ?? '';
    out.set(key, (out.get(key) ?? 0) + Number(line.slice(close + 1).trim()));
  }
  return out;
}

/** The sum of every sample of metric `name` (all label values). */
export function sumSamples(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(`${name}{`)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}
