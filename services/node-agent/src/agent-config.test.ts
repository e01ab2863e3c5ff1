import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { agentConfig, type AgentOptions } from './agent.ts';

const base: AgentOptions = { natsUrl: 'nats://127.0.0.1:4222', coordinator: '127.0.0.1:7400', pool: { name: 'default', count: 3 }, stagePaths: [], log: pino({ level: 'silent' }) };

describe('agentConfig', () => {
  it('fills in the defaults and keeps what was given', () => {
    const c = agentConfig({ ...base, identity: 'agent-1' });
    expect(c).toMatchObject({ identity: 'agent-1', metricsPort: 0, writeConcurrency: 128, nodeIP: '10.0.0.1', natsUrl: base.natsUrl });
    expect(agentConfig(base).identity).toMatch(/-[0-9a-f]{8}$/);
  });

  it('refuses a bad option, naming it and the value', () => {
    expect(() => agentConfig({ ...base, coordinator: '' })).toThrow('node agent: coordinator is required (host:port of the coordinator), got ""');
    expect(() => agentConfig({ ...base, writeConcurrency: Number('x') })).toThrow('node agent: writeConcurrency must be a positive integer, got NaN');
    expect(() => agentConfig({ ...base, metricsPort: 70000 })).toThrow('metricsPort must be a port number (0 picks a free one), got 70000');
    expect(() => agentConfig({ ...base, leaseDurationSeconds: 0 })).toThrow('leaseDurationSeconds must be a positive number, got 0');
  });
});
