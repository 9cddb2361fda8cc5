#!/usr/bin/env node
// The `switchyard` command. Sources are TypeScript run through tsx's loader, so
// `npm ci && npm start` needs no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv);
