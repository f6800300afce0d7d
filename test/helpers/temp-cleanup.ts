import { afterAll } from 'vitest';
import { removeTempDirs } from './cli.js';

// Set-up file of the integration and chaos projects: the scratch folders a
// test file made (reports, ledgers) go when the file is done, pass or fail.
afterAll(() => removeTempDirs());
