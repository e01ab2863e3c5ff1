/**
 * YAML parsing as Go's sigs.k8s.io/yaml (gopkg.in/yaml.v2) reads it: YAML 1.1 (yes/no/on/off are
 * booleans, 0777 is octal, 1:20 is base 60), timestamps stay strings (yaml.v2 keeps them as
 * strings when decoding into interface{}), non-string keys become strings.
 */
import { fastYamlToJson, FALLBACK } from './fast-yaml.ts';
import { parse, type DocumentOptions, type ParseOptions, type SchemaOptions, type ToJSOptions } from 'yaml';

export const goYamlOptions: ParseOptions & DocumentOptions & SchemaOptions & ToJSOptions = {
  version: '1.1',
  customTags: (tags) => tags.filter((t) => (typeof t === 'string' ? t : t.tag) !== 'tag:yaml.org,2002:timestamp'),
  uniqueKeys: false,
  maxAliasCount: 1000,
};

/** yaml.YAMLToJSON then json.Unmarshal: the first document as a JSON value (null when empty). */
export function goYamlToJson(text: string): unknown {
  const fast = fastYamlToJson(text);
  if (fast !== FALLBACK) return fast;
  return parse(text, goYamlOptions) ?? null;
}

/** goYamlToJson without the fast reader (for comparisons). */
export function fullYamlToJson(text: string): unknown {
  return parse(text, goYamlOptions) ?? null;
}
