#!/usr/bin/env node
// Entry shim: pipelines are TypeScript, so the CLI runs through tsx's loader (no build step).
import { register } from "tsx/esm/api";
register();
await import("../cli/main.ts");
