import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { ServiceAlarms, type ServiceAlarmsProps } from '../../constructs/alarms';
import { all, ref, synth } from './helpers';

const base: ServiceAlarmsProps = {
  name: 'svc',
  loadBalancerArnSuffix: 'app/alb/123',
  targetGroupArnSuffix: 'targetgroup/tg/456',
  clusterName: 'cluster',
  serviceName: 'service',
};
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:ops';
const KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const build = (props: Partial<ServiceAlarmsProps> = {}) =>
  synth((scope) => new ServiceAlarms(scope, 'Alarms', { ...base, ...props }));
const alarm = (json: ReturnType<typeof build>['json'], metric: string) =>
  Object.values(all(json, 'aws_cloudwatch_metric_alarm')).find((a) => a.metric_name === metric);

describe('ServiceAlarms', () => {
  describe('defaults', () => {
    const { raw, json } = build();
    const alb = { LoadBalancer: 'app/alb/123' };
    test.each([
      ['HTTPCode_ELB_5XX_Count', 'svc-alb-5xx', 'Sum', 10, alb],
      ['UnHealthyHostCount', 'svc-unhealthy-hosts', 'Maximum', 1, { ...alb, TargetGroup: 'targetgroup/tg/456' }],
      ['RejectedConnectionCount', 'svc-rejected-connections', 'Sum', 1, alb],
      ['TargetConnectionErrorCount', 'svc-target-connection-errors', 'Sum', 5, alb],
      ['ClientTLSNegotiationErrorCount', 'svc-client-tls-errors', 'Sum', 100, alb],
    ])('ALB %s alarm', (metric, name, statistic, threshold, dimensions) => {
      expect(raw).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
        alarm_name: name,
        namespace: 'AWS/ApplicationELB',
        metric_name: metric,
        statistic,
        threshold,
        dimensions,
        comparison_operator: 'GreaterThanOrEqualToThreshold',
        treat_missing_data: 'notBreaching',
      });
    });
    test.each([
      ['CPUUtilization', 'svc-cpu'],
      ['MemoryUtilization', 'svc-memory'],
    ])('ECS %s alarm at 85%% over 3 periods', (metric, name) => {
      expect(raw).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
        alarm_name: name,
        namespace: 'AWS/ECS',
        metric_name: metric,
        statistic: 'Average',
        threshold: 85,
        evaluation_periods: 3,
        dimensions: { ClusterName: 'cluster', ServiceName: 'service' },
      });
    });
    test('no topic: alarms without actions', () => {
      expect(raw).not.toHaveResource(SnsTopic);
      const alarms = Object.values(all(json, 'aws_cloudwatch_metric_alarm'));
      expect(alarms.map((a) => [a.alarm_actions, a.ok_actions])).toEqual(Array(7).fill([[], []]));
    });
  });

  describe('props', () => {
    test('snsTopicArn: every alarm notifies it on alarm and OK', () => {
      const alarms = Object.values(all(build({ snsTopicArn: TOPIC }).json, 'aws_cloudwatch_metric_alarm'));
      expect(alarms.map((a) => [a.alarm_actions, a.ok_actions])).toEqual(Array(7).fill([[TOPIC], [TOPIC]]));
    });
    test('createTopic: a topic <name>-alarms, not under the AWS-managed key, that every alarm notifies', () => {
      const { json } = build({ createTopic: true });
      const topics = Object.values(all(json, 'aws_sns_topic'));
      expect(topics).toHaveLength(1);
      expect(topics[0].name).toBe('svc-alarms');
      // CloudWatch cannot publish to a topic encrypted with alias/aws/sns.
      expect(topics[0]).not.toHaveProperty('kms_master_key_id');
      const topic = ref(json, 'aws_sns_topic', 'arn');
      const alarms = Object.values(all(json, 'aws_cloudwatch_metric_alarm'));
      expect(alarms.map((a) => a.alarm_actions)).toEqual(Array(7).fill([topic]));
    });
    test('topicKmsKeyArn: the created topic is encrypted with that customer-managed key', () => {
      expect(build({ createTopic: true, topicKmsKeyArn: KEY }).raw).toHaveResourceWithProperties(SnsTopic, {
        name: 'svc-alarms',
        kms_master_key_id: KEY,
      });
    });
    test.each([
      ['elb5xxCount', 'HTTPCode_ELB_5XX_Count'],
      ['unhealthyHostCount', 'UnHealthyHostCount'],
      ['rejectedConnectionCount', 'RejectedConnectionCount'],
      ['targetConnectionErrorCount', 'TargetConnectionErrorCount'],
      ['clientTlsNegotiationErrorCount', 'ClientTLSNegotiationErrorCount'],
      ['cpuPercent', 'CPUUtilization'],
      ['memoryPercent', 'MemoryUtilization'],
    ])('thresholds.%s', (key, metric) => {
      expect(alarm(build({ thresholds: { [key]: 42 } }).json, metric).threshold).toBe(42);
    });
  });

  describe('validation', () => {
    test('topic ARN syntax', () => {
      expect(() => build({ snsTopicArn: 'ops' })).toThrow(
        "Alarms: 'snsTopicArn' must be an ARN of the form arn:aws:sns:",
      );
    });
    test('topic ARN or createTopic, not both', () => {
      expect(() => build({ snsTopicArn: TOPIC, createTopic: true })).toThrow(/cannot be combined with createTopic/);
    });
    test('topicKmsKeyArn only with createTopic', () => {
      expect(() => build({ topicKmsKeyArn: KEY })).toThrow(/'topicKmsKeyArn' only applies with createTopic: true/);
    });
    test('topicKmsKeyArn syntax', () => {
      expect(() => build({ createTopic: true, topicKmsKeyArn: 'alias/aws/sns' })).toThrow(
        "Alarms: 'topicKmsKeyArn' must be an ARN of the form arn:aws:kms:",
      );
    });
    test('threshold ranges', () => {
      expect(() => build({ thresholds: { cpuPercent: 101 } })).toThrow(
        /'thresholds\.cpuPercent' must be an integer in 1\.\.100 \(got 101\)/,
      );
      expect(() => build({ thresholds: { elb5xxCount: 0 } })).toThrow(
        /'thresholds\.elb5xxCount' must be an integer in 1\.\.1000000/,
      );
    });
  });
});
