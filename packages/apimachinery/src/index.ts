export * from './errors.ts';
export * from './names.ts';
export * from './labels.ts';
export * from './fields.ts';
