/**
 * `virtsim stages validate -f PATH…` and `virtsim stages explain -f PATH… OBJECT.yaml`.
 * validate: exit 0, or 1 with one line per problem on stderr. explain: prints, for each object in
 * OBJECT.yaml, the plan in the format of KWOK's golden testdata files.
 */
import { readFile } from 'node:fs/promises';
import { parseAllDocuments } from 'yaml';
import { formatProblem } from './errors.ts';
import { explainPlan } from './explain.ts';
import { checkStageFiles } from './files.ts';
import type { KubeObject } from './types.ts';
import { goYamlOptions } from '@virtsim/goformats';

const USAGE = `usage:
  virtsim stages validate -f PATH [-f PATH…]            check stage files, folders, kustomize folders
  virtsim stages explain  -f PATH [-f PATH…] OBJECT.yaml  show the stages OBJECT goes through next

  -f, --filename PATH   a Stage YAML file, a folder (read recursively) or a kustomize folder
  --typed               (explain) Pod/Node patches without a type are strategic, as KWOK's
                        pod/node controllers send them (default: merge, as KWOK's golden files)
`;

interface Args {
  paths: string[];
  positionals: string[];
  typed: boolean;
  help: boolean;
  error?: string;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { paths: [], positionals: [], typed: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-f' || arg === '--filename') {
      const v = argv[++i];
      if (v === undefined) a.error = `${arg} needs a path`;
      else a.paths.push(v);
    } else if (arg.startsWith('--filename=')) a.paths.push(arg.slice('--filename='.length));
    else if (arg === '--typed') a.typed = true;
    else if (arg === '-h' || arg === '--help') a.help = true;
    else if (arg.startsWith('-') && arg !== '-') a.error = `unknown flag ${arg}`;
    else a.positionals.push(arg);
  }
  return a;
}

async function validate(args: Args, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  const paths = [...args.paths, ...args.positionals];
  if (paths.length === 0) {
    err.write(`virtsim stages validate: no paths (-f PATH)\n${USAGE}`);
    return 2;
  }
  const { set, problems, files } = await checkStageFiles(paths);
  if (problems.length) {
    for (const p of problems) err.write(formatProblem(p) + '\n');
    err.write(`${problems.length} problem${problems.length === 1 ? '' : 's'}\n`);
    return 1;
  }
  out.write(`${set.stages.length} stages in ${files.length} files: OK\n`);
  return 0;
}

async function explain(args: Args, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  const objectFile = args.positionals[args.positionals.length - 1];
  const paths = [...args.paths, ...args.positionals.slice(0, -1)];
  if (!objectFile || paths.length === 0) {
    err.write(`virtsim stages explain: need -f PATH and OBJECT.yaml\n${USAGE}`);
    return 2;
  }
  const { set, problems } = await checkStageFiles(paths);
  if (problems.length) {
    for (const p of problems) err.write(formatProblem(p) + '\n');
    return 1;
  }
  let text: string;
  try {
    text = objectFile === '-' ? await readStdin() : await readFile(objectFile, 'utf8');
  } catch (e) {
    err.write(`virtsim stages explain: cannot read ${objectFile}: ${(e as Error).message}\n`);
    return 1;
  }
  const docs = parseAllDocuments(text, goYamlOptions);
  const objects: KubeObject[] = [];
  for (const [i, d] of (Array.isArray(docs) ? docs : []).entries()) {
    if (d.errors.length) {
      err.write(`${objectFile}: doc ${i}: invalid YAML: ${d.errors[0]!.message.split('\n')[0]}\n`);
      return 1;
    }
    const v = d.toJS() as KubeObject | null;
    if (!v || typeof v !== 'object') continue;
    if (typeof v.kind === 'string' && v.kind.endsWith('List') && Array.isArray(v.items)) objects.push(...(v.items as KubeObject[]));
    else objects.push(v);
  }
  let first = true;
  for (const obj of objects) {
    if (!first) out.write('---\n');
    first = false;
    try {
      out.write(explainPlan(set, obj, { typedCoreKinds: args.typed }));
    } catch (e) {
      err.write(`${objectFile}: ${obj.kind ?? '?'} ${obj.metadata?.name ?? '?'}: ${(e as Error).message}\n`);
      return 1;
    }
  }
  return 0;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function runStagesCommand(
  argv: string[],
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
): Promise<number> {
  const [sub, ...rest] = argv;
  const args = parseArgs(rest);
  if (!sub || sub === '-h' || sub === '--help' || args.help) {
    out.write(USAGE);
    return sub ? 0 : 2;
  }
  if (args.error) {
    err.write(`virtsim stages ${sub}: ${args.error}\n${USAGE}`);
    return 2;
  }
  if (sub === 'validate') return validate(args, out, err);
  if (sub === 'explain') return explain(args, out, err);
  err.write(`virtsim stages: unknown subcommand "${sub}"\n${USAGE}`);
  return 2;
}
