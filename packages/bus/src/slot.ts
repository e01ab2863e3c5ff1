/** The fixed number of slots the fleet is partitioned into. */
export const SLOT_COUNT = 1024;

const FNV32_OFFSET = 0x811c9dc5;
const FNV32_PRIME = 0x01000193;
const utf8 = new TextEncoder();

/** FNV-1a, 32 bits, over the UTF-8 bytes of `text` (the hash NATS's `partition()` mapping uses). */
export function fnv1a32(text: string): number {
  let hash = FNV32_OFFSET;
  for (const byte of utf8.encode(text)) {
    hash ^= byte;
    // Math.imul keeps the multiplication in 32 bits, as Go's uint32 arithmetic does.
    hash = Math.imul(hash, FNV32_PRIME);
  }
  return hash >>> 0;
}

/**
 * The slot of a node: FNV-1a-32(nodeName) % 1024. Byte-identical to nats-server's
 * `{{partition(1024,1)}}` subject mapping applied to a subject token holding the node name
 * (proved against a real server in slot.test.ts). Every object follows its node's slot.
 * A node name with dots spans several subject tokens, so the server's mapping of it would differ;
 * virtsim never relies on the server's mapping (the watcher publishes on `virtsim.ev.<slot>`
 * itself), only on the hash being the same function.
 */
export function slotOf(nodeName: string): number {
  if (typeof nodeName !== 'string' || nodeName.length === 0) {
    throw new Error(`slotOf: node name must be a non-empty string, got ${JSON.stringify(nodeName)}`);
  }
  return fnv1a32(nodeName) % SLOT_COUNT;
}

/** Throws unless `slot` is an integer in [0, SLOT_COUNT). */
export function assertSlot(slot: number, what = 'slot'): void {
  if (!Number.isInteger(slot) || slot < 0 || slot >= SLOT_COUNT) {
    throw new Error(`${what} must be an integer in [0, ${SLOT_COUNT}), got ${JSON.stringify(slot)}`);
  }
}
