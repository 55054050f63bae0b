#!/usr/bin/env node
/** The last step of `npm run build`: marks the build as done (see build-if-stale.mjs). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { STAMP } from './build-if-stale.mjs';

mkdirSync(dirname(STAMP), { recursive: true });
writeFileSync(STAMP, `${new Date().toISOString()}\n`);
