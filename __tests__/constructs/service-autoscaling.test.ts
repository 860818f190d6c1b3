import { AppautoscalingTarget } from '@cdktf/provider-aws/lib/appautoscaling-target';
import { ServiceAutoscaling, type ServiceAutoscalingProps } from '../../constructs/service-autoscaling';
import { all, ref, synth } from './helpers';

const base: ServiceAutoscalingProps = {
  clusterName: 'cluster',
  serviceName: 'svc',
  loadBalancerArnSuffix: 'app/alb/123',
  targetGroupArnSuffix: 'targetgroup/tg/456',
};
const build = (props: Partial<ServiceAutoscalingProps> = {}) =>
  synth((scope) => new ServiceAutoscaling(scope, 'Scaling', { ...base, ...props }));
const policy = (json: ReturnType<typeof build>['json'], metric: string) =>
  Object.values(all(json, 'aws_appautoscaling_policy')).find(
    (p) =>
      p.target_tracking_scaling_policy_configuration.predefined_metric_specification.predefined_metric_type === metric,
  );

describe('ServiceAutoscaling', () => {
  describe('defaults', () => {
    const { raw, json } = build();
    test('scalable target: the service desired count, 2..4', () => {
      expect(raw).toHaveResourceWithProperties(AppautoscalingTarget, {
        service_namespace: 'ecs',
        scalable_dimension: 'ecs:service:DesiredCount',
        resource_id: 'service/cluster/svc',
        min_capacity: 2,
        max_capacity: 4,
      });
    });
    test('CPU target tracking at 60%', () => {
      const cpu = policy(json, 'ECSServiceAverageCPUUtilization');
      expect(cpu).toMatchObject({
        policy_type: 'TargetTrackingScaling',
        name: 'svc-cpu',
        resource_id: ref(json, 'aws_appautoscaling_target', 'resource_id'),
        scalable_dimension: ref(json, 'aws_appautoscaling_target', 'scalable_dimension'),
        service_namespace: ref(json, 'aws_appautoscaling_target', 'service_namespace'),
      });
      expect(cpu.target_tracking_scaling_policy_configuration).toMatchObject({
        target_value: 60,
        scale_in_cooldown: 300,
        scale_out_cooldown: 60,
      });
    });
    test('request count per target tracking at 1000, labelled with ALB and target group', () => {
      const requests = policy(json, 'ALBRequestCountPerTarget');
      expect(requests.name).toBe('svc-requests');
      expect(requests.target_tracking_scaling_policy_configuration).toMatchObject({
        target_value: 1000,
        predefined_metric_specification: {
          predefined_metric_type: 'ALBRequestCountPerTarget',
          resource_label: 'app/alb/123/targetgroup/tg/456',
        },
      });
    });
  });

  describe('props', () => {
    test('minCount and maxCount', () => {
      expect(build({ minCount: 1, maxCount: 10 }).raw).toHaveResourceWithProperties(AppautoscalingTarget, {
        min_capacity: 1,
        max_capacity: 10,
      });
    });
    test('cpuTargetPercent', () => {
      expect(
        policy(build({ cpuTargetPercent: 40 }).json, 'ECSServiceAverageCPUUtilization')
          .target_tracking_scaling_policy_configuration.target_value,
      ).toBe(40);
    });
    test('requestsPerTarget', () => {
      expect(
        policy(build({ requestsPerTarget: 250 }).json, 'ALBRequestCountPerTarget')
          .target_tracking_scaling_policy_configuration.target_value,
      ).toBe(250);
    });
    test('scaleInCooldownSeconds and scaleOutCooldownSeconds', () => {
      const cfg = policy(
        build({ scaleInCooldownSeconds: 600, scaleOutCooldownSeconds: 30 }).json,
        'ALBRequestCountPerTarget',
      ).target_tracking_scaling_policy_configuration;
      expect([cfg.scale_in_cooldown, cfg.scale_out_cooldown]).toEqual([600, 30]);
    });
  });

  describe('validation', () => {
    test('min <= max', () => {
      expect(() => build({ minCount: 5, maxCount: 4 })).toThrow("Scaling: 'minCount' must be <= maxCount (4) (got 5)");
    });
    test('max >= 1', () => {
      expect(() => build({ minCount: 0, maxCount: 0 })).toThrow(/'maxCount' must be an integer in 1\.\.5000/);
    });
    test('cpu target 10..90', () => {
      expect(() => build({ cpuTargetPercent: 95 })).toThrow(
        /'cpuTargetPercent' must be an integer in 10\.\.90 \(got 95\)/,
      );
    });
    test('requests per target >= 1', () => {
      expect(() => build({ requestsPerTarget: 0 })).toThrow(/'requestsPerTarget' must be an integer/);
    });
    test('cooldowns 0..3600', () => {
      expect(() => build({ scaleInCooldownSeconds: -1 })).toThrow(
        /'scaleInCooldownSeconds' must be an integer in 0\.\.3600/,
      );
      expect(() => build({ scaleOutCooldownSeconds: 3601 })).toThrow(
        /'scaleOutCooldownSeconds' must be an integer in 0\.\.3600/,
      );
    });
  });
});
