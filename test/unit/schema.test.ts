import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { experimentJsonSchema } from '../../harness/core/experiment.js';

// The JSON Schema `npm run experiment -- --schema` prints, checked with a real
// validator: every shipped experiment passes it, and mistakes an editor should
// flag are flagged.

const dir = fileURLToPath(new URL('../../experiments/', import.meta.url));
const validate = new Ajv2020({ strict: false, allErrors: true }).compile(experimentJsonSchema());

describe('the experiment JSON Schema', () => {
  it.each(readdirSync(dir).filter((f) => f.endsWith('.ts')))('accepts %s', async (file) => {
    const raw = ((await import(`${dir}${file}`)) as { default: unknown }).default;
    const ok = validate(JSON.parse(JSON.stringify(raw)));
    expect(validate.errors ?? [], file).toEqual([]);
    expect(ok).toBe(true);
  });

  it('flags a missing required field, an unknown field and a bad name', async () => {
    const raw = JSON.parse(JSON.stringify(((await import(`${dir}zone-outage.ts`)) as { default: Record<string, unknown> }).default)) as Record<string, unknown>;
    expect(validate({ ...raw, topology: undefined })).toBe(false);
    expect(validate({ ...raw, faultz: [] })).toBe(false);
    expect(validate({ ...raw, name: 'Zone Outage' })).toBe(false);
  });
});
