/**
 * @virtsim/goformats — Go's text formats byte for byte as KWOK's Go code reads and writes them:
 * YAML 1.1 in (sigs.k8s.io/yaml, with a fast path for the plain shapes stage files use), YAML out
 * (yaml.v2 key order and float format), time.ParseDuration and RFC 3339 timestamps. No I/O.
 */
export { marshalGoYaml, goYamlKeyLess, formatGoFloat } from './go-yaml.ts';
export { goYamlToJson, fullYamlToJson, goYamlOptions } from './yaml11.ts';
export { parseGoDuration, parseRfc3339, nsUntil, formatRfc3339Nano, type GoTime } from './go-time.ts';
