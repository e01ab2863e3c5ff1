// The parsed form of a jq program. The interpreter walks it; the fast-path compiler pattern-matches it.

export type Node =
  | { k: 'identity' }
  | { k: 'recurse' } // `..`
  | { k: 'index'; target: Node; index: Node; chain?: unknown[] | false } // `.foo`, `."foo"`, `.[e]`; chain: cached constant keys from `.`
  | { k: 'slice'; target: Node; from: Node | null; to: Node | null }
  | { k: 'iterate'; target: Node } // `.[]`
  | { k: 'try'; body: Node; handler: Node | null } // `try f catch g`, `f?`
  | { k: 'literal'; value: unknown }
  | { k: 'string'; parts: (string | Node)[]; format: string | null } // interpolated string
  | { k: 'format'; name: string } // `@base64` applied to `.`
  | { k: 'array'; body: Node | null }
  | { k: 'object'; entries: ObjectEntry[] }
  | { k: 'neg'; body: Node }
  | { k: 'pipe'; left: Node; right: Node }
  | { k: 'comma'; left: Node; right: Node }
  | { k: 'binop'; op: BinaryOp; left: Node; right: Node }
  | { k: 'and'; left: Node; right: Node }
  | { k: 'or'; left: Node; right: Node }
  | { k: 'alt'; left: Node; right: Node } // `//`
  | { k: 'update'; op: UpdateOp; left: Node; right: Node }
  | { k: 'if'; cond: Node; then: Node; else: Node }
  | { k: 'reduce'; source: Node; pattern: Pattern; init: Node; update: Node }
  | { k: 'foreach'; source: Node; pattern: Pattern; init: Node; update: Node; extract: Node | null }
  | { k: 'bind'; source: Node; patterns: Pattern[]; body: Node } // `source as $x ?// [$y] | body`
  | { k: 'funcdef'; def: FuncDef; rest: Node }
  | { k: 'call'; name: string; args: Node[]; pos: number; key?: string } // key = `name/arity`, filled lazily
  | { k: 'var'; name: string; pos: number }
  | { k: 'label'; name: string; body: Node }
  | { k: 'break'; name: string; pos: number };

export type BinaryOp = '+' | '-' | '*' | '/' | '%' | '==' | '!=' | '<' | '<=' | '>' | '>=';
export type UpdateOp = '=' | '|=' | '+=' | '-=' | '*=' | '/=' | '%=' | '//=';

export interface FuncDef {
  name: string;
  /** Parameter names; a `$name` parameter binds both `$name` and the filter `name`. */
  params: string[];
  body: Node;
}

/** `value === null` means `{a}` shorthand: the value is `.[key]` (or `$a` for `{$a}`, stored as a var node). */
export interface ObjectEntry {
  key: Node;
  value: Node | null;
}

export type Pattern =
  | { k: 'pvar'; name: string }
  | { k: 'parray'; elems: Pattern[] }
  | { k: 'pobject'; entries: ObjectPatternEntry[] };

/** `{$name}` has keyVar and no value; `{$name: p}` has both; `{key: p}` / `{"k": p}` / `{(e): p}` only key+value. */
export interface ObjectPatternEntry {
  key: Node;
  keyVar: string | null;
  value: Pattern | null;
}
