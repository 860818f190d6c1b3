/**
 * The resource graphs (`terraform graph`) of several configurations from one command: a root in the workspace
 * calls each as a module, and the graph's lines are split by module again. Every Terraform command that
 * reads the configuration starts the provider and loads its schema, so one graph of N modules costs what
 * one graph of a root costs; a module's part of it is the graph of that configuration as a root (the same
 * nodes and edges, without the `module.<name>.` prefix).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type OfflineWorkspace } from '../../tools/terraform/workspace';

export interface GraphModule {
  /** Directory of the configuration, relative to the workspace (`./stacks/staging`). */
  readonly source: string;
  /** Values of its variables that have no default. */
  readonly variables?: Readonly<Record<string, unknown>>;
}

/**
 * Node and edge lines (`"aws_x.a" [label=...]`, `"aws_x.a" -> "aws_y.b"`) of each module's graph, sorted, by
 * module name. Names are `[a-z0-9_-]+`.
 */
export async function moduleGraphs(
  workspace: OfflineWorkspace,
  modules: Readonly<Record<string, GraphModule>>,
): Promise<Map<string, string[]>> {
  const root = 'graph';
  const call = Object.fromEntries(
    Object.entries(modules).map(([name, m]) => {
      if (!/^[a-z0-9][a-z0-9_-]*$/.test(name)) throw new Error(`module name "${name}" is not [a-z0-9_-]+`);
      return [name, { source: path.posix.join('..', m.source), ...m.variables }];
    }),
  );
  fs.mkdirSync(path.join(workspace.dir, root), { recursive: true });
  fs.writeFileSync(path.join(workspace.dir, root, 'main.tf.json'), `${JSON.stringify({ module: call }, null, 2)}\n`);
  await workspace.init(root);
  const result = await workspace.run(['graph'], { cwd: root });
  if (result.code !== 0) throw new Error(`terraform graph failed:\n${result.stderr || result.stdout}`);
  const graphs = new Map<string, string[]>(Object.keys(modules).map((name) => [name, []]));
  for (const raw of result.stdout.split('\n')) {
    const line = raw.trim();
    const name = /^"module\.([^".]+)\./.exec(line)?.[1];
    if (name === undefined) continue;
    const lines = graphs.get(name);
    if (lines === undefined) throw new Error(`terraform graph names a module not called: ${line}`);
    // Both ends of an edge are in the same module: no configuration references another.
    lines.push(line.replaceAll(`"module.${name}.`, '"'));
  }
  for (const lines of graphs.values()) lines.sort();
  return graphs;
}
