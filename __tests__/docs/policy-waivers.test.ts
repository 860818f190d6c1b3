/**
 * docs/handoff-and-policy.md justifies every waiver of config/policy-waivers.ts, for the environments that
 * carry it, and no waiver that is gone.
 */
import { ENVIRONMENTS } from '../../config/environments';
import { POLICY_WAIVERS } from '../../config/policy-waivers';
import { readDoc, section } from './markdown';

const DOC = 'docs/handoff-and-policy.md';

/** Rule id → environments, from the doc's waiver table (`both` is every environment). */
function documented(): Map<string, string[]> {
  const table = section(readDoc(DOC), 'Waivers');
  const rows = new Map<string, string[]>();
  for (const [, rule, envs, why] of table.matchAll(/^\| (WSG-[A-Z]+-\d{3})[^|]* \| ([^|]+) \| (.*) \|$/gm)) {
    expect({ rule, why: (why ?? '').trim().length > 20 }).toEqual({ rule, why: true });
    const names = (envs ?? '').replace(/\(.*\)/, '').trim();
    rows.set(rule as string, names === 'both' ? Object.keys(ENVIRONMENTS) : names.split(/,\s*/));
  }
  return rows;
}

/** The same from config/policy-waivers.ts. */
function configured(): Map<string, string[]> {
  const rules = new Map<string, string[]>();
  for (const [env, waivers] of Object.entries(POLICY_WAIVERS)) {
    for (const w of waivers) rules.set(w.rule, [...(rules.get(w.rule) ?? []), env]);
  }
  return rules;
}

const sorted = (m: Map<string, string[]>): Record<string, string[]> =>
  Object.fromEntries([...m].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, [...v].sort()]));

test(`${DOC} has a row for every waiver, with the environments that carry it`, () => {
  const rows = documented();
  expect(rows.size).toBeGreaterThan(0);
  expect(sorted(rows)).toEqual(sorted(configured()));
});
