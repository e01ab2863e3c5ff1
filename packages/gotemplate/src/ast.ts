// Parse tree of a Go text/template, shaped like Go's text/template/parse nodes.
// `pos` is the source offset used for error positions; String() forms (for
// "executing ... at <...>") come from nodeString().

export type Node =
  | TextNode | CommentNode | ActionNode | IfNode | RangeNode | WithNode
  | TemplateNode | BreakNode | ContinueNode | ListNode;

export interface ListNode { kind: 'list'; pos: number; nodes: Node[] }
export interface TextNode { kind: 'text'; pos: number; text: string }
export interface CommentNode { kind: 'comment'; pos: number; text: string }
export interface ActionNode { kind: 'action'; pos: number; pipe: PipeNode }
export interface BranchBase { pos: number; pipe: PipeNode; list: ListNode; elseList: ListNode | null }
export interface IfNode extends BranchBase { kind: 'if' }
export interface WithNode extends BranchBase { kind: 'with' }
export interface RangeNode extends BranchBase { kind: 'range' }
export interface TemplateNode { kind: 'template'; pos: number; name: string; pipe: PipeNode | null }
export interface BreakNode { kind: 'break'; pos: number }
export interface ContinueNode { kind: 'continue'; pos: number }

/** A declared variable: name as written and the frame slot the parser gave it. */
export interface VarDecl { name: string; slot: number; pos: number }

export interface PipeNode {
  kind: 'pipe';
  pos: number;
  isAssign: boolean;
  decl: VarDecl[];
  cmds: CommandNode[];
}

export interface CommandNode { kind: 'command'; pos: number; args: ArgNode[] }

export type ArgNode =
  | FieldNode | VariableNode | ChainNode | IdentifierNode | DotNode | NilNode
  | BoolNode | NumberNode | StringNode | PipeNode;

export interface FieldNode { kind: 'field'; pos: number; ident: string[] }
/** $x.a.b: ident[0] is the variable name; slot is where it lives in the frame. */
export interface VariableNode { kind: 'variable'; pos: number; ident: string[]; slot: number }
export interface ChainNode { kind: 'chain'; pos: number; node: ArgNode; field: string[] }
export interface IdentifierNode { kind: 'identifier'; pos: number; ident: string }
export interface DotNode { kind: 'dot'; pos: number }
export interface NilNode { kind: 'nil'; pos: number }
export interface BoolNode { kind: 'bool'; pos: number; value: boolean }
/** value: bigint for Go int constants, number for float constants. */
export interface NumberNode { kind: 'number'; pos: number; text: string; isFloat: boolean; int?: bigint; float: number }
export interface StringNode { kind: 'string'; pos: number; quoted: string; text: string }

/** Go's String() of a node, used in execution error context. */
export function nodeString(n: ArgNode | CommandNode | PipeNode | Node): string {
  switch (n.kind) {
    case 'field': return '.' + n.ident.join('.');
    case 'variable': return n.ident.join('.');
    case 'chain': {
      const inner = n.node.kind === 'pipe' ? `(${nodeString(n.node)})` : nodeString(n.node);
      return inner + '.' + n.field.join('.');
    }
    case 'identifier': return n.ident;
    case 'dot': return '.';
    case 'nil': return 'nil';
    case 'bool': return n.value ? 'true' : 'false';
    case 'number': return n.text;
    case 'string': return n.quoted;
    case 'command':
      return n.args.map((a) => (a.kind === 'pipe' ? `(${nodeString(a)})` : nodeString(a))).join(' ');
    case 'pipe': {
      let s = '';
      if (n.decl.length) s = n.decl.map((d) => d.name).join(', ') + (n.isAssign ? ' = ' : ' := ');
      return s + n.cmds.map((c) => nodeString(c)).join(' | ');
    }
    case 'action': return `{{${nodeString(n.pipe)}}}`;
    case 'text': return JSON.stringify(n.text);
    case 'comment': return `{{${n.text}}}`;
    case 'if': case 'with': case 'range': return `{{${n.kind} ${nodeString(n.pipe)}}}`;
    case 'template': return `{{template ${JSON.stringify(n.name)}${n.pipe ? ' ' + nodeString(n.pipe) : ''}}}`;
    case 'break': return '{{break}}';
    case 'continue': return '{{continue}}';
    case 'list': return n.nodes.map((x) => nodeString(x)).join('');
  }
}
