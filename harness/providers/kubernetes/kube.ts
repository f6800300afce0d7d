import { stringify } from 'yaml';
import type { Executor, RunOptions, RunResult } from '../../exec/index.js';

// kubectl against one kubeconfig context, through the Executor (so a dry run
// prints it). The Kubernetes layer (workloads, waits, records, echo admin)
// speaks only through this; what only kind does (clusters, node containers)
// lives in ../kind.

export class Kube {
  constructor(
    readonly exec: Executor,
    /** kubeconfig context. */
    readonly context: string,
    /** A name for messages (the cluster). */
    readonly name: string,
  ) {}

  argv(...args: string[]): string[] {
    return ['kubectl', '--context', this.context, ...args];
  }

  run(args: string[], options: RunOptions = {}): Promise<RunResult> {
    return this.exec.run(this.argv(...args), options);
  }

  apply(objects: readonly Record<string, unknown>[], what: string): Promise<RunResult> {
    return this.run(['apply', '-f', '-'], { input: objects.map((x) => stringify(x, { blockQuote: 'literal' })).join('---\n'), context: `apply ${what} to ${this.name}` });
  }
}
