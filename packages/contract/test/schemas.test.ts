import { describe, expect, it } from 'vitest';
import {
  InstanceLaunchedRequest,
  LaunchRequest,
  PricingReportRequest,
  StreamEvent,
  Timestamp,
} from '../src/index.ts';

describe('contract schemas', () => {
  it('accepts what the agent and dashboard send', () => {
    expect(
      LaunchRequest.parse({ agent_id: 'a', instance_type: 't3.medium', availability_zone: 'us-east-1a' })
        .market,
    ).toBe('spot');
    expect(
      InstanceLaunchedRequest.safeParse({ instance_id: 'x', cloud_instance_id: 'i-0abc', state: 'running' })
        .success,
    ).toBe(true);
    expect(Timestamp.safeParse('2017-09-18T08:22:00Z').success).toBe(true);
    expect(Timestamp.safeParse('2023-11-11T20:32:38+00:00').success).toBe(true);
  });

  it('refuses injection strings, wrong types and arrays for objects', () => {
    expect(
      LaunchRequest.safeParse({ agent_id: 'a', instance_type: "t3.medium'; DROP TABLE x;--" }).success,
    ).toBe(false);
    expect(LaunchRequest.safeParse([{ agent_id: 'a', instance_type: 't3.medium' }]).success).toBe(false);
    expect(
      InstanceLaunchedRequest.safeParse({ instance_id: 'x', cloud_instance_id: 'i-0abc', state: 'stopped' })
        .success,
    ).toBe(false);
    expect(Timestamp.safeParse('yesterday').success).toBe(false);
    expect(PricingReportRequest.safeParse({ prices: [] }).success).toBe(false);
    expect(
      StreamEvent.safeParse({ type: 'NOT_A_TYPE', data: {}, timestamp: '2020-01-01T00:00:00Z' }).success,
    ).toBe(false);
  });
});

describe('agent bootstrap user data', () => {
  it('round-trips, refuses values a shell would need quoting for, and ignores foreign user data', async () => {
    const { buildBootstrapUserData, parseBootstrapUserData } = await import('../src/bootstrap.ts');
    const b = { serverUrl: 'http://127.0.0.1:8080', joinToken: 'soj_abc-DEF_123', logicalId: 'web-1' };
    const text = buildBootstrapUserData(b);
    expect(text.startsWith('#!/bin/sh\n')).toBe(true);
    expect(parseBootstrapUserData(text)).toEqual(b);
    expect(() => buildBootstrapUserData({ ...b, logicalId: 'web 1; rm -rf /' })).toThrow(/safely/);
    expect(parseBootstrapUserData('#!/bin/sh\nexport SPOT_JOIN_TOKEN=x\n')).toBeNull();
    expect(parseBootstrapUserData(text.replace(/export SPOT_LOGICAL_ID=.*\n/, ''))).toBeNull();
  });
});
