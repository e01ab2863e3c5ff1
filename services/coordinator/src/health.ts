import * as grpc from '@grpc/grpc-js';
import { loadProtos, type HealthCheckRequest__Output, type HealthCheckResponse, type HealthHandlers } from '@virtsim/fleet-proto';

type ServingStatus = 'SERVING' | 'NOT_SERVING';

/**
 * grpc.health.v1 (Check and Watch) for a fixed set of service names; "" is the whole server.
 * Kubernetes `grpc:` probes and grpc_health_probe call it.
 */
export class HealthService {
  private readonly status = new Map<string, ServingStatus>();
  private readonly watchers = new Set<{ service: string; call: grpc.ServerWritableStream<HealthCheckRequest__Output, HealthCheckResponse> }>();

  constructor(services: string[]) {
    for (const s of ['', ...services]) this.status.set(s, 'SERVING');
  }

  setAll(status: ServingStatus): void {
    for (const s of this.status.keys()) this.status.set(s, status);
    for (const w of this.watchers) w.call.write({ status });
  }

  /** Ends open Watch calls (on shutdown, so the server can stop). */
  endWatches(): void {
    for (const w of this.watchers) w.call.end();
    this.watchers.clear();
  }

  addToServer(server: grpc.Server): void {
    const handlers: HealthHandlers = {
      Check: (call, callback) => {
        const s = this.status.get(call.request.service);
        if (!s) {
          callback({ code: grpc.status.NOT_FOUND, details: `unknown service ${JSON.stringify(call.request.service)}` });
          return;
        }
        callback(null, { status: s });
      },
      Watch: (call) => {
        const w = { service: call.request.service, call };
        call.write({ status: this.status.get(call.request.service) ?? 'SERVICE_UNKNOWN' });
        this.watchers.add(w);
        call.on('cancelled', () => this.watchers.delete(w));
      },
    };
    server.addService(loadProtos().health.grpc.health.v1.Health.service, handlers);
  }
}
