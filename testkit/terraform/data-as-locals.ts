/**
 * A stack that `terraform plan` can plan offline: each data source becomes a local holding the stand-in
 * values the offline test runs override it with (tools/terraform/fakes.ts). `terraform test` overrides data
 * sources itself, but only a plan saved by `terraform plan -out` gives the full `terraform show -json`
 * (planned values and configuration) that `npm run policy -- --plan` reads.
 */
import { dataSourceValues } from '../../tools/terraform/fakes';
import { blocks, stackRegion, type StackJson } from '../../tools/terraform/stack-json';

/** `data.<type>.<name>` -> `local.<name>`, for the stack's data sources. */
export function dataAsLocals(stack: StackJson): StackJson {
  const region = stackRegion(stack);
  const locals: Record<string, unknown> = {};
  const renamed: [RegExp, string][] = [];
  for (const block of blocks(stack).filter((b) => b.kind === 'data')) {
    const local = `data_${block.type}_${block.name}`;
    locals[local] = dataSourceValues(block, region);
    // Whole references only: `data.aws_x.a` must not rewrite `data.aws_x.ab`.
    renamed.push([new RegExp(`\\bdata\\.${block.type}\\.${block.name}\\b`, 'g'), `local.${local}`]);
  }
  const rewrite = (value: unknown, key?: string): unknown => {
    if (typeof value === 'string') return renamed.reduce((text, [from, to]) => text.replace(from, to), value);
    if (Array.isArray(value)) {
      // depends_on may name a data source, never a local: the reference the value makes is dependency enough.
      const kept =
        key === 'depends_on' ? value.filter((v) => !(typeof v === 'string' && v.startsWith('data.'))) : value;
      return kept.map((v) => rewrite(v));
    }
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, k === '//' ? v : rewrite(v, k)]));
    }
    return value;
  };
  const { data: _data, ...rest } = stack;
  const out = rewrite(rest) as StackJson;
  return { ...out, locals: { ...(out.locals as StackJson | undefined), ...locals } };
}
