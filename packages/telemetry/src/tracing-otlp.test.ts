import { afterEach, describe, expect, it } from 'vitest';
import { Server, ServerCredentials, type ServiceDefinition } from '@grpc/grpc-js';
import { startTracing, type Tracing } from './tracing.ts';

// OTLP/gRPC chosen by the standard variables reaches a real gRPC server: the collector's
// TraceService/Export, received as raw protobuf bytes (the span name shows in them).
const EXPORT: ServiceDefinition = {
  Export: {
    path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
    requestStream: false,
    responseStream: false,
    requestSerialize: (b: Buffer) => b,
    requestDeserialize: (b: Buffer) => b,
    // An empty message is a valid ExportTraceServiceResponse.
    responseSerialize: () => Buffer.alloc(0),
    responseDeserialize: (b: Buffer) => b,
  },
};

describe('OTLP export', () => {
  let tracing: Tracing | undefined;
  let server: Server | undefined;
  const saved = { ...process.env };
  afterEach(async () => {
    await tracing?.shutdown();
    tracing = undefined;
    server?.forceShutdown();
    process.env = { ...saved };
  });

  it('sends spans over gRPC when OTEL_EXPORTER_OTLP_PROTOCOL=grpc', async () => {
    const received: Buffer[] = [];
    server = new Server();
    server.addService(EXPORT, { Export: (call: { request: Buffer }, done: (err: null, res: Buffer) => void) => (received.push(call.request), done(null, Buffer.alloc(0))) });
    const port = await new Promise<number>((resolve, reject) => server!.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${port}`;
    process.env.OTEL_EXPORTER_OTLP_PROTOCOL = 'grpc';
    tracing = await startTracing({ service: 'watcher' });
    tracing.tracer.startSpan('otlp-grpc-check').end();
    await tracing.flush();
    expect(received.length).toBeGreaterThan(0);
    expect(Buffer.concat(received).includes('otlp-grpc-check')).toBe(true);
  });
});
