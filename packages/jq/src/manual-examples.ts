// Reads the jq manual's example table (testdata/jq-manual-examples.txt) for the conformance test.
import { readFileSync } from 'node:fs';

export interface ManualExample {
  line: number;
  program: string;
  input: string;
  outputs: string[];
}

export function loadManualExamples(file: string): ManualExample[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const out: ManualExample[] = [];
  let block: { line: number; text: string }[] = [];
  const flush = () => {
    if (block.length >= 2) {
      out.push({ line: block[0]!.line, program: block[0]!.text, input: block[1]!.text, outputs: block.slice(2).map((b) => b.text) });
    }
    block = [];
  };
  lines.forEach((text, i) => {
    if (text.startsWith('#')) return;
    if (text.trim() === '') flush();
    else block.push({ line: i + 1, text });
  });
  flush();
  return out;
}
