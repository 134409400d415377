import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parsePools, timings } from '../src/config/config.ts';

const base = { SPOT_SERVER_URL: 'http://127.0.0.1:8080/' };

describe('agent config', () => {
  it('applies the documented defaults', () => {
    const c = loadConfig(base);
    expect(c.SPOT_SERVER_URL).toBe('http://127.0.0.1:8080');
    expect(c.SPOT_AGENT_STATE_DIR).toBe('./.spot-agent');
    expect(c.SPOT_HEARTBEAT_SECONDS).toBe(60);
    expect(c.SPOT_INTERRUPTION_POLL_SECONDS).toBe(1);
    expect(c.SPOT_PRICING_SECONDS).toBe(60);
    expect(c.SPOT_CONFIRM_POLL_SECONDS).toBe(5);
    expect(c.SPOT_LAUNCH_TIMEOUT_SECONDS).toBe(300);
    expect(c.SPOT_TERMINATE_TIMEOUT_SECONDS).toBe(180);
    expect(c.SPOT_LONG_POLL_SECONDS).toBe(25);
    expect(c.SPOT_TIME_SCALE).toBe(1);
    expect(c.SPOT_POOLS).toEqual([]);
    expect(c.AWS_EC2_METADATA_SERVICE_ENDPOINT).toBe('http://169.254.169.254');
  });

  it('lets flags win over the environment', () => {
    const c = loadConfig(
      { ...base, SPOT_LOGICAL_ID: 'from-env', SPOT_AGENT_STATE_DIR: '/env' },
      { 'logical-id': 'from-flag', server: 'https://spot.example.com' },
    );
    expect(c.SPOT_LOGICAL_ID).toBe('from-flag');
    expect(c.SPOT_SERVER_URL).toBe('https://spot.example.com');
    expect(c.SPOT_AGENT_STATE_DIR).toBe('/env');
  });

  it('treats empty variables as unset', () => {
    expect(
      loadConfig({ ...base, SPOT_LOGICAL_ID: '', SPOT_HEARTBEAT_SECONDS: '' }).SPOT_HEARTBEAT_SECONDS,
    ).toBe(60);
  });

  it('parses candidate pools and de-duplicates them', () => {
    expect(parsePools('c5.large:us-east-1a, m5.large:us-east-1b,c5.large:us-east-1a,')).toEqual([
      { instanceType: 'c5.large', availabilityZone: 'us-east-1a' },
      { instanceType: 'm5.large', availabilityZone: 'us-east-1b' },
    ]);
  });

  it.each([
    [{ SPOT_SERVER_URL: 'not a url' }, 'SPOT_SERVER_URL (--server)'],
    [{ SPOT_SERVER_URL: 'ftp://x' }, 'SPOT_SERVER_URL'],
    [{}, 'SPOT_SERVER_URL'],
    [
      { ...base, SPOT_POOLS: 'c5.large' },
      'SPOT_POOLS (--pools): "c5.large" is not instance_type:availability_zone',
    ],
    [{ ...base, SPOT_POOLS: 'C5:us-east-1a' }, 'SPOT_POOLS'],
    [{ ...base, SPOT_POOLS: 'c5.large:mars-1a' }, 'not an availability zone'],
    [{ ...base, SPOT_HEARTBEAT_SECONDS: '-1' }, 'SPOT_HEARTBEAT_SECONDS'],
    [{ ...base, SPOT_TIME_SCALE: 'fast' }, 'SPOT_TIME_SCALE'],
    [{ ...base, SPOT_LONG_POLL_SECONDS: '61' }, 'SPOT_LONG_POLL_SECONDS'],
    [{ ...base, SPOT_LOGICAL_ID: 'web 1' }, 'SPOT_LOGICAL_ID (--logical-id)'],
    [{ ...base, SPOT_IMAGE_ID: 'ubuntu' }, 'SPOT_IMAGE_ID'],
    [{ ...base, AWS_REGION: 'Virginia' }, 'AWS_REGION'],
    [{ ...base, LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
  ])('rejects %j naming the variable', (env, expected) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(expected);
  });

  it('never echoes a client token in its error', () => {
    try {
      loadConfig({ ...base, SPOT_CLIENT_TOKEN: 'short' });
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).toContain('SPOT_CLIENT_TOKEN');
      expect((err as Error).message).not.toContain('short"');
    }
  });

  it('divides every interval and timeout by SPOT_TIME_SCALE, but not the long-poll wait', () => {
    const t = timings(loadConfig({ ...base, SPOT_TIME_SCALE: '20' }));
    expect(t.heartbeatMs).toBe(3_000);
    expect(t.interruptionPollMs).toBe(50);
    expect(t.confirmPollMs).toBe(250);
    expect(t.launchTimeoutMs).toBe(15_000);
    expect(t.terminateTimeoutMs).toBe(9_000);
    expect(t.commandPollMs).toBe(250);
    expect(t.longPollSeconds).toBe(25);
    expect(t.outboxBackoff).toEqual({ baseMs: 13, capMs: 500 });
    expect(timings(loadConfig(base)).outboxBackoff).toEqual({ baseMs: 250, capMs: 10_000 });
    expect(timings(loadConfig({ ...base, SPOT_LONG_POLL_SECONDS: '0' })).longPollSeconds).toBe(0);
  });
});
