/**
 * Milliseconds on a monotonic clock, anchored near the Unix epoch at process start. TTLs and
 * fencing are measured with it, so a wall-clock step (NTP) can neither expire a live agent early
 * nor keep an agent acting past its TTL.
 */
export function monotonicNow(): number {
  return performance.timeOrigin + performance.now();
}
