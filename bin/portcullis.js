#!/usr/bin/env node
// The `portcullis` command. Runs the TypeScript sources through tsx, so a checkout needs no build
// step and can never run a stale dist/.
import { register } from 'tsx/esm/api';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

register();
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
await import(pathToFileURL(join(root, 'cli', 'main.ts')).href);
