import { z } from 'zod';

// Names become network namespace, process and file names, and Kubernetes label
// values later: keep them to lowercase DNS labels.
export const NAME_PATTERN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export const nameSchema = z
  .string()
  .max(40, 'must be at most 40 characters')
  .regex(NAME_PATTERN, 'must be a lowercase DNS label (a-z, 0-9 and "-", starting and ending with a letter or digit)');
