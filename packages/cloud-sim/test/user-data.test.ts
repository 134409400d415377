// User data: RunInstances' base64 `UserData`, served by IMDS at /latest/user-data, shown decoded on
// /_sim/instances and base64 by DescribeInstanceAttribute.

import {
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { afterAll, describe, expect, it } from 'vitest';
import { Ec2Error } from '../src/core/ec2-error.ts';
import { decodeUserData, MAX_USER_DATA_BYTES } from '../src/core/user-data.ts';
import { closeAll, control, ec2, sdkError, startSim } from './helpers.ts';

afterAll(closeAll);

const SCRIPT = '#!/bin/sh\nexec spot-agent --name web-1 # é\n';
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

describe('decodeUserData', () => {
  it('decodes base64 (line breaks allowed) and refuses bad encodings and more than 16 KB', () => {
    expect(decodeUserData(b64(SCRIPT))).toEqual({ text: SCRIPT, base64: b64(SCRIPT) });
    const wrapped = b64(SCRIPT).replace(/(.{16})/g, '$1\r\n');
    expect(decodeUserData(wrapped).text).toBe(SCRIPT);
    for (const bad of ['not base64!', 'abc', 'ab=c', '====']) {
      expect(() => decodeUserData(bad), bad).toThrow(Ec2Error);
      expect(() => decodeUserData(bad)).toThrow(/BASE64/);
    }
    expect(decodeUserData(b64('x'.repeat(MAX_USER_DATA_BYTES))).text).toHaveLength(MAX_USER_DATA_BYTES);
    expect(() => decodeUserData(b64('x'.repeat(MAX_USER_DATA_BYTES + 1)))).toThrow(/limited to 16384/);
  });
});

describe('user data through EC2, IMDS and the control API', () => {
  const launch = (extra: Record<string, unknown> = {}) =>
    new RunInstancesCommand({
      ImageId: 'ami-12345678',
      InstanceType: 'c5.large',
      MinCount: 1,
      MaxCount: 1,
      Placement: { AvailabilityZone: 'us-east-1a' },
      ...extra,
    });

  async function imdsGet(base: string, path: string) {
    const token = await (
      await fetch(`${base}/latest/api/token`, {
        method: 'PUT',
        headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60' },
      })
    ).text();
    const res = await fetch(`${base}${path}`, { headers: { 'x-aws-ec2-metadata-token': token } });
    return { status: res.status, body: await res.text() };
  }

  it('keeps the user data of each instance and serves it decoded and base64', async () => {
    const sim = await startSim();
    const client = ec2(sim.url);
    const out = await client.send(launch({ UserData: b64(SCRIPT) }));
    const id = out.Instances![0]!.InstanceId!;
    const view = (await control(sim.url, 'GET', `/instances/${id}`)).body;
    expect(view.user_data).toBe(SCRIPT);
    const listed = (await control(sim.url, 'GET', '/instances')).body.instances;
    expect(listed.find((i: any) => i.instance_id === id).user_data).toBe(SCRIPT);

    // IMDS: the same token rules as meta-data
    expect((await fetch(`${view.imds_endpoint}/latest/user-data`)).status).toBe(401);
    expect(await imdsGet(view.imds_endpoint, '/latest/user-data')).toEqual({ status: 200, body: SCRIPT });

    const attr = await client.send(
      new DescribeInstanceAttributeCommand({ InstanceId: id, Attribute: 'userData' }),
    );
    expect(attr.InstanceId).toBe(id);
    expect(Buffer.from(attr.UserData!.Value!, 'base64').toString('utf8')).toBe(SCRIPT);
    const type = await client.send(
      new DescribeInstanceAttributeCommand({ InstanceId: id, Attribute: 'instanceType' }),
    );
    expect(type.InstanceType?.Value).toBe('c5.large');

    // an instance without user data
    const plain = (await client.send(launch())).Instances![0]!.InstanceId!;
    const plainView = (await control(sim.url, 'GET', `/instances/${plain}`)).body;
    expect(plainView.user_data).toBeNull();
    expect((await imdsGet(plainView.imds_endpoint, '/latest/user-data')).status).toBe(404);
    const none = await client.send(
      new DescribeInstanceAttributeCommand({ InstanceId: plain, Attribute: 'userData' }),
    );
    expect(none.UserData?.Value).toBeUndefined();
  });

  it('refuses bad user data and launches nothing', async () => {
    const sim = await startSim();
    const client = ec2(sim.url);
    const bad = await sdkError(client.send(launch({ UserData: 'not*base64' })));
    expect(bad.name).toBe('InvalidParameterValue');
    const big = await sdkError(client.send(launch({ UserData: b64('y'.repeat(16 * 1024 + 1)) })));
    expect(big.name).toBe('InvalidParameterValue');
    const all = await client.send(new DescribeInstancesCommand({}));
    expect(all.Reservations).toEqual([]);
    expect(
      (
        await sdkError(
          client.send(
            new DescribeInstanceAttributeCommand({
              InstanceId: 'i-0123456789abcdef0',
              Attribute: 'userData',
            }),
          ),
        )
      ).name,
    ).toBe('InvalidInstanceID.NotFound');
  });

  it('takes plain-text user_data on POST /_sim/instances', async () => {
    const sim = await startSim();
    const made = await control(sim.url, 'POST', '/instances', {
      instance_type: 'c5.large',
      availability_zone: 'us-east-1a',
      running: true,
      user_data: SCRIPT,
    });
    expect(made.status).toBe(201);
    expect(made.body.user_data).toBe(SCRIPT);
    expect(await imdsGet(made.body.imds_endpoint, '/latest/user-data')).toEqual({
      status: 200,
      body: SCRIPT,
    });
    const tooBig = await control(sim.url, 'POST', '/instances', {
      instance_type: 'c5.large',
      availability_zone: 'us-east-1a',
      user_data: 'z'.repeat(16 * 1024 + 1),
    });
    expect(tooBig.status).toBe(400);
    expect((await control(sim.url, 'GET', '/instances')).body.instances).toHaveLength(1);
  });
});
