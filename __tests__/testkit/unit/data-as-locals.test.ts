/** testkit/terraform/data-as-locals.ts: data sources become locals with the offline stand-in values. */
import { dataAsLocals } from '../../../testkit/terraform/data-as-locals';

test('references become locals with the stand-in values, depends_on drops data sources, metadata stays', () => {
  const stack = {
    provider: { aws: [{ region: 'eu-west-1' }] },
    data: { aws_region: { a: {}, 'a-b': {} } },
    resource: {
      aws_thing: {
        x: {
          '//': { metadata: { note: '${data.aws_region.a.name}' } },
          name: '${data.aws_region.a.name}-${data.aws_region.a-b.name}',
          depends_on: ['data.aws_region.a', 'aws_other.y'],
        },
      },
    },
  };
  const out = dataAsLocals(stack);
  expect(out.data).toBeUndefined();
  expect(out.locals).toEqual({
    data_aws_region_a: expect.objectContaining({ name: 'eu-west-1' }),
    'data_aws_region_a-b': expect.objectContaining({ name: 'eu-west-1' }),
  });
  expect(out.resource.aws_thing.x).toEqual({
    '//': { metadata: { note: '${data.aws_region.a.name}' } },
    name: '${local.data_aws_region_a.name}-${local.data_aws_region_a-b.name}',
    depends_on: ['aws_other.y'],
  });
});
