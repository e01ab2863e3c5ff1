/**
 * Maps field paths of a parsed YAML document back to file positions, so problems can name the
 * line (and for templates, the line and column inside a block scalar).
 */
import { isMap, isScalar, isSeq, LineCounter, type Document, type Node } from 'yaml';

export interface Position {
  line: number;
  column: number;
}

export interface Locator {
  /** Position of the value at `path` (or its key when `atKey`), falling back to the nearest parent. */
  at(path: readonly (string | number)[], atKey?: boolean): Position;
  /** File position of line/column (1-based) of a template after KWOK's strings.TrimSpace. */
  inTemplate(path: readonly (string | number)[], tplLine: number, tplColumn: number): Position;
}

export const noLocator: Locator = {
  at: () => ({ line: 0, column: 0 }),
  inTemplate: () => ({ line: 0, column: 0 }),
};

export function yamlLocator(doc: Document, text: string, lc: LineCounter): Locator {
  const pos = (offset: number): Position => {
    const p = lc.linePos(offset);
    return { line: p.line, column: p.col };
  };
  const walk = (path: readonly (string | number)[], atKey: boolean): { node: Node | null; keyOffset?: number } => {
    let node: Node | null = (doc.contents as Node | null) ?? null;
    let keyOffset: number | undefined;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i]!;
      let next: Node | null = null;
      if (isMap(node)) {
        const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(seg));
        if (pair) {
          if (isScalar(pair.key) && pair.key.range) keyOffset = pair.key.range[0];
          next = (pair.value as Node | null) ?? null;
          if (i === path.length - 1 && atKey) return { node: null, keyOffset };
          if (!next) return { node: null, keyOffset };
        }
      } else if (isSeq(node) && typeof seg === 'number') {
        next = (node.items[seg] as Node | null) ?? null;
      }
      if (!next) return { node, keyOffset };
      node = next;
      keyOffset = undefined;
    }
    return { node, keyOffset };
  };
  return {
    at(path, atKey = false) {
      const { node, keyOffset } = walk(path, atKey);
      if (keyOffset !== undefined && (atKey || !node)) return pos(keyOffset);
      if (node?.range) return pos(node.range[0]);
      return { line: 0, column: 0 };
    },
    inTemplate(path, tplLine, tplColumn) {
      const { node } = walk(path, false);
      if (!isScalar(node) || !node.range || typeof node.value !== 'string') return this.at(path);
      const raw = node.value;
      const lead = raw.length - raw.trimStart().length;
      const leadText = raw.slice(0, lead);
      const skippedLines = (leadText.match(/\n/g) ?? []).length;
      const firstLineSkip = lead - (leadText.lastIndexOf('\n') + 1);
      const start = pos(node.range[0]);
      if (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED') {
        // Content starts on the line after the `|` header, at the block's indentation.
        const body = text.slice(node.range[0], node.range[1]).split('\n').slice(1);
        const firstContent = body.find((l) => l.trim() !== '') ?? '';
        const indent = firstContent.length - firstContent.trimStart().length;
        const line = start.line + 1 + skippedLines + tplLine - 1;
        const column = indent + (tplLine === 1 ? firstLineSkip : 0) + tplColumn;
        return { line, column };
      }
      const quoted = node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE' ? 1 : 0;
      if (tplLine === 1 && skippedLines === 0) return { line: start.line, column: start.column + quoted + firstLineSkip + tplColumn - 1 };
      return { line: start.line + skippedLines + tplLine - 1, column: tplColumn };
    },
  };
}
