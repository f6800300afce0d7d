export { realExecutor, processStartTicks, processStat, type Executor, type ChildHandle, type RunOptions, type RunResult, type SpawnOptions } from './executor.js';
export { RunError, formatArgv, shellQuote, type CommandOutcome } from './run-error.js';
export { which } from './which.js';
