export * from './errors.ts';
export * from './names.ts';
export * from './labels.ts';
export * from './fields.ts';
export * from './json.ts';
export * from './json-patch.ts';
export * from './merge-patch.ts';
