// Compile-time checks gojq also makes: every function and variable a program uses must exist.
import type { Node, Pattern } from './ast.ts';
import { NATIVES } from './builtins.ts';
import { JqSyntaxError } from './errors.ts';
import { preludeDefs } from './prelude.ts';

interface Ctx {
  funcs: Set<string>;
  vars: Set<string>;
  labels: Set<string>;
}

function patternVars(p: Pattern, out: string[]): void {
  if (p.k === 'pvar') out.push(p.name);
  else if (p.k === 'parray') p.elems.forEach((e) => patternVars(e, out));
  else
    for (const e of p.entries) {
      if (e.keyVar !== null) out.push(e.keyVar);
      if (e.value !== null) patternVars(e.value, out);
    }
}

function patternKeys(p: Pattern, visit: (n: Node) => void): void {
  if (p.k === 'parray') p.elems.forEach((e) => patternKeys(e, visit));
  else if (p.k === 'pobject')
    for (const e of p.entries) {
      visit(e.key);
      if (e.value !== null) patternKeys(e.value, visit);
    }
}

export function checkProgram(src: string, ast: Node, varNames: string[]): void {
  const fail = (pos: number, msg: string) => new JqSyntaxError(src, pos, msg);
  const walk = (n: Node, ctx: Ctx): void => {
    const sub = (m: Node) => walk(m, ctx);
    switch (n.k) {
      case 'call': {
        const key = `${n.name}/${n.args.length}`;
        if (!ctx.funcs.has(key) && !NATIVES.has(key) && !preludeDefs().has(key)) {
          throw fail(n.pos, `function not defined: ${key}`);
        }
        n.args.forEach(sub);
        return;
      }
      case 'var':
        if (n.name !== 'ENV' && !ctx.vars.has(n.name)) throw fail(n.pos, `variable not defined: $${n.name}`);
        return;
      case 'funcdef': {
        const key = `${n.def.name}/${n.def.params.length}`;
        const funcs = new Set(ctx.funcs).add(key);
        const vars = new Set(ctx.vars);
        for (const p of n.def.params) {
          if (p.startsWith('$')) {
            vars.add(p.slice(1));
            funcs.add(p.slice(1) + '/0');
          } else funcs.add(p + '/0');
        }
        walk(n.def.body, { funcs, vars, labels: ctx.labels });
        walk(n.rest, { ...ctx, funcs: new Set(ctx.funcs).add(key) });
        return;
      }
      case 'bind': {
        sub(n.source);
        const vars = new Set(ctx.vars);
        for (const p of n.patterns) {
          patternKeys(p, sub);
          const names: string[] = [];
          patternVars(p, names);
          names.forEach((v) => vars.add(v));
        }
        walk(n.body, { ...ctx, vars });
        return;
      }
      case 'reduce':
      case 'foreach': {
        sub(n.source);
        sub(n.init);
        patternKeys(n.pattern, sub);
        const names: string[] = [];
        patternVars(n.pattern, names);
        const inner = { ...ctx, vars: new Set([...ctx.vars, ...names]) };
        walk(n.update, inner);
        if (n.k === 'foreach' && n.extract !== null) walk(n.extract, inner);
        return;
      }
      case 'label':
        walk(n.body, { ...ctx, labels: new Set(ctx.labels).add(n.name) });
        return;
      case 'break':
        if (!ctx.labels.has(n.name)) throw fail(n.pos, `label not defined: $${n.name}`);
        return;
      case 'index':
        sub(n.target);
        sub(n.index);
        return;
      case 'slice':
        sub(n.target);
        if (n.from) sub(n.from);
        if (n.to) sub(n.to);
        return;
      case 'iterate':
        sub(n.target);
        return;
      case 'try':
        sub(n.body);
        if (n.handler) sub(n.handler);
        return;
      case 'string':
        for (const p of n.parts) if (typeof p !== 'string') sub(p);
        return;
      case 'array':
        if (n.body) sub(n.body);
        return;
      case 'object':
        for (const e of n.entries) {
          sub(e.key);
          if (e.value) sub(e.value);
        }
        return;
      case 'neg':
        sub(n.body);
        return;
      case 'pipe':
      case 'comma':
      case 'binop':
      case 'and':
      case 'or':
      case 'alt':
      case 'update':
        sub(n.left);
        sub(n.right);
        return;
      case 'if':
        sub(n.cond);
        sub(n.then);
        sub(n.else);
        return;
      default:
        return;
    }
  };
  walk(ast, { funcs: new Set(), vars: new Set(varNames), labels: new Set() });
}
