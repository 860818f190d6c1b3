import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Testing } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { StateBootstrapStack, type StateBootstrapStackProps } from '../../constructs/state-bootstrap-stack';
import { type Json, ref } from './helpers';

const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bootstrap-test-'));
afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

const build = (props: Partial<StateBootstrapStackProps> = {}): { raw: string; json: Json } => {
  const stack = new StateBootstrapStack(Testing.app({ outdir, stackTraces: false }), 'state-bootstrap', {
    region: 'eu-west-1',
    bucketName: 'acme-tfstate',
    ...props,
  });
  const raw = Testing.synth(stack);
  return { raw, json: JSON.parse(raw) };
};

describe('StateBootstrapStack', () => {
  const { raw, json } = build();
  test('provider in the region, own state kept locally in the project root', () => {
    expect(raw).toHaveProviderWithProperties(AwsProvider, { region: 'eu-west-1' });
    expect(json.terraform.backend).toEqual({ local: { path: '../../../terraform.state-bootstrap.tfstate' } });
  });
  test('the bucket name is an output', () => {
    expect(json.output.state_bucket_name.value).toBe(ref(json, 'aws_s3_bucket', 'bucket'));
  });
  test('statePath', () => {
    expect(build({ statePath: '/var/state/bootstrap.tfstate' }).json.terraform.backend).toEqual({
      local: { path: '/var/state/bootstrap.tfstate' },
    });
  });
  test('region validation', () => {
    expect(() => build({ region: 'Europe' })).toThrow(
      `state-bootstrap: 'region' must be an AWS region such as "eu-west-1" (got "Europe")`,
    );
  });
});
