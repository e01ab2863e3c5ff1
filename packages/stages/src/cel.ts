/**
 * CEL expressions of Stage selectors, weightFrom and durationFrom (KWOK v0.7+), on the house's
 * CEL (@virtsim/apimachinery). The variable is `self` = the object, given through toCelInput.
 * Extra functions as in KWOK's pkg/utils/cel: Now(), Rand(), UnixSecond(ts), SinceSecond(obj);
 * Now, Rand and SinceSecond read the clock and random source the caller passes to eval.
 */
import { CelScalar, celFunc, isCelMap, objectType, type CelFunc } from '@bufbuild/cel';
import { timestampFromMs, timestampMs, TimestampSchema, type Timestamp } from '@bufbuild/protobuf/wkt';
import { CelEnvironment, type CelEvalContext, type CelProgram } from '@virtsim/apimachinery';

export { CelSyntaxError, celAsBool, celAsDurationNs, celAsInt, toCelInput, type CelEvalContext, type CelProgram } from '@virtsim/apimachinery';

const TIMESTAMP = objectType(TimestampSchema);

function parseRfc3339Ms(s: unknown): number | undefined {
  if (typeof s !== 'string') return undefined;
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? undefined : ms;
}

function kwokFuncs(ctx: () => CelEvalContext): CelFunc[] {
  return [
    celFunc('Now', [], TIMESTAMP, () => timestampFromMs(ctx().nowMs)),
    celFunc('Rand', [], CelScalar.DOUBLE, () => ctx().random()),
    celFunc('UnixSecond', [TIMESTAMP], CelScalar.DOUBLE, (t) => timestampMs(t as unknown as Timestamp) / 1000),
    celFunc('SinceSecond', [CelScalar.DYN], CelScalar.DOUBLE, (obj) => {
      // KWOK: time since metadata.creationTimestamp.
      let created: number | undefined;
      if (isCelMap(obj)) {
        const meta = obj.get('metadata');
        if (isCelMap(meta)) created = parseRfc3339Ms(meta.get('creationTimestamp'));
      }
      return created === undefined ? 0 : (ctx().nowMs - created) / 1000;
    }),
  ];
}

const KWOK = new CelEnvironment(kwokFuncs);

/** Compiles once; throws CelSyntaxError with the 1-based line/column of the problem. */
export function compileCel(expression: string): CelProgram {
  return KWOK.compile(expression);
}
