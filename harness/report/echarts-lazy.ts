import { createRequire } from 'node:module';

// ECharts is loaded on the first chart, not when a module that can draw one
// is imported: it is the largest thing the CLI would otherwise load at start
// (a second of CPU before `--help`, before any bad input is refused). The
// require() entry is ECharts' own full bundle, the same code as its ESM entry.

type ECharts = typeof import('echarts');
let lib: ECharts | undefined;

export function echarts(): ECharts {
  return (lib ??= createRequire(import.meta.url)('echarts') as ECharts);
}
