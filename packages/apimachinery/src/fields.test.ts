import { describe, expect, it } from 'vitest';
import { fieldSelectorToString, matchesFields, parseFieldSelector } from './fields.ts';

const pod: Record<string, string> = { 'metadata.name': 'p1', 'metadata.namespace': 'default', 'spec.nodeName': 'node-1', 'status.phase': 'Running' };
const get = (f: string): string | undefined => pod[f];

describe('parseFieldSelector', () => {
  it('parses =, == and !=', () => {
    expect(parseFieldSelector('spec.nodeName=node-1,status.phase!=Failed,metadata.name==p1')).toEqual([
      { field: 'spec.nodeName', operator: '=', value: 'node-1' },
      { field: 'status.phase', operator: '!=', value: 'Failed' },
      { field: 'metadata.name', operator: '=', value: 'p1' },
    ]);
    expect(parseFieldSelector('')).toEqual([]);
  });
  it('unescapes \\, \\= and \\\\ in values', () => {
    expect(parseFieldSelector('a=x\\,y\\=z\\\\')[0]!.value).toBe('x,y=z\\');
    expect(fieldSelectorToString([{ field: 'a', operator: '=', value: 'x,y=z\\' }])).toBe('a=x\\,y\\=z\\\\');
  });
  it('allows an empty value (spec.nodeName= selects unscheduled pods)', () => {
    const reqs = parseFieldSelector('spec.nodeName=');
    expect(matchesFields(reqs, () => undefined)).toBe(true);
    expect(matchesFields(reqs, get)).toBe(false);
  });
  it('refuses a term without an operator and bad escapes', () => {
    expect(() => parseFieldSelector('spec.nodeName')).toThrow("invalid selector: 'spec.nodeName'; can't understand 'spec.nodeName'");
    expect(() => parseFieldSelector('a=b\\c')).toThrow('invalid field selector: invalid escape sequence: \\c');
    expect(() => parseFieldSelector('a=b=c')).toThrow('invalid field selector: unescaped character in value: 61');
  });
});

describe('matchesFields', () => {
  it('requires every requirement', () => {
    expect(matchesFields(parseFieldSelector('spec.nodeName=node-1,status.phase=Running'), get)).toBe(true);
    expect(matchesFields(parseFieldSelector('spec.nodeName=node-1,status.phase!=Running'), get)).toBe(false);
    expect(matchesFields(parseFieldSelector('metadata.namespace!=kube-system'), get)).toBe(true);
  });
});
