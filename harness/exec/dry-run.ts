import { formatArgv } from './run-error.js';
import type { ChildHandle, Executor, RunOptions, RunResult } from './executor.js';

/**
 * An executor that runs nothing: it prints each command (and any manifest fed
 * on stdin) and answers with plausible output, so --dry-run walks the very
 * plan a real run would execute.
 */
export class DryRunExecutor implements Executor {
  readonly commands: { argv: readonly string[]; input?: string }[] = [];

  constructor(
    private readonly print: (text: string) => void,
    private readonly answer: (argv: readonly string[]) => string = () => '',
  ) {}

  async run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    this.commands.push({ argv, ...(options.input ? { input: options.input } : {}) });
    this.print(`$ ${formatArgv(argv)}${options.input ? ` <<'EOF'\n${options.input.trimEnd()}\nEOF` : ''}`);
    return { stdout: this.answer(argv), stderr: '' };
  }

  spawn(argv: readonly string[]): ChildHandle {
    this.commands.push({ argv });
    this.print(`$ ${formatArgv(argv)} &`);
    return { pid: 0, argv, exited: Promise.resolve({ exitCode: 0, signal: undefined }), hasExited: () => true, signal: () => false };
  }
}
