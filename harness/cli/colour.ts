// Colour for people at a terminal: only on a TTY, never under CI, and never
// when NO_COLOR is set (https://no-color.org: any non-empty value).

export function colourEnabled(stream: NodeJS.WriteStream = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(stream.isTTY) && !env.NO_COLOR && env.CI !== 'true' && env.TERM !== 'dumb';
}

const CODES = { red: 31, green: 32, yellow: 33, grey: 90, bold: 1 } as const;

export type Paint = (colour: keyof typeof CODES, text: string) => string;

export function painter(enabled: boolean): Paint {
  return (colour, text) => (enabled ? `\x1b[${CODES[colour]}m${text}\x1b[0m` : text);
}
