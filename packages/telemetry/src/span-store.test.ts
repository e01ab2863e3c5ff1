import { mkdtempSync, readdirSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { FileSpanExporter, readSpanStore } from './span-store.ts';
import { startSpanWithId, startTracing, type Tracing } from './tracing.ts';
import { lifecycleContext, lifecycleSpanId, lifecycleTraceId } from './lifecycle-ids.ts';

describe('the local span store', () => {
  let tracing: Tracing | undefined;
  afterEach(async () => {
    await tracing?.shutdown();
    tracing = undefined;
  });

  it('stores finished spans with their ids, parent, times and attributes, and reads them back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spans-'));
    tracing = await startTracing({ service: 'watcher', exporter: new FileSpanExporter({ dir, service: 'watcher' }) });
    const parent = lifecycleContext('uid-1', 'Pending', true);
    const span = startSpanWithId(tracing.tracer, { spanId: lifecycleSpanId('uid-1', 'Scheduled') }, 'phase Scheduled', { attributes: { 'virtsim.phase': 'Scheduled' }, startTime: 1000 }, parent);
    span.end(1250.5);
    tracing.tracer.startSpan('child', {}, trace.setSpan(parent, span)).end();
    await tracing.flush();
    const spans = readSpanStore(dir);
    expect(spans).toHaveLength(2);
    expect(spans[0]).toMatchObject({
      traceId: lifecycleTraceId('uid-1'),
      spanId: lifecycleSpanId('uid-1', 'Scheduled'),
      parentSpanId: lifecycleSpanId('uid-1', 'Pending'),
      name: 'phase Scheduled',
      service: 'watcher',
      start: 1000,
      end: 1250.5,
      attributes: { 'virtsim.phase': 'Scheduled' },
    });
    expect(spans[1].parentSpanId).toBe(spans[0].spanId);
  });

  it('rotates a full file, keeps the folder to maxFiles, and skips a torn line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spans-'));
    for (let i = 0; i < 5; i++) writeFileSync(join(dir, `old-${i}.jsonl`), '');
    const exporter = new FileSpanExporter({ dir, service: 'agent', maxFileBytes: 2000, maxFiles: 3 });
    expect(readdirSync(dir).filter((f) => f.startsWith('old-'))).toHaveLength(2);
    const mem = new InMemorySpanExporter();
    tracing = await startTracing({ service: 'agent', exporter: mem });
    for (let i = 0; i < 30; i++) tracing.tracer.startSpan(`s${i}`).end();
    for (const s of mem.getFinishedSpans()) exporter.export([s], () => {});
    const mine = readdirSync(dir).filter((f) => f.startsWith('agent-'));
    expect(mine.sort()).toEqual([`agent-${process.pid}.jsonl`, `agent-${process.pid}.jsonl.1`]);
    const stored = readSpanStore(dir);
    expect(stored.length).toBeGreaterThan(0);
    expect(stored.length).toBeLessThan(30); // the oldest rotated away
    appendFileSync(join(dir, `agent-${process.pid}.jsonl`), '{"traceId":"tor');
    expect(readSpanStore(dir)).toHaveLength(stored.length);
  });

  it('reads a missing folder as empty', () => {
    expect(readSpanStore('/nonexistent/virtsim-traces')).toEqual([]);
  });
});
