#!/usr/bin/env node
// Entry point: the compiled CLI lives in dist/ (npm ci builds it through the prepare script).
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
