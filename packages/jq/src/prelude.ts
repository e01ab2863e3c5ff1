// Builtins defined in jq itself (the ones whose natural definition is a jq program). Each runs in
// a scope of its own: user definitions never shadow what the prelude's bodies call.
import type { FuncDef, Node } from './ast.ts';
import { parse } from './parser.ts';

const PRELUDE = `
def values: select(. != null);
def nulls: select(. == null);
def booleans: select(type == "boolean");
def numbers: select(type == "number");
def strings: select(type == "string");
def arrays: select(type == "array");
def objects: select(type == "object");
def iterables: select(type == "array" or type == "object");
def scalars: select(type != "array" and type != "object");
def finites: select(isfinite);
def normals: select(isnormal);
def map(f): [.[] | f];
def map_values(f): .[] |= f;
def with_entries(f): to_entries | map(f) | from_entries;
def recurse(f; cond): def r: ., (f | select(cond) | r); r;
def in(xs): . as $x | xs | has($x);
def inside(xs): . as $x | xs | contains($x);
def del(f): delpaths([path(f)]);
def paths: path(..) | select(length > 0);
def paths(node_filter): path(.. | select(node_filter)) | select(length > 0);
def leaf_paths: paths(scalars);
def pick(pathexps): . as $top | reduce path(pathexps) as $p (null; setpath($p; $top | getpath($p)));
def add(f): reduce f as $x (null; . + $x);
def any(gen; cond): isempty(first(gen | select(cond))) | not;
def all(gen; cond): isempty(first(gen | select(cond | not)));
def any(cond): any(.[]; cond);
def all(cond): all(.[]; cond);
def any: any(.);
def all: all(.);
def first: .[0];
def last: .[-1];
def nth($n): .[$n];
def nth($n; f): if $n < 0 then error("nth doesn't support negative index") else first(skip($n; f)) end;
def combinations:
  if length == 0 then []
  else .[0][] as $x | (.[1:] | combinations) as $rest | [$x] + $rest end;
def combinations(n): . as $dot | [range(n)] | map($dot) | combinations;
def walk(f): def w: if type == "object" then map_values(w) elif type == "array" then map(w) else . end | f; w;
def env: $ENV;
def transpose: (map(length) | max // 0) as $n | [range(0; $n) as $j | [.[] | .[$j]]];
def toarray: if type == "array" then . else [.] end;
def INDEX(stream; idx_expr): reduce stream as $row ({}; .[$row | idx_expr | tostring] = $row);
def INDEX(idx_expr): INDEX(.[]; idx_expr);
def JOIN($idx; idx_expr): [.[] | [., $idx[idx_expr]]];
def JOIN($idx; stream; idx_expr): stream | [., $idx[idx_expr]];
def JOIN($idx; stream; idx_expr; join_expr): stream | [., $idx[idx_expr]] | join_expr;
def IN(s): any(s == .; .);
def IN(src; s): any(src == s; .);
def todate: strftime("%Y-%m-%dT%H:%M:%SZ");
def todateiso8601: todate;
def fromdate: fromdateiso8601;
def date: todate;
def dateadd(u; n): . + n;
def datesub(u; n): . - n;
def capture(re): capture(re; null);
def capture(re; flags): match(re; flags) | [.captures[] | select(.name != null) | {key: .name, value: .string}] | from_entries;
def scan(re): scan(re; null);
def scan(re; flags): match(re; "g" + (flags // "")) | if (.captures | length) > 0 then [.captures[].string] else .string end;
def splits(re): splits(re; null);
def splits(re; flags): split(re; flags) | .[];
def sub(re; str): sub(re; str; "");
def gsub(re; str): sub(re; str; "g");
def gsub(re; str; flags): sub(re; str; (flags // "") + "g");
def tostream: path(def r: (.[]? | r), .; r) as $p | getpath($p) | reduce path(.[]?) as $q ([$p, .]; [$p + $q]);
def fromstream(f): {x: null, e: false} as $init
  | foreach f as $i ($init;
      if .e then $init else . end
      | if $i | length == 2
        then setpath(["e"]; $i[0] | length == 0) | setpath(["x"] + $i[0]; $i[1])
        else setpath(["e"]; $i[0] | length == 1) end;
      if .e then .x else empty end);
def truncate_stream(stream): . as $n | null | stream | if (.[0] | length) > $n then setpath([0]; .[0][$n:]) else empty end;
.
`;

let defs: Map<string, FuncDef> | null = null;

export function preludeDefs(): Map<string, FuncDef> {
  if (defs === null) {
    defs = new Map();
    let n: Node = parse(PRELUDE);
    while (n.k === 'funcdef') {
      defs.set(`${n.def.name}/${n.def.params.length}`, n.def);
      n = n.rest;
    }
  }
  return defs;
}
