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
