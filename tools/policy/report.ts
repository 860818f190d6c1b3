/**
 * The policy results as a table for people, JSON for scripts, and SARIF 2.1.0 for code-scanning upload.
 * Everything is sorted and free of timestamps and absolute paths, so a run gives the same bytes each time.
 */
import type { PolicyResult, StackReport } from './evaluate';
import { RULES } from './rules';

const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
export const TOOL_NAME = 'ws-graphql-policy';
const TOOL_URI = 'https://github.com/ws-graphql-aws/ws-graphql-aws/blob/main/docs/handoff-and-policy.md';

type Outcome = 'FAIL' | 'WAIVED' | 'pass' | 'unknown';

function outcome(r: PolicyResult): Outcome {
  if (r.evaluation.status === 'fail') return r.waiver === undefined ? 'FAIL' : 'WAIVED';
  return r.evaluation.status;
}

/** A plain-text table: one line per rule and resource, failures first, then a summary per stack. */
export function formatTable(reports: readonly StackReport[]): string {
  const order: Record<Outcome, number> = { FAIL: 0, WAIVED: 1, unknown: 2, pass: 3 };
  const lines: string[] = [];
  for (const report of reports) {
    const rows = report.results
      .map((r) => ({
        outcome: outcome(r),
        id: r.rule.id,
        resource: r.constructPath ?? r.evaluation.address,
        detail: r.waiver === undefined ? r.evaluation.message : `${r.evaluation.message} (waived)`,
      }))
      .sort(
        (a, b) =>
          order[a.outcome] - order[b.outcome] || a.id.localeCompare(b.id) || a.resource.localeCompare(b.resource),
      );
    const widths = [6, 11, Math.max(8, ...rows.map((r) => r.resource.length))];
    const row = (cells: string[]): string =>
      cells
        .map((c, i) => (i < widths.length ? c.padEnd(widths[i] ?? 0) : c))
        .join('  ')
        .trimEnd();
    lines.push(`${report.stack} (${report.file})`);
    lines.push(row(['RESULT', 'RULE', 'RESOURCE', 'DETAIL']));
    for (const r of rows) lines.push(row([r.outcome, r.id, r.resource, r.detail]));
    const count = (o: Outcome): number => rows.filter((r) => r.outcome === o).length;
    lines.push(
      `${report.stack}: ${count('pass')} passed, ${count('FAIL')} failed, ${count('WAIVED')} waived, ${count('unknown')} unknown until apply`,
    );
    const waived = new Map(
      report.results.flatMap((r) => (r.waiver === undefined ? [] : [[r.rule.id, r.waiver.reason]])),
    );
    for (const [id, reason] of [...waived].sort(([a], [b]) => a.localeCompare(b)))
      lines.push(`  waiver ${id}: ${reason}`);
    for (const w of report.unusedWaivers) {
      lines.push(
        `${report.stack}: note: waiver for ${w.rule}${w.resource === undefined ? '' : ` (${w.resource})`} matched no failure`,
      );
    }
    lines.push('');
  }
  return lines.join('\n');
}

/** The results as data. */
export function toJson(reports: readonly StackReport[]): unknown {
  return {
    tool: TOOL_NAME,
    rules: RULES.map((r) => ({
      id: r.id,
      title: r.title,
      category: r.category,
      severity: r.severity,
      equivalents: r.equivalents,
    })),
    stacks: reports.map((report) => ({
      stack: report.stack,
      file: report.file,
      source: report.source,
      failures: report.failures,
      results: report.results.map((r) => ({
        rule: r.rule.id,
        address: r.evaluation.address,
        ...(r.constructPath === undefined ? {} : { constructPath: r.constructPath }),
        status: r.evaluation.status,
        outcome: outcome(r).toLowerCase(),
        message: r.evaluation.message,
        ...(r.waiver === undefined ? {} : { waiver: { reason: r.waiver.reason } }),
      })),
      unusedWaivers: report.unusedWaivers,
    })),
  };
}

/**
 * SARIF 2.1.0: one run, every rule in the driver with its scanner equivalents as properties, one result per
 * failure (waived ones carry an accepted suppression with the reason, which code scanning shows as dismissed).
 */
export function toSarif(
  reports: readonly StackReport[],
  lines: (file: string, address: string) => number | undefined,
): unknown {
  const ruleIndex = new Map(RULES.map((r, i) => [r.id, i]));
  const results = reports.flatMap((report) =>
    report.results
      .filter((r) => r.evaluation.status === 'fail')
      .map((r) => {
        const line = lines(report.file, r.evaluation.address);
        return {
          ruleId: r.rule.id,
          ruleIndex: ruleIndex.get(r.rule.id) ?? 0,
          level: r.rule.severity,
          message: { text: `${report.stack}: ${r.evaluation.address}: ${r.evaluation.message}` },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: report.file.split('\\').join('/') },
                ...(line === undefined ? {} : { region: { startLine: line } }),
              },
              logicalLocations: [
                {
                  name: r.evaluation.address,
                  fullyQualifiedName: `${report.stack}/${r.constructPath ?? r.evaluation.address}`,
                  kind: 'resource',
                },
              ],
            },
          ],
          partialFingerprints: { 'wsgPolicy/v1': `${report.stack}:${r.rule.id}:${r.evaluation.address}` },
          ...(r.waiver === undefined
            ? {}
            : { suppressions: [{ kind: 'external', status: 'accepted', justification: r.waiver.reason }] }),
        };
      }),
  );
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: TOOL_NAME,
            informationUri: TOOL_URI,
            rules: RULES.map((r) => ({
              id: r.id,
              name: r.id.replace(/-/g, ''),
              shortDescription: { text: r.title },
              fullDescription: { text: r.help },
              help: { text: r.help },
              defaultConfiguration: { level: r.severity },
              properties: {
                category: r.category,
                tags: ['security', 'terraform', r.category],
                checkov: [...r.equivalents.checkov],
                trivy: [...r.equivalents.trivy],
              },
            })),
          },
        },
        results,
      },
    ],
  };
}
