// The project root: the checkout this module belongs to (where pipelines/, kernel/, drivers/ live).
// Decided here once; bin/build.js keeps import.meta.url pointing at the sources in compiled code.
import { fileURLToPath } from "node:url";

export const PROJECT_ROOT = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");
