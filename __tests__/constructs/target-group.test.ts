import { LbTargetGroup } from '@cdktf/provider-aws/lib/lb-target-group';
import { ServiceTargetGroup, type ServiceTargetGroupProps } from '../../constructs/target-group';
import { CONTAINER, PATHS } from '../../service/src/container-contract';
import { only, synth } from './helpers';

const build = (props: Partial<ServiceTargetGroupProps> = {}) =>
  synth((scope) => new ServiceTargetGroup(scope, 'TargetGroup', { vpcId: 'vpc-0123456789abcdef0', ...props }));
const healthCheck = (props: Partial<ServiceTargetGroupProps>) =>
  only(build(props).json, 'aws_lb_target_group').health_check;

describe('ServiceTargetGroup', () => {
  describe('defaults', () => {
    const { raw, json } = build();
    test('IP targets over HTTP/1.1 on the container port, in the VPC', () => {
      expect(raw).toHaveResourceWithProperties(LbTargetGroup, {
        target_type: 'ip',
        protocol: 'HTTP',
        protocol_version: 'HTTP1',
        port: CONTAINER.port,
        vpc_id: 'vpc-0123456789abcdef0',
      });
    });
    test('health check on the service health path with interval > timeout', () => {
      expect(only(json, 'aws_lb_target_group').health_check).toEqual({
        enabled: true,
        protocol: 'HTTP',
        port: 'traffic-port',
        path: PATHS.health,
        matcher: '200',
        interval: 15,
        timeout: 5,
        healthy_threshold: 2,
        unhealthy_threshold: 3,
      });
    });
    test('replaceable while in use: name_prefix (not a fixed name) and create_before_destroy', () => {
      // A fixed name makes every force-new change (port, protocol, VPC) fail with ResourceInUse: the new
      // group cannot take the name of the old one, which the listener still uses.
      const tg = only(json, 'aws_lb_target_group');
      expect(tg).not.toHaveProperty('name');
      expect(tg.name_prefix).toBe('ws-gr-');
      expect(tg.lifecycle).toEqual({ create_before_destroy: true });
      expect(tg.tags).toEqual({ Name: 'ws-graphql' });
    });
    test('deregistration delay derived from the default drain window (30 + 1 + 10)', () => {
      expect(raw).toHaveResourceWithProperties(LbTargetGroup, { deregistration_delay: '41' });
    });
    test('stickiness off', () => {
      expect(raw).toHaveResourceWithProperties(LbTargetGroup, { stickiness: { type: 'lb_cookie', enabled: false } });
    });
  });

  describe('props', () => {
    test('name: the Name tag, and the default prefix (its first 5 characters, trailing hyphens dropped)', () => {
      expect(only(build({ name: 'api-blue' }).json, 'aws_lb_target_group')).toMatchObject({
        name_prefix: 'api-b-',
        tags: { Name: 'api-blue' },
      });
      expect(only(build({ name: 'abcd-efgh' }).json, 'aws_lb_target_group').name_prefix).toBe('abcd-');
      expect(only(build({ name: 'api' }).json, 'aws_lb_target_group').name_prefix).toBe('api-');
    });
    test('namePrefix', () => {
      expect(only(build({ namePrefix: 'tg' }).json, 'aws_lb_target_group').name_prefix).toBe('tg');
    });
    test('port', () => {
      expect(build({ port: 8080 }).raw).toHaveResourceWithProperties(LbTargetGroup, { port: 8080 });
    });
    test('deregistrationDelaySeconds', () => {
      expect(build({ deregistrationDelaySeconds: 90 }).raw).toHaveResourceWithProperties(LbTargetGroup, {
        deregistration_delay: '90',
      });
    });
    test('healthCheck.path', () => {
      expect(healthCheck({ healthCheck: { path: '/livez' } }).path).toBe('/livez');
    });
    test('healthCheck.matcher', () => {
      expect(healthCheck({ healthCheck: { matcher: '200-299' } }).matcher).toBe('200-299');
    });
    test('healthCheck.intervalSeconds', () => {
      expect(healthCheck({ healthCheck: { intervalSeconds: 30 } }).interval).toBe(30);
    });
    test('healthCheck.timeoutSeconds', () => {
      expect(healthCheck({ healthCheck: { timeoutSeconds: 10 } }).timeout).toBe(10);
    });
    test('healthCheck.healthyThreshold', () => {
      expect(healthCheck({ healthCheck: { healthyThreshold: 5 } }).healthy_threshold).toBe(5);
    });
    test('healthCheck.unhealthyThreshold', () => {
      expect(healthCheck({ healthCheck: { unhealthyThreshold: 4 } }).unhealthy_threshold).toBe(4);
    });
    test('stickinessCookieDurationSeconds turns lb_cookie stickiness on', () => {
      expect(build({ stickinessCookieDurationSeconds: 3600 }).raw).toHaveResourceWithProperties(LbTargetGroup, {
        stickiness: { type: 'lb_cookie', enabled: true, cookie_duration: 3600 },
      });
    });
  });

  describe('validation', () => {
    test('name <= 32 characters', () => {
      expect(() => build({ name: 'x'.repeat(33) })).toThrow(
        "TargetGroup: 'name' must be 1..32 characters long for a target group name (it has 33)",
      );
    });
    test('name characters', () => {
      expect(() => build({ name: 'api.blue' })).toThrow(/'name' may contain only letters, digits and hyphens/);
    });
    test('namePrefix: 1..6 characters (the provider appends 26)', () => {
      expect(() => build({ namePrefix: 'abcdefg' })).toThrow(
        'TargetGroup: \'namePrefix\' must be 1..6 letters, digits or hyphens, starting with a letter or digit (the provider appends 26 characters to make a 32-character name) (got "abcdefg")',
      );
      expect(() => build({ namePrefix: '-tg' })).toThrow(/'namePrefix' must be 1\.\.6 letters/);
    });
    test('health check interval > timeout', () => {
      expect(() => build({ healthCheck: { intervalSeconds: 10, timeoutSeconds: 10 } })).toThrow(
        "TargetGroup: 'healthCheck.intervalSeconds' must be greater than healthCheck.timeoutSeconds (10) (got 10)",
      );
    });
    test('health check interval range', () => {
      expect(() => build({ healthCheck: { intervalSeconds: 301 } })).toThrow(
        /'healthCheck\.intervalSeconds' must be an integer in 5\.\.300/,
      );
    });
    test('health check timeout range', () => {
      expect(() => build({ healthCheck: { timeoutSeconds: 1 } })).toThrow(
        /'healthCheck\.timeoutSeconds' must be an integer in 2\.\.120/,
      );
    });
    test('health check thresholds range', () => {
      expect(() => build({ healthCheck: { healthyThreshold: 1 } })).toThrow(
        /'healthCheck\.healthyThreshold' must be an integer in 2\.\.10/,
      );
      expect(() => build({ healthCheck: { unhealthyThreshold: 11 } })).toThrow(
        /'healthCheck\.unhealthyThreshold' must be an integer in 2\.\.10/,
      );
    });
    test('health check path', () => {
      expect(() => build({ healthCheck: { path: 'health' } })).toThrow(/'healthCheck\.path' must start with "\/"/);
    });
    test('health check matcher', () => {
      expect(() => build({ healthCheck: { matcher: '500' } })).toThrow(
        /'healthCheck\.matcher' must be HTTP codes in 200\.\.499/,
      );
    });
    test('deregistration delay range', () => {
      expect(() => build({ deregistrationDelaySeconds: 4000 })).toThrow(
        /'deregistrationDelaySeconds' must be an integer in 0\.\.3600 \(got 4000\)/,
      );
    });
    test('stickiness duration range', () => {
      expect(() => build({ stickinessCookieDurationSeconds: 0 })).toThrow(
        /'stickinessCookieDurationSeconds' must be an integer in 1\.\.604800/,
      );
    });
    test('port range', () => {
      expect(() => build({ port: 70000 })).toThrow(/'port' must be an integer in 1\.\.65535/);
    });
  });
});
