/**
 * The provider SDKs log every gRPC call at TRACE unless told otherwise; the workspace's commands turn that
 * off unless the caller asked for Terraform's logs.
 */
import { quietProviderLogs } from '../../../tools/terraform/workspace';

test('turns each provider SDK log subsystem off', () => {
  expect(quietProviderLogs({ PATH: '/usr/bin', TF_CLI_CONFIG_FILE: '/x' })).toEqual({
    TF_LOG_SDK: 'OFF',
    TF_LOG_SDK_PROTO: 'OFF',
    TF_LOG_SDK_MUX: 'OFF',
    TF_LOG_SDK_FRAMEWORK: 'OFF',
    TF_LOG_SDK_HELPER_SCHEMA: 'OFF',
  });
});

test.each([['TF_LOG'], ['TF_LOG_PROVIDER'], ['TF_LOG_SDK_PROTO'], ['TF_LOG_CORE']])(
  'leaves the logs alone when the caller sets %s',
  (key) => {
    expect(quietProviderLogs({ [key]: 'trace' })).toEqual({});
  },
);

test('TF_LOG_PATH alone is not a request for logs', () => {
  expect(quietProviderLogs({ TF_LOG_PATH: '/tmp/tf.log' })).toHaveProperty('TF_LOG_SDK', 'OFF');
});
