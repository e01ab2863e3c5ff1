export { ApiError, isRetryable } from './api-error.ts';
export { Backoff, sleep } from './backoff.ts';
export { KubeClient, type ClientOptions, type Impersonation, type RequestOptions } from './client.ts';
export { Informer, type InformerOptions } from './informer.ts';
export { objectKey, rvNewer, type KubeObject, type ObjectMeta, type WatchEventType } from './object.ts';
export * from './resources.ts';
export { Semaphore } from './semaphore.ts';
export { Writer, WriteAbortedError, type WriteRequest, type WriteResult, type WriterOptions } from './writer.ts';
