/**
 * A local stand-in for the ECS task metadata endpoint v4 (`${ECS_CONTAINER_METADATA_URI_V4}/task`).
 * This is the one fake in the service tests: ECS cannot run here. It serves the documented JSON shape
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-metadata-endpoint-v4-fargate.html),
 * and a test flips DesiredStatus to STOPPED the way ECS does when it decides to stop the task.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TaskMetadataStub {
  /** What ECS puts in ECS_CONTAINER_METADATA_URI_V4. */
  readonly uri: string;
  desiredStatus: 'RUNNING' | 'STOPPED';
  knownStatus: 'RUNNING' | 'STOPPED';
  /** GET /task requests served so far. */
  readonly requests: number;
  close(): Promise<void>;
}

export async function startTaskMetadataStub(): Promise<TaskMetadataStub> {
  let requests = 0;
  const state = { desiredStatus: 'RUNNING' as 'RUNNING' | 'STOPPED', knownStatus: 'RUNNING' as 'RUNNING' | 'STOPPED' };
  const taskArn = 'arn:aws:ecs:eu-west-1:111122223333:task/chat-cluster/0123456789abcdef0123456789abcdef';
  const container = {
    DockerId: '0123456789abcdef0123456789abcdef-1234567890',
    Name: 'service',
    DockerName: 'service',
    Image: '111122223333.dkr.ecr.eu-west-1.amazonaws.com/chat:1.0.0',
    Labels: { 'com.amazonaws.ecs.task-arn': taskArn },
    DesiredStatus: 'RUNNING',
    KnownStatus: 'RUNNING',
    Type: 'NORMAL',
    Networks: [{ NetworkMode: 'awsvpc', IPv4Addresses: ['10.0.1.23'] }],
  };
  // ECS's URI has a path (http://169.254.170.2/v4/<id>); the service must append /task to it.
  const prefix = '/v4/0123456789abcdef-1234567890';
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' || (path !== `${prefix}/task` && path !== prefix)) {
      res.writeHead(404).end();
      return;
    }
    let body: unknown;
    if (path === `${prefix}/task`) {
      requests++;
      body = {
        Cluster: 'arn:aws:ecs:eu-west-1:111122223333:cluster/chat-cluster',
        TaskARN: taskArn,
        Family: 'chat',
        Revision: '7',
        DesiredStatus: state.desiredStatus,
        KnownStatus: state.knownStatus,
        Limits: { CPU: 0.25, Memory: 512 },
        PullStartedAt: '2024-01-01T00:00:00.000Z',
        PullStoppedAt: '2024-01-01T00:00:05.000Z',
        AvailabilityZone: 'eu-west-1a',
        LaunchType: 'FARGATE',
        Containers: [{ ...container, DesiredStatus: state.desiredStatus }],
        ClockDrift: {
          ClockErrorBound: 0.5,
          ReferenceTimestamp: '2024-01-01T00:00:00Z',
          ClockSynchronizationStatus: 'SYNCHRONIZED',
        },
        EphemeralStorageMetrics: { Utilized: 100, Reserved: 20496 },
      };
    } else {
      body = container;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    uri: `http://127.0.0.1:${port}${prefix}`,
    get desiredStatus() {
      return state.desiredStatus;
    },
    set desiredStatus(value) {
      state.desiredStatus = value;
    },
    get knownStatus() {
      return state.knownStatus;
    },
    set knownStatus(value) {
      state.knownStatus = value;
    },
    get requests() {
      return requests;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
