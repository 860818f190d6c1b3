import { App, TerraformOutput, TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { WebSocketGraphqlService } from '../../constructs/websocket-graphql-service';

const app = new App();
const stack = new TerraformStack(app, 'chat');
new AwsProvider(stack, 'Aws', { region: 'eu-west-1' });

const chat = new WebSocketGraphqlService(stack, 'Chat', {
  domainName: 'chat.example.com', // certificate, A/AAAA records, wss://chat.example.com/graphql
  hostedZoneName: 'example.com', // an existing public Route53 zone
  imageTag: 'v1.0.0', // the service image, pushed to the ECR repository this creates
  scaling: { minCount: 2, maxCount: 6 },
  timing: { idleTimeoutSeconds: 300 }, // ALB idle timeout, keepalive, drain: checked together at synth
});
new TerraformOutput(stack, 'wss_url', { value: chat.wssUrl });

app.synth();
