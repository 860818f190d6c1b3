/**
 * The synthesis peer: what the same deployment takes in AWS CDK, the usual alternative. An
 * ApplicationLoadBalancedFargateService with HTTPS (a DNS-validated certificate the pattern creates),
 * a domain in an existing hosted zone (attributes, no lookup), HTTP -> HTTPS redirect, a new VPC and
 * an image from a new ECR repository, synthesized to CloudFormation.
 *
 * Run compiled, as `node aws-cdk-peer.js`; the output directory comes from CDK_OUTDIR (App's default).
 */
import { App, Stack } from 'aws-cdk-lib';
import { Vpc } from 'aws-cdk-lib/aws-ec2';
import { Repository } from 'aws-cdk-lib/aws-ecr';
import { Cluster, ContainerImage } from 'aws-cdk-lib/aws-ecs';
import { ApplicationLoadBalancedFargateService } from 'aws-cdk-lib/aws-ecs-patterns';
import { ApplicationProtocol } from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { HostedZone } from 'aws-cdk-lib/aws-route53';

const app = new App();
const stack = new Stack(app, 'WsGraphqlPeer', { env: { account: '123456789012', region: 'eu-west-1' } });

const vpc = new Vpc(stack, 'Vpc', { maxAzs: 2 });
const repository = new Repository(stack, 'Repository');
const zone = HostedZone.fromHostedZoneAttributes(stack, 'Zone', {
  hostedZoneId: 'Z0123456789ABCDEFGHIJ',
  zoneName: 'example.com',
});

new ApplicationLoadBalancedFargateService(stack, 'Service', {
  cluster: new Cluster(stack, 'Cluster', { vpc }),
  cpu: 512,
  memoryLimitMiB: 1024,
  desiredCount: 2,
  protocol: ApplicationProtocol.HTTPS,
  domainName: 'api.example.com',
  domainZone: zone,
  redirectHTTP: true,
  taskImageOptions: { image: ContainerImage.fromEcrRepository(repository, 'latest'), containerPort: 4000 },
});

app.synth();
