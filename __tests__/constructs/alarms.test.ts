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
    test('no healthy target at all: HealthyHostCount < 1, missing data breaching', () => {
      // A service that cannot start never reports an unhealthy host, and an empty target group reports
      // no data at all: both must alarm.
      expect(alarm(json, 'HealthyHostCount')).toEqual(
        expect.objectContaining({
          alarm_name: 'svc-no-healthy-hosts',
          namespace: 'AWS/ApplicationELB',
          statistic: 'Minimum',
          threshold: 1,
          comparison_operator: 'LessThanThreshold',
          treat_missing_data: 'breaching',
          period: 60,
          evaluation_periods: 2,
          dimensions: { LoadBalancer: 'app/alb/123', TargetGroup: 'targetgroup/tg/456' },
        }),
      );
    });
    test('every other alarm treats missing data as not breaching (no traffic is no incident)', () => {
      const others = Object.values(all(json, 'aws_cloudwatch_metric_alarm')).filter(
        (a) => a.metric_name !== 'HealthyHostCount',
      );
      expect(others.map((a) => a.treat_missing_data)).toEqual(Array(7).fill('notBreaching'));
    });
    test('no subscriptions without a topic', () => {
      expect(all(json, 'aws_sns_topic_subscription')).toEqual({});
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
      expect(alarms.map((a) => [a.alarm_actions, a.ok_actions])).toEqual(Array(8).fill([[], []]));
    });
  });

  describe('props', () => {
    test('snsTopicArn: every alarm notifies it on alarm and OK', () => {
      const alarms = Object.values(all(build({ snsTopicArn: TOPIC }).json, 'aws_cloudwatch_metric_alarm'));
      expect(alarms.map((a) => [a.alarm_actions, a.ok_actions])).toEqual(Array(8).fill([[TOPIC], [TOPIC]]));
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
      expect(alarms.map((a) => a.alarm_actions)).toEqual(Array(8).fill([topic]));
    });
    test('topicKmsKeyArn: the created topic is encrypted with that customer-managed key', () => {
      expect(build({ createTopic: true, topicKmsKeyArn: KEY }).raw).toHaveResourceWithProperties(SnsTopic, {
        name: 'svc-alarms',
        kms_master_key_id: KEY,
      });
    });
    test('subscriptions: e-mail and HTTPS endpoints subscribed to the created topic', () => {
      const { json } = build({
        createTopic: true,
        subscriptions: [
          { protocol: 'email', endpoint: 'ops@example.com' },
          { protocol: 'https', endpoint: 'https://events.example.com/hooks/cloudwatch' },
        ],
      });
      const topic = ref(json, 'aws_sns_topic', 'arn');
      expect(
        Object.values(all(json, 'aws_sns_topic_subscription'))
          .map((s) => [s.topic_arn, s.protocol, s.endpoint])
          .sort(),
      ).toEqual([
        [topic, 'email', 'ops@example.com'],
        [topic, 'https', 'https://events.example.com/hooks/cloudwatch'],
      ]);
    });
    test('subscriptions to an existing topic', () => {
      const { json } = build({
        snsTopicArn: TOPIC,
        subscriptions: [{ protocol: 'email', endpoint: 'ops@example.com' }],
      });
      expect(Object.values(all(json, 'aws_sns_topic_subscription'))).toEqual([
        expect.objectContaining({ topic_arn: TOPIC, protocol: 'email', endpoint: 'ops@example.com' }),
      ]);
    });
    test('thresholds.minHealthyHostCount', () => {
      expect(alarm(build({ thresholds: { minHealthyHostCount: 2 } }).json, 'HealthyHostCount').threshold).toBe(2);
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
    test('subscriptions need a topic', () => {
      expect(() => build({ subscriptions: [{ protocol: 'email', endpoint: 'ops@example.com' }] })).toThrow(
        `Alarms: 'subscriptions' need a topic: set createTopic: true or snsTopicArn (got "1 subscription(s)")`,
      );
    });
    test('subscription endpoints', () => {
      expect(() =>
        build({ createTopic: true, subscriptions: [{ protocol: 'email', endpoint: 'ops.example.com' }] }),
      ).toThrow(
        `Alarms: 'subscriptions[0].endpoint' must be an e-mail address such as "ops@example.com" (got "ops.example.com")`,
      );
      expect(() =>
        build({ createTopic: true, subscriptions: [{ protocol: 'https', endpoint: 'http://hooks.example.com' }] }),
      ).toThrow(/'subscriptions\[0\]\.endpoint' must be an https:\/\/ URL/);
      expect(() =>
        build({ createTopic: true, subscriptions: [{ protocol: 'sms' as never, endpoint: '+15555550100' }] }),
      ).toThrow(`Alarms: 'subscriptions[0].protocol' must be one of "email", "https" (got "sms")`);
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
