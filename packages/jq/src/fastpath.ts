import type { Node } from './ast.ts';
import type { JqProgram } from './program.ts';
export function compileFast(_src: string, _ast: Node): JqProgram | null {
  return null;
}
