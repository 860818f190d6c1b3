/**
 * The task's memory budget reaches the service: MAX_CONNECTIONS is derived from the task memory (so every
 * socket at its limits fits), V8 may use that memory, and a larger maxConnections is refused at synth.
 * PUBLIC_ORIGIN carries the domain so the service never compares origins with the Host header.
 */
import { WebSocketFargateService, type WebSocketFargateServiceProps } from '../../constructs/fargate-service';
import { loadConfig } from '../../service/src/config';
import { containerEnvironment, synth } from './helpers';

const base: WebSocketFargateServiceProps = {
  vpcId: 'vpc-0123456789abcdef0',
  subnetIds: ['subnet-0123456789abcdef2'],
  imageRepositoryUrl: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/ws-graphql',
  imageTag: 'v1',
  targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/tg/1',
  loadBalancerSecurityGroupId: 'sg-0aaaaaaaaaaaaaaaa',
};
const env = (props: Partial<WebSocketFargateServiceProps> = {}) =>
  containerEnvironment(synth((scope) => new WebSocketFargateService(scope, 'App', { ...base, ...props })).json);

describe('memory budget in the task environment', () => {
  test.each([
    [256, 512, '4096', '--max-old-space-size=384'],
    [512, 1024, '12288', '--max-old-space-size=768'],
    [1024, 2048, '28672', '--max-old-space-size=1536'],
  ])('cpu %i / %i MiB: MAX_CONNECTIONS=%s, NODE_OPTIONS=%s', (cpu, memory, maxConnections, nodeOptions) => {
    const e = env({ cpu, memory });
    expect(e.MAX_CONNECTIONS).toBe(maxConnections);
    expect(e.NODE_OPTIONS).toBe(nodeOptions);
    expect(loadConfig(e).limits.maxConnections).toBe(Number(maxConnections));
  });

  test('a lower maxConnections is passed as is; one over what the memory holds fails at synth', () => {
    expect(env({ maxConnections: 2000 }).MAX_CONNECTIONS).toBe('2000');
    expect(() => env({ memory: 512, cpu: 256, maxConnections: 10_000 })).toThrow(
      /'maxConnections' must be <= 4096: a task with 512 MiB holds that many sockets.*\(got 10000\)/,
    );
  });

  test('publicOrigin becomes PUBLIC_ORIGIN; a non-origin fails at synth', () => {
    expect(env({ publicOrigin: 'https://api.example.com' }).PUBLIC_ORIGIN).toBe('https://api.example.com');
    expect(env().PUBLIC_ORIGIN).toBeUndefined();
    expect(() => env({ publicOrigin: 'https://api.example.com/graphql' })).toThrow(
      /'publicOrigin' must be an exact origin/,
    );
  });
});
